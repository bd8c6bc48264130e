"""Several ``newsbrief run`` processes on one PostgreSQL database (issue 13, item 8).

Real processes, headless, each with its own HTTP port, sharing a fresh schema and
nothing else: three of them share 500 loopback feeds (each fetched once in the
interval), post a wave of 200 digests to the fake Slack (each exactly once), and
lose their leader to SIGKILL or SIGSTOP (another takes over within 30 s; a frozen
leader that wakes does no leader work). Waits are on recorded state: the feed
server's hits, the fake Slack's messages, the database, the instances' logs. The
leader lease is given a short TTL through the settings, to keep the suite fast.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web
from cryptography.fernet import Fernet
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bot.store import ArticleRecord, Store
from bot.store.leases import Lease, Leases
from bot.store.records import FeedState
from bot.store.schema import Feed, OutboxEntry
from bot.store.sources import OPERATOR, Via
from tests.pgschema import fresh_schema, needs_pg

pytestmark = needs_pg

NEWSBRIEF = [sys.executable, "-m", "bot.cli"]
WORDS = " ".join(f"word{i}" for i in range(170))  # a full item: no page to fetch
ITEM = f"""<item><title>Port strike enters its third day</title>
<link>https://news.example/strike</link><guid>strike-1</guid>
<description>Dock workers at the port stayed out for a third day. {WORDS}</description></item>"""


def feed_xml(n: int) -> bytes:
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {n}</title>'
        f"<link>https://news{n}.example/</link>{ITEM}</channel></rss>"
    ).encode()


class FeedServer:
    """Loopback feeds ``/feed/N.xml``; every request is counted."""

    def __init__(self) -> None:
        self.hits: Counter[int] = Counter()
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def _feed(self, request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        self.hits[n] += 1
        return web.Response(body=feed_xml(n), content_type="application/rss+xml")

    async def start(self) -> FeedServer:
        app = web.Application()
        app.router.add_get("/feed/{n}.xml", self._feed)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    def url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.port}/feed/{n}.xml"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Instance:
    proc: asyncio.subprocess.Process
    port: int
    log: Path

    def lines(self, offset: int = 0) -> list[dict[str, object]]:
        """The JSON log lines written from byte ``offset`` on."""
        with self.log.open("rb") as fh:
            fh.seek(offset)
            data = fh.read().decode(errors="replace")
        out = []
        for line in data.splitlines():
            if line.startswith("{"):
                out.append(json.loads(line))
        return out

    def messages(self, offset: int = 0) -> list[str]:
        return [str(d.get("message", "")) for d in self.lines(offset)]


@dataclass
class Cluster:
    url: str
    engine: Engine
    tmp: Path
    env: dict[str, str]
    instances: list[Instance] = field(default_factory=list)

    async def start(self, n: int, **extra: str) -> list[Instance]:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(_OWN)}
        for _ in range(n):
            port = free_port()
            log = self.tmp / f"instance-{len(self.instances)}.log"
            env = {**inherited, **self.env, **extra, "NEWSBRIEF_HTTP_PORT": str(port)}
            with log.open("wb") as err:
                proc = await asyncio.create_subprocess_exec(
                    *NEWSBRIEF, "-v", "run", "--no-sample", "--no-console",
                    env=env, cwd=self.tmp, stdin=asyncio.subprocess.DEVNULL,
                    stdout=asyncio.subprocess.DEVNULL, stderr=err,
                )  # fmt: skip
            self.instances.append(Instance(proc, port, log))
        return self.instances[-n:]

    async def stop(self) -> list[int | None]:
        for i in self.instances:
            if i.proc.returncode is None:
                i.proc.send_signal(signal.SIGCONT)  # a frozen one must hear the SIGTERM
                i.proc.send_signal(signal.SIGTERM)
        codes = []
        for i in self.instances:
            try:
                codes.append(await asyncio.wait_for(i.proc.wait(), 30))
            except TimeoutError:
                i.proc.kill()
                codes.append(await i.proc.wait())
        return codes

    def by_pid(self, pid: int) -> Instance:
        return next(i for i in self.instances if i.proc.pid == pid)


_OWN = ("NEWSBRIEF_", "SLACK_", "DISCORD_")


@asynccontextmanager
async def cluster(tmp_path: Path, **env: str) -> AsyncIterator[Cluster]:
    with fresh_schema() as (url, engine):
        Store.open(url).close()  # migrated before the instances start
        base = {
            "NEWSBRIEF_DATABASE_URL": url,
            "NEWSBRIEF_DATA_DIR": str(tmp_path / "data"),
            "NEWSBRIEF_SECRET_KEY": Fernet.generate_key().decode(),
            "NEWSBRIEF_ALLOW_PRIVATE_HOSTS": "true",
            "NEWSBRIEF_HTTP_HOST": "127.0.0.1",
            "NEWSBRIEF_LOG_FORMAT": "json",
            "NEWSBRIEF_PER_HOST_CONCURRENCY": "8",
            "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        }
        c = Cluster(url, engine, tmp_path, base | env)
        try:
            yield c
        finally:
            codes = await c.stop()
            alive = [c for c in codes if c not in (0, -signal.SIGKILL)]
            assert not alive, f"exit codes {codes}"


async def until(what: str, check: Callable[[], Awaitable[bool] | bool], timeout: float) -> float:
    """Wait on recorded state; returns the seconds it took."""
    start = time.monotonic()
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.05)


def seed_feeds(url: str, urls: list[str]) -> None:
    with Store.open(url) as store:
        for u in urls:
            store.save_feed(FeedState(url=u), Via(owner=OPERATOR))


def unclaimed(engine: Engine) -> bool:
    with Session(engine) as s:
        return not s.scalar(select(func.count()).where(Feed.lease_holder.is_not(None)))


async def get(port: int, path: str) -> tuple[int, str]:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return 0, ""  # not listening yet
    writer.write(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    await writer.drain()
    raw = (await reader.read()).decode()
    writer.close()
    head, _, body = raw.partition("\r\n\r\n")
    return int(head.split()[1]) if head else 0, body


async def all_ready(instances: list[Instance]) -> bool:
    for i in instances:
        assert i.proc.returncode is None, f"an instance exited with {i.proc.returncode}"
        if (await get(i.port, "/readyz"))[0] != 200:
            return False
    return True


async def metric(port: int, name: str) -> float:
    """The sum of a metric's samples on one instance's /metrics."""
    _, body = await get(port, "/metrics")
    total = 0.0
    for line in body.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            total += float(line.rsplit(" ", 1)[1])
    return total


# ---------------------------------------------------------------- feeds


async def test_three_instances_fetch_each_of_500_feeds_once(tmp_path: Path) -> None:
    server = await FeedServer().start()
    try:
        async with cluster(tmp_path, NEWSBRIEF_POLL_INTERVAL="3600") as c:
            instances = await c.start(3)
            await until("three instances ready", lambda: all_ready(instances), 120)
            seed_feeds(c.url, [server.url(n) for n in range(500)])  # all due now, for all
            await until("all 500 feeds fetched", lambda: len(server.hits) == 500, 180)
            await until("every claim released", lambda: unclaimed(c.engine), 60)

            async def polled() -> list[float]:
                return [await metric(i.port, "newsbrief_feed_polls_total") for i in instances]

            await until("the instances to count 500 polls", lambda: _sum_is(polled, 500), 30)
            per_instance = await polled()
            assert sum(1 for n in per_instance if n) >= 2, per_instance  # the work was shared
            assert set(server.hits.values()) == {1}, server.hits.most_common(3)
            with Session(c.engine) as s:
                rows = s.execute(select(Feed.last_polled, Feed.next_poll)).all()
            assert len(rows) == 500
            assert all(nxt - last >= timedelta(seconds=3599) for last, nxt in rows)
    finally:
        await server.close()


async def _sum_is(values: Callable[[], Awaitable[list[float]]], total: float) -> bool:
    return sum(await values()) == total


# ---------------------------------------------------------------- digests


async def test_a_wave_of_200_digests_is_posted_once_each_by_three_instances(
    tmp_path: Path,
) -> None:
    from digests.schedule import parse_subscription
    from tests.slack.fake_slack import FakeSlack
    from tests.slack.rig import SIGNING_SECRET, TEAM

    fake = FakeSlack()
    fake.add_workspace(TEAM, "Daily Planet")
    channels = [f"C{n:04d}" for n in range(200)]
    for ch in channels:
        fake.add_channel(ch, TEAM)
    await fake.start()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    due = now - timedelta(minutes=5)
    try:
        async with cluster(
            tmp_path,
            SLACK_BOT_TOKEN=fake.workspaces[TEAM].bot_token,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            NEWSBRIEF_SLACK_API_URL=fake.api_url,
        ) as c:
            with Store.open(c.url) as store:
                schedule = parse_subscription(f"port at {due:%H:%M} UTC always").to_json()
                for ch in channels:
                    store.outbox.add_subscription(
                        "slack", ch, schedule, now=now - timedelta(hours=1)
                    )
            await c.start(3)

            def settled() -> bool:
                with Session(c.engine) as s:
                    rows = s.scalars(select(OutboxEntry.status)).all()
                return len(rows) == 200 and set(rows) == {"sent"}

            await until("200 outbox rows sent", settled, 180)
            posts = Counter(m.channel for m in fake.posts())
            assert set(posts) == set(channels)
            assert set(posts.values()) == {1}, posts.most_common(3)
    finally:
        await fake.close()


# ---------------------------------------------------------------- the leader

FAST_LEADER = {
    "NEWSBRIEF_LEADER_TTL": "3",
    "NEWSBRIEF_LEADER_RENEW": "1",
    "NEWSBRIEF_RETENTION_INTERVAL": "0.5",
}


def leader_of(engine: Engine) -> Lease | None:
    lease = Leases(engine).get("leader")
    return lease if lease is not None and lease.expires_at > datetime.now(UTC) else None


def pid_of(lease: Lease) -> int:
    return int(lease.holder.split(":")[1])  # digests.delivery.default_holder: host:pid:id


def old_article(url: str, n: int) -> int:
    """An article past retention: only a working leader deletes it."""
    with Store.open(url) as store:
        at = datetime.now(UTC) - timedelta(days=40)
        record = ArticleRecord(
            url=f"https://old.example/{n}", title=f"Old story {n}", text=f"Old news {n}. " * 40,
            site="old.example", published=at, analysis={"summary": [], "quotes": []},
        )  # fmt: skip
        return store.upsert_article(record, now=at).article_id


def gone(url: str, article_id: int) -> bool:
    with Store.open(url, upgrade=False) as store:
        return store.get_article(article_id) is None


async def takeover(c: Cluster, sig: signal.Signals) -> tuple[Lease, Lease, float, int]:
    """Signal the leader; (its lease, its successor's, seconds to take over, log offset)."""
    await until("a leader", lambda: leader_of(c.engine) is not None, 60)
    first = leader_of(c.engine)
    assert first is not None
    victim = c.by_pid(pid_of(first))
    await until("a leader duty run", lambda: any(
        "leader duty retention" in m for m in victim.messages()), 30)  # fmt: skip
    offset = victim.log.stat().st_size
    victim.proc.send_signal(sig)
    signalled = time.monotonic()

    def moved() -> bool:
        now = leader_of(c.engine)
        return now is not None and now.holder != first.holder

    await until("another leader", moved, 30)
    took = time.monotonic() - signalled
    second = leader_of(c.engine)
    assert second is not None
    return first, second, took, offset


async def test_leader_frozen_then_killed_another_takes_over_each_time(tmp_path: Path) -> None:
    """SIGSTOP, then SIGCONT: the woken leader steps down and does no leader work. Then
    SIGKILL of its successor. Each time a new leader within 30 s, one epoch further on,
    and doing the work (pruning an article seeded after the signal): nothing lost."""
    async with cluster(tmp_path, **FAST_LEADER) as c:
        await c.start(3)
        first, second, took, offset = await takeover(c, signal.SIGSTOP)
        assert took < 30 and second.epoch == first.epoch + 1
        article = old_article(c.url, 1)
        await until("the new leader to prune", lambda: gone(c.url, article), 30)
        frozen = c.by_pid(pid_of(first))
        frozen.proc.send_signal(signal.SIGCONT)
        await until("the woken leader to step down", lambda: any(
            "lease leader: stepped down" in m for m in frozen.messages(offset)), 30)  # fmt: skip
        woken = [m for m in frozen.messages(offset) if m.startswith(("lease leader", "leader"))]
        assert woken[0].startswith("lease leader: stepped down"), woken
        assert not any(m.startswith("leader duty") for m in woken), woken
        now = leader_of(c.engine)
        assert now is not None and now.holder == second.holder  # it did not take it back

        second, third, took, _ = await takeover(c, signal.SIGKILL)
        assert took < 30 and third.epoch == second.epoch + 1
        article = old_article(c.url, 2)
        await until("the third leader to prune", lambda: gone(c.url, article), 30)
        successor = c.by_pid(pid_of(third))
        term = f"leader duty retention (epoch {third.epoch})"
        await until(
            "its log line", lambda: any(m.startswith(term) for m in successor.messages()), 10
        )
