"""`/digest ...`: subscribe, list, unsubscribe, now, preview — the same on every platform."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime

from bot.chat.conversation import CommandGroup, HelpLine, remember, require_manager
from bot.chat.messages import CommandEvent, Post
from bot.chat.platform import Platform
from bot.errors import NewsbriefError
from bot.models import Clock
from bot.store import Store, SubscriptionRow
from digests.delivery import DigestDelivery
from digests.schedule import Schedule, next_slot, parse_subscription

HELP = """\
/digest subscribe TOPICS at HH:MM [ZONE] [DAYS] [max N] [always]
    e.g. /digest subscribe korea, trade at 07:30 Asia/Seoul weekdays
    TOPICS: words separated by commas, or `everything`; several times: at 07:30, 18:00;
    ZONE: an IANA name like Europe/London (default UTC); DAYS: daily, weekdays, weekends,
    mon,wed,fri or mon-fri; `always` posts even when nothing is new.
/digest list                 this channel's digests and when the next one comes
/digest unsubscribe ID|all   stop a digest (channel managers only)
/digest now [ID]             post a digest here now (channel managers only)
/digest preview [ID]         show what the next digest would hold, only to you
/digest previews on|off      link previews under the digest's links here (default off)
A digest is paused when I can't reach this channel (not invited, no permission); any
/digest or /feeds command of a channel manager here, or inviting me back, resumes it."""

Resync = Callable[[], Awaitable[None]]


class DigestCommands:
    """``/digest ...``, plugged into the ``Conversation`` as one ``CommandGroup``."""

    help_line = HelpLine("/digest ...", "morning digests for this channel: /digest help")

    def __init__(
        self,
        store: Store,
        delivery: DigestDelivery,
        *,
        resync: Resync | None = None,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.delivery = delivery
        self.resync = resync
        self.clock = clock

    async def __call__(self, platform: Platform, event: CommandEvent) -> None:
        verb, _, rest = event.text.strip().partition(" ")
        verb = verb.lower()
        handlers = {
            "subscribe": self._subscribe,
            "list": self._list,
            "unsubscribe": self._unsubscribe,
            "now": self._now,
            "preview": self._preview,
            "previews": self._previews,
        }
        await self.resume_paused(platform, event)
        if verb in {"", "help"}:
            await platform.respond(event, Post(kind="help", title="Digests", text=HELP))
            return
        handler = handlers.get(verb)
        if handler is None:
            raise NewsbriefError(
                f"/digest has no {verb!r}: use subscribe, list, unsubscribe, now, preview or "
                "previews "
                "(/digest help shows examples)"
            )
        await handler(platform, event, rest.strip())

    # ------------------------------------------------------------- paused digests
    async def resume_paused(self, platform: Platform, event: CommandEvent) -> None:
        """A manager's command in a channel whose digests are paused resumes them, and
        says so (with why they were paused): they are tried again at their next time."""
        if not event.user.is_manager:
            return
        paused = [s for s in await self._channel_subs(event) if s.paused_at is not None]
        if not paused or not await self.delivery.resume(event.channel):
            return
        lines = [f"#{s.id} {_paused_note(s)}" for s in paused]
        text = (
            "Resumed: " + "; ".join(lines) + ". I try again at the next digest time; if I still "
            "can't post here, it pauses again."
        )
        await platform.respond(event, Post(kind="info", title="Digests resumed", text=text))

    # ------------------------------------------------------------- changes
    async def _subscribe(self, platform: Platform, event: CommandEvent, rest: str) -> None:
        require_manager(event, "change its digests", "use /digest list to see what is set up")
        schedule = parse_subscription(rest)
        for same in await self._channel_subs(event):  # the same digest twice a morning: no
            if Schedule.from_json(same.schedule) == schedule:
                raise NewsbriefError(
                    f"This channel already has that digest (#{same.id}): {schedule.describe()}. "
                    "See /digest list."
                )
        sub = await asyncio.to_thread(
            self.store.outbox.add_subscription,
            event.channel.platform,
            event.channel.id,
            schedule.to_json(),
            channel_name=event.channel.name,
            created_by=event.user.id,
            now=self.clock(),
            workspace=event.channel.workspace,  # its digests read this workspace's sources
        )
        if self.resync:
            await self.resync()
        zone_note = (
            " No time zone given, so times are UTC: add one like Europe/London to change it."
            if schedule.tz == "UTC" and "utc" not in rest.lower()
            else ""
        )
        text = (
            f"Subscribed (#{sub.id}): {schedule.describe()}. "
            f"Next digest: {self._next(schedule)}.{zone_note}"
        )
        await platform.respond(event, Post(kind="info", title="Digest scheduled", text=text))

    async def _unsubscribe(self, platform: Platform, event: CommandEvent, rest: str) -> None:
        require_manager(event, "change its digests", "use /digest list to see what is set up")
        subs = await self._channel_subs(event)
        if rest.lower() == "all":
            targets = subs
        else:
            wanted = rest.lstrip("#")
            if not wanted.isdecimal():
                raise NewsbriefError(
                    "Say which digest to stop: /digest unsubscribe ID (see /digest list) or all"
                )
            targets = [s for s in subs if s.id == int(wanted)]
            if not targets:
                raise NewsbriefError(f"This channel has no digest #{wanted}: see /digest list")
        for s in targets:
            await asyncio.to_thread(self.store.outbox.deactivate_subscription, s.id)
        if self.resync:
            await self.resync()
        ids = ", ".join(f"#{s.id}" for s in targets) or "nothing"
        await platform.respond(
            event, Post(kind="info", title="Digest stopped", text=f"Stopped {ids}.")
        )

    async def _previews(self, platform: Platform, event: CommandEvent, rest: str) -> None:
        require_manager(event, "change its digests", "use /digest list to see what is set up")
        choice = rest.lower()
        if choice not in {"on", "off"}:
            raise NewsbriefError("Say /digest previews on, or /digest previews off")
        n = await asyncio.to_thread(
            self.store.outbox.set_previews, event.channel.platform, event.channel.id, choice == "on"
        )
        if not n:
            raise NewsbriefError(
                "This channel has no digest yet: /digest subscribe korea at 07:30 Europe/London"
            )
        text = (
            "Link previews are on for this channel's digests: each link may unfold into a card."
            if choice == "on"
            else "Link previews are off for this channel's digests: one message, no cards."
        )
        await platform.respond(event, Post(kind="info", title="Digest previews", text=text))

    # ------------------------------------------------------------- reading
    async def _list(self, platform: Platform, event: CommandEvent, rest: str) -> None:
        subs = await self._channel_subs(event)
        if not subs:
            text = "No digests in this channel yet. " + HELP.splitlines()[1].strip()
        else:
            text = "\n".join(self._line(s) for s in subs)
        await platform.respond(event, Post(kind="info", title="Digests here", text=text))

    async def _now(self, platform: Platform, event: CommandEvent, rest: str) -> None:
        # Posts to everyone in the channel, so managers only (preview is for anyone).
        require_manager(event, "post a digest on demand", "use /digest list to see what is set up")
        sub = await self._pick(event, rest)
        post = await self.delivery.digest_now(sub)
        if post is None:  # digest_now never skips, but stay safe
            raise NewsbriefError("Nothing to post right now.")
        ref = await platform.post(event.channel, replace(post, previews=sub.previews))
        await remember(self.store, ref, post)

    async def _preview(self, platform: Platform, event: CommandEvent, rest: str) -> None:
        sub = await self._pick(event, rest)
        post = await self.delivery.digest_now(sub)
        if post is not None:
            preview = Post(
                kind="info",
                title=f"Preview — {post.title}",
                text=post.text,
                items=post.items,
                footer="Only you can see this preview.",
            )
            await platform.respond(event, preview)

    # ------------------------------------------------------------- helpers
    async def _channel_subs(self, event: CommandEvent) -> list[SubscriptionRow]:
        return await asyncio.to_thread(
            self.store.outbox.subscriptions, event.channel.platform, event.channel.id
        )

    async def _pick(self, event: CommandEvent, rest: str) -> SubscriptionRow:
        subs = await self._channel_subs(event)
        if not subs:
            raise NewsbriefError(
                "This channel has no digest yet: /digest subscribe korea at 07:30 Europe/London"
            )
        wanted = rest.lstrip("#")
        if not wanted:
            return subs[0]
        match = [s for s in subs if wanted.isdecimal() and s.id == int(wanted)]
        if not match:
            raise NewsbriefError(f"This channel has no digest #{wanted}: see /digest list")
        return match[0]

    def _line(self, sub: SubscriptionRow) -> str:
        schedule = Schedule.from_json(sub.schedule)
        if sub.paused_at is not None:
            state = f"{_paused_note(sub)}; a manager's /digest command here resumes it"
        else:
            state = f"next {self._next(schedule)}"
        previews = ", link previews on" if sub.previews else ""
        return f"#{sub.id}: {schedule.describe()}{previews} — {state}"

    def _next(self, schedule: Schedule) -> str:
        slot = next_slot(schedule, self.clock())
        local = slot.due.astimezone(schedule.zone)
        return f"{local:%a %d %b %H:%M} ({schedule.tz})"


def _paused_note(sub: SubscriptionRow) -> str:
    assert sub.paused_at is not None
    why = (sub.paused_reason or "I could not reach this channel").rstrip(". ")
    return f"paused since {sub.paused_at:%a %d %b %H:%M} UTC: {why}"


class ResumingCommands:
    """Another command group (``/feeds``) whose manager commands also resume the channel's
    paused digests: any manager command there says someone is looking after it."""

    def __init__(self, inner: CommandGroup, digests: DigestCommands) -> None:
        self.inner = inner
        self.digests = digests
        self.help_line = inner.help_line

    async def __call__(self, platform: Platform, event: CommandEvent) -> None:
        await self.digests.resume_paused(platform, event)
        await self.inner(platform, event)
