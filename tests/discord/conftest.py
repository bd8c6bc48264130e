"""Fixtures for the Discord adapter's tests: a store with the sample news, the core, a rig."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.chat.conversation import Conversation
from bot.news.ingest import Ingester
from bot.store import Store
from digests.commands import DigestCommands
from digests.delivery import DigestDelivery
from tests.discord.rig import DiscordRig


@pytest.fixture
async def news(tmp_path: Path) -> AsyncIterator[Store]:
    """A SQLite store holding the bundled sample articles (Korea summit, port strike…)."""
    store = Store.open(f"sqlite:///{tmp_path / 'discord.db'}")
    try:
        await Ingester(store, None).ingest_sample()
        yield store
    finally:
        store.close()


@pytest.fixture
def conversation(news: Store) -> Conversation:
    conversation = Conversation(news)
    conversation.commands["digest"] = DigestCommands(news, DigestDelivery(news, {}))
    return conversation


@pytest.fixture
async def rig(news: Store, conversation: Conversation) -> AsyncIterator[DiscordRig]:
    async with DiscordRig.open(news, conversation) as r:
        yield r
