"""The platform contract, run against the console adapter and the in-memory FakePlatform."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.console import ConsoleHarness
from tests.fakes.platform import FakeHarness
from tests.platform_contract import *  # noqa: F403
from tests.platform_contract import Harness, RecordingHandler


@pytest.fixture(params=["console", "fake"])
async def harness(
    request: pytest.FixtureRequest, handler: RecordingHandler, tmp_path: Path
) -> AsyncIterator[Harness]:
    if request.param == "console":
        async with ConsoleHarness.open(handler, tmp_path / "posts.jsonl") as console:
            yield console
    else:
        async with FakeHarness.open(handler) as fake:
            yield fake
