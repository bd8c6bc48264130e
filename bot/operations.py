"""What every ``newsbrief run`` instance runs beside its platforms (part of the
composition root, with ``bot.app``): the feed poller, the leader lease and its duties,
and the health and metrics routes.

Several instances share one database and nothing else: feeds are claimed
(``bot.poller``), one instance at a time is the leader (``bot.leader``), digests are
claimed slot by slot (``digests.delivery``). Started after the platforms, stopped
before them; on a clean stop the leader lease is released so another instance takes
over at once instead of after the TTL.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import metrics
from bot.chat.platform import Platform
from bot.config import Settings
from bot.health import Health, database_check, platform_check
from bot.leader import LEADER_LEASE, CurrentLease, Duty, Leader, LeaseKeeper
from bot.news.ingest import Ingester
from bot.poller import FeedPoller
from bot.server import HttpServer
from bot.store import Store
from bot.store.leases import Leases
from bot.store.retention import Retention
from bot.store.schema import OutboxEntry
from digests.delivery import Delivered, DigestDelivery

log = logging.getLogger(__name__)

TaskOf = Callable[[str], "asyncio.Task[None] | None"]


class MeteredDelivery(DigestDelivery):
    """Digest delivery that counts each settled slot by outcome (sent, recovered, missed...)."""

    async def deliver_due(self) -> list[Delivered]:
        done = await super().deliver_due()
        for d in done:
            if d.outcome not in ("busy", "done"):
                metrics.DIGESTS.labels(d.outcome).inc()
        return done


class Operations:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        ingester: Ingester,
        *,
        holder: str,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock or (lambda: datetime.now(UTC))
        self.poller = FeedPoller(
            store,
            ingester,
            holder=holder,
            interval=settings.poll_interval,
            lease=settings.feed_lease_s,
        )
        self.leases = Leases(store.engine)
        self.keeper = LeaseKeeper(
            self.leases,
            LEADER_LEASE,
            holder,
            ttl=settings.leader_ttl,
            renew=settings.leader_renew,
        )
        self.retention = Retention(
            store.engine,
            self.leases,
            retention_days=settings.retention_days,
            thread_days=settings.thread_days,
        )
        self.leader = Leader(
            self.keeper,
            [Duty("retention", settings.retention_interval, self._retention)],
            tick=min(1.0, settings.leader_renew / 2),
        )
        self.health = Health()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    # ------------------------------------------------------------ HTTP
    def add_routes(self, server: HttpServer, platforms: list[Platform], task_of: TaskOf) -> None:
        """/healthz, /readyz and /metrics, with a readiness check per platform."""
        self.health.add("database", database_check(self.store.engine))
        for p in platforms:
            if p.name != "console":
                self.health.add(p.name, platform_check(p, functools.partial(task_of, p.name)))
        self.health.add_routes(server)
        metrics.add_routes(server)
        metrics.set_probe(
            "newsbrief_outbox_backlog",
            "Digest slots claimed but not yet settled (pending outbox rows)",
            self._outbox_backlog,
        )
        metrics.set_probe(
            "newsbrief_feed_queue_depth",
            "Feeds due for a poll that no instance has claimed yet",
            lambda: self.poller.claims.queue_depth(self.clock()),
        )

    def _outbox_backlog(self) -> int:
        with Session(self.store.engine) as s:
            n = s.scalar(select(func.count()).where(OutboxEntry.status == "pending"))
            return int(n or 0)

    # ------------------------------------------------------------ duties
    async def _retention(self, current: CurrentLease) -> str:
        pruned = await asyncio.to_thread(self.retention.run, current)
        for kind, n in pruned.counts.items():
            metrics.PRUNED.labels(kind).inc(n)
        return str(pruned)

    # ------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self._stop.clear()
        runs: dict[str, Coroutine[Any, Any, None]] = {
            "poller": self.poller.run(self._stop),
            "leader-lease": self.keeper.run(self._stop),
            "leader-duties": self.leader.run(self._stop),
        }
        self._tasks = [asyncio.create_task(c, name=n) for n, c in runs.items()]
        for task in self._tasks:
            task.add_done_callback(_report_crash)

    async def stop(self) -> None:
        """Polls in flight finish; the leader lease is released on the way out."""
        self._stop.set()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []


def _report_crash(task: asyncio.Task[None]) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        if (exc := task.exception()) is not None:
            log.error("%s stopped: %r", task.get_name(), exc, exc_info=exc)
