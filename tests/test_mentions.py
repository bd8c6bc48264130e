"""The bot named in a channel ("@newsbrief korea"): read as a brief or as help, never as a
change to the channel (the platform contract checks the delivery on every adapter)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.chat.conversation import NOT_IN_A_THREAD, Conversation
from bot.chat.mentions import Mention, read_mention
from bot.chat.messages import Post
from bot.news.ingest import Ingester
from bot.store import Store
from digests.commands import DigestCommands
from digests.delivery import DigestDelivery
from tests.fakes.platform import GUEST, MANAGER, FakePlatform


@pytest.fixture
async def fake(tmp_path: Path) -> AsyncIterator[FakePlatform]:
    store = Store.open(f"sqlite:///{tmp_path / 'mentions.db'}")
    try:
        await Ingester(store, None).ingest_sample()
        conversation = Conversation(store)
        conversation.commands["digest"] = DigestCommands(store, DigestDelivery(store, {}))
        yield FakePlatform(handler=conversation)
    finally:
        store.close()


def _said(fake: FakePlatform) -> list[tuple[str, Post]]:
    return [(s.where, s.post) for s in fake.workspace.sent.items]


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("korea", "Brief: korea"),
        ("brief korea", "Brief: korea"),
        ("Brief  north korea 7d", "Brief: north korea"),
        ("/brief strike", "Brief: strike"),
    ],
)
async def test_a_topic_is_a_public_brief_with_its_thread(
    fake: FakePlatform, text: str, title: str
) -> None:
    await fake.mention(GUEST, text)
    [(where, post)] = _said(fake)
    assert where == "channel" and post.title.startswith(title) and post.article_ids


@pytest.mark.parametrize("text", ["", "help", "hi", "Hello!", "hey"])
async def test_the_bare_name_or_a_greeting_gets_the_help_privately(
    fake: FakePlatform, text: str
) -> None:
    await fake.mention(GUEST, text)
    [(where, post)] = _said(fake)
    assert where == "user" and post.kind == "help" and "/brief TOPIC" in (post.text or "")


@pytest.mark.parametrize("text", ["thanks!", "Thank you", "ok, thx", "thanks a lot!", "👍", "🙏"])
async def test_thanks_need_no_answer(fake: FakePlatform, text: str) -> None:
    await fake.mention(GUEST, text)
    assert _said(fake) == []


async def test_a_question_outside_a_thread_says_where_questions_go(fake: FakePlatform) -> None:
    await fake.mention(GUEST, "what did Kim's sister say?")
    [(where, post)] = _said(fake)
    assert where == "user" and post.kind == "error" and post.text == NOT_IN_A_THREAD


@pytest.mark.parametrize(
    "text", ["digest subscribe korea at 07:30 Asia/Seoul", "digest now", "/digest list"]
)
async def test_channel_commands_are_not_run_from_a_mention(fake: FakePlatform, text: str) -> None:
    await fake.mention(MANAGER, text)  # even a manager's: the slash command checks who manages
    [(where, post)] = _said(fake)
    assert where == "user" and (post.text or "").startswith("Type that as a command: /digest")
    assert fake.handler.store.outbox.subscriptions() == []  # type: ignore[attr-defined]


async def test_a_bad_topic_is_a_private_error(fake: FakePlatform) -> None:
    await fake.mention(GUEST, "x" * 500)
    [(where, post)] = _said(fake)
    assert where == "user" and post.kind == "error" and "too long" in (post.text or "")


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("korea 7d", Mention("brief", "korea 7d")),
        ("korea last week", Mention("brief", "korea last week")),
        ("what's new on korea?", Mention("brief", "korea")),
        ("anything about the port strike", Mention("brief", "the port strike")),
        ("tell me about korea", Mention("brief", "korea")),
        ("korea?", Mention("brief", "korea")),
        ("korea @U0OTHER", Mention("brief", "korea")),  # another person named too
        ("help me", Mention("help")),
        ("help?", Mention("help")),
        ("hello?", Mention("help")),
        ("good morning", Mention("help")),
        ("great, thanks!", Mention("nothing")),
        ("ok", Mention("nothing")),
        ("ok, what's new on korea?", Mention("brief", "korea")),
        ("thank you so much", Mention("nothing")),
        ("what did Kim's sister say?", Mention("elsewhere")),
        ("did the strike end?", Mention("elsewhere")),
        ("digest list", Mention("command", "digest list")),
        ("/feeds add https://x.example/rss", Mention("command", "feeds add https://x.example/rss")),
    ],
)
def test_what_a_mention_asks_for(text: str, wanted: Mention) -> None:
    assert read_mention(text, {"brief", "help", "digest", "feeds"}) == wanted


async def test_a_brief_asked_in_words_has_its_span(fake: FakePlatform) -> None:
    await fake.mention(GUEST, "what's new on korea the last week?")
    [(where, post)] = _said(fake)
    assert where == "channel" and post.title == "Brief: korea (last 7 days)"
