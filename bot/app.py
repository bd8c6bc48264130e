"""`newsbrief run`: wire the store, the conversation core, the scheduler and the platforms.

This is the composition root (with ``bot.cli``): the only core module that
imports adapters, and only inside ``run_app``, so the core never depends on
a platform SDK at import time.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TextIO

from apscheduler.triggers.interval import IntervalTrigger

from bot.chat.conversation import Conversation
from bot.chat.platform import Platform
from bot.config import Settings
from bot.news.ingest import Ingester
from bot.news.net import Fetcher
from bot.store import Store

log = logging.getLogger(__name__)


def open_store(settings: Settings) -> Store:
    return Store.open(settings.effective_database_url())


async def load_sample_if_empty(store: Store) -> int:
    """A fresh install shows real content at once: the bundled sample, no network."""
    counts = await asyncio.to_thread(store.counts)
    if counts.ok:
        return 0
    report = await Ingester(store, None).ingest_sample()
    return sum(1 for i in report.items if i.status == "new")


def platforms(settings: Settings, out: TextIO | None = None) -> list[Platform]:
    """The platforms to run: the console, until the Slack and Discord adapters land
    (they will start here when their tokens are set, and the console only without)."""
    from adapters.console.adapter import ConsolePlatform

    return [ConsolePlatform(settings.data_dir / "console-posts.jsonl", stdout=out)]


async def run_app(settings: Settings, *, out: TextIO | None = None, sample: bool = True) -> int:
    from digests.commands import DigestCommands
    from digests.delivery import DigestDelivery
    from digests.scheduler import DigestScheduler

    if settings.allow_private_hosts:
        log.warning(
            "NEWSBRIEF_ALLOW_PRIVATE_HOSTS is on: user-supplied URLs may reach private and "
            "loopback addresses. Use it only for local tests and demos."
        )
    store = open_store(settings)
    scheduler: DigestScheduler | None = None
    fetcher: Fetcher | None = None
    try:
        if sample:
            loaded = await load_sample_if_empty(store)
            if loaded:
                log.info("loaded %d sample articles into an empty store", loaded)
        conversation = Conversation(store)
        running = platforms(settings, out)
        delivery = DigestDelivery(
            store,
            {p.name: p for p in running},
            grace=timedelta(seconds=settings.digest_grace_period_s),
        )
        scheduler = DigestScheduler(delivery, store)
        conversation.commands["digest"] = DigestCommands(store, delivery, resync=scheduler.sync)
        fetcher = Fetcher(settings)
        poller = Ingester(store, fetcher)
        scheduler.scheduler.add_job(
            poller.poll_due, IntervalTrigger(seconds=60), id="poll-feeds", name="poll-feeds"
        )
        await scheduler.start()
        # Each platform runs until it stops (the console at the end of its input).
        await asyncio.gather(*(p.start(conversation) for p in running))
        for p in running:
            await p.stop()
    finally:
        if scheduler is not None:
            await scheduler.stop()
        if fetcher is not None:
            await fetcher.aclose()
        store.close()
    return 0
