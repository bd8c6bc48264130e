"""A send queue per channel: about one message a second, in order.

Slack allows roughly one ``chat.postMessage`` per second per channel and answers
bursts with 429. Holding a per-channel lock while a message is sent keeps a
brief's continuations and its answers in order; the pause after each send keeps
the rate. Other channels never wait for this one. A lock and a time per channel
the bot has posted in is all it keeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class ChannelPacer:
    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._locks: dict[str, asyncio.Lock] = {}
        self._next: dict[str, float] = {}

    @asynccontextmanager
    async def turn(self, channel: str) -> AsyncIterator[None]:
        """Wait for this channel's turn; the next message may go ``interval`` after this one."""
        loop = asyncio.get_running_loop()
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            wait = self._next.get(channel, 0.0) - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._next[channel] = loop.time() + self.interval
