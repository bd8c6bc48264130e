"""Prometheus metrics (prometheus-client), served as ``GET /metrics``.

Counters and histograms are counted where things happen (the poller, the command
handler, digest delivery, retention). Gauges that describe the shared database
(outbox backlog, poll queue depth) are read from it when scraped, through probes
the app registers, so every instance reports the same truth rather than a guess.
Leader and shard ownership are this instance's own leases.

One registry of newsbrief's own (plus the process and Python collectors), not the
library's global one: nothing a dependency registers shows up, and tests read it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from bot.chat.messages import CommandEvent, MentionEvent, ThreadReplyEvent
from bot.chat.platform import EventHandler, Platform
from bot.server import HttpServer

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

FEED_POLLS = Counter(
    "newsbrief_feed_polls",
    "Feed polls, by result (ok, not_modified, failed)",
    ["result"],
    registry=REGISTRY,
)
FETCH_SECONDS = Histogram(
    "newsbrief_feed_fetch_seconds",
    "Time to poll one feed: fetch, parse and store its new items",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
    registry=REGISTRY,
)
ARTICLES = Counter(
    "newsbrief_articles_ingested",
    "Articles stored by feed polls, by outcome (new, updated)",
    ["status"],
    registry=REGISTRY,
)
COMMANDS = Counter(
    "newsbrief_commands",
    'Commands handled, by platform and command ("mention": the bot named in a channel)',
    ["platform", "command"],
    registry=REGISTRY,
)
COMMAND_SECONDS = Histogram(
    "newsbrief_command_seconds",
    "Time from a command reaching the core to its answer being posted",
    ["platform"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30),
    registry=REGISTRY,
)
ANSWERS = Counter(
    "newsbrief_answers",
    "Follow-up questions answered in threads, by platform",
    ["platform"],
    registry=REGISTRY,
)
DIGESTS = Counter(
    "newsbrief_digests",
    "Digest slots settled by this instance, by outcome (sent, recovered, missed, skipped, failed)",
    ["outcome"],
    registry=REGISTRY,
)
PRUNED = Counter(
    "newsbrief_retention_pruned",
    "Rows removed by retention, by kind",
    ["kind"],
    registry=REGISTRY,
)
FEED_FAILURE_ALERTS = Counter(
    "newsbrief_feed_failure_alerts",
    "Feeds reported to managers as failing for a day",
    registry=REGISTRY,
)
LEADER = Gauge(
    "newsbrief_leader",
    "1 while this instance holds the leader lease (retention, housekeeping)",
    registry=REGISTRY,
)

Probe = Callable[[], float]


class _DatabaseGauges(Collector):
    """Gauges read from the shared database when scraped (see ``set_probe``)."""

    def __init__(self) -> None:
        self.probes: dict[str, tuple[str, Probe]] = {}
        self.values: dict[str, float] = {}

    def refresh(self) -> None:
        """Run every probe (blocking: the scrape handler calls it in a thread)."""
        for name, (_, probe) in list(self.probes.items()):
            try:
                self.values[name] = float(probe())
            except Exception as exc:  # the database is down: /readyz says so, not /metrics
                log.warning("metrics probe %s failed: %s", name, exc)
                self.values.pop(name, None)

    def collect(self) -> Iterable[GaugeMetricFamily]:
        for name, (doc, _) in self.probes.items():
            if name in self.values:
                yield GaugeMetricFamily(name, doc, value=self.values[name])


_DB_GAUGES = _DatabaseGauges()
REGISTRY.register(_DB_GAUGES)

# Leases this instance holds, by name (the leader's, later each Discord shard's).
_HELD: dict[str, bool] = {}


class _LeaseGauges(Collector):
    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "newsbrief_lease_held",
            "1 for each lease this instance holds (leader, discord-shard:N)",
            labels=["lease"],
        )
        for name, held in sorted(_HELD.items()):
            family.add_metric([name], 1.0 if held else 0.0)
        yield family
        shards = GaugeMetricFamily(
            "newsbrief_discord_shards_held", "Discord gateway shards this instance holds"
        )
        shards.add_metric([], sum(1 for n, h in _HELD.items() if h and n.startswith("discord")))
        yield shards


REGISTRY.register(_LeaseGauges())


def set_probe(name: str, doc: str, probe: Probe) -> None:
    """A gauge read from the database at each scrape, e.g. the outbox backlog."""
    _DB_GAUGES.probes[name] = (doc, probe)


def lease_held(name: str, held: bool) -> None:
    _HELD[name] = held
    if name == "leader":
        LEADER.set(1 if held else 0)


def value(name: str, labels: dict[str, str] | None = None) -> float:
    """The current value of a sample (tests and ``doctor`` read it); 0 when absent."""
    found = REGISTRY.get_sample_value(name, labels or {})
    return float(found or 0.0)


async def _metrics(_: web.Request) -> web.Response:
    await asyncio.to_thread(_DB_GAUGES.refresh)
    body = await asyncio.to_thread(generate_latest, REGISTRY)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def add_routes(server: HttpServer) -> None:
    server.add_route("GET", "/metrics", _metrics)


def observe_report(items: Iterable[Any]) -> None:
    """Count the articles an ingest report stored (its items' statuses)."""
    for item in items:
        if item.status in ("new", "updated"):
            ARTICLES.labels(item.status).inc()


class MeteredHandler:
    """The core's event handler, counting commands (and their latency) and answers."""

    def __init__(self, inner: EventHandler) -> None:
        self.inner = inner

    async def on_command(self, platform: Platform, event: CommandEvent) -> None:
        started = time.perf_counter()
        try:
            await self.inner.on_command(platform, event)
        finally:
            known = getattr(self.inner, "commands", {})  # a user's typo is not a label
            name = event.command.lower()
            COMMANDS.labels(platform.name, name if name in known else "unknown").inc()
            COMMAND_SECONDS.labels(platform.name).observe(time.perf_counter() - started)

    async def on_thread_reply(self, platform: Platform, event: ThreadReplyEvent) -> bool:
        ours = await self.inner.on_thread_reply(platform, event)
        if ours:
            ANSWERS.labels(platform.name).inc()
        return ours

    async def on_mention(self, platform: Platform, event: MentionEvent) -> None:
        started = time.perf_counter()
        try:
            await self.inner.on_mention(platform, event)
        finally:
            COMMANDS.labels(platform.name, "mention").inc()
            COMMAND_SECONDS.labels(platform.name).observe(time.perf_counter() - started)
