"""Sending with the bot token: spaced under the global limit, refusals explained and rested.

A channel that answers 403 (50001 Missing Access, 50013 Missing Permissions) is not
tried again for ten minutes, since Discord bans the IP of a bot that makes 10,000
invalid requests in ten minutes; the person who asked is told what to grant, or,
for a digest, whoever subscribed the channel gets a direct message, once a week
at most (kept in ``discord_state``, so across restarts and instances).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import discord

from adapters.discord import events, state
from adapters.discord.context import CURRENT, Pending
from adapters.discord.render import Message, render
from bot.chat.messages import ChannelRef, Post
from bot.chat.platform import ChannelUnreachableError
from bot.store import Store

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
POSTS_PER_SECOND = 20.0  # a post is a message plus a thread: 40 requests/s, under the global 50
TOLD_PERIOD = timedelta(days=7)
FORBIDDEN_FOR = 600.0  # s: a channel that answered 403 is not tried again for this long
ACCESS_CODES = {50001, 50013}  # Missing Access, Missing Permissions

AnswerPrivately = Callable[[Pending, Post], Awaitable[None]]


class MissingPermissionsError(ChannelUnreachableError):
    """Discord refused with 50001/50013: the message says which permissions to grant."""


class ChannelGoneError(ChannelUnreachableError):
    """Discord answered 404: the channel (or thread) is deleted, or was never made."""


class Sender:
    def __init__(
        self, client: discord.Client, store: Store, platform: str, answer: AnswerPrivately
    ) -> None:
        self.client = client
        self.store = store
        self.platform = platform
        self.answer = answer
        self.background: set[asyncio.Task[Any]] = set()
        self._lock = asyncio.Lock()
        self._next = 0.0
        self._forbidden: dict[str, float] = {}  # channel id → when it answered 403

    async def pace(self) -> None:
        """At most POSTS_PER_SECOND posts a second, whatever the digest wave.

        A fixed spacing, written here: a token-bucket package would be a new
        dependency for a dozen lines, and interaction answers (not bound by the
        global limit) never wait on it.
        """
        async with self._lock:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + 1.0 / (2 * POSTS_PER_SECOND)
        if wait > 0:
            await asyncio.sleep(wait)

    async def send(
        self,
        channel: ChannelRef,
        message: Message,
        *,
        nonce: str | None = None,
        reply_to: int | None = None,
        where: str = "this channel",
    ) -> int:
        """``reply_to``: a message there this one answers (shown as Discord's reply to it)."""
        self.check_rested(channel)
        await self.pace()
        target = self.client.get_partial_messageable(int(channel.id))
        extra: dict[str, Any] = {"nonce": nonce} if nonce else {}  # discord.py: enforce_nonce
        if reply_to is not None:
            extra["reference"] = discord.MessageReference(
                message_id=reply_to, channel_id=int(channel.id), fail_if_not_exists=False
            )
        try:
            sent = await target.send(
                content=message.content or None,
                embeds=list(message.embeds),
                allowed_mentions=NO_MENTIONS,
                **extra,
            )
        except discord.Forbidden as exc:
            raise self.refused(channel, exc, where) from exc
        except discord.NotFound as exc:
            raise ChannelGoneError(
                f"That channel is gone or I can't see it ({exc.text}). Invite me again, "
                "or move the digest to another channel."
            ) from exc
        if self._forbidden.pop(channel.id, None) is not None:
            await asyncio.to_thread(state.forget, self.store.engine, f"told:{channel.id}")
        return sent.id

    def check_rested(self, channel: ChannelRef) -> None:
        """Raise without asking Discord while a channel that refused us rests."""
        since = self._forbidden.get(channel.id)
        if since is not None and time.monotonic() - since < FORBIDDEN_FOR:
            raise MissingPermissionsError(events.grant_text(list(events.NEEDED_TO_POST.values())))

    async def start_thread(self, channel: ChannelRef, message_id: int, name: str) -> bool:
        """A public thread from the message (its id is the message's); False: none."""
        await self.pace()
        try:
            await self.client.http.start_thread_with_message(
                int(channel.id), message_id, name=name, auto_archive_duration=1440
            )
        except discord.HTTPException as exc:
            if exc.code == 160004:  # a thread exists for this message already: a retry
                return True
            log.warning("no thread for message %s in %s: %s", message_id, channel.id, exc)
            if exc.status == 403:
                await self._say_missing(channel, ["Create Public Threads"])
            return False
        return True

    def refused(self, channel: ChannelRef, exc: discord.HTTPException, where: str) -> Exception:
        """A 50001/50013 as an error that says what to grant; the channel rests a while."""
        if exc.code not in ACCESS_CODES:
            return exc
        self._forbidden[channel.id] = time.monotonic()
        missing = self._missing_in(channel)
        text = events.grant_text(missing, where)
        if CURRENT.get() is None:  # a digest, not a person: tell a manager, once (by DM)
            dm = events.grant_text(missing, f"<#{channel.id}>")
            task = asyncio.get_running_loop().create_task(self.tell_managers(channel, dm))
            self.background.add(task)
            task.add_done_callback(self.background.discard)
        return MissingPermissionsError(text)

    def _missing_in(self, channel: ChannelRef) -> list[str]:
        """Exactly what the bot lacks, when the cache knows the channel; else all it needs."""
        found = self.client.get_channel(int(channel.id))
        me = getattr(getattr(found, "guild", None), "me", None)
        if isinstance(found, discord.abc.GuildChannel) and me is not None:
            missing = events.missing_to_post(found.permissions_for(me))
            if missing:
                return missing
        return list(events.NEEDED_TO_POST.values())

    async def _say_missing(self, channel: ChannelRef, missing: list[str]) -> None:
        pending = CURRENT.get()
        text = events.grant_text(missing) + (
            " I posted without a thread this time: reply to the post to ask about it."
        )
        if pending is not None:
            post = Post(kind="error", title="Missing permissions", text=text)
            with contextlib.suppress(discord.HTTPException):
                await self.answer(pending, post)
        else:
            await self.tell_managers(channel, text)

    async def tell_managers(self, channel: ChannelRef, text: str) -> None:
        """A direct message to whoever set up this channel's digests, once a week at most."""
        engine = self.store.engine
        try:
            told = f"told:{channel.id}"
            if not await asyncio.to_thread(state.once_per, engine, told, TOLD_PERIOD):
                return
            subs = await asyncio.to_thread(
                self.store.outbox.subscriptions, self.platform, channel.id
            )
            note = Post(
                kind="error",
                title="newsbrief can't post its digest",
                text=f"{text} The digest waits until then.",
            )
            for uid in sorted({s.created_by for s in subs if s.created_by}):
                dm = await self.client.http.start_private_message(int(uid))
                target = self.client.get_partial_messageable(int(dm["id"]))
                for message in render(note):
                    await target.send(
                        content=message.content or None,
                        embeds=list(message.embeds),
                        allowed_mentions=NO_MENTIONS,
                    )
        except Exception:  # telling is best effort; the digest's own state is elsewhere
            log.exception("could not tell a manager about channel %s", channel.id)
