"""Follow-up answer quality and latency on the QA dev set.

Two settings, both reported:
* ``article``: the question is asked in a thread that covered only its article;
* ``thread``: the thread covered all eight bundled sample articles (a digest),
  so the answerer must also pick the right article. This is the harder one.

Metrics: top-1 accuracy on answerable questions (the answer contains the
sentence a person would point to), and precision / recall of "I don't know" on
the unanswerable ones. Latency: p50/p95 per question for a thread of 10
articles, cold (first question after a restart: articles indexed) and warm.

Two question sets: ``dev`` (tests/fixtures/qa_dev.jsonl, the one the answerer
was tuned on) and ``holdout`` (tests/fixtures/qa_holdout.jsonl, written before
any tuning and never tuned on). Each is reported separately; a holdout score
far below dev means the tuning overfit.

With ``--stored`` every article comes with the analysis ingest stores for it
(``analysis_payload``), as the conversation passes it: the answerer then takes
its quotes and sentences instead of working them out again. The figures must not
change.

Both sets are about the eight bundled samples, which the answerer has seen for
long: read them as a regression check. The honest measure is bench/answers_eval.py
on reader-written questions about real news (followups-dev, and a held-out set of
the same kind that no one tunes on).

Run: python bench/answers_dev.py [-v] [--set dev|holdout|both] [--stored]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.nlp.analyze import analyze  # noqa: E402
from bot.nlp.answers import (  # noqa: E402
    Answer,
    SourceArticle,
    Turn,
    answer,
    clear_index_cache,
)
from bot.store import analysis_payload  # noqa: E402

SAMPLE = ROOT / "bot" / "data" / "sample" / "articles"
FIXTURES = ROOT / "tests" / "fixtures"
SETS = {"dev": FIXTURES / "qa_dev.jsonl", "holdout": FIXTURES / "qa_holdout.jsonl"}
TWINS = {
    "06-port-strike-harbour-times.txt": "07-port-strike-coastal-post.txt",
    "07-port-strike-coastal-post.txt": "06-port-strike-harbour-times.txt",
}


def _articles(stored: bool = False) -> dict[str, SourceArticle]:
    out: dict[str, SourceArticle] = {}
    for p in sorted(SAMPLE.glob("*.txt")):
        text, url = p.read_text(encoding="utf-8"), f"sample:{p.stem}"
        if stored:
            payload = analysis_payload(analyze(text))
            out[p.name] = SourceArticle.from_analysis(p.stem, text, payload, url=url)
        else:
            out[p.name] = SourceArticle(id=p.stem, text=text, url=url)
    return out


def load(name: str) -> list[dict[str, Any]]:
    path = SETS[name]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def evaluate(
    setting: str, verbose: bool, qa_set: str = "dev", stored: bool = False
) -> dict[str, float]:
    arts = _articles(stored)
    rows = load(qa_set)
    by_id = {r["id"]: r for r in rows}
    answers: dict[str, Answer] = {}
    correct = answerable = idk = idk_right = unanswerable = 0
    for r in rows:
        if setting == "article":
            pool = [arts[r["article"]]]
        else:
            # The two port-strike articles tell one story with the same quotes: a
            # right answer from the twin could not be graded, so the twin sits out.
            twin = TWINS.get(r["article"])
            pool = [a for name, a in arts.items() if name != twin]
        history: list[Turn] = []
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


def latency(stored: bool = False) -> tuple[float, float, float, float]:
    base = list(_articles(stored).values())
    # Ten articles: the eight samples plus two more copies under other ids (the stored
    # analysis still fits: the copies only add a line break at the end).
    pool = base + [
        SourceArticle(
            id=f"{a.id}-copy",
            text=a.text + "\n",
            url=a.url,
            sentences=a.sentences,
            quotes=a.quotes,
        )
        for a in base[1:3]
    ]
    rows = load("dev")
    cold: list[float] = []
    warm: list[float] = []
    for r in rows:
        clear_index_cache()
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="print every miss")
    parser.add_argument("--set", choices=("dev", "holdout", "both"), default="both")
    parser.add_argument(
        "--stored", action="store_true", help="articles carry the analysis ingest stores"
    )
    args = parser.parse_args()
    names = ("dev", "holdout") if args.set == "both" else (args.set,)
    for name, setting in ((n, s) for n in names for s in ("article", "thread")):
        if args.verbose:
            print(f"[{name} / {setting}]")
        m = evaluate(setting, args.verbose, name, args.stored)
        print(
            f"{name:7} {setting:8} top-1 accuracy {m['accuracy']:.1%} "
            f"on {m['answerable']} answerable; "
            f"I-don't-know precision {m['idk_precision']:.1%}, recall {m['idk_recall']:.1%} "
            f"({m['idk']} said)"
        )
    c50, c95, w50, w95 = latency(args.stored)
    print(
        f"latency, thread of 10 articles: cold p50 {c50:.1f} ms p95 {c95:.1f} ms; "
        f"warm p50 {w50:.1f} ms p95 {w95:.1f} ms"
    )


if __name__ == "__main__":
    main()
