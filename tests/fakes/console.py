"""The console adapter's contract harness: a keyboard and a screen per person.

The console's transport is its input and output streams, so the harness types
lines into a ``Keyboard`` (blocking like a terminal until a line comes) and reads
a ``Screen``: ``[N] ...`` is a public post anchoring thread N, ``  ↪ [N] ...`` a
reply in thread N, anything else is shown only to the person at that console.
The guest is a second console on the same post record, typing as a non-manager.
"""

from __future__ import annotations

import asyncio
import io
import queue
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from adapters.console.adapter import CHANNEL, USER, ConsolePlatform
from bot.chat.messages import ThreadRef, User
from bot.chat.platform import EventHandler
from tests.fakes.recording import Recorder, Seen

GUEST = User("guest", "guest", is_manager=False)
_POST = re.compile(r"\[(\d+)\] ")
_REPLY = re.compile(r"  ↪ \[(\d+)\] ")


class Keyboard(io.StringIO):
    """Standard input that blocks until a line is typed, or ``eof``."""

    def __init__(self) -> None:
        super().__init__()
        self._lines: queue.Queue[str] = queue.Queue()

    def type(self, line: str) -> None:
        self._lines.put(line + "\n")

    def eof(self) -> None:
        self._lines.put("")

    def readline(self, size: int | None = -1, /) -> str:  # type: ignore[override]
        # (typeshed gives StringIO the bytes-typed readline of _IOBase as well)
        return self._lines.get()

    def isatty(self) -> bool:
        return False


class Screen(io.StringIO):
    """Standard output that records each message the console prints (one write each)."""

    def __init__(self, seen: Recorder[Seen], user: User) -> None:
        super().__init__()
        self._seen = seen
        self._user = user

    def write(self, s: str, /) -> int:
        text = s.rstrip("\n")
        if m := _REPLY.match(text):
            self._seen.add(Seen("thread", text, ThreadRef(CHANNEL.platform, CHANNEL.id, m[1])))
        elif m := _POST.match(text):
            self._seen.add(Seen("channel", text, ThreadRef(CHANNEL.platform, CHANNEL.id, m[1])))
        elif text:
            self._seen.add(Seen("user", text, user_id=self._user.id))
        return len(s)


@dataclass
class _Terminal:
    platform: ConsolePlatform
    keyboard: Keyboard
    task: asyncio.Task[None]


class ConsoleHarness:
    """The contract harness of ``ConsolePlatform`` (see ``tests/platform_contract.py``)."""

    name = CHANNEL.platform
    replies_are_addressed = True
    mention_answers_are_private = True
    channel = CHANNEL
    manager = USER
    guest = GUEST

    def __init__(self, handler: EventHandler, record: Path) -> None:
        self._handler = handler
        self._record = record
        self.seen: Recorder[Seen] = Recorder()
        self._terminals: dict[str, _Terminal] = {}

    @property
    def platform(self) -> ConsolePlatform:
        return self._terminals[self.manager.id].platform

    @property
    def running(self) -> asyncio.Task[None]:
        return self._terminals[self.manager.id].task

    def _open(self, user: User) -> _Terminal:
        keyboard = Keyboard()
        platform = ConsolePlatform(
            self._record,
            stdin=keyboard,
            stdout=Screen(self.seen, user),
            interactive=False,
            user=user,
        )
        return _Terminal(platform, keyboard, asyncio.create_task(platform.start(self._handler)))

    async def _start(self) -> None:
        self._terminals = {u.id: self._open(u) for u in (self.manager, self.guest)}

    async def command(self, user: User, text: str) -> None:
        self._terminals[user.id].keyboard.type(text)

    async def reply(self, user: User, thread: ThreadRef, text: str) -> None:
        self._terminals[user.id].keyboard.type(f"reply {thread.id} {text}")

    async def mention(self, user: User, text: str) -> None:
        self._terminals[user.id].keyboard.type(f"@newsbrief {text}")

    async def foreign_thread(self) -> ThreadRef:
        return ThreadRef(self.name, self.channel.id, "999")  # no post has that number

    async def close(self) -> None:
        for t in self._terminals.values():
            await t.platform.stop()
            t.keyboard.eof()  # lets a reader thread still waiting for a line finish
        await asyncio.gather(*(t.task for t in self._terminals.values()))

    async def restart(self) -> None:
        await self.close()
        await self._start()

    @classmethod
    @asynccontextmanager
    async def open(cls, handler: EventHandler, record: Path) -> AsyncIterator[ConsoleHarness]:
        harness = cls(handler, record)
        await harness._start()
        try:
            yield harness
        finally:
            await harness.close()
