"""Follow-up answer quality and latency on the QA dev set.

Two settings, both reported:
* ``article``: the question is asked in a thread that covered only its article;
* ``thread``: the thread covered all eight bundled sample articles (a digest),
  so the answerer must also pick the right article. This is the harder one.

Metrics: top-1 accuracy on answerable questions (the answer contains the
sentence a person would point to), and precision / recall of "I don't know" on
the unanswerable ones. Latency: p50/p95 per question for a thread of 10
articles, cold (first question after a restart: articles indexed) and warm.

Run: python bench/answers_dev.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answers import SourceArticle, Turn, _index_cached, answer  # noqa: E402

SAMPLE = ROOT / "bot" / "data" / "sample" / "articles"
QA = ROOT / "tests" / "fixtures" / "qa_dev.jsonl"
TWINS = {
    "06-port-strike-harbour-times.txt": "07-port-strike-coastal-post.txt",
    "07-port-strike-coastal-post.txt": "06-port-strike-harbour-times.txt",
}


def _articles() -> dict[str, SourceArticle]:
    return {
        p.name: SourceArticle(id=p.stem, text=p.read_text(encoding="utf-8"), url=f"sample:{p.stem}")
        for p in sorted(SAMPLE.glob("*.txt"))
    }


def evaluate(setting: str, verbose: bool) -> dict[str, float]:
    arts = _articles()
    rows = [json.loads(line) for line in QA.read_text(encoding="utf-8").splitlines() if line]
    by_id = {r["id"]: r for r in rows}
    answers = {}
    correct = answerable = idk = idk_right = unanswerable = 0
    for r in rows:
        if setting == "article":
            pool = [arts[r["article"]]]
        else:
            # The two port-strike articles tell one story with the same quotes: a
            # right answer from the twin could not be graded, so the twin sits out.
            twin = TWINS.get(r["article"])
            pool = [a for name, a in arts.items() if name != twin]
        history = []
        if r.get("previous"):
            prev = by_id[r["previous"]]
            history = [Turn(prev["question"], answers[prev["id"]])]
        a = answer(r["question"], pool, history)
        answers[r["id"]] = a
        if r["answerable"]:
            answerable += 1
            ok = a.confident and r["answer_contains"] in a.text
            correct += ok
        else:
            unanswerable += 1
            ok = not a.confident
        if not a.confident:
            idk += 1
            idk_right += not r["answerable"]
        if verbose and not ok:
            print(f"  MISS {r['id']} [{r['kind']}] {r['question']!r}")
            print(f"       want: {r['answer_contains']!r}")
            print(f"       got:  {a.text[:150]!r}")
    return {
        "accuracy": correct / answerable,
        "answerable": answerable,
        "idk_precision": idk_right / idk if idk else float("nan"),
        "idk_recall": idk_right / unanswerable if unanswerable else float("nan"),
        "idk": idk,
    }


def latency() -> tuple[float, float, float, float]:
    base = list(_articles().values())
    # Ten articles: the eight samples plus two more copies under other ids.
    pool = base + [
        SourceArticle(id=f"{a.id}-copy", text=a.text + "\n", url=a.url) for a in base[1:3]
    ]
    rows = [json.loads(line) for line in QA.read_text(encoding="utf-8").splitlines() if line]
    cold: list[float] = []
    warm: list[float] = []
    for r in rows:
        _index_cached.cache_clear()
        t0 = time.perf_counter()
        answer(r["question"], pool)
        cold.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        answer(r["question"], pool)
        warm.append((time.perf_counter() - t0) * 1000)

    def p(xs: list[float], q: int) -> float:
        return statistics.quantiles(xs, n=100)[q - 1]

    return p(cold, 50), p(cold, 95), p(warm, 50), p(warm, 95)


def main() -> None:
    verbose = "-v" in sys.argv
    for setting in ("article", "thread"):
        m = evaluate(setting, verbose)
        print(
            f"{setting:8} top-1 accuracy {m['accuracy']:.1%} on {m['answerable']} answerable; "
            f"I-don't-know precision {m['idk_precision']:.1%}, recall {m['idk_recall']:.1%} "
            f"({m['idk']} said)"
        )
    c50, c95, w50, w95 = latency()
    print(
        f"latency, thread of 10 articles: cold p50 {c50:.1f} ms p95 {c95:.1f} ms; "
        f"warm p50 {w50:.1f} ms p95 {w95:.1f} ms"
    )


if __name__ == "__main__":
    main()
