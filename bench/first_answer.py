"""The first follow-up a freshly started bot answers, with and without the start-up warm-up.

bench/answer_speed.py times a thread's first question in a process whose word data
(stemmer, lemma dictionary, WordNet synonyms, names) is already loaded, as in a bot
that has been up a while. Here each reply comes from a new interpreter, as after a
deploy or restart:

* cold: the articles are read and the question is asked at once;
* warmed: ``bot.warmup.start_warm_up()`` (what ``newsbrief run`` starts when it
  serves a platform) has finished first.

The thread is the first ``--size`` (50) CNN/DailyMail dev articles with their stored
analysis (``analysis_payload``, as ingest stores it), written once by the parent. Only
``answer()`` is timed, not the imports or the warm-up itself (printed beside). The
variants alternate, round after round, so the machine's load hits both alike.

Run: python bench/first_answer.py [--articles CNNDM_JSONL] [--size 50] [--rounds 8]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUESTIONS = ("who was hurt?", "how much did it cost?", "what did he say about it?")


def child(payload: Path, variant: str, question: str) -> None:
    from bot.nlp.answers import SourceArticle, answer

    rows = json.loads(payload.read_text())
    articles = [
        SourceArticle.from_analysis(r["id"], r["text"], r["analysis"], url=r["url"]) for r in rows
    ]
    warm = 0.0
    if variant == "warmed":
        from bot.warmup import start_warm_up

        start = time.perf_counter()
        start_warm_up().join()
        warm = time.perf_counter() - start
    start = time.perf_counter()
    answer(question, articles)
    print(json.dumps({"ms": 1000 * (time.perf_counter() - start), "warm_up_ms": 1000 * warm}))


def write_payload(articles: Path, size: int, out: Path) -> None:
    from bot.nlp.analyze import analyze
    from bot.store import analysis_payload

    rows: list[dict[str, Any]] = []
    with articles.open() as f:
        for line in f:
            if len(rows) == size:
                break
            a = json.loads(line)
            text = a["article"]
            rows.append(
                {
                    "id": a["id"],
                    "url": a.get("url"),
                    "text": text,
                    "analysis": analysis_payload(analyze(text)),
                }
            )
    out.write_text(json.dumps(rows))


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, round(0.95 * len(xs)) - 1)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--articles", type=Path, default=ROOT.parent / "shared/eval/cnndm-dev/cnndm_dev.jsonl"
    )
    ap.add_argument("--size", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--child", nargs=3, metavar=("PAYLOAD", "VARIANT", "QUESTION"))
    args = ap.parse_args()
    if args.child:
        child(Path(args.child[0]), args.child[1], args.child[2])
        return
    with tempfile.TemporaryDirectory() as tmp:
        payload = Path(tmp) / "thread.json"
        write_payload(args.articles, args.size, payload)
        times: dict[str, list[float]] = {"cold": [], "warmed": []}
        warm_ups: list[float] = []
        for r in range(args.rounds):
            variants = ["cold", "warmed"] if r % 2 == 0 else ["warmed", "cold"]
            for variant in variants:
                question = QUESTIONS[r % len(QUESTIONS)]
                out = subprocess.run(
                    [sys.executable, __file__, "--child", str(payload), variant, question],
                    capture_output=True, text=True, check=True, cwd=ROOT,
                )  # fmt: skip
                seen = json.loads(out.stdout.strip().splitlines()[-1])
                times[variant].append(seen["ms"])
                if variant == "warmed":
                    warm_ups.append(seen["warm_up_ms"])
    print(f"first answer in a new process, {args.size}-article thread, {args.rounds} rounds")
    for variant, xs in times.items():
        print(f"  {variant:7s} p50 {statistics.median(xs):7.1f} ms   p95 {p95(xs):7.1f} ms")
    ratio = statistics.median(times["warmed"]) / statistics.median(times["cold"])
    print(f"  warmed/cold p50 {ratio:.2f}x; the warm-up itself (in the background) "
          f"p50 {statistics.median(warm_ups):.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
