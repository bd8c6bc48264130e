"""The feed poller of ``newsbrief run``: claim due feeds, poll them, count what happened.

Every instance runs one. Feeds are claimed a batch at a time
(``bot.store.feed_claims``), so several instances share the feeds instead of each
polling all of them; claims are renewed while a slow poll runs and released after
it. When nothing is due the poller waits ``idle`` seconds and looks again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

from bot import metrics
from bot.models import Clock
from bot.news.ingest import Ingester
from bot.outages import Outage
from bot.store import Store
from bot.store.feed_claims import FeedClaims

log = logging.getLogger(__name__)


class FeedPoller:
    def __init__(
        self,
        store: Store,
        ingester: Ingester,
        *,
        holder: str,
        interval: int,
        lease: float,
        batch: int = 16,
        idle: float = 1.0,  # one small indexed query a second while nothing is due
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.ingester = ingester
        self.claims = FeedClaims(store.engine)
        self.holder = holder
        self.interval = interval
        self.lease = lease
        self.batch = batch
        self.idle = idle
        self.clock: Clock = clock or (lambda: datetime.now(UTC))

    async def run(self, stop: asyncio.Event) -> None:
        outage = Outage(log, "polling feeds", first=self.idle)
        while not stop.is_set():
            wait = self.idle
            try:
                polled = await self.poll_once()
                outage.recovered()
            except Exception as exc:
                wait, polled = outage.failed(exc), 0  # the database is away: wait longer
            if not polled:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)

    async def poll_once(self) -> int:
        """Claim one batch of due feeds and poll it; how many were polled."""
        ids = await asyncio.to_thread(
            self.claims.claim,
            self.holder,
            now=self.clock(),
            lease=timedelta(seconds=self.lease),
            limit=self.batch,
            interval=self.interval,
        )
        if not ids:
            return 0
        try:
            async with self._renewing(ids):
                await asyncio.gather(*(self._poll(i) for i in ids))
        finally:
            await asyncio.to_thread(
                self.claims.release, self.holder, ids, now=self.clock(), interval=self.interval
            )
        return len(ids)

    async def _poll(self, feed_id: int) -> None:
        state = await asyncio.to_thread(self.store.sources.get_id, feed_id)
        if state is None:  # removed meanwhile
            return
        started = time.perf_counter()
        try:
            report = await self.ingester.ingest([state.url])
        except Exception:
            log.exception("polling feed %s failed", state.shown)
            metrics.FEED_POLLS.labels("failed").inc()
            return
        finally:
            metrics.FETCH_SECONDS.observe(time.perf_counter() - started)
        own = [i for i in report.items if i.source == state.shown]
        if any(i.status == "failed" for i in own):
            metrics.FEED_POLLS.labels("failed").inc()
        elif any(i.status == "not_modified" for i in own):
            metrics.FEED_POLLS.labels("not_modified").inc()
        else:
            metrics.FEED_POLLS.labels("ok").inc()
        metrics.observe_report(report.items)

    @contextlib.asynccontextmanager
    async def _renewing(self, ids: Sequence[int]) -> AsyncIterator[None]:
        """Keep the claims alive while the batch runs (a feed with many new pages)."""

        async def renew() -> None:
            while True:
                await asyncio.sleep(self.lease / 3)
                until = self.clock() + timedelta(seconds=self.lease)
                await asyncio.to_thread(self.claims.renew, self.holder, ids, until)

        task = asyncio.create_task(renew())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
