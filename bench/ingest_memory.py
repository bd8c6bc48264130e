"""Memory of a long ingest: RSS over 10,000 article pages from loopback.

The page server of ``bench/ingest_throughput.py`` (a separate process on
127.0.0.1) serves one feed of N items, each linking to its own page; the real
ingest fetches, extracts, analyses and stores them all in a SQLite file. Every
500 items the resident set (VmRSS from /proc) of the ingesting process and of each
worker process is sampled. Printed: the samples, the peaks, and the growth after
warm-up (least-squares slope in MB per 1,000 items over the samples after
``--warm`` items), which is what "flat" means here: it should stay near 0 while
the store grows.

Run: python bench/ingest_memory.py [--pages 10000] [--every 500] [--warm 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def rss_mb(pid: int | str = "self") -> float:
    """VmRSS of a process in MB (0 once it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys over xs."""
    if len(xs) < 2:
        return 0.0
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


async def ingest(
    base: str, db: str, every: int
) -> tuple[list[tuple[int, float, float]], dict[str, int]]:
    from bot.config import Settings
    from bot.news.ingest import Ingester
    from bot.news.net import Fetcher
    from bot.news.pool import shared_pool
    from bot.store import Store

    pool = shared_pool()
    samples: list[tuple[int, float, float]] = []  # (items done, own RSS, workers' RSS)
    done = [0]

    def progress(_item: object) -> None:
        done[0] += 1
        if done[0] % every == 0:
            workers = sum(rss_mb(p) for p in pool.worker_pids())
            samples.append((done[0], rss_mb(), workers))
            print(f"  {done[0]:6d} items: {samples[-1][1]:6.1f} MB, workers {workers:6.1f} MB",
                  flush=True)  # fmt: skip

    store = Store.open(db)
    fetcher = Fetcher(Settings(allow_private_hosts=True, per_host_concurrency=8))
    try:
        report = await Ingester(store, fetcher, progress=progress).ingest([f"{base}/feed.xml"])
    finally:
        await fetcher.aclose()
        store.close()
    return samples, dict(report.counts())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=10_000)
    ap.add_argument("--every", type=int, default=500)
    ap.add_argument("--warm", type=int, default=2000, help="items before the slope is taken")
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "eval" / "cnndm-dev"))
    args = ap.parse_args()
    import ingest_throughput

    tmp = Path(tempfile.mkdtemp(prefix="nb-memory-"))
    port_file = tmp / "port"
    server = subprocess.Popen(
        [sys.executable, ingest_throughput.__file__, "--serve", str(port_file), str(args.pages),
         args.data]
    )  # fmt: skip
    try:
        for _ in range(300):
            if port_file.exists() and port_file.read_text():
                break
            time.sleep(0.1)
        base = f"http://127.0.0.1:{port_file.read_text()}"
        t0, c0 = time.perf_counter(), time.process_time()
        samples, counts = asyncio.run(ingest(base, f"sqlite:///{tmp / 'memory.db'}", args.every))
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        server.terminate()
        server.wait()
    size = (tmp / "memory.db").stat().st_size / 2**20
    after = [s for s in samples if s[0] >= args.warm]
    xs = [s[0] / 1000 for s in after]
    own = slope(xs, [s[1] for s in after])
    workers = slope(xs, [s[2] for s in after])
    print(f"items {sum(counts.values())}: {counts}; {wall:.0f} s, CPU of this process {cpu:.0f} s")
    print(f"load average {os.getloadavg()[0]:.2f}; store file {size:.0f} MB")
    print(f"peak RSS: ingesting process {max(s[1] for s in samples):.1f} MB, "
          f"workers together {max(s[2] for s in samples):.1f} MB")  # fmt: skip
    if after:
        print(
            f"after {args.warm} items: ingesting process {after[0][1]:.1f} -> "
            f"{after[-1][1]:.1f} MB "
            f"(slope {own:+.2f} MB per 1,000 items), workers {after[0][2]:.1f} -> "
            f"{after[-1][2]:.1f} MB (slope {workers:+.2f} MB per 1,000 items)"
        )


if __name__ == "__main__":
    main()
