"""An in-memory ``Platform`` for tests of the core, and its contract harness.

``FakePlatform`` records the neutral ``Post``s the core sends, so core tests
assert on data instead of parsing the console's text. Its ``FakeWorkspace`` is
the "server": messages and their keys outlive a platform instance, the way a
Slack workspace outlives a restart of the bot.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.chat.messages import (
    ChannelRef,
    CommandEvent,
    MentionEvent,
    Post,
    ThreadRef,
    ThreadReplyEvent,
    User,
)
from bot.chat.platform import EventHandler
from bot.chat.render import post_markdown
from tests.fakes.recording import Recorder, Seen, Where

NAME = "fake"
CHANNEL = ChannelRef(NAME, "C1", "general")
MANAGER = User("U1", "owner", is_manager=True)
GUEST = User("U2", "guest", is_manager=False)


@dataclass(frozen=True, slots=True)
class Sent:
    """One call of the core into the platform."""

    where: Where
    post: Post
    thread: ThreadRef | None = None  # channel: the thread it anchors; thread: where it landed
    user_id: str | None = None  # user: who alone sees it
    key: str | None = None  # channel: the idempotency key, if any


class FakeWorkspace:
    """The fake platform's server side: what was said, kept across platform instances."""

    def __init__(self, listener: Callable[[Sent], None] | None = None) -> None:
        self._sent: Recorder[Sent] = Recorder()
        self._listener = listener
        self._ids = itertools.count(1)

    @property
    def sent(self) -> Recorder[Sent]:
        return self._sent

    def record(self, sent: Sent) -> None:
        self._sent.add(sent)
        if self._listener is not None:
            self._listener(sent)

    def next_id(self) -> str:
        return str(next(self._ids))

    def posts(self, where: Where | None = None) -> list[Post]:
        return [s.post for s in self.sent.items if where is None or s.where == where]


class FakePlatform:
    """A ``Platform`` that keeps every call, driven with ``command`` and ``thread_reply``."""

    name = NAME

    def __init__(
        self, workspace: FakeWorkspace | None = None, *, handler: EventHandler | None = None
    ) -> None:
        self.workspace = workspace or FakeWorkspace()
        self._handler = handler  # or the one ``start`` is given
        self._stopped = asyncio.Event()
        self.ready = asyncio.Event()

    # ------------------------------------------------------------- Platform
    async def start(self, handler: EventHandler) -> None:
        self._handler = handler
        self.ready.set()
        await self._stopped.wait()

    async def post(self, channel: ChannelRef, post: Post, *, key: str | None = None) -> ThreadRef:
        ref = ThreadRef(self.name, channel.id, self.workspace.next_id())
        self.workspace.record(Sent("channel", post, ref, key=key))
        return ref

    async def reply(self, thread: ThreadRef, post: Post) -> None:
        self.workspace.record(Sent("thread", post, thread))

    async def respond(self, event: CommandEvent | MentionEvent, post: Post) -> None:
        self.workspace.record(Sent("user", post, user_id=event.user.id))

    async def find_post(self, channel: ChannelRef, key: str) -> ThreadRef | None:
        for s in self.workspace.sent.items:
            if s.key == key and s.thread is not None and s.thread.channel_id == channel.id:
                return s.thread
        return None

    async def stop(self) -> None:
        self._stopped.set()

    # ------------------------------------------------------------- driving it
    @property
    def handler(self) -> EventHandler:
        if self._handler is None:
            raise RuntimeError("FakePlatform has no handler: pass one, or call start()")
        return self._handler

    async def command(self, user: User, line: str, channel: ChannelRef = CHANNEL) -> None:
        """``/brief korea`` typed by ``user``, handled to the end."""
        name, _, rest = line.removeprefix("/").partition(" ")
        await self.handler.on_command(self, CommandEvent(channel, user, name.lower(), rest.strip()))

    async def mention(self, user: User, text: str, channel: ChannelRef = CHANNEL) -> None:
        """ "@newsbrief korea" said by ``user`` in ``channel``, handled to the end."""
        await self.handler.on_mention(self, MentionEvent(channel, user, text))

    async def thread_reply(
        self, user: User, thread: ThreadRef, text: str, *, addressed: bool = False
    ) -> bool:
        event = ThreadReplyEvent(thread, user, text, addressed=addressed)
        return await self.handler.on_thread_reply(self, event)


def seen(sent: Sent) -> Seen:
    return Seen(sent.where, post_markdown(sent.post), sent.thread, sent.user_id)


class FakeHarness:
    """The contract harness of ``FakePlatform`` (see ``tests/platform_contract.py``)."""

    name = NAME
    replies_are_addressed = False
    mention_answers_are_private = True
    channel = CHANNEL
    manager = MANAGER
    guest = GUEST

    def __init__(self, handler: EventHandler) -> None:
        self._handler = handler
        self.seen: Recorder[Seen] = Recorder()
        self.workspace = FakeWorkspace(listener=lambda s: self.seen.add(seen(s)))
        self._platform = FakePlatform(self.workspace)
        self._running: asyncio.Task[None] | None = None

    @property
    def platform(self) -> FakePlatform:
        return self._platform

    @property
    def running(self) -> asyncio.Task[None]:
        assert self._running is not None
        return self._running

    async def _start(self) -> None:
        self._running = asyncio.create_task(self._platform.start(self._handler))
        await self._platform.ready.wait()

    async def command(self, user: User, text: str) -> None:
        await self._platform.command(user, text)

    async def reply(self, user: User, thread: ThreadRef, text: str) -> None:
        await self._platform.thread_reply(user, thread, text)

    async def mention(self, user: User, text: str) -> None:
        await self._platform.mention(user, text)

    async def foreign_thread(self) -> ThreadRef:
        return ThreadRef(self.name, self.channel.id, "person-" + self.workspace.next_id())

    async def restart(self) -> None:
        await self._platform.stop()
        await self.running
        self._platform = FakePlatform(self.workspace)
        await self._start()

    async def close(self) -> None:
        await self._platform.stop()
        if self._running is not None:
            await self._running

    @classmethod
    @asynccontextmanager
    async def open(cls, handler: EventHandler) -> AsyncIterator[FakeHarness]:
        harness = cls(handler)
        await harness._start()
        try:
            yield harness
        finally:
            await harness.close()
