"""Speed and memory of the core: analyze() in process, the CLI end to end, and scaling.

Measures, over the CNN/DailyMail dev articles:

1. ``bot.nlp.analyze.analyze(text)`` (clean, split, summarize, quotes) in one
   process: articles per second, after one warm-up call;
2. the real CLI, ``newsbrief summarize --batch`` over a JSON Lines file in a
   subprocess, timed end to end including interpreter start-up;
3. summarization alone on synthetic articles of 10, 100, 1,000 and 5,000
   sentences (cnndm sentences repeated with a varying number so no two are
   identical) for ``news`` and every sumy algorithm, to show growth stays
   near-linear past a few hundred sentences (the registry's prefilter caps the
   graph methods at 200 sentences);
4. peak memory: tracemalloc peak of Python allocations during the in-process
   runs, and the process's maximum resident set size.

Run: python bench/core_speed.py [--cnndm PATH] [--sizes 10,100,1000,5000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.models import Sentence  # noqa: E402
from bot.nlp.summarize import ALGORITHMS, summarize  # noqa: E402
from bot.nlp.text.article import article_sentences  # noqa: E402
from bot.nlp.text.clean import clean  # noqa: E402


def _articles(path: Path) -> list[str]:
    file = path / "cnndm_dev.jsonl" if path.is_dir() else path
    return [json.loads(line)["article"] for line in file.open(encoding="utf-8") if line.strip()]


def bench_analyze(texts: list[str]) -> None:
    from bot.nlp.analyze import analyze

    analyze(texts[0])  # warm-up: loads the sentence model and stemmer
    tracemalloc.start()
    t0 = time.perf_counter()
    for text in texts:
        analyze(text)
    dt = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # tracemalloc slows allocation-heavy code; time again without it.
    t0 = time.perf_counter()
    for text in texts:
        analyze(text)
    fast = time.perf_counter() - t0
    print(
        f"analyze() in process: {len(texts)} articles in {fast:.2f} s"
        f" = {len(texts) / fast:.0f} articles/s"
    )
    print(f"  ({1000 * fast / len(texts):.1f} ms/article; {dt:.2f} s under tracemalloc)")
    print(f"  tracemalloc peak during the run: {peak / 1e6:.1f} MB")

    t0 = time.perf_counter()
    for text in texts:
        doc = clean(text)
        summarize(article_sentences(doc), 3, "news", "english", doc.title)
    dt = time.perf_counter() - t0
    print(f"  of which clean+split+news summary alone: {1000 * dt / len(texts):.1f} ms/article")


def bench_cli(texts: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "batch.jsonl"
        with src.open("w", encoding="utf-8") as fh:
            for i, text in enumerate(texts):
                fh.write(json.dumps({"id": i, "text": text}) + "\n")
        cmd = [sys.executable, "-m", "bot.cli", "summarize", "--batch", str(src)]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
        dt = time.perf_counter() - t0
        lines = [json.loads(x) for x in proc.stdout.splitlines() if x.strip()]
        errors = sum(1 for x in lines if "error" in x)
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot.cli", "--help"], capture_output=True, check=False
        )
        startup = time.perf_counter() - t0
    print(
        f"CLI `newsbrief summarize --batch` end to end: {len(lines)} articles in {dt:.2f} s"
        f" = {len(lines) / dt:.0f} articles/s (exit {proc.returncode}, {errors} error records)"
    )
    print(f"  interpreter + CLI start-up alone (--help): {startup:.2f} s")


def _synthetic(base: list[Sentence], n: int) -> list[Sentence]:
    """n sentences built from real ones, each made unique by a number."""
    out: list[Sentence] = []
    pos = 0
    for i in range(n):
        src = base[i % len(base)]
        text = f"{src.text.rstrip('.')} in round {i // len(base) + 1}."
        out.append(Sentence(text, pos, pos + len(text), i, i // 5))
        pos += len(text) + 1
    return out


def bench_scaling(texts: list[str], sizes: list[int]) -> None:
    base = [s for t in texts for s in article_sentences(clean(t))]
    docs = {n: _synthetic(base, n) for n in sizes}
    print("\nsummarize(k=3) time in ms by sentence count (best of 3; last column: 1k to 5k growth)")
    print("  {:<10}".format("algorithm") + "".join(f"{n:>10,}" for n in sizes) + "   ratio 1k→5k")
    for algorithm in ALGORITHMS:
        row = []
        for n in sizes:
            best = float("inf")
            for _ in range(3 if n <= 1000 else 1):
                t0 = time.perf_counter()
                summarize(docs[n], 3, algorithm)
                best = min(best, time.perf_counter() - t0)
            row.append(1000 * best)
        ratio = ""
        if 1000 in sizes and 5000 in sizes:
            r = row[sizes.index(5000)] / row[sizes.index(1000)]
            ratio = f"   {r:>6.1f}x (5x input)"
        print(f"  {algorithm:<10}" + "".join(f"{v:>10.1f}" for v in row) + ratio)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cnndm", type=Path, default=ROOT / "../shared/eval/cnndm-dev")
    parser.add_argument("--sizes", default="10,100,1000,5000")
    parser.add_argument("--skip-cli", action="store_true")
    args = parser.parse_args(argv)
    texts = _articles(args.cnndm)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    try:
        bench_analyze(texts)
    except ImportError as exc:  # bot.nlp.quotes not written yet
        print(f"analyze() unavailable ({exc}); summarization only below")
    if not args.skip_cli:
        bench_cli(texts)
    bench_scaling(texts, [int(x) for x in args.sizes.split(",")])
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(f"\nmax resident set size of this process: {rss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
