"""Fixtures of the Slack tests: a started fake Slack with one workspace, a channel the
bot is in, an admin and a member."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.slack.fake_slack import FakeSlack
from tests.slack.rig import ADMIN, CHANNEL, MEMBER, TEAM


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    slack = FakeSlack()
    slack.add_workspace(TEAM, "Daily Planet")
    slack.add_channel(CHANNEL, TEAM)
    slack.add_user(ADMIN, TEAM, "perry", admin=True)
    slack.add_user(MEMBER, TEAM, "lois")
    await slack.start()
    try:
        yield slack
    finally:
        await slack.close()
