"""Scale-out on one PostgreSQL: polls per minute with 1, 2 and 3 instances, leader
takeover after SIGKILL, and the database's size over 30 days with retention on and off.

Polls: N real ``newsbrief run`` processes (headless) share 2,000 loopback feeds that
answer after a simulated network latency (``--latency``, 100 ms), each instance
with ``--per-host`` requests in flight to the one loopback host; once all are ready
the feeds become due, and the time until every one was fetched and released gives
polls per minute, as a ratio against one instance in the same run.

Takeover: three instances with the leader lease's default TTL and renewal (15 s,
5 s); the leader is SIGKILLed ``--kills`` times (a replacement starts each time),
and the time from the kill until another instance holds the lease is measured.

Size: articles from the BBC News Summary set (``--data``; evaluation use only,
nothing kept) stored as ``--per-day`` a day for ``--days`` simulated days, with a
few briefs' threads a day, once with retention every day (``--retention-days``,
the leader's batches, then VACUUM as autovacuum would) and once without; the
schema's total relation size is printed every five days.

Needs NEWSBRIEF_TEST_DATABASE_URL (or --database-url). Run:
    python bench/scaleout.py [--feeds 2000] [--kills 10] [--days 30] [--parts polls,takeover,size]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web
from cryptography.fernet import Fernet
from sqlalchemy import Engine, func, insert, select, text, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.store import ArticleRecord, Store  # noqa: E402
from bot.store.leases import Leases  # noqa: E402
from bot.store.records import FeedState  # noqa: E402
from bot.store.retention import Retention  # noqa: E402
from bot.store.schema import Article, Feed, Thread  # noqa: E402
from bot.store.sources import OPERATOR, Via  # noqa: E402
from tests.pgschema import fresh_schema  # noqa: E402

WORDS = " ".join(f"word{i}" for i in range(170))
ITEM = (
    "<item><title>Port strike enters its third day</title><link>https://news.example/s</link>"
    f"<guid>s</guid><description>Dock workers stayed out. {WORDS}</description></item>"
)


# ---------------------------------------------------------------- plumbing
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Instances:
    """``newsbrief run`` processes on one database; stopped with SIGTERM at the end."""

    def __init__(self, url: str, tmp: Path, **env: str) -> None:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBRIEF_")}
        self.env = inherited | {
            "NEWSBRIEF_DATABASE_URL": url, "NEWSBRIEF_DATA_DIR": str(tmp / "data"),
            "NEWSBRIEF_SECRET_KEY": Fernet.generate_key().decode(),
            "NEWSBRIEF_ALLOW_PRIVATE_HOSTS": "true", "NEWSBRIEF_HTTP_HOST": "127.0.0.1",
            "PYTHONPATH": str(ROOT),
        } | env  # fmt: skip
        self.tmp = tmp
        self.procs: dict[int, tuple[asyncio.subprocess.Process, int]] = {}

    async def start(self, n: int) -> None:
        for _ in range(n):
            port = free_port()
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", "--no-sample", "--no-console",
                env=self.env | {"NEWSBRIEF_HTTP_PORT": str(port)}, cwd=self.tmp,
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            self.procs[proc.pid] = (proc, port)

    async def ready(self) -> None:
        for proc, port in list(self.procs.values()):
            await until(lambda p=port: _ready(p), 120)  # type: ignore[misc]
            assert proc.returncode is None

    def kill(self, pid: int) -> None:
        proc, _ = self.procs.pop(pid)
        proc.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        for proc, _ in self.procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc, _ in self.procs.values():
            await proc.wait()
        self.procs.clear()


def _ready(port: int) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False


async def until(check: Callable[[], bool], timeout: float, step: float = 0.05) -> float:
    start = time.monotonic()
    while not await asyncio.to_thread(check):
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"not done after {timeout:.0f} s")
        await asyncio.sleep(step)
    return time.monotonic() - start


# ---------------------------------------------------------------- polls per minute
class Feeds:
    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.hits: set[int] = set()
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def feed(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.latency)
        n = int(request.match_info["n"])
        self.hits.add(n)
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>F{n}</title>{ITEM}'
        return web.Response(body=body + "</channel></rss>", content_type="application/rss+xml")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/f/{n}.xml", self.feed)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0, backlog=1024).start()
        self.port = self.runner.addresses[0][1]


def due(engine: Engine, now: bool) -> None:
    later = None if now else datetime.now(UTC) + timedelta(days=1)
    with engine.begin() as conn:
        conn.execute(update(Feed).values(next_poll=later))


def unclaimed(engine: Engine) -> bool:
    with engine.connect() as conn:
        return not conn.scalar(select(func.count()).where(Feed.lease_holder.is_not(None)))


async def polls(args: argparse.Namespace, admin: str) -> dict[int, float]:
    server = Feeds(args.latency)
    await server.start()
    rates: dict[int, float] = {}
    try:
        for n in (1, 2, 3):
            server.hits.clear()
            with (
                fresh_schema(admin, prefix="nb_bench") as (url, engine),
                tempfile.TemporaryDirectory() as tmp,
            ):
                with Store.open(url) as store:
                    for i in range(args.feeds):
                        url_i = f"http://127.0.0.1:{server.port}/f/{i}.xml"
                        store.save_feed(FeedState(url=url_i), Via(owner=OPERATOR))
                due(engine, False)
                group = Instances(url, Path(tmp), NEWSBRIEF_POLL_INTERVAL="86400",
                                  NEWSBRIEF_PER_HOST_CONCURRENCY=str(args.per_host))  # fmt: skip
                await group.start(n)
                try:
                    await group.ready()
                    due(engine, True)  # all at once, for every instance
                    took = await until(lambda: len(server.hits) == args.feeds, 1800)
                    took += await until(lambda: unclaimed(engine), 120)
                finally:
                    await group.stop()
            rates[n] = args.feeds / took * 60
            ratio = rates[n] / rates[1]
            print(f"  {n} instance(s): {args.feeds} feeds in {took:.1f} s = "
                  f"{rates[n]:,.0f} polls/min ({ratio:.2f}x)", flush=True)  # fmt: skip
    finally:
        assert server.runner is not None
        await server.runner.cleanup()
    return rates


# ---------------------------------------------------------------- takeover
def leader(engine: Engine) -> tuple[str, int] | None:
    lease = Leases(engine).get("leader")
    if lease is None or lease.expires_at <= datetime.now(UTC):
        return None
    return lease.holder, int(lease.holder.split(":")[1])


async def takeover(args: argparse.Namespace, admin: str) -> list[float]:
    times: list[float] = []
    with (
        fresh_schema(admin, prefix="nb_bench") as (url, engine),
        tempfile.TemporaryDirectory() as tmp,
    ):
        Store.open(url).close()
        group = Instances(url, Path(tmp), NEWSBRIEF_LEADER_TTL=str(args.ttl),
                          NEWSBRIEF_LEADER_RENEW=str(args.renew))  # fmt: skip
        await group.start(3)
        try:
            await group.ready()
            for k in range(args.kills):
                await until(lambda: leader(engine) is not None, 120)
                found = leader(engine)
                assert found is not None
                holder, pid = found
                group.kill(pid)
                took = await until(lambda h=holder: (leader(engine) or (h,))[0] != h, 120)  # type: ignore[misc]
                times.append(took)
                print(f"  kill {k + 1}: taken over in {took:.1f} s", flush=True)
                await group.start(1)  # back to three
                await group.ready()
        finally:
            await group.stop()
    return times


# ---------------------------------------------------------------- size
def corpus(data: Path, limit: int) -> list[tuple[str, str]]:
    files = sorted(data.glob("articles/*/*.txt"))[:limit]
    out = []
    for f in files:
        title, _, body = f.read_text(encoding="latin-1").strip().partition("\n")
        out.append((title.strip(), " ".join(body.split())))
    return out


def payloads(texts: list[tuple[str, str]], n: int) -> list[dict[str, object]]:
    from bot.nlp.analyze import analyze
    from bot.store import analysis_payload

    return [analysis_payload(analyze(body, title=title)) for title, body in texts[:n]]


def schema_bytes(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')"
        )) or 0)  # fmt: skip


def vacuum(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM"))


def prune(engine: Engine, args: argparse.Namespace, at: datetime) -> None:
    """The leader's retention run at the end of a simulated day."""
    leases = Leases(engine, clock=lambda: at)
    lease = leases.acquire("leader", "bench", timedelta(hours=1))
    assert lease is not None
    days = {"retention_days": args.retention_days, "thread_days": args.thread_days}
    Retention(engine, leases, clock=lambda: at, **days).run(lambda: lease)


def simulate(args: argparse.Namespace, admin: str, retain: bool) -> list[tuple[int, int, int]]:
    texts = corpus(args.data, args.per_day * 2)
    analyses = payloads(texts, 40)
    start = datetime.now(UTC) - timedelta(days=args.days)
    rows: list[tuple[int, int, int]] = []
    with fresh_schema(admin, prefix="nb_bench") as (url, engine), Store.open(url) as store:
        n = 0
        for day in range(1, args.days + 1):
            at = start + timedelta(days=day)
            ids = []
            for i in range(args.per_day):
                title, body = texts[(day * args.per_day + i) % len(texts)]
                n += 1
                record = ArticleRecord(
                    url=f"https://outlet{i % 7}.example/{day}/{i}", title=f"{title} ({day}.{i})",
                    text=f"{body} Day {day}, item {i}.", site=f"outlet{i % 7}.example",
                    published=at - timedelta(minutes=i), analysis=analyses[n % len(analyses)],
                )  # fmt: skip
                ids.append(store.upsert_article(record, now=at).article_id)
            with engine.begin() as conn:  # the day's briefs and digests: threads
                conn.execute(insert(Thread), [
                    {"platform": "slack", "channel_id": f"C{t}", "thread_id": f"{day}.{t}",
                     "kind": "brief", "title": "brief", "article_ids": {"ids": ids[t::20][:5]},
                     "created_at": at} for t in range(20)])  # fmt: skip
            if retain:
                prune(engine, args, at)
            vacuum(engine)
            if day % 5 == 0 or day == args.days:
                with engine.connect() as conn:
                    kept = int(conn.scalar(select(func.count()).select_from(Article)) or 0)
                rows.append((day, kept, schema_bytes(engine)))
    return rows


def size(args: argparse.Namespace, admin: str) -> None:
    on = simulate(args, admin, retain=True)
    off = simulate(args, admin, retain=False)
    print(f"  {args.per_day} articles a day; retention {args.retention_days} d, threads "
          f"{args.thread_days} d")  # fmt: skip
    print("  day   articles on/off      size on / off (MiB)")
    for (day, a_on, b_on), (_, a_off, b_off) in zip(on, off, strict=True):
        print(f"  {day:>3}  {a_on:>7} / {a_off:<7}  {b_on / 2**20:>7.1f} / {b_off / 2**20:.1f}")


# ---------------------------------------------------------------- main
def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--database-url", default=os.environ.get("NEWSBRIEF_TEST_DATABASE_URL"))
    p.add_argument("--parts", default="polls,takeover,size")
    p.add_argument("--feeds", type=int, default=2000)
    p.add_argument("--latency", type=float, default=0.1)
    p.add_argument("--per-host", type=int, default=4)
    p.add_argument("--kills", type=int, default=10)
    p.add_argument("--ttl", type=float, default=15.0)
    p.add_argument("--renew", type=float, default=5.0)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--per-day", type=int, default=200)
    p.add_argument("--retention-days", type=int, default=7)
    p.add_argument("--thread-days", type=int, default=3)
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared/eval/bbc-news-summary")
    args = p.parse_args()
    if not args.database_url:
        p.error("set NEWSBRIEF_TEST_DATABASE_URL or --database-url (PostgreSQL)")
    parts = set(args.parts.split(","))
    if "polls" in parts:
        print(f"polls per minute, {args.feeds} feeds, {args.latency * 1000:.0f} ms latency, "
              f"{args.per_host} per host per instance:", flush=True)  # fmt: skip
        asyncio.run(polls(args, args.database_url))
    if "takeover" in parts:
        print(f"leader takeover after SIGKILL (TTL {args.ttl:g} s, renewed every "
              f"{args.renew:g} s):", flush=True)  # fmt: skip
        times = asyncio.run(takeover(args, args.database_url))
        print(f"  p50 {statistics.median(times):.1f} s, max {max(times):.1f} s "
              f"over {len(times)} kills")  # fmt: skip
    if "size" in parts:
        print(f"database size over {args.days} simulated days:", flush=True)
        size(args, args.database_url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
