"""Feed claims (bot/store/feed_claims.py) and the poller (bot/poller.py), SQLite and PostgreSQL.

Claims: disjoint between instances, taken over after a crashed holder's lease, released
with the next poll at least the interval away. The poller against loopback feeds: the
interval is NEWSBRIEF_POLL_INTERVAL, a feed's ttl or Cache-Control max-age lengthens it,
nothing (a short max-age, a Retry-After of seconds) shortens it; metrics count the polls.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web

from bot import metrics
from bot.config import Settings
from bot.news.ingest import Ingester
from bot.news.net import Fetcher
from bot.poller import FeedPoller
from bot.store import Store
from bot.store.feed_claims import FeedClaims
from bot.store.records import FeedState
from bot.store.sources import OPERATOR, Via

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


def register(store: Store, *urls: str) -> list[int]:
    ids = []
    for url in urls:
        state = store.save_feed(FeedState(url=url), Via(owner=OPERATOR))
        assert state.id is not None
        ids.append(state.id)
    return ids


def test_claims_are_disjoint_and_a_dead_holders_are_taken_over(store: Store) -> None:
    ids = register(store, *(f"https://news.example/{n}.xml" for n in range(10)))
    claims = FeedClaims(store.engine)
    a = claims.claim("a", now=T0, lease=LEASE, limit=6, interval=900)
    b = claims.claim("b", now=T0, lease=LEASE, limit=6, interval=900)
    assert len(a) == 6 and len(b) == 4 and set(a).isdisjoint(b) and set(a) | set(b) == set(ids)
    assert claims.claim("c", now=T0 + LEASE / 2, lease=LEASE, limit=10, interval=900) == []
    assert claims.queue_depth(T0) == 0
    claims.release("b", b, now=T0 + timedelta(seconds=5), interval=900)  # b polled its four
    assert claims.renew("a", a[:2], T0 + 2 * LEASE) == 2  # a renews two, then dies
    later = T0 + LEASE + timedelta(seconds=1)
    taken = claims.claim("c", now=later, lease=LEASE, limit=10, interval=900)
    assert sorted(taken) == sorted(a[2:])  # a's lapsed claims; b's feeds are not due
    claims.release("c", taken, now=later, interval=900)
    assert claims.claim("c", now=T0 + 3 * LEASE, lease=LEASE, limit=10, interval=900) == a[:2]


def test_release_never_brings_the_next_poll_closer_than_the_interval(store: Store) -> None:
    (feed_id,) = register(store, "https://news.example/rss.xml")
    claims = FeedClaims(store.engine)
    assert claims.claim("a", now=T0, lease=LEASE, limit=1, interval=900) == [feed_id]
    state = store.sources.get_id(feed_id)
    assert state is not None and state.poll_interval_s == 900
    soon = T0 + timedelta(seconds=5)  # e.g. a poll that obeyed "Retry-After: 5"
    store.save_feed(state.__class__(**{**_fields(state), "next_poll": soon, "last_polled": T0}))
    claims.release("a", [feed_id], now=T0, interval=900)
    after = store.sources.get_id(feed_id)
    assert after is not None and after.next_poll == T0 + timedelta(seconds=900)


def _fields(state: object) -> dict[str, object]:
    return {f: getattr(state, f) for f in state.__dataclass_fields__}  # type: ignore[attr-defined]


# ---------------------------------------------------------------- the poller


def rss(extra: str = "") -> bytes:
    words = " ".join(f"word{i}" for i in range(160))
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{extra}'
        f"<link>https://site.example/</link><item><title>Ferry service resumes</title>"
        f"<link>https://site.example/a</link><guid>a</guid>"
        f"<description>The ferry resumed service. {words}</description></item></channel></rss>"
    ).encode()


@pytest.fixture
async def feeds() -> AsyncIterator[str]:
    async def ttl(_: web.Request) -> web.Response:
        return web.Response(body=rss("<ttl>120</ttl>"), content_type="application/rss+xml")

    async def cached(request: web.Request) -> web.Response:
        age = request.match_info["age"]
        return web.Response(
            body=rss(), content_type="application/rss+xml",
            headers={"Cache-Control": f"public, max-age={age}"},
        )  # fmt: skip

    async def busy(_: web.Request) -> web.Response:
        return web.Response(status=503, headers={"Retry-After": "5"})

    app = web.Application()
    app.router.add_get("/ttl.xml", ttl)
    app.router.add_get("/cached/{age}.xml", cached)
    app.router.add_get("/busy.xml", busy)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_the_interval_is_lengthened_by_the_feed_and_never_shortened(
    store: Store, feeds: str
) -> None:
    urls = {
        "ttl": f"{feeds}/ttl.xml",  # <ttl>120</ttl>: two hours
        "long": f"{feeds}/cached/3600.xml",  # max-age an hour
        "short": f"{feeds}/cached/60.xml",  # max-age a minute: the interval wins
        "busy": f"{feeds}/busy.xml",  # 503, Retry-After: 5 s
    }
    good = [n for n in urls if n != "busy"]
    ids = dict(zip(good, register(store, *(urls[n] for n in good)), strict=True))
    settings = Settings(allow_private_hosts=True, poll_interval=900, _env_file=None)  # type: ignore[call-arg]
    fetcher = Fetcher(settings)
    polled_ok = metrics.value("newsbrief_feed_polls_total", {"result": "ok"})
    failed = metrics.value("newsbrief_feed_polls_total", {"result": "failed"})
    timed = metrics.value("newsbrief_feed_fetch_seconds_count")
    try:
        poller = FeedPoller(store, Ingester(store, fetcher), holder="me", interval=900, lease=60)
        assert await poller.poll_once() == 3
        # After them: the fetcher backs off a whole host that asks it to (Retry-After).
        (ids["busy"],) = register(store, urls["busy"])
        assert await poller.poll_once() == 1
        assert await poller.poll_once() == 0  # nothing is due any more
    finally:
        await fetcher.aclose()
    waits = {}
    for name, feed_id in ids.items():
        state = store.sources.get_id(feed_id)
        assert state is not None and state.last_polled and state.next_poll
        waits[name] = (state.next_poll - state.last_polled).total_seconds()
    assert waits["ttl"] == 7200 and waits["long"] == 3600
    # The interval, counted from the poll (or from the release of the claim, a moment on).
    assert 900 <= waits["short"] < 960 and 900 <= waits["busy"] < 960
    assert metrics.value("newsbrief_feed_polls_total", {"result": "ok"}) - polled_ok == 3
    assert metrics.value("newsbrief_feed_polls_total", {"result": "failed"}) - failed == 1
    assert metrics.value("newsbrief_feed_fetch_seconds_count") - timed == 4
