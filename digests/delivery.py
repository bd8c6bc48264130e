"""Delivering digest slots exactly once, whatever crashes or restarts in between.

For each due slot: claim its outbox row (the unique row is the lock), post with
the slot's key attached, then complete the row with the platform's message
reference. A row left pending by a crash is recovered only after its lease ran
out, and only after asking the platform whether the keyed post already went
out. Slots missed during downtime are posted once at start-up if younger than
the grace period, otherwise recorded as missed and mentioned in the next
digest. APScheduler only decides *when* this runs; this decides *what* is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.messages import ChannelRef, Post, ThreadRef
from bot.platform import Platform
from bot.store import Claim, Store, SubscriptionRow
from digests.compose import FIRST_DIGEST_LOOKBACK, compose_digest
from digests.schedule import Schedule, Slot, next_slot, slots_between

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Remember = Callable[[ThreadRef, Post], Awaitable[None]]

FAULT_ENV = "NEWSBRIEF_TEST_FAULT"
"""Crash injection for the restart tests: ``before_post``, ``after_post`` or
``after_complete`` makes the process SIGKILL itself at that point."""


def _fault(point: str) -> None:
    if os.environ.get(FAULT_ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def slot_key(sub_id: int, slot: Slot) -> str:
    """The idempotency key a platform keeps with the post (nonce, metadata, record)."""
    return f"newsbrief-digest:{sub_id}:{slot.key}"


@dataclass(frozen=True, slots=True)
class Delivered:
    subscription_id: int
    slot_key: str
    outcome: str  # sent | recovered | skipped | missed | busy | done | failed


class DigestDelivery:
    def __init__(
        self,
        store: Store,
        platforms: Mapping[str, Platform],
        *,
        clock: Clock = lambda: datetime.now(UTC),
        grace: timedelta = timedelta(hours=3),
        lease: timedelta = timedelta(seconds=60),
        holder: str | None = None,
        remember: Remember | None = None,
    ) -> None:
        self.store = store
        self.platforms = platforms
        self.clock = clock
        self.grace = grace
        self.lease = lease
        self.holder = holder or default_holder()
        self.remember = remember
        self._lock = asyncio.Lock()
        self._next_due: dict[int, tuple[dict[str, object], datetime]] = {}

    # ------------------------------------------------------------- passes
    async def deliver_due(self) -> list[Delivered]:
        """Everything due now: pending recoveries first, then new slots. One pass at a time."""
        async with self._lock:
            now = self.clock()
            done: list[Delivered] = []
            subs = await asyncio.to_thread(self.store.subscriptions)
            by_id = {s.id: s for s in subs}
            for row in await asyncio.to_thread(self.store.pending_slots):
                sub = by_id.get(row.subscription_id)
                if sub is not None:
                    slot = _slot_from_row(row.slot_key, row.due)
                    done.append(await self._slot(sub, Schedule.from_json(sub.schedule), slot, now))
            # Only subscriptions whose next slot may be due need the outbox; the
            # cache of next due times is an optimisation, the outbox stays the truth.
            stale = [s for s in subs if self._next_due.get(s.id, (None, now))[1] <= now
                     or self._next_due[s.id][0] != s.schedule]  # fmt: skip
            latest = await asyncio.to_thread(self.store.latest_slot_dues) if stale else {}
            for sub in stale:
                schedule = Schedule.from_json(sub.schedule)
                start = max(latest.get(sub.id, sub.created_at), sub.created_at)
                settled = True
                for slot in slots_between(schedule, start, now):
                    result = await self._slot(sub, schedule, slot, now)
                    settled &= result.outcome not in {"busy", "failed"}
                    done.append(result)
                if settled:
                    self._next_due[sub.id] = (sub.schedule, next_slot(schedule, now).due)
                else:
                    self._next_due.pop(sub.id, None)
            return [d for d in done if d.outcome not in {"done"}]

    async def _slot(
        self, sub: SubscriptionRow, schedule: Schedule, slot: Slot, now: datetime
    ) -> Delivered:
        platform = self.platforms.get(sub.platform)
        key = slot_key(sub.id, slot)
        result = Delivered(sub.id, slot.key, "done")
        if platform is None:
            return result  # that platform is not running in this process
        channel = ChannelRef(sub.platform, sub.channel_id, sub.channel_name)
        too_late = now - slot.due > self.grace
        claim: Claim = await asyncio.to_thread(
            self.store.claim_slot,
            sub.id,
            slot.key,
            slot.due,
            self.holder,
            now=now,
            lease=self.lease,
        )
        if claim.state in {"done", "busy"}:
            return Delivered(sub.id, slot.key, claim.state)
        if claim.state == "recover":
            ref = await platform.find_post(channel, key)
            if ref is not None:
                await self._complete(claim, "sent", ref.id)
                return Delivered(sub.id, slot.key, "recovered")
        if too_late:
            await self._complete(claim, "missed", None)
            return Delivered(sub.id, slot.key, "missed")
        try:
            post = await self._compose(sub, schedule, slot, now)
            if post is None:
                await self._complete(claim, "skipped", None)
                return Delivered(sub.id, slot.key, "skipped")
            _fault("before_post")
            async with self._renewing(claim):
                ref = await platform.post(channel, post, key=key)
            _fault("after_post")
            await self._complete(claim, "sent", ref.id)
            _fault("after_complete")
        except Exception:
            # The row stays pending: the next pass (after the lease) asks the
            # platform and retries. Nothing is lost, nothing is doubled.
            log.exception("digest %s for subscription %s failed", slot.key, sub.id)
            return Delivered(sub.id, slot.key, "failed")
        missed = await asyncio.to_thread(self.store.unmentioned_missed, sub.id)
        await asyncio.to_thread(self.store.mark_mentioned, [m.id for m in missed])
        if self.remember is not None:
            await self.remember(ref, post)
        return Delivered(sub.id, slot.key, "sent")

    async def _compose(
        self, sub: SubscriptionRow, schedule: Schedule, slot: Slot, now: datetime
    ) -> Post | None:
        last = await asyncio.to_thread(self.store.last_delivered, sub.id)
        since = last or (slot.due - FIRST_DIGEST_LOOKBACK)
        missed = await asyncio.to_thread(self.store.unmentioned_missed, sub.id)
        return await asyncio.to_thread(
            compose_digest, self.store, schedule, since=since, now=now, slot=slot, missed=missed
        )

    async def _complete(self, claim: Claim, status: str, ref: str | None) -> None:
        ok = await asyncio.to_thread(
            self.store.complete_slot,
            claim.outbox_id,
            self.holder,
            status,
            message_ref=ref,
            now=self.clock(),
        )
        if not ok:
            log.warning("outbox row %s was taken over before it completed", claim.outbox_id)

    @contextlib.asynccontextmanager
    async def _renewing(self, claim: Claim) -> AsyncIterator[None]:
        """Keep the lease fresh while a slow platform call runs."""

        async def renew() -> None:
            while True:
                await asyncio.sleep(self.lease.total_seconds() / 3)
                await asyncio.to_thread(
                    self.store.renew_claim, claim.outbox_id, self.holder, self.clock()
                )

        task = asyncio.create_task(renew())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # ------------------------------------------------------------- on demand
    async def digest_now(self, sub: SubscriptionRow) -> Post | None:
        """The digest as it would go out now (for /digest now and /digest preview)."""
        schedule = Schedule.from_json(sub.schedule)
        now = self.clock()
        last = await asyncio.to_thread(self.store.last_delivered, sub.id)
        return await asyncio.to_thread(
            compose_digest,
            self.store,
            Schedule(schedule.topics, schedule.times, schedule.days, schedule.tz,
                     schedule.max_stories, skip_empty=False),
            since=last or now - FIRST_DIGEST_LOOKBACK,
            now=now,
        )  # fmt: skip


def _slot_from_row(key: str, due: datetime) -> Slot:
    from datetime import date, time

    d, t = key.split("T")
    return Slot(due=due, local_date=date.fromisoformat(d), local_time=time.fromisoformat(t))
