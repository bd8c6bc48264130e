"""/healthz, /readyz and /metrics on newsbrief's HTTP server (in process), the metered
event handler, and JSON log lines without secrets."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot import logs, metrics, redact
from bot.chat.conversation import Conversation
from bot.health import Health, Readiness, database_check, platform_check
from bot.server import HttpServer
from bot.store import Store, create_store_engine
from tests.fakes.platform import GUEST, FakePlatform


class Flaky:
    """A platform with the readiness hook, connected or not."""

    name = "flaky"

    def __init__(self) -> None:
        self.connected = False

    async def readiness(self) -> Readiness:
        return Readiness(self.connected, "connected" if self.connected else "reconnecting")


@pytest.fixture
async def served(store: Store) -> AsyncIterator[tuple[str, Health, Flaky]]:
    server = HttpServer("127.0.0.1", 0)
    health = Health()
    flaky = Flaky()
    health.add("database", database_check(store.engine))
    health.add("flaky", platform_check(flaky, lambda: None))
    health.add_routes(server)
    metrics.add_routes(server)
    await server.start()
    try:
        yield server.url, health, flaky
    finally:
        await server.stop()


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as r:
        return r.status, await r.text()


async def test_ready_only_when_every_check_passes(
    served: tuple[str, Health, Flaky],
) -> None:
    url, _, flaky = served
    assert (await get(url + "/healthz"))[0] == 200
    status, body = await get(url + "/readyz")
    checks = json.loads(body)["checks"]
    assert status == 503 and checks["flaky"] == {"ok": False, "detail": "reconnecting"}
    assert checks["database"]["ok"]
    flaky.connected = True
    status, body = await get(url + "/readyz")
    assert status == 200 and json.loads(body)["status"] == "ready"


async def test_a_database_behind_head_is_not_ready(tmp_path: object) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path}/empty.db")  # never migrated
    try:
        result = await database_check(engine)()
    finally:
        engine.dispose()
    assert not result.ok and "schema at nothing" in result.detail


async def test_a_platform_without_the_hook_is_ready_while_it_runs() -> None:
    never = asyncio.Event()
    task = asyncio.create_task(never.wait())
    check = platform_check(object(), lambda: task)  # type: ignore[arg-type, return-value]
    assert (await check()).ok
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert not (await check()).ok


async def test_metrics_count_commands_answers_and_read_the_database(
    served: tuple[str, Health, Flaky], store: Store
) -> None:
    url, _, _ = served
    metrics.set_probe("newsbrief_test_probe", "a probe", lambda: 7)
    conversation = Conversation(store)
    fake = FakePlatform(handler=metrics.MeteredHandler(conversation))
    before = metrics.value("newsbrief_commands_total", {"platform": "fake", "command": "help"})
    unknown = metrics.value("newsbrief_commands_total", {"platform": "fake", "command": "unknown"})
    await fake.command(GUEST, "/help")
    await fake.command(GUEST, "/no-such-thing-typed-by-a-user")
    labels = {"platform": "fake", "command": "help"}
    assert metrics.value("newsbrief_commands_total", labels) == before + 1
    labels["command"] = "unknown"  # a typo is counted, never turned into a label
    assert metrics.value("newsbrief_commands_total", labels) == unknown + 1
    status, body = await get(url + "/metrics")
    assert status == 200
    assert "newsbrief_test_probe 7.0" in body
    names = ["newsbrief_feed_polls_total", "newsbrief_command_seconds_bucket"]
    names += ["newsbrief_leader", "newsbrief_lease_held", "process_cpu_seconds_total"]
    for name in names:
        assert name in body, name


def test_json_log_lines_carry_no_secret() -> None:
    redact.install(["s3cret-token-value"])
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    log = logging.getLogger("test.ops.json")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("token is %s", "s3cret-token-value", extra={"feed": 3})
        try:
            raise RuntimeError("failed with s3cret-token-value")
        except RuntimeError:
            log.exception("boom")
    finally:
        log.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["level"] == "warning" and first["feed"] == 3
    assert first["message"] == "token is [redacted]"
    assert "RuntimeError" in second["exception"]
    assert "s3cret-token-value" not in stream.getvalue()
