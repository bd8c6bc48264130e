"""A background loop through a database outage: one traceback, then one line a failure
with a growing wait, then one line when it works again (the fault is injected)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.news.ingest import Ingester
from bot.outages import Outage
from bot.poller import FeedPoller
from bot.store import Store
from tests.fakes.recording import Recorder


def _traceback(record: logging.LogRecord) -> bool:
    """Whether the record carries its traceback (bot.redact may have turned it to text)."""
    return bool(record.exc_info or record.exc_text)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_wait_doubles_to_a_minute_and_one_traceback_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    outage = Outage(logging.getLogger("t"), "polling feeds", first=1.0, clock=clock)
    caplog.set_level(logging.WARNING, "t")
    waits = []
    for _ in range(9):
        waits.append(outage.failed(ConnectionError("connection refused\n(detail)")))
        assert outage.waiting()
        clock.now += waits[-1]
        assert not outage.waiting()
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    first, *again = caplog.records
    assert first.levelno == logging.ERROR and _traceback(first)
    assert all(r.levelno == logging.WARNING and not _traceback(r) for r in again)
    assert "failed again (9 in a row, connection refused)" in again[-1].getMessage()
    outage.recovered()
    assert "works again, after 9 failures over 243 s" in caplog.records[-1].getMessage()
    outage.recovered()  # said once
    assert len(caplog.records) == 10
    assert outage.failed(ConnectionError("x")) == 1  # a new outage starts over


async def test_the_poller_waits_out_a_database_outage(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'out.db'}")
    try:
        poller = FeedPoller(
            store, Ingester(store, None), holder="h", interval=900, lease=60, idle=0.01
        )
        tries: Recorder[int] = Recorder()
        real = poller.poll_once

        async def flaky() -> int:  # the database away for three passes, then back
            tries.add(len(tries.items))
            if len(tries.items) <= 3:
                raise ConnectionError("connection refused")
            return await real()

        poller.poll_once = flaky  # type: ignore[method-assign]
        caplog.set_level(logging.WARNING, "bot.poller")
        stop = asyncio.Event()
        running = asyncio.create_task(poller.run(stop))
        await tries.wait_for(lambda _: len(tries.items) >= 5)
        stop.set()
        await running
    finally:
        store.close()
    said = [r.getMessage() for r in caplog.records]
    assert said[0] == "polling feeds failed; trying again in 0 s"
    assert [s.split(";")[0] for s in said[1:3]] == [
        "polling feeds failed again (2 in a row, connection refused)",
        "polling feeds failed again (3 in a row, connection refused)",
    ]
    assert said[3].startswith("polling feeds works again, after 3 failures")
    assert len(said) == 4 and _traceback(caplog.records[0])
