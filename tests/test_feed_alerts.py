"""A feed failing for 24 h is reported once to each workspace reading it (bot/feed_alerts.py).

SQLite and, with NEWSBRIEF_TEST_DATABASE_URL, PostgreSQL (the ``store`` fixture). Feeds
fail for real: the Ingester polls a loopback server whose answer the test switches
(the injected fault). The clock is a test clock for the polls, the leases and the
duty, so "24 hours" is exact and nothing sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from bot import metrics
from bot.chat.messages import ChannelRef, Post, ThreadRef
from bot.config import Settings
from bot.feed_alerts import FeedAlerts
from bot.leader import Leader, LeaseKeeper
from bot.news.ingest import Ingester
from bot.news.net import Fetcher
from bot.store import Store
from bot.store.leases import Lease, LeaseLostError, Leases
from bot.store.records import FeedState
from bot.store.sources import OPERATOR, Via
from tests.clocks import T0, Clock
from tests.loopback import serving

HOUR = 3600.0
ALERTS = "newsbrief_feed_failure_alerts_total"
RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Planet</title>'
    b"<link>https://planet.example/</link><description>d</description></channel></rss>"
)


@dataclass
class Told:
    """What a platform was asked to say: (where, post)."""

    items: list[tuple[str, Post]] = field(default_factory=list)

    def where(self) -> list[str]:
        return sorted(w for w, _ in self.items)


class Slackish:
    """Posts only (Slack): a DM is a post to the user's id."""

    name = "slack"

    def __init__(self, told: Told, *, down: bool = False) -> None:
        self.told = told
        self.down = down
        self.refused = 0

    async def post(self, channel: ChannelRef, post: Post, *, key: str | None = None) -> ThreadRef:
        if self.down:
            self.refused += 1
            raise RuntimeError("slack is down")
        self.told.items.append((f"slack:{channel.workspace}:{channel.id}", post))
        return ThreadRef(self.name, channel.id, "1")


class Discordish:
    """Opens direct messages itself (Discord)."""

    name = "discord"

    def __init__(self, told: Told) -> None:
        self.told = told

    async def post(self, channel: ChannelRef, post: Post, *, key: str | None = None) -> ThreadRef:
        self.told.items.append((f"discord:channel:{channel.id}", post))
        return ThreadRef(self.name, channel.id, "1")

    async def message_user(self, user_id: str, workspace: str | None, post: Post) -> None:
        self.told.items.append((f"discord:{workspace}:dm:{user_id}", post))


class Server:
    """Loopback feeds: /bad fails while ``failing`` is set, /good always works."""

    def __init__(self) -> None:
        self.failing = True
        self.url = ""

    async def bad(self, _: web.Request) -> web.Response:
        if self.failing:
            return web.Response(status=404, text="gone")
        return web.Response(body=RSS, content_type="application/rss+xml")

    async def good(self, _: web.Request) -> web.Response:
        return web.Response(body=RSS, content_type="application/rss+xml")


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    srv = Server()
    app = web.Application()
    app.router.add_get("/bad.xml", srv.bad)
    app.router.add_get("/good.xml", srv.good)
    async with serving(app) as srv.url:
        yield srv


class Rig:
    """A store with feeds, an ingester on the test clock, and one leader holding its lease."""

    def __init__(self, store: Store, server: Server, clock: Clock, told: Told) -> None:
        self.store, self.server, self.clock, self.told = store, server, clock, told
        settings = Settings(allow_private_hosts=True, _env_file=None)  # type: ignore[call-arg]
        self.fetcher = Fetcher(settings)
        self.ingester = Ingester(store, self.fetcher, clock=clock)
        self.leases = Leases(store.engine, clock=clock)
        self.platforms = {"slack": Slackish(told), "discord": Discordish(told)}
        self.alerts = FeedAlerts(store, self.leases, self.platforms, clock=clock)  # type: ignore[arg-type]
        self.keeper = keeper(self.leases, "a", clock)

    def add(self, path: str, workspace: str, user: str | None) -> FeedState:
        url = f"{self.server.url}/{path}"
        return self.store.save_feed(FeedState(url=url), Via(owner=workspace, added_by=user))

    async def poll(self, *paths: str) -> None:
        """One poll of each feed, as the poller does it (failures are kept, not raised)."""
        urls = [f"{self.server.url}/{p}" for p in paths]
        await self.ingester.ingest(urls, owner=None)

    async def round(self) -> None:
        """One leader round: renew, then the duty (each round is a new leader tick)."""
        await self.keeper.step()
        await self.alerts.run(self.keeper.current)

    async def hours(self, n: int, *paths: str) -> None:
        for _ in range(n):
            self.clock.advance(HOUR)
            await self.poll(*paths)
            await self.round()


def keeper(leases: Leases, holder: str, clock: Clock) -> LeaseKeeper:
    return LeaseKeeper(leases, "leader", holder, ttl=15, renew=5, monotonic=clock.monotonic)


@pytest.fixture
async def rig(store: Store, server: Server) -> AsyncIterator[Rig]:
    r = Rig(store, server, Clock(), Told())
    try:
        yield r
    finally:
        await r.fetcher.aclose()


async def test_a_day_of_failures_is_reported_once_per_workspace(rig: Rig) -> None:
    rig.add("bad.xml", "slack:T1", "U1")
    rig.add("bad.xml", "discord:G1", "42")  # a second workspace reads the same feed
    rig.add("good.xml", "slack:T2", "U2")  # a workspace not reading the failing feed
    before = metrics.value(ALERTS)
    await rig.poll("bad.xml", "good.xml")  # first failure: the run starts now
    failing = rig.store.get_feed(f"{rig.server.url}/bad.xml")
    assert failing is not None and failing.failing_since == T0
    assert failing.failure_reported_at is None
    await rig.hours(23, "bad.xml", "good.xml")
    assert rig.told.items == []  # 23 h: not yet
    await rig.hours(1, "bad.xml", "good.xml")  # 24 h
    assert rig.told.where() == ["discord:G1:dm:42", "slack:T1:U1"]
    text = rig.told.items[0][1].text or ""
    assert "failed every poll for 24 hours" in text and "/feeds remove" in text
    assert "127.0.0.1" in text  # which feed, by its shown URL
    await rig.hours(48, "bad.xml", "good.xml")  # failing on: never again
    assert len(rig.told.items) == 2
    assert metrics.value(ALERTS) - before == 1

    rig.server.failing = False  # recovery clears the run...
    await rig.hours(1, "bad.xml")
    ok = rig.store.get_feed(f"{rig.server.url}/bad.xml")
    assert ok is not None and ok.failing_since is None and ok.failure_reported_at is None
    rig.server.failing = True  # ...and a new failure is a new run: reported again after 24 h
    await rig.hours(23, "bad.xml")
    assert len(rig.told.items) == 2
    await rig.hours(2, "bad.xml")
    assert rig.told.where() == ["discord:G1:dm:42"] * 2 + ["slack:T1:U1"] * 2
    assert metrics.value(ALERTS) - before == 2


async def test_operator_feeds_go_to_the_log_and_metric_only(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    rig.add("bad.xml", OPERATOR, None)
    before = metrics.value(ALERTS)
    await rig.poll("bad.xml")
    await rig.hours(25, "bad.xml")
    assert rig.told.items == []
    assert metrics.value(ALERTS) - before == 1
    logged = [r.getMessage() for r in caplog.records if "has failed for" in r.getMessage()]
    assert len(logged) == 1 and "the operator" in logged[0]


async def test_a_feed_read_through_a_list_tells_the_lists_manager(rig: Rig) -> None:
    listing = rig.add("list.opml", "slack:T3", "U3")  # the list itself (never polled here)
    url = f"{rig.server.url}/bad.xml"
    rig.store.save_feed(FeedState(url=url), Via(list_id=listing.id))
    await rig.poll("bad.xml")
    await rig.hours(24, "bad.xml")
    assert rig.told.where() == ["slack:T3:U3"]


async def test_nobody_reached_is_tried_again_next_round(rig: Rig) -> None:
    rig.add("bad.xml", "slack:T1", "U1")
    rig.platforms["slack"].down = True  # type: ignore[attr-defined]
    await rig.poll("bad.xml")
    await rig.hours(24, "bad.xml")
    feed = rig.store.get_feed(f"{rig.server.url}/bad.xml")
    assert feed is not None and feed.failure_reported_at is None  # not marked: nobody heard
    rig.platforms["slack"].down = False  # type: ignore[attr-defined]
    await rig.hours(1, "bad.xml")
    assert rig.told.where() == ["slack:T1:U1"]
    await rig.hours(3, "bad.xml")
    assert len(rig.told.items) == 1


async def test_a_lasting_refusal_ends_the_tries_after_a_day(rig: Rig) -> None:
    rig.add("bad.xml", "slack:T1", "U1")
    slack = rig.platforms["slack"]
    slack.down = True  # type: ignore[attr-defined]
    await rig.poll("bad.xml")
    await rig.hours(23, "bad.xml")
    assert slack.refused == 0  # type: ignore[attr-defined]
    await rig.hours(30, "bad.xml")  # tried each round from 24 h, up to 48 h
    tries = slack.refused  # type: ignore[attr-defined]
    assert 20 <= tries <= 25, tries
    await rig.hours(24, "bad.xml")
    assert slack.refused == tries  # type: ignore[attr-defined]
    assert rig.told.items == []


async def test_three_leaders_never_double_notify(rig: Rig) -> None:
    """Three instances run the duty under one lease; a frozen leader wakes to a new epoch."""
    for n in range(5):
        rig.add(f"bad.xml?n={n}", f"slack:T{n}", f"U{n}")
    paths = [f"bad.xml?n={n}" for n in range(5)]
    await rig.poll(*paths)
    rig.clock.advance(24 * HOUR)
    await rig.poll(*paths)
    keepers = [keeper(rig.leases, h, rig.clock) for h in ("a", "b", "c")]
    leaders = [
        Leader(k, [FeedAlerts(rig.store, rig.leases, rig.platforms, clock=rig.clock).duty()])  # type: ignore[arg-type]
        for k in keepers
    ]
    await asyncio.gather(*(k.step() for k in keepers))
    assert sum(k.held is not None for k in keepers) == 1
    stale: Lease = next(k.held for k in keepers if k.held is not None)  # type: ignore[misc]
    # The holder freezes before its duty runs: another instance takes over and reports.
    rig.clock.advance(16)
    await asyncio.gather(*(k.step() for k in keepers if k.holder != stale.holder))
    await asyncio.gather(*(ldr.run_due() for ldr in leaders))
    assert rig.told.where() == sorted(f"slack:T{n}:U{n}" for n in range(5))
    # The frozen one wakes with the lease it had, as a sixth feed comes due: fenced.
    rig.add("bad.xml?n=5", "slack:T5", "U5")
    rig.clock.advance(1)
    await rig.poll("bad.xml?n=5")
    rig.clock.advance(24 * HOUR)
    for _ in range(3):  # the others keep their lease meanwhile
        await asyncio.gather(*(k.step() for k in keepers if k.holder != stale.holder))
    await rig.poll(*paths, "bad.xml?n=5")
    late = FeedAlerts(rig.store, rig.leases, rig.platforms, clock=rig.clock)  # type: ignore[arg-type]
    with pytest.raises(LeaseLostError):
        await late.run(lambda: stale)
    assert len(rig.told.items) == 5
    feed = rig.store.get_feed(f"{rig.server.url}/bad.xml?n=5")
    assert feed is not None and feed.failure_reported_at is None  # its write never landed
    for _ in range(3):  # then every instance's rounds, together: the sixth told once
        rig.clock.advance(5)
        await asyncio.gather(*(k.step() for k in keepers))
        await asyncio.gather(*(_now(ldr) for ldr in leaders))
    assert rig.told.where() == sorted(f"slack:T{n}:U{n}" for n in range(6))


async def _now(leader: Leader) -> None:
    """A leader's duties now, whatever their interval (each instance's next round)."""
    leader._last.clear()
    await leader.run_due()
