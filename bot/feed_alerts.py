"""A feed failing for a day is reported once to the workspaces that read it (a leader duty).

The store keeps each feed's run of failures (``feeds.failing_since``, set by the first
failed poll after a success, cleared by the next success with ``failure_reported_at``:
``bot.store.sources``). Each round the leader finds the feeds failing for ``after``
(24 h) and not reported yet; for each one it first marks the run reported, in a
transaction fenced by its lease epoch and conditional on the mark being unset, and only
then sends. So three instances, or a frozen leader waking up, never report one run
twice: only the instance whose fenced write changed the row sends. The cost is the
other way round: a leader that dies between its commit and its sends loses that
notice (the feed stays in ``/feeds list`` with its error); an alert storm is worse.
If every send fails (the platform is down), the mark is undone and the next round
tries again, for one more day at most. Recovery, then failure again, is a new run and a new report.

Who is told, per workspace reading the feed (its own ``feed_owners`` row, or one of an
OPML list of its own naming the feed): the manager who added it there (only managers
may ``/feeds add``), by direct message. The store records that person (``added_by``),
not the channel the command was typed in; and a direct message is what Slack and
Discord admins expect of a bot's operational notice: the one person who can fix or
remove the source hears of it, without a public post to a channel full of readers
who cannot. A workspace key without a workspace (``console:#chan``, a Discord DM)
names its channel, and the notice goes there. The operator's sources
(``NEWSBRIEF_FEEDS``) are the operator's to watch: the log and
``newsbrief_feed_failure_alerts`` only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy.orm import Session

from bot import metrics
from bot.chat.messages import ChannelRef, Post
from bot.chat.platform import Platform
from bot.leader import CurrentLease, Duty
from bot.store import Store
from bot.store.leases import Leases
from bot.store.records import FeedState
from bot.store.sources import OPERATOR, FeedSources

log = logging.getLogger(__name__)

AFTER = timedelta(hours=24)
EVERY = 300.0  # s between two rounds: a report comes at most this late
BATCH = 100  # feeds looked at per round


@runtime_checkable
class DirectMessages(Protocol):
    """A platform that opens a direct message itself (Discord: a DM channel per user).

    One without it (Slack) is given the user's id as the channel: chat.postMessage to a
    user id posts in the app's direct messages with that user.
    """

    async def message_user(self, user_id: str, workspace: str | None, post: Post) -> None: ...


@dataclass(frozen=True, slots=True)
class Target:
    """Where one workspace's notice goes: a user (a DM), or a channel."""

    workspace: str  # the key, "slack:T024BE7LD"
    platform: str
    scope: str | None  # the Slack team / Discord guild, None for a channel-only key
    user: str | None = None
    channel: str | None = None


def target_of(workspace: str, added_by: str | None) -> Target | None:
    """Whom to tell in ``workspace`` (a ``workspace_key``); None when nobody is known."""
    platform, _, rest = workspace.partition(":")
    if rest.startswith("#"):  # no workspace: the key is the channel where it was added
        return Target(workspace, platform, None, channel=rest[1:])
    if added_by:
        return Target(workspace, platform, rest or None, user=added_by)
    return None


def notice(feed: FeedState, now: datetime) -> Post:
    since = feed.failing_since or now
    hours = int((now - since).total_seconds() // 3600)
    name = f"{feed.title} ({feed.shown})" if feed.title else feed.shown
    error = f" The last error: {feed.last_error}." if feed.last_error else ""
    text = (
        f"The news source {name} has failed every poll for {hours} hours, since "
        f"{since.astimezone(UTC):%d %b %H:%M} UTC ({feed.consecutive_failures} polls "
        f"in a row).{error} newsbrief keeps trying and will not tell you again unless it "
        f"works and then fails again. /feeds list shows it (#{feed.id}); "
        f"/feeds remove {feed.id} stops reading it."
    )
    return Post(kind="error", title="A news source is failing", text=text)


class FeedAlerts:
    """The duty: ``duty()`` for the leader; ``run`` is one round."""

    def __init__(
        self,
        store: Store,
        leases: Leases,
        platforms: Mapping[str, Platform],
        *,
        clock: Callable[[], datetime] | None = None,
        after: timedelta = AFTER,
        every: float = EVERY,
    ) -> None:
        self.store = store
        self.leases = leases
        self.platforms = platforms
        self.clock = clock or (lambda: datetime.now(UTC))
        self.after = after
        self.every = every

    def duty(self) -> Duty:
        return Duty("feed-alerts", self.every, self.run)

    async def run(self, current: CurrentLease) -> str:
        now = self.clock()
        feeds = await asyncio.to_thread(self.store.sources.failing, now - self.after, BATCH)
        reported = told = 0
        for feed in feeds:
            sent = await self._report(feed, current, now)
            if sent is not None:
                reported += 1
                told += sent
        return f"{reported} feeds failing for {self.after} reported, {told} notices sent"

    async def _report(self, feed: FeedState, current: CurrentLease, now: datetime) -> int | None:
        """The notices sent for ``feed``; None when it was not ours to report."""
        assert feed.id is not None and feed.failing_since is not None
        readers = await asyncio.to_thread(self.store.sources.readers, feed.id)
        if not await asyncio.to_thread(self._mark, current, feed, now):
            return None  # reported meanwhile, or it recovered
        workspaces = [(w, u) for w, u in readers if w != OPERATOR]
        targets = [t for w, u in workspaces if (t := target_of(w, u)) is not None]
        post = notice(feed, now)
        sent = 0
        for target in targets:
            if await self._send(target, post):
                sent += 1
        if targets and not sent and now - feed.failing_since < 2 * self.after:
            # Nobody heard it (the platform down, not running here): the next round tries
            # again, for a day at most; a refusal that lasts (DMs closed) ends the tries.
            await asyncio.to_thread(self._mark, current, feed, None)
            return None
        metrics.FEED_FAILURE_ALERTS.inc()
        log.warning(
            "feed %s has failed for %s (since %s, %d polls: %s): told %s",
            feed.shown,
            now - feed.failing_since,
            feed.failing_since.isoformat(),
            feed.consecutive_failures,
            feed.last_error,
            ", ".join(t.workspace for t in targets) or "the operator (this log)",
        )
        return sent

    def _mark(self, current: CurrentLease, feed: FeedState, at: datetime | None) -> bool:
        assert feed.id is not None and feed.failing_since is not None
        with Session(self.store.engine) as s, s.begin():
            self.leases.fence(s, current())
            return FeedSources.mark_reported(s, feed.id, feed.failing_since, at)

    async def _send(self, target: Target, post: Post) -> bool:
        platform = self.platforms.get(target.platform)
        if platform is None:
            log.warning("cannot tell %s about a failing feed: %s is not running here",
                        target.workspace, target.platform)  # fmt: skip
            return False
        try:
            if target.channel is not None:
                await platform.post(ChannelRef(target.platform, target.channel), post)
            elif isinstance(platform, DirectMessages):
                assert target.user is not None
                await platform.message_user(target.user, target.scope, post)
            else:
                assert target.user is not None
                channel = ChannelRef(target.platform, target.user, workspace=target.scope)
                await platform.post(channel, post)
        except Exception as exc:
            log.warning("could not tell %s about a failing feed: %s", target.workspace, exc)
            return False
        return True
