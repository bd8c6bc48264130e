"""The contract every platform adapter passes, written once against the ``Platform`` seam.

An adapter's tests join it in two steps (tests/test_platform_contract.py does it
for the console and ``FakePlatform``)::

    # tests/slack/test_contract.py  (tests/ is a package: tests.slack, never `slack`)
    from tests.platform_contract import *  # noqa: F403  (the tests and their fixtures)

    @pytest.fixture
    async def harness(handler: RecordingHandler, tmp_path: Path) -> AsyncIterator[Harness]:
        async with SlackHarness.open(handler, tmp_path) as h:  # fake server + platform
            yield h

The ``handler`` fixture (defined here) is the real ``Conversation``, with the
``/digest`` commands, on a SQLite store holding the bundled sample articles; it
records every event it finished handling in ``handler.handled``.

The harness protocol (``Harness`` below), implemented with the adapter's fake server:

- ``open`` starts the fake server and the platform with ``handler`` (``platform.start``
  runs as the task ``running``) and yields only when the platform takes events;
  leaving it stops both, also when the test stopped the platform already.
- ``name``, ``channel``: the platform's name and the channel people type in.
- ``manager``, ``guest``: two people the fake server knows; only ``manager`` may
  manage the channel (the adapter must find that out the platform's way).
- ``command(user, "/brief korea")``, ``reply(user, thread, text)``, ``mention(user,
  "korea")`` (the bot named in ``channel``: "@newsbrief korea"): deliver what a
  person typed, the way the platform would (a signed request, a gateway event, a
  line); they may return before the core handled it.
- ``foreign_thread()``: a thread in ``channel`` that the bot did not start.
- ``replies_are_addressed``: whether every ``reply`` is said to the bot (the console's
  ``reply N …``); elsewhere a reply is a person's line in the thread, which the core
  answers only when it asks something.
- ``mention_answers_are_private``: whether the answer to a mention that is no brief
  (help, an error) reaches only its author, as a command's does (Slack's ephemeral
  message, the console); elsewhere (Discord) it is a reply to the mention in the channel.
- ``seen``: a ``Recorder[Seen]`` of what the fake server received, flattened to
  text: public posts (with the ``ThreadRef`` the adapter returned for them),
  replies in threads, and messages only one person sees. Wait on it with
  ``await harness.seen.wait_for(predicate)``, never with sleeps.
- ``platform``: the running ``Platform`` instance, for calls the core makes on its
  own (a digest's ``post(..., key=)``, ``find_post``).
- ``restart()``: stop the platform and start a new instance on the same fake server
  and store (what a redeploy does).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

import pytest

from bot.chat.conversation import Conversation
from bot.chat.messages import (
    ChannelRef,
    CommandEvent,
    MentionEvent,
    Post,
    ThreadRef,
    ThreadReplyEvent,
    User,
)
from bot.chat.platform import Platform
from bot.news.ingest import Ingester
from bot.store import Store
from digests.commands import DigestCommands
from digests.delivery import DigestDelivery
from tests.fakes.recording import Handled, Recorder, Seen

__all__ = [
    "Handled",
    "Harness",
    "Recorder",
    "RecordingHandler",
    "Seen",
    "contract_store",
    "handler",
    "test_a_brief_posts_publicly_and_anchors_a_thread",
    "test_a_mention_in_the_channel_is_a_brief",
    "test_a_reply_in_a_foreign_thread_is_ignored",
    "test_a_reply_in_the_thread_is_answered_there",
    "test_chatter_in_the_thread_is_left_to_the_people",
    "test_find_post_finds_a_keyed_post_after_a_restart",
    "test_manager_only_commands_are_refused_to_others",
    "test_respond_reaches_only_the_asker",
    "test_stop_is_clean",
]

KEY = "newsbrief-digest:1:2026-11-23T07:30"


class Harness(Protocol):
    """One adapter under test, driven through its fake server (see the module docstring)."""

    name: str
    channel: ChannelRef
    manager: User
    guest: User
    seen: Recorder[Seen]
    replies_are_addressed: bool
    mention_answers_are_private: bool

    @property
    def platform(self) -> Platform: ...

    @property
    def running(self) -> asyncio.Task[None]: ...

    async def command(self, user: User, text: str) -> None: ...

    async def reply(self, user: User, thread: ThreadRef, text: str) -> None: ...

    async def mention(self, user: User, text: str) -> None: ...

    async def foreign_thread(self) -> ThreadRef: ...

    async def restart(self) -> None: ...


class RecordingHandler:
    """The core's ``Conversation``, recording each event it finished handling."""

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.store = conversation.store
        self.handled: Recorder[Handled] = Recorder()

    async def on_command(self, platform: Platform, event: CommandEvent) -> None:
        await self.conversation.on_command(platform, event)
        self.handled.add(Handled(event))

    async def on_thread_reply(self, platform: Platform, event: ThreadReplyEvent) -> bool:
        ours = await self.conversation.on_thread_reply(platform, event)
        self.handled.add(Handled(event, ours))
        return ours

    async def on_mention(self, platform: Platform, event: MentionEvent) -> None:
        await self.conversation.on_mention(platform, event)
        self.handled.add(Handled(event))


@pytest.fixture
async def contract_store(tmp_path: Path) -> AsyncIterator[Store]:
    store = Store.open(f"sqlite:///{tmp_path / 'contract.db'}")
    try:
        await Ingester(store, None).ingest_sample()
        yield store
    finally:
        store.close()


@pytest.fixture
def handler(contract_store: Store) -> RecordingHandler:
    conversation = Conversation(contract_store)
    delivery = DigestDelivery(contract_store, {})
    conversation.commands["digest"] = DigestCommands(contract_store, delivery)
    return RecordingHandler(conversation)


async def _brief(h: Harness, handler: RecordingHandler, topic: str = "korea") -> Seen:
    """Post a brief as the manager; returns once the core has remembered its thread."""
    await h.command(h.manager, f"/brief {topic}")
    post = await h.seen.wait_for(lambda s: s.where == "channel" and f"Brief: {topic}" in s.text)
    await handler.handled.wait_for(lambda x: getattr(x.event, "text", None) == topic)
    return post


def _thread_of(seen: Seen) -> ThreadRef:
    assert seen.thread is not None, seen
    return seen.thread


# ------------------------------------------------------------------ the contract


async def test_a_brief_posts_publicly_and_anchors_a_thread(
    harness: Harness, handler: RecordingHandler
) -> None:
    post = await _brief(harness, handler)
    assert "Trump Teases Another Sit-Down With Kim Jong-un" in post.text
    thread = _thread_of(post)
    assert thread.platform == harness.name and thread.channel_id == harness.channel.id
    # The core remembered the thread under the very reference the adapter gave back.
    remembered = await asyncio.to_thread(handler.store.threads.get, thread)
    assert remembered is not None and remembered[0] == "brief" and remembered[2]
    assert not harness.seen.matching(lambda s: s.where != "channel" and "Brief: korea" in s.text)


async def test_a_mention_in_the_channel_is_a_brief(
    harness: Harness, handler: RecordingHandler
) -> None:
    await harness.mention(harness.guest, "korea")
    post = await harness.seen.wait_for(lambda s: s.where == "channel" and "Brief: korea" in s.text)
    assert "Trump Teases Another Sit-Down With Kim Jong-un" in post.text
    thread = _thread_of(post)
    await handler.handled.wait_for(lambda x: getattr(x.event, "text", None) == "korea")
    await harness.reply(harness.guest, thread, "what did Kim's sister say?")
    answer = await harness.seen.wait_for(lambda s: s.where == "thread")
    assert answer.thread == thread and "no will to improve relations" in answer.text
    # The bare name is asking how to use it; a change to the channel is a slash command's,
    # where the platform says who manages it, never a mention's.
    await harness.mention(harness.guest, "")
    help_ = await harness.seen.wait_for(lambda s: "/brief TOPIC" in s.text)
    await harness.mention(harness.manager, "digest subscribe korea at 07:30 Asia/Seoul")
    refused = await harness.seen.wait_for(lambda s: "as a command: /digest subscribe" in s.text)
    assert await asyncio.to_thread(handler.store.outbox.subscriptions) == []
    for shown, user in ((help_, harness.guest), (refused, harness.manager)):
        if harness.mention_answers_are_private:
            assert shown.where == "user" and shown.user_id == user.id, shown
        else:
            assert shown.where == "channel", shown
    briefs = harness.seen.matching(lambda s: "Brief: korea" in s.text)
    assert len(briefs) == 1  # Slack delivers a mention twice (message, app_mention): once


async def test_a_reply_in_the_thread_is_answered_there(
    harness: Harness, handler: RecordingHandler
) -> None:
    thread = _thread_of(await _brief(harness, handler))
    await harness.reply(harness.guest, thread, "what did Kim's sister say?")
    answer = await harness.seen.wait_for(lambda s: s.where == "thread")
    assert answer.thread == thread
    assert "no will to improve relations" in answer.text


async def test_a_reply_in_a_foreign_thread_is_ignored(
    harness: Harness, handler: RecordingHandler
) -> None:
    thread = _thread_of(await _brief(harness, handler))
    foreign = await harness.foreign_thread()
    assert foreign != thread
    await harness.reply(harness.manager, foreign, "what did Kim's sister say?")
    # The core is asked and says "not ours"; the adapter must then stay quiet there.
    handled = await handler.handled.wait_for(lambda x: getattr(x.event, "thread", None) == foreign)
    assert handled.ours is False
    # A question in our thread afterwards is answered, and nothing ever went to the foreign one.
    await harness.reply(harness.manager, thread, "what did Kim's sister say?")
    await harness.seen.wait_for(lambda s: s.where == "thread" and s.thread == thread)
    assert not harness.seen.matching(lambda s: s.thread == foreign)
    answers = harness.seen.matching(lambda s: "no will to improve relations" in s.text)
    assert [a.thread for a in answers] == [thread]


async def test_chatter_in_the_thread_is_left_to_the_people(
    harness: Harness, handler: RecordingHandler
) -> None:
    thread = _thread_of(await _brief(harness, handler))
    await harness.reply(harness.guest, thread, "thanks, great read!")
    handled = await handler.handled.wait_for(
        lambda x: getattr(x.event, "text", "").startswith("thanks")
    )
    assert handled.ours is True  # our thread, and nothing to answer there (also if to us)
    # Talk that is not thanks is answered only when it is said to the bot.
    await harness.reply(harness.guest, thread, "sharing this with the team")
    await handler.handled.wait_for(lambda x: getattr(x.event, "text", "").startswith("sharing"))
    # A question without its question mark is still one.
    await harness.reply(harness.guest, thread, "what did Kim's sister say")
    await harness.seen.wait_for(lambda s: "no will to improve relations" in s.text)
    in_thread = harness.seen.matching(lambda s: s.where == "thread")
    assert len(in_thread) == (2 if harness.replies_are_addressed else 1)


async def test_respond_reaches_only_the_asker(harness: Harness) -> None:
    await harness.command(harness.guest, "/help")
    help_ = await harness.seen.wait_for(lambda s: "/brief TOPIC" in s.text)
    assert help_.where == "user" and help_.user_id == harness.guest.id
    await harness.command(harness.manager, "/brief")  # no topic: an error, to the asker only
    error = await harness.seen.wait_for(lambda s: "Tell me what the brief is about" in s.text)
    assert error.where == "user" and error.user_id == harness.manager.id
    everyone = harness.seen.matching(lambda s: s.where != "user")
    assert everyone == [], everyone
    assert len(harness.seen.matching(lambda s: "/brief TOPIC" in s.text)) == 1


async def test_find_post_finds_a_keyed_post_after_a_restart(
    harness: Harness, handler: RecordingHandler
) -> None:
    before = _thread_of(await _brief(harness, handler, "strike"))
    ref = await harness.platform.post(
        harness.channel, Post(kind="digest", title="Digest: keyed"), key=KEY
    )
    shown = await harness.seen.wait_for(lambda s: "Digest: keyed" in s.text)
    assert shown.where == "channel" and shown.thread == ref
    assert await harness.platform.find_post(harness.channel, KEY) == ref
    await harness.restart()
    assert await harness.platform.find_post(harness.channel, KEY) == ref
    assert await harness.platform.find_post(harness.channel, KEY + "-other") is None
    # A thread from before the restart still takes questions.
    await harness.reply(harness.guest, before, "how many dockworkers walked out?")
    answer = await harness.seen.wait_for(lambda s: s.where == "thread")
    assert answer.thread == before and "3,600" in answer.text


async def test_manager_only_commands_are_refused_to_others(
    harness: Harness, handler: RecordingHandler
) -> None:
    await harness.command(harness.guest, "/digest subscribe korea at 07:30 Asia/Seoul")
    refused = await harness.seen.wait_for(lambda s: "Only people who manage" in s.text)
    assert refused.where == "user" and refused.user_id == harness.guest.id
    assert await asyncio.to_thread(handler.store.outbox.subscriptions) == []
    await harness.command(harness.manager, "/digest subscribe korea at 07:30 Asia/Seoul")
    done = await harness.seen.wait_for(lambda s: "Subscribed (#1)" in s.text)
    assert done.where == "user" and done.user_id == harness.manager.id
    [sub] = await asyncio.to_thread(handler.store.outbox.subscriptions)
    assert (sub.platform, sub.channel_id) == (harness.name, harness.channel.id)
    assert sub.created_by == harness.manager.id
    await harness.command(harness.guest, "/digest now")
    await handler.handled.wait_for(
        lambda x: x.event.user == harness.guest and getattr(x.event, "text", "") == "now"
    )
    assert not harness.seen.matching(lambda s: s.where == "channel")
    assert len(harness.seen.matching(lambda s: "Only people who manage" in s.text)) == 2


async def test_stop_is_clean(harness: Harness, handler: RecordingHandler) -> None:
    await _brief(harness, handler)
    await harness.platform.stop()
    await asyncio.wait_for(harness.running, timeout=20)  # start() returns: no hang, no error
    assert harness.running.exception() is None
    await harness.platform.stop()  # twice is fine
