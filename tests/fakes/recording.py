"""What people saw on a platform, recorded by its fake server, and waiting on it.

Every harness of ``tests/platform_contract.py`` records what its fake server
received as ``Seen`` items in a ``Recorder``; tests wait on the recorder instead
of sleeping. ``add`` may be called from any thread (a fake server's thread, an
executor), ``wait_for`` from the test's event loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from bot.chat.messages import CommandEvent, MentionEvent, ThreadRef, ThreadReplyEvent

T = TypeVar("T")

Where = Literal["channel", "thread", "user"]


@dataclass(frozen=True, slots=True)
class Seen:
    """One message as people see it.

    ``where`` is "channel" for a public post (``thread`` is the thread it anchors,
    the same ``ThreadRef`` the adapter's ``post`` returned), "thread" for a reply
    inside ``thread``, and "user" for a message only ``user_id`` can see.
    """

    where: Where
    text: str  # everything the platform shows, flattened to plain text
    thread: ThreadRef | None = None
    user_id: str | None = None


@dataclass(frozen=True, slots=True)
class Handled:
    """An event the core finished handling; ``ours`` is ``on_thread_reply``'s answer."""

    event: CommandEvent | ThreadReplyEvent | MentionEvent
    ours: bool | None = None  # None for commands and mentions


class Recorder(Generic[T]):
    """An append-only list that can be waited on."""

    def __init__(self) -> None:
        self._items: list[T] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None

    @property
    def items(self) -> list[T]:
        with self._lock:
            return list(self._items)

    def matching(self, predicate: Callable[[T], bool]) -> list[T]:
        return [item for item in self.items if predicate(item)]

    def add(self, item: T) -> None:
        with self._lock:
            self._items.append(item)
            loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._notify()
        else:
            loop.call_soon_threadsafe(self._notify)

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = asyncio.Event()

    async def wait_for(self, predicate: Callable[[T], bool], *, timeout: float = 20.0) -> T:
        """The first item matching ``predicate``, recorded already or yet to come."""
        with self._lock:
            self._loop = asyncio.get_running_loop()
        if self._changed is None:
            self._changed = asyncio.Event()
        try:
            async with asyncio.timeout(timeout):
                while True:
                    changed = self._changed
                    for item in self.items:
                        if predicate(item):
                            return item
                    await changed.wait()
        except TimeoutError:
            raise AssertionError(
                f"nothing matched within {timeout} s; recorded: {self.items!r}"
            ) from None
