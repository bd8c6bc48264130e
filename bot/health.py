"""``/healthz`` (the process answers) and ``/readyz`` (it can do its work) on newsbrief's
HTTP server.

Ready means: the database answers, its schema is at this release's head, and each
configured platform is connected. A platform says so through the readiness hook
below, which the core defines and adapters implement, so the core imports no SDK.
A platform without the hook counts as connected while its ``start`` task runs.
Each answer is JSON listing every check, so an operator sees which one failed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from aiohttp import web
from sqlalchemy import Engine, text

from bot import redact
from bot.server import HttpServer

READY_TIMEOUT_S = 5.0  # a check slower than this fails: a probe must not hang


@dataclass(frozen=True, slots=True)
class Readiness:
    ok: bool
    detail: str


@runtime_checkable
class ReportsReadiness(Protocol):
    """The hook: a platform adapter that can tell whether it is connected right now."""

    async def readiness(self) -> Readiness: ...


Check = Callable[[], Awaitable[Readiness]]


def database_check(engine: Engine) -> Check:
    """The database answers and is migrated to head (an older instance left it behind, or a
    newer one moved it on: either way this instance should not take traffic)."""
    from bot.store.migrate import current_revision, head_revision

    head = head_revision()

    def probe() -> Readiness:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current = current_revision(engine)
        if current != head:
            return Readiness(False, f"schema at {current or 'nothing'}, this release needs {head}")
        return Readiness(True, f"answers, schema at {head}")

    async def check() -> Readiness:
        return await asyncio.to_thread(probe)

    return check


def platform_check(platform: object, task: Callable[[], asyncio.Task[None] | None]) -> Check:
    async def check() -> Readiness:
        if isinstance(platform, ReportsReadiness):
            return await platform.readiness()
        running = task()
        if running is None or running.done():
            return Readiness(False, "not running")
        return Readiness(True, "running")

    return check


class Health:
    """The two routes; ``checks`` may be filled after ``add_routes`` (until the first probe)."""

    def __init__(self) -> None:
        self.checks: dict[str, Check] = {}
        self.started = time.monotonic()

    def add(self, name: str, check: Check) -> None:
        self.checks[name] = check

    def add_routes(self, server: HttpServer) -> None:
        server.add_route("GET", "/healthz", self._healthz)
        server.add_route("GET", "/readyz", self._readyz)

    async def _healthz(self, _: web.Request) -> web.Response:
        return web.json_response(
            {"status": "ok", "uptime_s": round(time.monotonic() - self.started, 1)}
        )

    async def evaluate(self) -> dict[str, Readiness]:
        names: Sequence[str] = list(self.checks)
        results = await asyncio.gather(*(self._run(self.checks[n]) for n in names))
        return dict(zip(names, results, strict=True))

    @staticmethod
    async def _run(check: Check) -> Readiness:
        try:
            return await asyncio.wait_for(check(), READY_TIMEOUT_S)
        except TimeoutError:
            return Readiness(False, f"no answer within {READY_TIMEOUT_S:.0f} s")
        except Exception as exc:
            first = (str(exc).splitlines() or [""])[0][:200]
            return Readiness(False, redact.redact(f"{type(exc).__name__}: {first}"))

    async def _readyz(self, _: web.Request) -> web.Response:
        results = await self.evaluate()
        ready = bool(results) and all(r.ok for r in results.values())
        body = {
            "status": "ready" if ready else "not ready",
            "checks": {n: {"ok": r.ok, "detail": r.detail} for n, r in results.items()},
        }
        return web.json_response(body, status=200 if ready else 503)
