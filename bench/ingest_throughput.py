"""Ingest throughput: article pages from loopback, end to end, against its bound.

A feed of N items, each linking to its own HTML page, is served by a separate
process on 127.0.0.1; ``newsbrief``'s real ingest path fetches the feed and
every page, extracts with trafilatura, cleans, summarises, finds quotes,
clusters and stores. Feed items carry only a teaser, so every page is fetched.
Pages are built from the CNN/DailyMail dev articles when ``--data`` is there
(evaluation use only; nothing is kept), else from the bundled sample articles,
each made unique.

Each ingest runs in a fresh process on a fresh store (SQLite file; PostgreSQL in
a schema of its own, dropped after), at each fetch concurrency, on each store,
for ``--rounds`` rounds (medians printed). Beside it, in the same round:

- the bound: extraction + analysis alone (``bot.news.prepare``) over the same
  pages in one process per CPU, nothing fetched or stored;
- with ``--baseline DIR`` (a checkout of an earlier commit, e.g. from
  ``git archive``), the same ingest with that tree's code, interleaved.

The machine may be shared: the load average and the CPU seconds of the ingest
(its process and its workers) and of the page server are printed with each run.

Run: python bench/ingest_throughput.py [--pages 500] [--rounds 3]
       [--concurrency 1,2,8,16] [--stores sqlite,postgresql] [--pg URL] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
STAGES = ("fetch", "extract", "analyse", "store")


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


def page(texts: list[tuple[str, str]], i: int) -> str:
    title, body = texts[i % len(texts)]
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in body.split("\n") if p.strip())
    return (
        f"<html><head><title>{html.escape(title)} ({i})</title></head><body>"
        "<nav><a href='/'>Home</a> | World | Sport</nav>"
        f"<article><h1>{html.escape(title)} ({i})</h1><p>Story number {i}.</p>{paras}</article>"
        "<aside>Most Popular</aside><footer>© Bench News</footer></body></html>"
    )


def serve(port_file: str, pages: int, data: str) -> None:
    from aiohttp import web

    texts = _texts(Path(data))
    bodies = [page(texts, i) for i in range(pages)]

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
        return web.Response(text=bodies[int(request.match_info["i"])], content_type="text/html")

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


def cpu_of(pid: int) -> float:
    """utime + stime of a live process, in seconds (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ one ingest (child)
async def _warm(workers: Any) -> float:
    """Start the worker processes before the clock (a running service has them)."""
    from bot.news.prepare import ArticleJob, prepare

    started = time.perf_counter()
    job = ArticleJob(html="<html><body><p>warm</p></body></html>", page_url="http://x.test/")
    await asyncio.gather(*(workers.run(prepare, job) for _ in range(workers.workers)))
    return time.perf_counter() - started


async def ingest_once(base: str, db: str, concurrency: int) -> dict[str, Any]:
    # imports before the clock, in both trees
    import bot.news.extract
    import bot.nlp.analyze  # noqa: F401
    from bot.config import Settings
    from bot.news.ingest import Ingester
    from bot.news.net import Fetcher
    from bot.store import Store

    try:
        from bot.news.pool import shared_pool
    except ImportError:  # a tree before the worker processes
        pool = None
    else:
        pool = shared_pool()
    warm_s = await _warm(pool) if pool else 0.0
    store = Store.open(db)
    fetcher = Fetcher(Settings(allow_private_hosts=True, per_host_concurrency=concurrency))
    wall0, cpu0 = time.perf_counter(), time.process_time()
    workers0 = sum(cpu_of(p) for p in pool.worker_pids()) if pool else 0.0
    try:
        report = await Ingester(store, fetcher, concurrency=concurrency).ingest(
            [f"{base}/feed.xml"]
        )
    finally:
        await fetcher.aclose()
        store.close()
    wall = time.perf_counter() - wall0
    workers = sum(cpu_of(p) for p in pool.worker_pids()) - workers0 if pool else 0.0
    counts = dict(report.counts())
    return {
        "wall": wall,
        "new": counts.get("new", 0),
        "counts": counts,
        "cpu_self": time.process_time() - cpu0,
        "cpu_workers": workers,
        "warm_s": warm_s,
        "stages": dict(getattr(report, "seconds", {}) or {}),
    }


def bound_once(pages: int, data: str) -> dict[str, Any]:
    """Extraction + analysis alone over the same pages, one process per CPU."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from bot.news.pool import PRELOAD, default_workers
    from bot.news.prepare import ArticleJob, prepare

    texts = _texts(Path(data))
    jobs = [
        ArticleJob(html=page(texts, i), page_url=f"http://127.0.0.1/a/{i}", title=None)
        for i in range(pages)
    ]
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    n = default_workers()
    with ProcessPoolExecutor(n, mp_context=ctx) as ex:
        list(ex.map(prepare, jobs[:n], chunksize=1))  # workers started and warm
        t0 = time.perf_counter()
        done = list(ex.map(prepare, jobs, chunksize=4))
        wall = time.perf_counter() - t0
    ok = sum(1 for p in done if p.status == "ok")
    return {"wall": wall, "ok": ok, "workers": n}


def child(args: argparse.Namespace) -> None:
    sys.path.insert(0, args.tree)
    if args.bound:
        out = bound_once(args.pages, args.data)
    else:
        out = asyncio.run(ingest_once(args.base, args.db, int(args.concurrency)))
    print("RESULT " + json.dumps(out))


# ------------------------------------------------------------------ the driver
def _run_child(tree: Path, extra: list[str], server_pid: int) -> dict[str, Any]:
    server0 = cpu_of(server_pid)
    env = dict(os.environ, PYTHONPATH=str(tree))
    proc = subprocess.run(
        [sys.executable, __file__, "--child", "--tree", str(tree), *extra],
        capture_output=True,
        text=True,
        env=env,
        cwd=tree,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode or not lines:
        raise SystemExit(f"child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    out: dict[str, Any] = json.loads(lines[-1][7:])
    out["cpu_server"] = cpu_of(server_pid) - server0
    out["load"] = os.getloadavg()[0]
    return out


class PgSchema:
    def __init__(self, url: str) -> None:
        sys.path.insert(0, str(ROOT))
        from sqlalchemy import text

        from bot.store import create_store_engine

        self.text = text
        self.admin = create_store_engine(url)
        self.name = f"nb_bench_{uuid.uuid4().hex[:8]}"
        with self.admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.name}"'))
        sep = "&" if "?" in url else "?"
        self.url = f"{url}{sep}options=-csearch_path%3D{self.name}"

    def drop(self) -> None:
        with self.admin.begin() as conn:
            conn.execute(self.text(f'DROP SCHEMA "{self.name}" CASCADE'))
        self.admin.dispose()


def _ingest(
    tree: Path, store: str, c: int, base: str, tmp: Path, pg: str, server: int
) -> dict[str, Any]:
    schema = PgSchema(pg) if store == "postgresql" else None
    db = schema.url if schema else f"sqlite:///{tmp / f'{uuid.uuid4().hex}.db'}"
    try:
        return _run_child(tree, ["--db", db, "--base", base, "--concurrency", str(c)], server)
    finally:
        if schema:
            schema.drop()


def _med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _line(label: str, runs: list[dict[str, Any]]) -> str:
    rate = [r["new"] / r["wall"] for r in runs]
    cpu = _med([r["cpu_self"] + r["cpu_workers"] for r in runs])
    return (
        f"{label:10s} {_med(rate):6.1f}/s (rounds: {', '.join(f'{x:.1f}' for x in rate)}); "
        f"CPU ingest {cpu:.1f} s (workers {_med([r['cpu_workers'] for r in runs]):.1f}), "
        f"server {_med([r['cpu_server'] for r in runs]):.1f} s; "
        f"load {_med([r['load'] for r in runs]):.1f}"
    )


def driver(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="nb-ingest-"))
    port_file = tmp / "port"
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port_file), str(args.pages), args.data]
    )
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    stores = args.stores.split(",")
    trees = {"after": ROOT, **({"before": Path(args.baseline)} if args.baseline else {})}
    runs: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    bounds: list[float] = []
    try:
        for _ in range(100):
            if port_file.exists() and port_file.read_text():
                break
            time.sleep(0.1)
        base = f"http://127.0.0.1:{port_file.read_text()}"
        for r in range(args.rounds):
            b = _run_child(ROOT, ["--bound", "--pages", str(args.pages)], server.pid)
            bounds.append(b["ok"] / b["wall"])
            print(f"round {r + 1}: bound {bounds[-1]:.1f}/s ({b['workers']} processes)", flush=True)
            for store in stores:
                for c in concurrencies:
                    for name, tree in trees.items():
                        out = _ingest(tree, store, c, base, tmp, args.pg, server.pid)
                        runs.setdefault((name, store, c), []).append(out)
                        print(
                            f"  {store} c={c} {name}: {out['new'] / out['wall']:.1f}/s "
                            f"{out['counts']} load {out['load']:.1f}",
                            flush=True,
                        )
    finally:
        server.terminate()
        server.wait()
    report(args, runs, bounds, trees, stores, concurrencies)


def report(
    args: argparse.Namespace,
    runs: dict[tuple[str, str, int], list[dict[str, Any]]],
    bounds: list[float],
    trees: dict[str, Path],
    stores: list[str],
    concurrencies: list[int],
) -> None:
    source = "cnndm-dev" if (Path(args.data) / "cnndm_dev.jsonl").exists() else "sample"
    bound = _med(bounds)
    print()
    print(f"{args.pages} pages from {source}; {os.cpu_count()} CPUs; medians of {args.rounds}")
    print(f"bound (extraction + analysis alone, processes): {bound:.1f}/s")
    for store in stores:
        for c in concurrencies:
            print(f"{store}, {c} fetch(es) at once:")
            for name in trees:
                print("  " + _line(name, runs[(name, store, c)]))
            after = runs[("after", store, c)]
            rate = _med([r["new"] / r["wall"] for r in after])
            ratios = f"after/bound {rate / bound:.2f}"
            if "before" in trees:
                before = _med([r["new"] / r["wall"] for r in runs[("before", store, c)]])
                ratios += f", after/before {rate / before:.2f}"
            stages = ", ".join(
                f"{s} {_med([r['stages'].get(s, 0) / max(r['new'], 1) for r in after]) * 1000:.1f}"
                for s in STAGES
            )
            print(f"  {ratios}; ms per article by stage (summed, stages overlap): {stages}")
            print(f"  worker start before the clock: {_med([r['warm_s'] for r in after]):.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "eval" / "cnndm-dev"))
    ap.add_argument("--concurrency", default="1,2,8,16", help="fetches at once on the host")
    ap.add_argument("--stores", default="sqlite,postgresql")
    ap.add_argument("--pg", default=os.environ.get("NEWSBRIEF_TEST_DATABASE_URL", PG_URL))
    ap.add_argument("--baseline", help="a tree of an earlier commit, run the same way")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--bound", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--tree", default=str(ROOT), help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--base", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
    else:
        driver(args)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main()
