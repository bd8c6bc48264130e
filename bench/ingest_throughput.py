"""Ingest throughput: 1,000 article pages from loopback, end to end.

A feed of N items, each linking to its own HTML page, is served by a separate
process on 127.0.0.1; ``newsbrief``'s real ingest path fetches the feed and
every page, extracts with trafilatura, cleans, summarises, finds quotes,
clusters and stores in SQLite. Feed items carry only a teaser, so every page
is fetched. Pages are built from the CNN/DailyMail dev articles when
``--data`` is there (evaluation use only; nothing is kept), else from the
bundled sample articles, each made unique.

Run: python bench/ingest_throughput.py [--pages 1000] [--data ../shared/eval/cnndm-dev]
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _texts(data: Path) -> list[tuple[str, str]]:
    path = data / "cnndm_dev.jsonl"
    if path.exists():
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        return [(r["article_lines"][0][:80], r["article"]) for r in rows]
    sample = ROOT / "bot" / "data" / "sample" / "articles"
    out = []
    for p in sorted(sample.glob("*.txt")):
        title, _, body = p.read_text(encoding="utf-8").partition("\n\n")
        out.append((title, body))
    return out


def serve(port_file: str, pages: int, data: str) -> None:
    from aiohttp import web

    texts = _texts(Path(data))

    def page(i: int) -> str:
        title, body = texts[i % len(texts)]
        paras = "".join(f"<p>{html.escape(p)}</p>" for p in body.split("\n") if p.strip())
        return (
            f"<html><head><title>{html.escape(title)} ({i})</title></head><body>"
            "<nav><a href='/'>Home</a> | World | Sport</nav>"
            f"<article><h1>{html.escape(title)} ({i})</h1><p>Story number {i}.</p>{paras}</article>"
            "<aside>Most Popular</aside><footer>© Bench News</footer></body></html>"
        )

    async def feed(request: web.Request) -> web.Response:
        base = f"http://{request.host}"
        items = "".join(
            f"<item><title>{html.escape(texts[i % len(texts)][0])} ({i})</title>"
            f"<link>{base}/a/{i}</link><guid>{base}/a/{i}</guid>"
            "<description>A teaser.</description></item>"
            for i in range(pages)
        )
        return web.Response(
            text=f'<?xml version="1.0"?><rss version="2.0"><channel><title>Bench</title>'
            f"<link>{base}/</link>{items}</channel></rss>",
            content_type="application/rss+xml",
        )

    async def article(request: web.Request) -> web.Response:
        return web.Response(text=page(int(request.match_info["i"])), content_type="text/html")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/feed.xml", feed)
        app.router.add_get("/a/{i}", article)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        Path(port_file).write_text(str(runner.addresses[0][1]))
        await asyncio.Event().wait()

    asyncio.run(main())


async def ingest(base: str, db: str, concurrency: int) -> tuple[int, dict[str, int]]:
    from bot.config import Settings
    from bot.news.ingest import Ingester
    from bot.news.net import Fetcher
    from bot.store import Store

    store = Store.open(db)
    fetcher = Fetcher(Settings(allow_private_hosts=True, per_host_concurrency=concurrency))
    try:
        report = await Ingester(store, fetcher, concurrency=concurrency).ingest(
            [f"{base}/feed.xml"]
        )
    finally:
        await fetcher.aclose()
        store.close()
    return len(report.items), dict(report.counts())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "eval" / "cnndm-dev"))
    ap.add_argument("--concurrency", type=int, default=8, help="fetches at once on the host")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="nb-ingest-"))
    port_file = tmp / "port"
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port_file), str(args.pages), args.data]
    )
    try:
        for _ in range(100):
            if port_file.exists() and port_file.read_text():
                break
            time.sleep(0.1)
        base = f"http://127.0.0.1:{port_file.read_text()}"
        t0 = time.perf_counter()
        n, counts = asyncio.run(ingest(base, f"sqlite:///{tmp / 'bench.db'}", args.concurrency))
        wall = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    source = "cnndm-dev" if (Path(args.data) / "cnndm_dev.jsonl").exists() else "sample"
    print(f"pages from {source}; {args.concurrency} fetches at once on one host")
    print(f"items {n}: {counts}")
    print(f"{counts.get('new', 0) / wall:.1f} articles/s end to end ({wall:.1f} s)")
    print(f"peak memory (max RSS of the ingesting process): {rss:.0f} MB")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main()
