"""Holding a lease from asyncio, and the leader's duties under it.

``LeaseKeeper`` keeps one named lease (``bot.store.leases``): it acquires it when
free and renews it every ``renew`` seconds. It believes it holds the lease only
until ``ttl - renew`` seconds after the start of its last good renewal, by the
monotonic clock: a renewal that fails, or is late because the process was frozen
(SIGSTOP, a stalled VM), ends its leadership at once, seconds before anyone else
may take the lease over. Whatever it then still tries to write is refused by the
fence (the epoch moved on). One keeper per lease name: the leader's now, one per
Discord gateway shard later (``on_change`` starts and stops what the lease guards).

``Leader`` runs duties (retention, failing-feed reports, Discord's command sync,
housekeeping) on the instance holding the ``leader`` lease, each at its own
interval, and checks the lease before each.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol, runtime_checkable

from bot import metrics
from bot.store.leases import Lease, LeaseLostError, Leases

log = logging.getLogger(__name__)

LEADER_LEASE = "leader"
OnChange = Callable[[Lease | None], Awaitable[None] | None]


class LeaseKeeper:
    def __init__(
        self,
        leases: Leases,
        name: str,
        holder: str,
        *,
        ttl: float,
        renew: float,
        on_change: OnChange | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if renew >= ttl:
            raise ValueError(f"the {name} lease must be renewed more often than its TTL")
        self.leases = leases
        self.name = name
        self.holder = holder
        self.ttl = ttl
        self.renew_every = renew
        self.on_change = on_change
        self._mono = monotonic
        self._lease: Lease | None = None
        self._valid_until = 0.0
        metrics.lease_held(name, False)

    @property
    def held(self) -> Lease | None:
        """The lease while this instance may act under it; None once a renewal is late."""
        if self._lease is not None and self._mono() < self._valid_until:
            return self._lease
        return None

    def current(self) -> Lease:
        """``held``, or LeaseLostError: what a duty calls before each batch of writes."""
        lease = self.held
        if lease is None:
            raise LeaseLostError(f"this instance no longer holds the {self.name} lease")
        return lease

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop``: hold the lease when possible; release it on the way out."""
        try:
            while not stop.is_set():
                await self.step()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.renew_every)
        finally:
            await self.release()

    async def step(self) -> None:
        """One round: a renewal if we hold the lease, else an attempt to take it."""
        started = self._mono()
        had = self._lease
        if had is not None and started >= self._valid_until:
            await self._lose(f"its renewal was {started - self._valid_until:.1f} s late")
            had = None
        ttl = timedelta(seconds=self.ttl)
        try:
            if had is None:
                got = await asyncio.to_thread(self.leases.acquire, self.name, self.holder, ttl)
            else:
                got = await asyncio.to_thread(self.leases.renew, had, ttl)
        except Exception as exc:
            log.warning("lease %s: the database did not answer: %s", self.name, exc)
            got = None
        if got is None:
            if had is not None:
                await self._lose("its renewal failed")
            return
        self._lease = got
        self._valid_until = started + self.ttl - self.renew_every
        if had is None:
            log.info("lease %s: held by this instance (epoch %d)", self.name, got.epoch)
            await self._changed(got)

    async def lost(self, reason: str) -> None:
        """A fenced write found the lease gone: stop acting under it now."""
        if self._lease is not None:
            await self._lose(reason)

    async def _lose(self, reason: str) -> None:
        lease, self._lease = self._lease, None
        if lease is not None:
            log.warning("lease %s: stepped down (epoch %d): %s", self.name, lease.epoch, reason)
            await self._changed(None)

    async def _changed(self, lease: Lease | None) -> None:
        metrics.lease_held(self.name, lease is not None)
        if self.on_change is not None:
            result = self.on_change(lease)
            if inspect.isawaitable(result):
                await result

    async def release(self) -> None:
        lease, self._lease = self._lease, None
        if lease is None:
            return
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self.leases.release, lease)
        log.info("lease %s: released (epoch %d)", self.name, lease.epoch)
        await self._changed(None)


# A duty gets the keeper's ``current``: it calls it before each batch, and passes the
# lease it returns to ``Leases.fence`` inside the batch's transaction.
CurrentLease = Callable[[], Lease]


@dataclass(frozen=True, slots=True)
class Duty:
    name: str
    every: float  # seconds between two runs
    run: Callable[[CurrentLease], Awaitable[str]]  # what it did, for the log


@runtime_checkable
class LeaderWork(Protocol):
    """A platform with work for the leader alone (Discord: registering its commands)."""

    def leader_duties(self) -> list[Duty]: ...


class Leader:
    """Runs ``duties`` while ``keeper`` holds the leader lease, one at a time."""

    def __init__(self, keeper: LeaseKeeper, duties: Sequence[Duty], *, tick: float = 1.0) -> None:
        self.keeper = keeper
        self.duties = list(duties)
        self.tick = tick
        self._last: dict[str, float] = {}

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.run_due()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.tick)

    async def run_due(self) -> None:
        for duty in self.duties:
            lease = self.keeper.held
            if lease is None:
                self._last.clear()  # a new leader term starts every duty afresh
                return
            now = time.monotonic()
            if now - self._last.get(duty.name, -duty.every) < duty.every:
                continue
            self._last[duty.name] = now
            try:
                done = await duty.run(self.keeper.current)
            except LeaseLostError as exc:
                await self.keeper.lost(str(exc))
                return
            except Exception:
                log.exception("leader duty %s failed; it runs again in %.0f s", duty.name,
                              duty.every)  # fmt: skip
                continue
            if self.keeper.held is None:  # frozen mid-duty: a write after that was fenced out
                log.warning("duty %s outlived the lease (epoch %d); its result is dropped",
                            duty.name, lease.epoch)  # fmt: skip
                self._last.clear()
                return
            log.info("leader duty %s (epoch %d): %s", duty.name, lease.epoch, done)
