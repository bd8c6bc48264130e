"""The seam every platform adapter implements, and the handler the core offers it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

from bot.chat.messages import (
    ChannelRef,
    CommandEvent,
    MentionEvent,
    Post,
    ThreadRef,
    ThreadReplyEvent,
)
from bot.errors import NewsbriefError


class ChannelUnreachableError(NewsbriefError):
    """``post``/``reply`` cannot reach the channel: the bot is not in it or it is gone.

    The message says how to fix it (Slack: invite the bot). A digest whose channel
    raises this can be paused instead of retried every sweep.
    """


class Platform(Protocol):
    """What the core needs from Slack, Discord or the console."""

    name: str

    async def start(self, handler: EventHandler) -> None:
        """Connect; deliver commands, thread replies and mentions to ``handler`` until stopped."""

    async def post(self, channel: ChannelRef, post: Post, *, key: str | None = None) -> ThreadRef:
        """Post publicly; the result is where follow-ups will land.

        ``key`` is an idempotency key (a digest slot): the adapter attaches it to
        the message (Discord nonce, Slack metadata, the console's record) so that
        ``find_post`` can tell after a crash whether the post already went out.
        """

    async def reply(self, thread: ThreadRef, post: Post) -> None:
        """Answer inside a thread."""

    async def respond(self, event: CommandEvent | MentionEvent, post: Post) -> None:
        """Answer only the person who typed the command (help, errors, settings); a
        mention, where the platform has no private answer to a message, in a reply to it."""

    async def find_post(self, channel: ChannelRef, key: str) -> ThreadRef | None:
        """The post made earlier with ``key``, if the platform has it."""

    async def stop(self) -> None: ...


class EventHandler(Protocol):
    """What adapters call; implemented by ``bot.chat.conversation.Conversation``."""

    async def on_command(self, platform: Platform, event: CommandEvent) -> None: ...

    async def on_thread_reply(self, platform: Platform, event: ThreadReplyEvent) -> bool:
        """Handle a reply; False when the thread is not one of ours (the adapter stays quiet)."""
        ...

    async def on_mention(self, platform: Platform, event: MentionEvent) -> None: ...


AccessHook = Callable[[ChannelRef], Awaitable[object]]


@runtime_checkable
class AccessAware(Protocol):
    """A platform that can tell when the bot reaches a channel again (Slack: invited back).

    The composition root sets ``on_access`` to resume that channel's paused digests;
    a platform without such an event leaves them to a manager's next command there.
    """

    on_access: AccessHook | None
