"""Paused digests: a channel the platform says it cannot reach pauses its digests (not
deleted, not retried every pass) until a manager's command there or access coming back.
On FakePlatform, whose ``post`` is made to refuse a channel (an injected fault)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.chat.conversation import Conversation, HelpLine
from bot.chat.messages import ChannelRef, CommandEvent, Post, ThreadRef
from bot.chat.platform import ChannelUnreachableError, Platform
from bot.chat.render import post_markdown
from bot.news.ingest import Ingester
from bot.store import Store
from digests.commands import DigestCommands, ResumingCommands
from digests.delivery import DigestDelivery
from digests.schedule import parse_subscription
from tests.fakes.platform import CHANNEL, GUEST, MANAGER, NAME, FakePlatform

REFUSAL = "I'm not in this channel yet: invite me with /invite @newsbrief, then try again."


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class RefusingPlatform(FakePlatform):
    """FakePlatform whose channels in ``unreachable`` refuse posts, as Slack's
    not_in_channel does; every attempt is counted."""

    def __init__(self) -> None:
        super().__init__()
        self.unreachable: set[str] = set()
        self.attempts = 0

    async def post(self, channel: ChannelRef, post: Post, *, key: str | None = None) -> ThreadRef:
        self.attempts += 1
        if channel.id in self.unreachable:
            raise ChannelUnreachableError(REFUSAL)
        return await super().post(channel, post, key=key)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    s = Store.open(database_url)
    asyncio.run(Ingester(s, None).ingest_sample())
    try:
        yield s
    finally:
        s.close()


def _rig(store: Store, clock: Clock) -> tuple[RefusingPlatform, DigestDelivery, DigestCommands]:
    fake = RefusingPlatform()
    delivery = DigestDelivery(store, {NAME: fake}, clock=clock)
    commands = DigestCommands(store, delivery, clock=clock)
    conversation = Conversation(store)
    conversation.commands["digest"] = commands
    fake._handler = conversation
    return fake, delivery, commands


def _said_to(fake: FakePlatform, user_id: str) -> str:
    return "\n".join(
        post_markdown(s.post) for s in fake.workspace.sent.items if s.user_id == user_id
    )


async def test_unreachable_channel_pauses_until_a_manager_command_resumes(store: Store) -> None:
    t0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # a Monday
    sub = store.outbox.add_subscription(
        NAME, CHANNEL.id, parse_subscription("everything at 07:30 UTC daily always").to_json(),
        now=t0,
    )  # fmt: skip
    clock = Clock(datetime(2026, 11, 23, 7, 31, tzinfo=UTC))
    fake, delivery, _ = _rig(store, clock)
    fake.unreachable.add(CHANNEL.id)

    [result] = await delivery.deliver_due()
    assert result.outcome == "paused" and fake.attempts == 1
    [paused] = store.outbox.subscriptions()
    assert paused.id == sub.id and paused.paused_at == clock.now  # kept, not deleted
    assert paused.paused_reason == REFUSAL
    assert [r.status for r in store.outbox.entries(sub.id)] == ["missed"]
    # Not retried every pass, nor at the next slots, while paused.
    for hours in (0, 1, 24, 47):
        clock.now = datetime(2026, 11, 23, 7, 40, tzinfo=UTC) + timedelta(hours=hours)
        assert await delivery.deliver_due() == []
    assert fake.attempts == 1

    await fake.command(GUEST, "/digest list")
    listed = _said_to(fake, GUEST.id)
    assert f"#{sub.id}: everything at 07:30 UTC" in listed
    assert "paused since Mon 23 Nov 07:31 UTC: I'm not in this channel yet" in listed
    assert store.outbox.subscriptions()[0].paused_at is not None  # a guest resumes nothing

    fake.unreachable.clear()  # the bot was invited
    await fake.command(MANAGER, "/digest list")
    told = _said_to(fake, MANAGER.id)
    assert "Resumed: #1 paused since Mon 23 Nov 07:31 UTC" in told
    assert "next Wed 25 Nov 07:30 (UTC)" in told  # the list after it shows it running
    [resumed] = store.outbox.subscriptions()
    assert resumed.paused_at is None and resumed.resumed_at == clock.now

    # The slots that fell in the pause are not posted; the next one is, and says which
    # digest it could not post (never silently missed), covering its stories too.
    assert await delivery.deliver_due() == []
    clock.now = datetime(2026, 11, 25, 7, 31, tzinfo=UTC)
    [sent] = await delivery.deliver_due()
    assert sent.outcome == "sent" and sent.slot_key == "2026-11-25T07:30"
    [digest] = fake.workspace.posts("channel")
    assert "missed the digest of 2026-11-23 07:30 (UTC)" in (digest.footer or "")
    assert [r.status for r in store.outbox.entries(sub.id)] == ["missed", "sent"]


async def test_a_channel_paused_again_after_resume_if_still_unreachable(store: Store) -> None:
    t0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    store.outbox.add_subscription(
        NAME, CHANNEL.id, parse_subscription("everything at 07:30 UTC daily always").to_json(),
        now=t0,
    )  # fmt: skip
    clock = Clock(datetime(2026, 11, 23, 7, 31, tzinfo=UTC))
    fake, delivery, _ = _rig(store, clock)
    fake.unreachable.add(CHANNEL.id)
    assert [d.outcome for d in await delivery.deliver_due()] == ["paused"]
    assert await delivery.resume(CHANNEL) == [1]
    assert await delivery.resume(CHANNEL) == []  # nothing left paused
    clock.now = datetime(2026, 11, 24, 7, 31, tzinfo=UTC)
    assert [d.outcome for d in await delivery.deliver_due()] == ["paused"]
    assert fake.attempts == 2


async def test_a_managers_feeds_command_resumes_the_channels_digests(store: Store) -> None:
    ran: list[str] = []

    class Feeds:
        help_line = HelpLine("/feeds ...", "sources")

        async def __call__(self, platform: Platform, event: CommandEvent) -> None:
            ran.append(event.text)

    clock = Clock(datetime(2026, 11, 23, 7, 31, tzinfo=UTC))
    fake, _, commands = _rig(store, clock)
    store.outbox.add_subscription(
        NAME, CHANNEL.id, parse_subscription("korea at 07:30").to_json(), now=clock.now
    )
    store.outbox.pause_channel(NAME, CHANNEL.id, "Missing Access", clock.now)
    feeds = ResumingCommands(Feeds(), commands)
    assert feeds.help_line.usage == "/feeds ..."
    await feeds(fake, CommandEvent(CHANNEL, GUEST, "feeds", "list"))
    assert store.outbox.subscriptions()[0].paused_at is not None  # not by a guest
    await feeds(fake, CommandEvent(CHANNEL, MANAGER, "feeds", "list"))
    assert ran == ["list", "list"]
    assert store.outbox.subscriptions()[0].paused_at is None
    assert "Resumed: #1 paused since Mon 23 Nov 07:31 UTC: Missing Access" in _said_to(
        fake, MANAGER.id
    )
