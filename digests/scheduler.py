"""APScheduler wiring: wake the delivery engine at each subscription's local times.

Jobs are derived from the subscription rows at start-up and on every change,
kept in memory only, and never trusted for correctness (APScheduler 3.11's
cron trigger fires twice in a repeated hour and late after a DST gap; its
persistent stores need importable references and misfire carefully). A sweep
every few seconds catches anything a wake-up missed; the outbox makes the
repeated passes harmless.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.outages import Outage
from bot.store import Store
from digests.delivery import DigestDelivery
from digests.schedule import DAY_NAMES, Schedule

log = logging.getLogger(__name__)


class DigestScheduler:
    def __init__(
        self, delivery: DigestDelivery, store: Store, *, sweep_seconds: float = 5.0
    ) -> None:
        self.delivery = delivery
        self.store = store
        self.sweep_seconds = sweep_seconds
        self.outage = Outage(log, "the digest pass", first=sweep_seconds)
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )

    async def start(self) -> None:
        await self.sync()
        self.scheduler.add_job(
            self._wake, IntervalTrigger(seconds=self.sweep_seconds), id="sweep", name="sweep"
        )
        self.scheduler.start()
        # Catch up on whatever came due while we were down, right away.
        await self._wake()

    async def sync(self) -> None:
        """Rebuild the wake-up jobs from the subscription rows (the source of truth)."""
        subs = await asyncio.to_thread(self.store.outbox.subscriptions)
        wanted: set[str] = set()
        for sub in subs:
            schedule = Schedule.from_json(sub.schedule)
            days = ",".join(DAY_NAMES[d] for d in schedule.days)
            for t in schedule.times:
                job_id = f"digest-{sub.id}-{t:%H%M}"
                wanted.add(job_id)
                if self.scheduler.get_job(job_id) is None:
                    self.scheduler.add_job(
                        self._wake,
                        CronTrigger(
                            hour=t.hour, minute=t.minute, day_of_week=days, timezone=schedule.tz
                        ),
                        id=job_id,
                        name=job_id,
                    )
        for job in self.scheduler.get_jobs():
            if job.id.startswith("digest-") and job.id not in wanted:
                job.remove()

    async def _wake(self) -> None:
        if self.outage.waiting():
            return  # the last pass failed (the database is away): sweeps wait a while
        try:
            results = await self.delivery.deliver_due()
            self.outage.recovered()
        except Exception as exc:
            self.outage.failed(exc)
            return
        for r in results:
            log.info("digest %s/%s: %s", r.subscription_id, r.slot_key, r.outcome)

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
