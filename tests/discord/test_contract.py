"""The platform contract (tests/platform_contract.py), run for Discord through the FakeDiscord."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.discord.harness import DiscordHarness
from tests.platform_contract import *  # noqa: F403
from tests.platform_contract import Harness, RecordingHandler


@pytest.fixture
async def harness(handler: RecordingHandler) -> AsyncIterator[Harness]:
    async with DiscordHarness.open(handler, handler.store) as h:
        yield h
