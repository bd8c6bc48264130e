"""Slash commands end to end: discord.py against the FakeDiscord, the real core behind it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from functools import partial

from discord import Permissions

from bot.chat.conversation import Conversation
from bot.chat.feeds_commands import FeedCommands
from bot.chat.messages import CommandEvent, MentionEvent, ThreadRef, ThreadReplyEvent
from bot.chat.platform import Platform
from bot.nlp.analyze import analyze
from bot.store import ArticleRecord, FeedState, Store
from bot.store.records import analysis_payload
from bot.store.sources import Via, workspace_key
from tests.discord.fake import Ack, Visible
from tests.discord.fake.rest import EPHEMERAL
from tests.discord.rig import DiscordRig
from tests.platform_contract import RecordingHandler

KOREA_URL = "https://sample.newsbrief.invalid/korea-summit"


def private_to(rig: DiscordRig, user_id: int) -> list[Visible]:
    return rig.said(lambda v: v.where == "user" and v.user_id == user_id)


async def test_brief_is_deferred_in_time_then_posted_with_its_thread(rig: DiscordRig) -> None:
    state = await rig.fake.slash(rig.manager, rig.channel, "brief", topic="korea")
    post = await rig.seen(lambda v: v.where == "channel" and "Brief: korea" in v.text)
    [ack] = rig.fake.acks.matching(lambda a: a.interaction_id == state["id"])
    assert ack.kind == 5 and ack.ephemeral  # deferred: "thinking…" for the asker only
    assert ack.delay < 3.0  # on the fake's clock
    embed = post.message["embeds"][0]
    assert embed["title"] == "Trump Teases Another Sit-Down With Kim Jong-un"
    assert embed["url"] == KOREA_URL
    assert "“I look forward to seeing him" in embed["description"]
    assert "— **Trump**" in embed["description"]
    # The thread starts from the brief and has its id; the core remembers it.
    mid = int(post.message["id"])
    thread = await rig.thread_of(post)
    assert thread.parent_id == rig.channel.id and thread.name == "Brief: korea"
    # Once done, the deferred "thinking…" is gone, and nothing was said to anyone else.
    await rig.finished(state)
    assert state["original"].get("_deleted") and private_to(rig, rig.manager.id) == []
    ref = ThreadRef("discord", str(rig.channel.id), str(mid))
    remembered = await asyncio.to_thread(rig.store.threads.get, ref)
    assert remembered is not None and remembered.kind == "brief"
    assert post.message["nonce"] and "allowed_mentions" not in post.message
    sends = rig.fake.calls.matching(lambda c: c.path.endswith(f"{rig.channel.id}/messages"))
    assert [c.body["allowed_mentions"] for c in sends] == [{"parse": []}]


async def test_question_in_the_thread_is_answered_there_with_its_source(rig: DiscordRig) -> None:
    thread = await rig.thread_of(await rig.brief())
    await rig.fake.say(rig.guest, thread, "what did Kim's sister say?")
    answer = await rig.seen(lambda v: v.where == "thread")
    assert answer.channel_id == thread.id
    assert "no will to improve relations" in answer.text
    assert KOREA_URL in answer.text  # cited


async def test_a_line_said_to_the_bot_is_answered_though_it_asks_nothing(
    rig: DiscordRig,
) -> None:
    thread = await rig.thread_of(await rig.brief())
    await rig.fake.say(rig.guest, thread, f"<@{rig.fake.world.bot.id}> Kim's sister's words")
    answer = await rig.seen(lambda v: v.where == "thread")
    assert "no will to improve relations" in answer.text


async def test_a_discord_reply_to_the_brief_is_answered_in_its_thread(rig: DiscordRig) -> None:
    post = await rig.brief()
    await rig.fake.say(rig.guest, rig.channel, "what did Kim's sister say?", reply_to=post.message)
    answer = await rig.seen(lambda v: v.where == "thread")
    assert answer.channel_id == int(post.message["id"])
    assert "no will to improve relations" in answer.text


async def test_a_thread_unknown_after_a_restart_is_looked_up(rig: DiscordRig) -> None:
    """Archived threads are not in GUILD_CREATE: the bot asks for the channel, once."""
    thread = await rig.thread_of(await rig.brief())
    rig.fake.world.active_threads = False
    await rig.restart()
    await rig.fake.say(rig.guest, thread, "what did Kim's sister say?")
    answer = await rig.seen(lambda v: v.where == "thread")
    assert "no will to improve relations" in answer.text
    await rig.fake.say(rig.guest, thread, "why did the talks end?")
    await rig.fake.visible.wait_for(lambda _: len(rig.said(lambda v: v.where == "thread")) >= 2)
    lookups = rig.fake.calls.matching(lambda c: c.path == f"/api/v10/channels/{thread.id}")
    assert [c.method for c in lookups] == ["GET"]


async def test_bots_our_own_messages_and_other_threads_get_nothing(
    news: Store, conversation: Conversation
) -> None:
    handler = RecordingHandler(conversation)
    async with DiscordRig.open(news, handler) as rig:
        thread = await rig.thread_of(await rig.brief())
        other_bot = rig.fake.world.add_user("otherbot", bot=True)
        rig.guild.members.append(other_bot.id)
        await rig.fake.say(other_bot, thread, "what did Kim's sister say?")
        await rig.fake.say(rig.guest, rig.channel, "what did Kim's sister say?")  # not a reply
        foreign = await rig.fake.user_thread(rig.guest, rig.channel, "lunch")
        await rig.fake.say(rig.guest, foreign, "what did Kim's sister say?")
        asked = await handler.handled.wait_for(lambda h: isinstance(h.event, ThreadReplyEvent))
        assert asked.ours is False and asked.event.thread.id == str(foreign.id)  # type: ignore[union-attr]
        # One real question last: the messages before it were decided before it.
        await rig.fake.say(rig.guest, thread, "why did the talks end?")
        await handler.handled.wait_for(lambda h: getattr(h.event, "text", "").startswith("why"))
        replies = [h for h in handler.handled.items if not isinstance(h.event, CommandEvent)]
        assert [h.event.text for h in replies] == [  # type: ignore[union-attr]
            "what did Kim's sister say?",
            "why did the talks end?",
        ]
        assert len(rig.said(lambda v: v.where == "thread")) == 1
        assert rig.said(lambda v: v.channel_id == foreign.id) == []


async def test_a_guest_cannot_subscribe_a_manager_can(rig: DiscordRig) -> None:
    await rig.fake.slash(
        rig.guest, rig.channel, "digest", "subscribe", topics="korea", at="07:30", zone="Asia/Seoul"
    )
    refused = await rig.seen(lambda v: "Only people who manage" in v.text)
    assert refused.where == "user" and refused.user_id == rig.guest.id
    assert refused.message["flags"] & EPHEMERAL
    assert await asyncio.to_thread(rig.store.outbox.subscriptions) == []
    await rig.fake.slash(
        rig.manager,
        rig.channel,
        "digest",
        "subscribe",
        topics="korea, trade",
        at="07:30",
        zone="Asia/Seoul",
        days="weekdays",
    )
    done = await rig.seen(lambda v: "Subscribed (#1)" in v.text)
    assert done.where == "user" and done.user_id == rig.manager.id
    [sub] = await asyncio.to_thread(rig.store.outbox.subscriptions)
    assert sub.channel_id == str(rig.channel.id) and sub.created_by == str(rig.manager.id)
    assert sub.schedule["tz"] == "Asia/Seoul" and sub.schedule["topics"] == ["korea", "trade"]
    assert rig.said(lambda v: v.where != "user") == []


async def test_manage_server_is_a_manager_too(rig: DiscordRig) -> None:
    owner = rig.fake.add_user("Olu")
    owner.extra = Permissions(manage_guild=True)
    await rig.fake.slash(owner, rig.channel, "digest", "subscribe", topics="strike", at="18:00")
    await rig.seen(lambda v: "Subscribed (#1)" in v.text and v.user_id == owner.id)


async def test_help_list_and_preview_are_seen_only_by_the_asker(rig: DiscordRig) -> None:
    await rig.fake.slash(rig.guest, rig.channel, "newsbrief", "help")
    helped = await rig.seen(lambda v: "/brief TOPIC" in v.text)
    assert helped.user_id == rig.guest.id and "/ask" in helped.text
    await rig.fake.slash(rig.manager, rig.channel, "digest", "subscribe", topics="korea", at="7:30")
    await rig.seen(lambda v: "Subscribed" in v.text)
    await rig.fake.slash(rig.guest, rig.channel, "digest", "list")
    listed = await rig.seen(lambda v: "#1:" in v.text and v.user_id == rig.guest.id)
    assert listed.where == "user"
    await rig.fake.slash(rig.guest, rig.channel, "digest", "preview")
    preview = await rig.seen(lambda v: "Preview" in v.text)
    assert preview.where == "user" and preview.user_id == rig.guest.id
    assert "Digest: korea" in preview.text
    assert rig.said(lambda v: v.where != "user") == []


async def test_digest_now_posts_for_everyone_with_a_thread(rig: DiscordRig) -> None:
    await rig.fake.slash(rig.manager, rig.channel, "digest", "subscribe", topics="korea", at="7:30")
    await rig.seen(lambda v: "Subscribed" in v.text)
    await rig.fake.slash(rig.manager, rig.channel, "digest", "now")
    post = await rig.seen(lambda v: v.where == "channel" and "Digest: korea" in v.text)
    thread = await rig.thread_of(post)
    assert thread.name.startswith("Digest: korea")


async def test_missing_permissions_are_explained_to_the_asker(rig: DiscordRig) -> None:
    rig.channel.bot_denied = Permissions(create_public_threads=True, embed_links=True)
    await rig.fake.slash(rig.manager, rig.channel, "brief", topic="korea")
    told = await rig.seen(lambda v: "Missing permissions" in v.text)
    assert told.where == "user" and told.user_id == rig.manager.id
    assert "Embed Links" in told.text and "Create Public Threads" in told.text
    assert "Send Messages" not in told.text  # only what is missing
    shown = told.message["embeds"][0]["description"]
    assert "I need Embed Links, Create Public Threads there" in shown  # no literal \\*\\*
    assert rig.said(lambda v: v.where != "user") == []
    # Discord refusing later anyway (permissions changed meanwhile) is explained too.
    rig.channel.bot_denied = Permissions()
    rig.fake.fail(
        "POST", rf"/api/v10/channels/{rig.channel.id}/messages", 403, 50013, "Missing Permissions"
    )
    await rig.fake.slash(rig.guest, rig.channel, "brief", topic="strike")
    again = await rig.seen(
        lambda v: "I can't post in this channel" in v.text and v.user_id == rig.guest.id
    )
    assert again.where == "user"


async def test_ask_in_a_thread_without_the_message_content_intent(
    news: Store, conversation: Conversation
) -> None:
    async with DiscordRig.open(news, conversation, discord_message_content=False) as rig:
        thread = await rig.thread_of(await rig.brief())
        # Plain text arrives empty without the intent: one hint, not silence, not spam.
        await rig.fake.say(rig.guest, thread, "what did Kim's sister say?")
        hint = await rig.seen(lambda v: v.where == "thread")
        assert "/ask" in hint.text and "mention me" in hint.text
        await rig.fake.say(rig.guest, thread, "hello?")
        # A mention is delivered with its content, and answered.
        await rig.fake.say(rig.guest, thread, "what did Kim's sister say?", mention_bot=True)
        answer = await rig.seen(lambda v: "no will to improve relations" in v.text)
        assert answer.where == "thread"
        assert len(rig.said(lambda v: "/ask" in v.text and v.where == "thread")) == 1
        # /ask needs no intent; the answer shows who asked what.
        await rig.fake.slash(rig.guest, thread, "ask", question="why did the talks end?")
        asked = await rig.seen(lambda v: "asked: why did the talks end?" in v.text)
        assert asked.where == "thread" and "**Gus**" in asked.message["content"]
        # /ask outside a brief's thread says where to use it, to the asker only.
        await rig.fake.slash(rig.guest, rig.channel, "ask", question="what?")
        where = await rig.seen(lambda v: "inside the thread of a brief" in v.text)
        assert where.where == "user"


async def test_autocomplete_suggests_topics_and_zones_at_once(rig: DiscordRig) -> None:
    state = await rig.fake.slash(rig.guest, rig.channel, "brief", topic="kor", focused="topic")
    ack = await rig.fake.acks.wait_for(lambda a: a.interaction_id == state["id"])
    assert ack.kind == 8 and ack.delay < 3.0
    assert any("Korea" in c for c in ack.choices), ack.choices
    assert all("kor" in c.lower() for c in ack.choices)
    state = await rig.fake.slash(
        rig.manager,
        rig.channel,
        "digest",
        "subscribe",
        focused="zone",
        topics="x",
        at="7",
        zone="seo",
    )
    ack = await rig.fake.acks.wait_for(lambda a: a.interaction_id == state["id"])
    assert ack.choices[0] == "Asia/Seoul"


def _answers(interaction_id: str, ack: Ack) -> bool:
    return ack.interaction_id == interaction_id


PRIVATE_FEED = "https://private.example/feed?token=s3cret"


def private_feed(rig: DiscordRig) -> None:
    """A feed of the rig's guild alone (its URL carries a token), with one story."""
    own = workspace_key("discord", str(rig.guild.id), str(rig.channel.id))
    feed = rig.store.sources.save(FeedState(url=PRIVATE_FEED), Via(owner=own))
    text = (
        "The Zanzibar Spaceport Authority said on Monday that its launch tower was finished. "
        "Officials at the Zanzibar Spaceport Authority expect a first launch next spring."
    )
    title = "Zanzibar spaceport tower finished"
    rig.store.upsert_article(
        ArticleRecord(
            url="https://private.example/a/1",
            feed_id=feed.id,
            title=title,
            text=text,
            published=datetime.now(UTC),
            analysis=analysis_payload(analyze(text, title=title)),
        )
    )


def _in(channel_id: int, where: str, v: Visible) -> bool:
    return v.channel_id == channel_id and v.where == where


async def test_a_second_guild_never_sees_the_first_guilds_feeds(
    news: Store, conversation: Conversation
) -> None:
    conversation.commands["feeds"] = FeedCommands(news, None)
    async with DiscordRig.open(news, conversation) as rig:
        private_feed(rig)
        other, elsewhere = rig.fake.add_guild("Elsewhere")
        other.members += [rig.manager.id, rig.guest.id]
        for channel in (elsewhere, rig.channel):  # the other guild first, then its own
            await rig.fake.slash(rig.manager, channel, "brief", topic="zanzibar")
            await rig.seen(partial(_in, channel.id, "channel"))
            await rig.fake.slash(rig.manager, channel, "feeds", "list")
            await rig.seen(partial(_in, channel.id, "user"))
        there = " ".join(v.text for v in rig.said(lambda v: v.channel_id == elsewhere.id))
        here = " ".join(v.text for v in rig.said(lambda v: v.channel_id == rig.channel.id))
        assert "Zanzibar spaceport tower finished" in here
        assert "Zanzibar" not in there and "private.example" not in there
        assert "s3cret" not in here + there  # shown only in its safe form, even at home


async def test_autocomplete_never_suggests_another_guilds_topics(rig: DiscordRig) -> None:
    """A guild's own feed (a private URL with a token) stays its own, down to suggestions."""
    private_feed(rig)
    other, elsewhere = rig.fake.add_guild("Elsewhere")
    other.members.append(rig.guest.id)
    for channel, expect in ((elsewhere, False), (rig.channel, True)):
        state = await rig.fake.slash(rig.guest, channel, "brief", topic="zanz", focused="topic")
        ack = await rig.fake.acks.wait_for(partial(_answers, state["id"]))
        assert any("zanzibar" in c.lower() for c in ack.choices) is expect, ack.choices


async def test_a_mention_in_the_channel_without_the_message_content_intent(
    news: Store, conversation: Conversation
) -> None:
    said_to_bot: list[str] = []  # every mention the core is given, as it is given

    class Listening(RecordingHandler):
        async def on_mention(self, platform: Platform, event: MentionEvent) -> None:
            said_to_bot.append(event.text)
            await super().on_mention(platform, event)

    handler = Listening(conversation)
    async with DiscordRig.open(news, handler, discord_message_content=False) as rig:
        await rig.fake.say(rig.guest, rig.channel, "korea", mention_bot=True)
        post = await rig.seen(lambda v: v.where == "channel" and "Brief: korea" in v.text)
        assert (await rig.thread_of(post)).name == "Brief: korea"
        # What is no brief answers the mention itself: a reply to it, pinging nobody.
        asked = await rig.fake.say(rig.guest, rig.channel, "what did Kim say?", mention_bot=True)
        hint = await rig.seen(lambda v: "I answer questions in the thread" in v.text)
        assert hint.where == "channel"
        assert int(hint.message["message_reference"]["message_id"]) == int(asked["id"])
        sends = rig.fake.calls.matching(lambda c: c.path.endswith(f"{rig.channel.id}/messages"))
        assert sends and all(c.body["allowed_mentions"] == {"parse": []} for c in sends)
        # A person's own talk in the channel stays theirs: only mentions are answered.
        await rig.fake.say(rig.guest, rig.channel, "korea again, huh")
        await rig.fake.say(rig.guest, rig.channel, f"ask <@{rig.fake.world.bot.id}>, it knows")
        await rig.fake.say(rig.guest, rig.channel, "strike", mention_bot=True)
        await rig.seen(lambda v: v.where == "channel" and "Brief: strike" in v.text)
        assert said_to_bot == ["korea", "what did Kim say?", "strike"]  # not "ask , it knows"
        assert len(rig.said(lambda v: v.where == "channel")) == 3


async def test_a_brief_without_its_thread_still_answers_replies_to_it(
    news: Store, conversation: Conversation
) -> None:
    handler = RecordingHandler(conversation)
    async with DiscordRig.open(news, handler) as rig:
        rig.fake.fail(
            "POST",
            rf"/api/v10/channels/{rig.channel.id}/messages/\d+/threads",
            403,
            50013,
            "Missing Permissions",
        )
        await rig.fake.slash(rig.manager, rig.channel, "brief", topic="korea")
        post = await rig.seen(lambda v: v.where == "channel" and "Brief: korea" in v.text)
        await handler.handled.wait_for(lambda x: getattr(x.event, "text", None) == "korea")
        # Discord's own reply to the brief is the way to ask there; the answer replies to
        # the brief in the channel (there is no thread to answer in).
        question = "what did Kim's sister say?"
        await rig.fake.say(rig.guest, rig.channel, question, reply_to=post.message)
        answer = await rig.seen(lambda v: "no will to improve relations" in v.text)
        assert answer.where == "channel" and answer.channel_id == rig.channel.id
        assert int(answer.message["message_reference"]["message_id"]) == int(post.message["id"])
