"""The bundled sample articles (``bot/data/sample/articles``), as tests read them.

Part of the repository (the package ships them), so a fresh clone has them: the news
text that tests comparing two implementations run over. No test reads the evaluation
sets, which live outside the repository and whose articles may not be copied in."""

from __future__ import annotations

from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "bot" / "data" / "sample" / "articles"
SAMPLE_PATHS = sorted(SAMPLE_DIR.glob("*.txt"))


def sample_texts() -> list[str]:
    """Every sample article's text (title line included), in file order."""
    texts = [p.read_text(encoding="utf-8") for p in SAMPLE_PATHS]
    assert len(texts) >= 8, SAMPLE_DIR  # the sample ships with the package
    return texts
