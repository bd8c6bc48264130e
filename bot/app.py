"""`newsbrief run`: wire the store, the conversation core, the scheduler and the platforms.

This is the composition root (with ``bot.cli``): the only core module that
imports adapters, and only inside ``platforms``, so the core never depends on a
platform SDK at import time.

What runs: each platform whose credentials are set (Slack, Discord; one process can
serve both), and the console only when none is, or with ``--console``.
The console alone ends at the end of its input; with a platform configured the
run goes on until SIGTERM or SIGINT, then stops cleanly: no new events, commands
in flight finish, then the connections close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TextIO

from sqlalchemy.exc import ArgumentError, OperationalError

from bot.store import Store
from bot.store.engine import DatabaseUnreachableError

if TYPE_CHECKING:  # imported where they are used: the CLI's commands that only open the
    # store (brief, ask) import this module too, and need none of ingest, HTTP or chat
    from bot.chat.platform import Platform
    from bot.config import Settings
    from bot.crypto import SecretBox
    from bot.models import Clock
    from bot.news.ingest import Ingester
    from bot.server import HttpServer

log = logging.getLogger(__name__)


def open_store(settings: Settings) -> Store:
    def box() -> SecretBox:
        from bot.crypto import SecretBox  # cryptography: only once a secret is read or kept

        return SecretBox.from_settings(settings)

    # Feed URLs with credentials are encrypted with these settings' key.
    url = settings.effective_database_url()
    try:
        return Store.open(url, box=box)
    except (OperationalError, ArgumentError) as exc:  # unreachable, no such database, typo
        raise DatabaseUnreachableError.of(url, exc) from None


async def load_sample_if_empty(store: Store) -> int:
    """A fresh install shows real content at once: the bundled sample, no network."""
    from bot.news.ingest import Ingester

    counts = await asyncio.to_thread(store.counts)
    if counts.ok:
        return 0
    report = await Ingester(store, None).ingest_sample()
    return sum(1 for i in report.items if i.status == "new")


def secrets_of(settings: Settings) -> list[str | None]:
    """Every secret value the settings hold, for the log scrubber."""
    from sqlalchemy.engine import make_url

    values = [
        s.get_secret_value() if s is not None else None
        for s in (
            settings.slack_bot_token,
            settings.slack_signing_secret,
            settings.slack_app_token,
            settings.slack_client_secret,
            settings.discord_token,
            settings.secret_key,
        )
    ]
    with contextlib.suppress(Exception):
        values.append(make_url(settings.effective_database_url()).password)  # type: ignore[arg-type]
    return values


def platforms(
    settings: Settings, *, store: Store, server: HttpServer, out: TextIO | None = None
) -> list[Platform]:
    """The platforms to run, in start order: every configured one, then the console."""
    running: list[Platform] = []
    if settings.slack_configured:
        from adapters.slack.adapter import SlackPlatform
        from bot.crypto import SecretBox

        box = SecretBox.from_settings(settings)
        # Retries of one event may reach another instance: the store's ledger covers all.
        running.append(
            SlackPlatform(
                settings, server=server, engine=store.engine, box=box, ledger=store.deliveries
            )
        )
    if settings.discord_configured:
        from adapters.discord.adapter import DiscordPlatform

        running.append(DiscordPlatform(settings, store))
    if settings.console_enabled():
        from adapters.console.adapter import ConsolePlatform, record_path
        from bot.warmup import start_warm_up

        # Post numbers belong to one database (its threads remember them).
        record = record_path(settings.data_dir, settings.effective_database_url())
        running.append(ConsolePlatform(record, stdout=out, on_first_thread=start_warm_up))
    return running


class NewsbriefApp:
    """Everything ``run`` starts, opened and closed in order (tests drive it in-process)."""

    def __init__(
        self,
        settings: Settings,
        *,
        out: TextIO | None = None,
        sample: bool = True,
        clock: Clock | None = None,
    ) -> None:
        from bot.server import HttpServer
        from digests.delivery import default_holder

        self.settings = settings
        self.out = out
        self.sample = sample
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.server = HttpServer(settings.http_host, settings.http_port)
        self.running: list[Platform] = []
        self.holder = default_holder()  # this instance, in every lease and claim it holds
        self._tasks: list[asyncio.Task[None]] = []
        self._closers: list[Callable[[], object]] = []

    def platform(self, name: str) -> Platform:
        return next(p for p in self.running if p.name == name)

    def _task_of(self, name: str) -> asyncio.Task[None] | None:
        return next((t for t in self._tasks if t.get_name() == f"platform-{name}"), None)

    async def open(self) -> None:
        from bot import metrics, redact
        from bot.chat.conversation import CommandGroup, Conversation
        from bot.chat.platform import AccessAware
        from bot.feed_alerts import FeedAlerts
        from bot.leader import LeaderWork
        from bot.news.ingest import Ingester
        from bot.news.net import Fetcher
        from bot.operations import MeteredDelivery, Operations
        from digests.commands import DigestCommands, ResumingCommands
        from digests.scheduler import DigestScheduler

        settings = self.settings
        redact.install(secrets_of(settings))
        if settings.allow_private_hosts:
            log.warning(
                "NEWSBRIEF_ALLOW_PRIVATE_HOSTS is on: user-supplied URLs may reach private and "
                "loopback addresses. Use it only for local tests and demos."
            )
        self.store = open_store(settings)
        self._closers.append(self.store.close)
        if self.sample and (loaded := await load_sample_if_empty(self.store)):
            log.info("loaded %d sample articles into an empty store", loaded)
        self.conversation = Conversation(self.store)
        self.running = platforms(settings, store=self.store, server=self.server, out=self.out)
        self.delivery = MeteredDelivery(
            self.store,
            {p.name: p for p in self.running},
            clock=self.clock,
            grace=timedelta(seconds=settings.digest_grace_period_s),
            holder=self.holder,
        )
        self.scheduler = DigestScheduler(self.delivery, self.store)
        digest_commands = DigestCommands(
            self.store, self.delivery, resync=self.scheduler.sync, clock=self.clock
        )
        self.conversation.commands["digest"] = digest_commands
        for p in self.running:
            if isinstance(p, AccessAware):  # invited back: the channel's paused digests go on
                p.on_access = self.delivery.resume
        fetcher = Fetcher(settings)
        self._closers.append(fetcher.aclose)
        # One ingester for polls and /feeds add alike: one article writer per process.
        ingester = Ingester(self.store, fetcher, clock=self.clock)
        await self._sources(ingester)
        self.ops = Operations(
            settings,
            self.store,
            ingester,
            holder=self.holder,
            clock=self.clock,
        )
        # A feed failing for a day: its workspaces' managers are told once (leader duty).
        alerts = FeedAlerts(
            self.store, self.ops.leases, {p.name: p for p in self.running}, clock=self.clock
        )
        self.ops.leader.duties.append(alerts.duty())
        for p in self.running:  # what one instance does for a platform (Discord's commands)
            if isinstance(p, LeaderWork):
                self.ops.leader.duties.extend(p.leader_duties())
        feeds = self.conversation.commands.get("feeds")
        if isinstance(feeds, CommandGroup):  # a manager's /feeds resumes paused digests too
            self.conversation.commands["feeds"] = ResumingCommands(feeds, digest_commands)
        if any(p.name != "console" for p in self.running) or not settings.console_enabled():
            # Headless, or serving a platform: health and metrics. The console alone
            # (someone trying newsbrief out) opens no port.
            self.ops.add_routes(self.server, self.running, self._task_of)
        if any(p.name != "console" for p in self.running):
            # A service answers follow-ups: ready before the first. Not the console
            # alone, whose first command would share the CPU with it: it starts the
            # warm-up after its first brief (``ConsolePlatform``).
            from bot.warmup import start_warm_up

            start_warm_up()
        if self.server.has_routes:
            await self.server.start()
            self._closers.append(self.server.stop)
        await self.scheduler.start()
        if not self.running:
            log.warning("no platform is configured and the console is off: polling feeds only")
        handler = metrics.MeteredHandler(self.conversation)
        self._tasks = [
            asyncio.create_task(p.start(handler), name=f"platform-{p.name}") for p in self.running
        ]
        self.ops.start()

    async def _sources(self, ingester: Ingester) -> None:
        """NEWSBRIEF_FEEDS become the operator's sources (polled like any), and /feeds
        lets each workspace add its own (bot.news.adding, bot.chat.feeds_commands)."""
        from bot.chat.feeds_commands import FeedCommands
        from bot.news.adding import AddedSource, add_source, register_configured

        if n := await asyncio.to_thread(register_configured, self.store, self.settings.feeds):
            log.info("NEWSBRIEF_FEEDS: %d operator sources, shared by every workspace", n)
        interval = self.settings.poll_interval

        async def add(url: str, workspace: str, user: str | None) -> AddedSource:
            return await add_source(
                ingester, url, owner=workspace, added_by=user, poll_interval_s=interval
            )

        self.conversation.commands["feeds"] = FeedCommands(self.store, add)

    async def serve(self, stop: asyncio.Event) -> None:
        """Until ``stop`` is set, or the console alone reached the end of its input.

        A platform that fails (a token Slack refuses) ends the run with its error.
        """
        waiter = asyncio.create_task(stop.wait())
        pending: set[asyncio.Task[None] | asyncio.Task[bool]] = {waiter, *self._tasks}
        # The console alone ends with its input; a headless instance (nothing running but
        # the poller and the leader) goes on until SIGTERM like any other.
        console_only = bool(self.running) and all(p.name == "console" for p in self.running)
        try:
            while not waiter.done():
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    if task is not waiter and task.exception() is not None:
                        raise task.exception()  # type: ignore[misc]
                if console_only and all(t.done() for t in self._tasks):
                    return
        finally:
            waiter.cancel()

    async def close(self) -> None:
        """New events stop first; platforms finish what is in flight; then everything closes."""
        scheduler = getattr(self, "scheduler", None)
        if scheduler is not None:
            await scheduler.stop()  # no new digest passes
        ops = getattr(self, "ops", None)
        if ops is not None:
            await ops.stop()  # no new polls; the leader lease is released
        for p in self.running:
            try:
                await p.stop()
            except Exception:
                log.exception("stopping %s failed", p.name)
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for close in reversed(self._closers):
            result = close()
            if asyncio.iscoroutine(result):
                await result


@contextlib.contextmanager
def _signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set ``stop`` (a second one is the default again: quit now)."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []

    def handle(sig: signal.Signals) -> None:
        log.info("%s: stopping", sig.name)
        stop.set()
        loop.remove_signal_handler(sig)

    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, handle, sig)
            installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


async def run_app(settings: Settings, *, out: TextIO | None = None, sample: bool = True) -> int:
    from bot.config import unknown_variables

    for name in unknown_variables(os.environ):  # a typo would leave its default, silently
        log.warning("%s sets nothing: check its spelling", name)
    app = NewsbriefApp(settings, out=out, sample=sample)
    stop = asyncio.Event()
    with _signals(stop):
        try:
            await app.open()
            await app.serve(stop)
        finally:
            await app.close()
    return 0
