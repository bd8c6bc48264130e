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
import socket
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from bot.chat.conversation import remember
from bot.chat.messages import ChannelRef, Post, ThreadRef
from bot.chat.platform import ChannelUnreachableError, Platform
from bot.models import Clock
from bot.store import Claim, OutboxStatus, Store, SubscriptionRow
from digests.compose import compose_for
from digests.schedule import Schedule, Slot, next_slot, slots_between

log = logging.getLogger(__name__)


def default_holder() -> str:
    """Unique per process start: hostname and pid alone repeat across containers."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def slot_key(sub_id: int, slot: Slot) -> str:
    """The idempotency key a platform keeps with the post (nonce, metadata, record)."""
    return f"newsbrief-digest:{sub_id}:{slot.key}"


def _unposted(channel: ChannelRef, key: str) -> ThreadRef:
    """Where a digest's thread is kept between composing and posting: no platform's
    message or thread id looks like it."""
    return ThreadRef(channel.platform, channel.id, f"unposted:{key}", channel.workspace)


Outcome = Literal[
    "sent", "recovered", "skipped", "missed", "busy", "done", "failed", "paused"
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Delivered:
    subscription_id: int
    slot_key: str
    outcome: Outcome


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
    ) -> None:
        self.store = store
        self.platforms = platforms
        self.clock = clock
        self.grace = grace
        self.lease = lease
        self.holder = holder or default_holder()
        self._lock = asyncio.Lock()
        self._next_due: dict[int, datetime] = {}  # subscriptions are never edited in place

    # ------------------------------------------------------------- passes
    async def deliver_due(self) -> list[Delivered]:
        """Everything due now: pending recoveries first, then new slots. One pass at a time."""
        async with self._lock:
            now = self.clock()
            done: list[Delivered] = []
            subs = await asyncio.to_thread(self.store.outbox.subscriptions)
            by_id = {s.id: s for s in subs}
            for row in await asyncio.to_thread(self.store.outbox.pending_slots):
                sub = by_id.get(row.subscription_id)
                if sub is not None and sub.paused_at is None:
                    slot = Slot.from_key(row.slot_key, row.due)
                    done.append(await self._guarded(sub, slot, now))
            # Only subscriptions whose next slot may be due need the outbox; the
            # cache of next due times is an optimisation, the outbox stays the truth.
            # A paused subscription (its channel unreachable) waits for a manager's
            # command or access coming back: not retried every pass.
            stale = [
                s for s in subs if s.paused_at is None and self._next_due.get(s.id, now) <= now
            ]
            latest = await asyncio.to_thread(self.store.outbox.latest_slot_dues) if stale else {}
            for sub in stale:
                schedule = Schedule.from_json(sub.schedule)
                # 1 µs back: a slot in a DST gap can share its due instant with the
                # next; the unique (subscription, slot) row de-duplicates the rest.
                resume = latest.get(sub.id, sub.created_at) - timedelta(microseconds=1)
                # After a pause, catch-up starts when it was resumed: the slots that fell
                # in the pause were not "missed" by newsbrief being offline.
                start = max(resume, sub.created_at, sub.resumed_at or sub.created_at)
                settled = True
                for slot in slots_between(schedule, start, now):
                    result = await self._guarded(sub, slot, now)
                    settled &= result.outcome not in {"busy", "failed"}
                    done.append(result)
                if settled:
                    self._next_due[sub.id] = next_slot(schedule, now).due
                else:
                    self._next_due.pop(sub.id, None)
            return [d for d in done if d.outcome not in {"done"}]

    async def _guarded(self, sub: SubscriptionRow, slot: Slot, now: datetime) -> Delivered:
        """One slot; whatever fails stays pending for a later pass and stops nothing else."""
        try:
            return await self._slot(sub, Schedule.from_json(sub.schedule), slot, now)
        except ChannelUnreachableError as exc:  # find_post could not read the channel
            await self._pause(sub, str(exc))
            return Delivered(sub.id, slot.key, "paused")
        except Exception:
            log.exception("digest %s for subscription %s failed", slot.key, sub.id)
            return Delivered(sub.id, slot.key, "failed")

    async def _slot(
        self, sub: SubscriptionRow, schedule: Schedule, slot: Slot, now: datetime
    ) -> Delivered:
        platform = self.platforms.get(sub.platform)
        key = slot_key(sub.id, slot)
        result = Delivered(sub.id, slot.key, "done")
        if platform is None:
            return result  # that platform is not running in this process
        channel = ChannelRef(sub.platform, sub.channel_id, sub.channel_name, sub.workspace)
        too_late = now - slot.due > self.grace
        claim: Claim = await asyncio.to_thread(
            self.store.outbox.claim_slot,
            sub.id,
            slot.key,
            slot.due,
            self.holder,
            now=self.clock(),  # the claim's own time, not the pass's: passes can be long
            lease=self.lease,
        )
        if claim.state in {"done", "busy"}:
            return Delivered(sub.id, slot.key, claim.state)
        # Any exception from here leaves the row pending: a later pass (after the
        # lease) asks the platform and retries. Nothing is lost, nothing doubled.
        async with self._renewing(claim):
            if claim.state == "recover":
                found = await platform.find_post(channel, key)
                if found is not None:
                    await self._adopt_thread(channel, key, found)
                    await self._complete(claim, "sent", found.id)
                    await self._mark_missed_mentioned(sub.id)
                    return Delivered(sub.id, slot.key, "recovered")
            if too_late:
                await self._complete(claim, "missed", None)
                return Delivered(sub.id, slot.key, "missed")
            post = await self._compose(sub, schedule, slot, now)
            if post is None:
                await self._complete(claim, "skipped", None)
                return Delivered(sub.id, slot.key, "skipped")
            post = replace(post, previews=sub.previews)  # the channel's /digest previews
            await remember(self.store, _unposted(channel, key), post)  # see _adopt_thread
            if not await asyncio.to_thread(
                self.store.outbox.renew_claim, claim.outbox_id, self.holder, self.clock()
            ):
                return Delivered(sub.id, slot.key, "busy")  # our lease was taken over
            try:
                ref = await platform.post(channel, post, key=key)
            except ChannelUnreachableError as exc:
                await self._pause(sub, str(exc))
                # Not posted, not to be redone; "missed": the next digest says so and covers
                # its stories (a "skipped" slot counts as delivered).
                await self._complete(claim, "missed", None)
                return Delivered(sub.id, slot.key, "paused")
            await self._adopt_thread(channel, key, ref)
            await self._complete(claim, "sent", ref.id)
        await self._mark_missed_mentioned(sub.id)
        return Delivered(sub.id, slot.key, "sent")

    async def _adopt_thread(self, channel: ChannelRef, key: str, post: ThreadRef) -> None:
        """Move the digest's articles, saved before posting, to the post's thread, so
        follow-ups there are answered; also when a crash came between posting and this,
        and the recovery found the post."""
        await asyncio.to_thread(self.store.threads.move, _unposted(channel, key), post)

    # ------------------------------------------------------------- paused channels
    async def _pause(self, sub: SubscriptionRow, reason: str) -> None:
        n = await asyncio.to_thread(
            self.store.outbox.pause_channel, sub.platform, sub.channel_id, reason, self.clock()
        )
        if n:
            log.warning(
                "digests of %s channel %s paused (%d): %s", sub.platform, sub.channel_id, n, reason
            )

    async def resume(self, channel: ChannelRef) -> list[int]:
        """Resume the channel's paused digests (a manager's command there, or the bot
        can reach it again); the ids resumed."""
        ids = await asyncio.to_thread(
            self.store.outbox.resume_channel, channel.platform, channel.id, self.clock()
        )
        for sub_id in ids:
            self._next_due.pop(sub_id, None)
        if ids:
            log.info("digests of %s channel %s resumed: %s", channel.platform, channel.id, ids)
        return ids

    async def _mark_missed_mentioned(self, sub_id: int) -> None:
        missed = await asyncio.to_thread(self.store.outbox.unmentioned_missed, sub_id)
        await asyncio.to_thread(self.store.outbox.mark_mentioned, [m.id for m in missed])

    async def _compose(
        self, sub: SubscriptionRow, schedule: Schedule, slot: Slot, now: datetime
    ) -> Post | None:
        return await asyncio.to_thread(
            compose_for, self.store, sub.id, schedule, now, slot, workspace=sub.scope
        )

    async def _complete(self, claim: Claim, status: OutboxStatus, ref: str | None) -> None:
        ok = await asyncio.to_thread(
            self.store.outbox.complete_slot,
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
                    self.store.outbox.renew_claim, claim.outbox_id, self.holder, self.clock()
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
        schedule = replace(Schedule.from_json(sub.schedule), skip_empty=False)
        return await asyncio.to_thread(
            compose_for, self.store, sub.id, schedule, self.clock(), None, workspace=sub.scope
        )
