"""Value objects shared by every part of newsbrief.

Frozen dataclasses so that results can be cached, compared in tests and passed
between threads without defensive copies. Offsets are always character offsets
into the text exactly as the caller gave it (never into a cleaned copy), so a
user can highlight what we quote in their own document.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Span = tuple[int, int]
# The injected time source: tests pass a fake one, everything else datetime.now(UTC).
Clock = Callable[[], datetime]
# What ingest made of a page: an article, or a page that is not one (404, paywall stub).
ArticleStatus = Literal["ok", "no_article"]


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of an article, located in the original text."""

    text: str
    start: int
    end: int
    index: int  # position among the article's kept sentences, 0-based
    paragraph: int  # index of the paragraph (block) it came from


@dataclass(frozen=True, slots=True)
class Quote:
    """A direct quote and who said it."""

    text: str  # the quoted words, without the quotation marks
    speaker: str | None  # resolved name (fullest form used in the article)
    cue: str | None  # the verb of saying: "said", "told reporters", "asked"
    partial: bool  # a fragment inside a paraphrase, a scare quote or a nickname
    span: Span  # offsets of the quoted words (marks excluded) in the original text
    speaker_span: Span | None  # where the attribution names the speaker (may be "he")
    score: float = 0.0  # key-quote rank: higher is what an editor would pick first

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "speaker": self.speaker,
            "cue": self.cue,
            "partial": self.partial,
            "span": list(self.span),
            "speaker_span": list(self.speaker_span) if self.speaker_span else None,
        }


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the core computes once per article: a summary and its key quotes."""

    title: str | None
    summary: tuple[Sentence, ...]
    quotes: tuple[Quote, ...]  # key quotes, best first (never partial)
    algorithm: str
    language: str
    all_quotes: tuple[Quote, ...] = field(default=(), compare=False)  # in text order
    sentences: tuple[Sentence, ...] = field(default=(), compare=False)  # every one, in order

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "summary": [{"text": s.text, "index": s.index} for s in self.summary],
            "quotes": [q.to_json() for q in self.quotes],
            "algorithm": self.algorithm,
            "language": self.language,
        }
