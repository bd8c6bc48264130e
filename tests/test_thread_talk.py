"""A brief's thread is also where the team talks: only what asks something, or is said
to the bot, gets an answer (the platform contract checks the same on every adapter)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.chat.conversation import Conversation
from bot.chat.messages import ThreadRef
from bot.news.ingest import Ingester
from bot.store import Store
from tests.fakes.platform import GUEST, MANAGER, FakePlatform


@pytest.fixture
async def fake(tmp_path: Path) -> AsyncIterator[FakePlatform]:
    store = Store.open(f"sqlite:///{tmp_path / 'talk.db'}")
    try:
        await Ingester(store, None).ingest_sample()
        yield FakePlatform(handler=Conversation(store))
    finally:
        store.close()


async def _thread(fake: FakePlatform) -> ThreadRef:
    await fake.command(MANAGER, "/brief korea")
    (sent,) = [s for s in fake.workspace.sent.items if s.where == "channel"]
    assert sent.thread is not None
    return sent.thread


async def test_talk_goes_unanswered_and_questions_do_not(fake: FakePlatform) -> None:
    thread = await _thread(fake)
    for talk in ["thanks, great read!", "@sam have a look", "lol", "x" * 2_000]:
        assert await fake.thread_reply(GUEST, thread, talk)  # our thread: handled, silently
    assert fake.workspace.posts("thread") == []
    assert await fake.thread_reply(GUEST, thread, "what did Kim's sister say")
    (answer,) = fake.workspace.posts("thread")
    assert "no will to improve relations" in (answer.text or "")


async def test_said_to_the_bot_it_is_answered_whatever_its_form(fake: FakePlatform) -> None:
    thread = await _thread(fake)
    for talk in ("thanks!", "thank you so much 🙏", "👍"):  # to us, and nothing to answer
        assert await fake.thread_reply(GUEST, thread, talk, addressed=True)
    assert fake.workspace.posts("thread") == []
    assert await fake.thread_reply(GUEST, thread, "sharing this with the team", addressed=True)
    (unsure,) = fake.workspace.posts("thread")
    assert "I don't know" in (unsure.text or "")
    # Too long: said to the bot, or ending in "?", it is told so; as talk it is left alone.
    assert await fake.thread_reply(GUEST, thread, "why " * 300, addressed=True)
    assert await fake.thread_reply(GUEST, thread, "why " * 300 + "?")
    told = fake.workspace.posts("thread")[1:]
    assert len(told) == 2 and all("too long" in (p.text or "") for p in told)
