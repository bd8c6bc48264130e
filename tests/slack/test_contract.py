"""The platform contract (tests/platform_contract.py), run against the Slack adapter
through the fake Slack, in HTTP mode and in Socket Mode."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.platform_contract import *  # noqa: F403
from tests.platform_contract import Harness, RecordingHandler
from tests.slack.harness import SlackHarness


@pytest.fixture(params=["http", "socket"])
async def harness(
    request: pytest.FixtureRequest, handler: RecordingHandler, tmp_path: Path
) -> AsyncIterator[Harness]:
    async with SlackHarness.open(handler, tmp_path, request.param) as slack:
        yield slack
