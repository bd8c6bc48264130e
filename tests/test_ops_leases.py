"""Leases (bot/store/leases.py) and the keeper that holds one (bot/leader.py).

On SQLite and, with NEWSBRIEF_TEST_DATABASE_URL, PostgreSQL. Time is injected: the
lease table's clock (UTC) and the keeper's monotonic clock are both test clocks, so
"late" and "expired" are exact and nothing sleeps.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import metrics
from bot.leader import Duty, Leader, LeaseKeeper
from bot.store import Store
from bot.store.leases import Lease, LeaseLostError, Leases
from bot.store.schema import Cluster
from tests.clocks import T0, Clock

TTL = timedelta(seconds=15)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def leases(store: Store, clock: Clock) -> Iterator[Leases]:
    yield Leases(store.engine, clock=clock)


def test_one_holder_at_a_time_and_takeover_after_expiry(leases: Leases, clock: Clock) -> None:
    a = leases.acquire("leader", "a", TTL)
    assert a is not None and a.epoch == 1
    assert leases.acquire("leader", "b", TTL) is None  # held, not expired
    clock.advance(14.9)
    assert leases.acquire("leader", "b", TTL) is None
    clock.advance(0.2)  # a did not renew: expired
    b = leases.acquire("leader", "b", TTL)
    assert b is not None and b.epoch == 2 and b.holder == "b"
    assert leases.renew(a, TTL) is None  # a's renewal fails: not its lease any more
    got = leases.get("leader")
    assert got is not None and (got.holder, got.epoch) == ("b", 2)


def test_renewal_keeps_the_epoch_and_a_lapse_starts_a_new_one(leases: Leases, clock: Clock) -> None:
    a = leases.acquire("leader", "a", TTL)
    assert a is not None
    clock.advance(5)
    renewed = leases.renew(a, TTL)
    assert renewed is not None and renewed.epoch == 1
    assert renewed.expires_at == clock.now + TTL
    again = leases.acquire("leader", "a", TTL)  # ours and running: the same epoch
    assert again is not None and again.epoch == 1
    clock.advance(16)  # lapsed, nobody took it
    assert leases.renew(renewed, TTL) is None  # a lapse is never renewed...
    back = leases.acquire("leader", "a", TTL)  # ...only taken again, in a new epoch
    assert back is not None and back.epoch == 2


def test_fence_refuses_a_stale_epoch_and_the_write_is_not_made(
    store: Store, leases: Leases, clock: Clock
) -> None:
    old = leases.acquire("leader", "a", TTL)
    assert old is not None
    clock.advance(20)
    assert leases.acquire("leader", "b", TTL) is not None
    with pytest.raises(LeaseLostError), Session(store.engine) as s, s.begin():
        leases.fence(s, old)
        s.add(Cluster(headline="written by a stale leader", first_seen=T0, last_seen=T0))
    with Session(store.engine) as s:
        assert s.scalars(select(Cluster)).all() == []


def test_fence_refuses_an_expired_lease_even_before_a_takeover(
    store: Store, leases: Leases, clock: Clock
) -> None:
    lease = leases.acquire("leader", "a", TTL)
    assert lease is not None
    with Session(store.engine) as s, s.begin():
        leases.fence(s, lease)  # ours: passes
    clock.advance(15)
    with pytest.raises(LeaseLostError), Session(store.engine) as s, s.begin():
        leases.fence(s, lease)


def test_release_hands_over_at_once(leases: Leases) -> None:
    a = leases.acquire("leader", "a", TTL)
    assert a is not None and leases.release(a)
    b = leases.acquire("leader", "b", TTL)
    assert b is not None and b.epoch == 2
    assert not leases.release(a)  # a stale release changes nothing
    assert leases.get("leader") == b


def test_shard_leases_are_independent(leases: Leases) -> None:
    """The shape Discord shards will use: one lease per shard, spread over holders."""
    for shard in range(4):
        holder = "a" if shard % 2 else "b"
        assert leases.acquire(f"discord-shard:{shard}", holder, TTL) is not None
    held = {(x.name, x.holder) for x in leases.all("discord-shard:")}
    assert held == {(f"discord-shard:{n}", "a" if n % 2 else "b") for n in range(4)}
    assert leases.all("leader") == []


def test_concurrent_acquires_have_one_winner(store: Store) -> None:
    leases = Leases(store.engine)
    won: list[Lease] = []
    barrier = threading.Barrier(8)

    def contend(name: str) -> None:
        barrier.wait()
        got = leases.acquire("leader", name, TTL)
        if got is not None:
            won.append(got)

    threads = [threading.Thread(target=contend, args=(f"h{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1


# ---------------------------------------------------------------- the keeper


def keeper(leases: Leases, clock: Clock, holder: str) -> LeaseKeeper:
    return LeaseKeeper(leases, "leader", holder, ttl=15, renew=5, monotonic=clock.monotonic)


async def test_keeper_acquires_renews_and_reports_the_metric(leases: Leases, clock: Clock) -> None:
    k = keeper(leases, clock, "a")
    await k.step()
    assert k.held is not None and k.held.epoch == 1
    assert metrics.value("newsbrief_lease_held", {"lease": "leader"}) == 1
    assert metrics.value("newsbrief_leader") == 1
    for _ in range(10):  # renewed on time: held throughout, same epoch
        clock.advance(5)
        await k.step()
        assert k.held is not None and k.held.epoch == 1
    await k.release()
    assert metrics.value("newsbrief_leader") == 0


async def test_a_late_renewal_ends_leadership_before_anyone_can_take_over(
    leases: Leases, clock: Clock
) -> None:
    """A frozen holder (SIGSTOP) is not leader any more the moment it wakes."""
    a, b = keeper(leases, clock, "a"), keeper(leases, clock, "b")
    await a.step()
    clock.advance(10)  # a was frozen: its renewal at +5 never happened
    assert a.held is None  # already not leader, though the row still names it...
    assert leases.acquire("leader", "b", TTL) is None  # ...and nobody else may take it yet
    clock.advance(5.1)
    await b.step()
    assert b.held is not None and b.held.epoch == 2
    await a.step()  # a wakes: its renewal fails, and it does not get the lease back
    assert a.held is None and b.held is not None


async def test_leader_runs_duties_only_while_holding_and_stops_on_a_lost_fence(
    store: Store, leases: Leases, clock: Clock
) -> None:
    k = keeper(leases, clock, "a")
    ran: list[int] = []

    async def duty(current: object) -> str:
        lease = k.current()
        with Session(store.engine) as s, s.begin():
            leases.fence(s, lease)
        ran.append(lease.epoch)
        return "done"

    leader = Leader(k, [Duty("test", every=0, run=duty)])
    await leader.run_due()
    assert ran == []  # not leader yet
    await k.step()
    await leader.run_due()
    assert ran == [1]
    clock.advance(16)
    assert leases.acquire("leader", "b", TTL) is not None  # taken over meanwhile
    k._valid_until = clock.mono + 5  # as if a's local clock had not noticed yet
    await leader.run_due()  # the fence refuses, and the keeper steps down at once
    assert ran == [1] and k.held is None


async def test_keeper_run_releases_on_stop(leases: Leases) -> None:
    got = asyncio.Event()
    k = LeaseKeeper(leases, "leader", "a", ttl=15, renew=5, on_change=lambda _: got.set())
    stop = asyncio.Event()
    task = asyncio.create_task(k.run(stop))
    await asyncio.wait_for(got.wait(), 10)
    assert k.held is not None
    stop.set()
    await task
    other = leases.acquire("leader", "b", TTL)
    assert other is not None and other.epoch == 2


async def test_a_duty_that_outlives_the_lease_is_not_reported_done(
    leases: Leases, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """Frozen mid-duty (SIGSTOP while it ran): on waking its result is dropped, not logged
    as the leader's work, and the next round runs nothing until the lease is held again."""
    k = keeper(leases, clock, "a")
    ran: list[str] = []

    async def frozen_during(current: object) -> str:
        ran.append("first")
        clock.advance(16)  # the freeze: the renewal at +5 never happened
        return "found nothing"

    async def second(current: object) -> str:
        ran.append("second")
        return "done"

    await k.step()
    leader = Leader(
        k, [Duty("slow", every=0, run=frozen_during), Duty("next", every=0, run=second)]
    )
    with caplog.at_level(logging.INFO, logger="bot.leader"):
        await leader.run_due()
    assert ran == ["first"]  # the duty after it did not start either
    messages = [r.getMessage() for r in caplog.records]
    assert not any(m.startswith("leader duty") for m in messages), messages
    assert any("outlived the lease" in m for m in messages), messages
