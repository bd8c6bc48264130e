"""newsbrief's own HTTP server: one aiohttp app that adapters add routes to.

The core knows no platform: adapters register their paths (Slack: events and
OAuth) before ``start``, and health and metrics will be added the same way.
aiohttp freezes an application's routes when it starts, so a late registration
is a programming error, said plainly rather than lost.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.errors import NewsbriefError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are a few KB; nothing here takes uploads


LISTEN_BACKLOG = 1024


class HttpServer:
    """Routes first, then ``start``; ``stop`` lets requests in flight finish."""

    def __init__(self, host: str = "127.0.0.1", port: int = 3000) -> None:
        self.host = host
        self._port = port
        self.app = web.Application(client_max_size=MAX_BODY_BYTES)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    def add_route(self, method: str, path: str, handler: Handler) -> None:
        if self._runner is not None:
            raise RuntimeError(f"route {method} {path} added after the HTTP server started")
        self.app.router.add_route(method, path, handler)

    @property
    def routes(self) -> list[str]:
        return [
            f"{r.method} {r.resource.canonical}"
            for r in self.app.router.routes()
            if r.resource is not None
        ]

    @property
    def has_routes(self) -> bool:
        return bool(self.routes)

    @property
    def port(self) -> int:
        """The bound port: the real one after ``start`` when 0 (any free port) was asked."""
        if self._site is not None and self._runner is not None:
            for address in self._runner.addresses:
                if isinstance(address, tuple):
                    return int(address[1])
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        # aiohttp's default listen backlog (128) drops connections in a burst of
        # slash commands, and a dropped SYN is retried only after 1 s.
        self._site = web.TCPSite(self._runner, self.host, self._port, backlog=LISTEN_BACKLOG)
        try:
            await self._site.start()
        except (OSError, OverflowError) as exc:  # in use, no such address, out of range
            await self._runner.cleanup()
            self._runner = self._site = None
            raise NewsbriefError(
                f"cannot listen on {self.host}:{self._port} (NEWSBRIEF_HTTP_HOST, "
                f"NEWSBRIEF_HTTP_PORT): {getattr(exc, 'strerror', None) or exc}"
            ) from None
        log.info("HTTP server listening on %s (%s)", self.url, ", ".join(self.routes))

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()  # closes the socket, waits for handlers in flight
            self._runner = None
            self._site = None
