"""LSA with numpy's default BLAS threads against one thread, rounds interleaved.

``bot.nlp.summarize`` runs sumy with BLAS limited to one thread (threadpoolctl):
this prints both, on the same texts in the same process, so the ratio holds on a
busy machine too. Texts: the CNN/DailyMail dev articles when ``--data`` has them
(measuring only), else the bundled sample articles.

Run: python bench/lsa_blas_threads.py [--rounds 5] [--algorithm lsa]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _texts(data: Path) -> list[str]:
    path = data / "cnndm_dev.jsonl"
    if path.exists():
        return [json.loads(line)["article"] for line in path.read_text("utf-8").splitlines()]
    sample = ROOT / "bot" / "data" / "sample" / "articles"
    return [p.read_text("utf-8").partition("\n\n")[2] for p in sorted(sample.glob("*.txt"))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--algorithm", default="lsa")
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "eval" / "cnndm-dev"))
    args = ap.parse_args()

    import bot.nlp.summarize as summarize
    from bot.nlp.analyze import analyze

    texts = _texts(Path(args.data))
    pinned = summarize._one_blas_thread
    modes = {"default threads": contextlib.nullcontext, "one thread": pinned}
    wall: dict[str, list[float]] = {m: [] for m in modes}
    cpu: dict[str, list[float]] = {m: [] for m in modes}
    for text in texts[:3]:  # warm: imports, stemmer, stop words
        analyze(text, algorithm=args.algorithm)
    for _ in range(args.rounds):
        for mode, limit in modes.items():
            summarize._one_blas_thread = limit  # type: ignore[assignment]
            t0, c0 = time.perf_counter(), time.process_time()
            for text in texts:
                analyze(text, algorithm=args.algorithm)
            wall[mode].append(time.perf_counter() - t0)
            cpu[mode].append(time.process_time() - c0)
    summarize._one_blas_thread = pinned
    print(f"{args.algorithm} over {len(texts)} articles, {args.rounds} rounds interleaved;")
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs")
    for mode in modes:
        per = statistics.median(wall[mode]) / len(texts) * 1000
        print(
            f"  {mode:16s} median {per:6.2f} ms/article wall, "
            f"CPU {statistics.median(cpu[mode]) / len(texts) * 1000:6.2f} ms/article"
        )
    ratio = statistics.median(wall["default threads"]) / statistics.median(wall["one thread"])
    print(f"default threads / one thread: {ratio:.2f}x wall")


if __name__ == "__main__":
    main()
