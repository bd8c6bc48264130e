"""Scheduled digests on Discord: once per slot across retries, 429s, 403s, crashes and restarts.

Only clocks are mocked: the delivery engine's (which slot is due) and, for the
nonce window, the fake Discord's.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from discord import Permissions

from adapters.discord.keys import nonce_for, read_marker
from bot.chat.conversation import Conversation
from bot.chat.messages import ThreadRef
from bot.store import Store
from digests.delivery import DigestDelivery, slot_key
from digests.schedule import Slot, next_slot, parse_subscription
from tests.discord.fake import FakeChannel, FakeDiscord
from tests.discord.rig import DiscordRig

WORKER = Path(__file__).parent / "digest_worker.py"
EVERY_DAY = "everything at 07:30 UTC daily always"


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


class FakeTime:
    """The fake Discord's clock: real time plus what a test skips ahead."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.skipped


def subscribe(rig: DiscordRig, text: str = EVERY_DAY) -> tuple[int, Slot]:
    created = datetime.now(UTC) - timedelta(hours=30)
    schedule = parse_subscription(text)
    sub = rig.store.outbox.add_subscription(
        "discord",
        str(rig.channel.id),
        schedule.to_json(),
        channel_name="news",
        created_by=str(rig.manager.id),
        now=created,
    )
    return sub.id, next_slot(schedule, created)


def bot_messages(rig: DiscordRig, channel: FakeChannel | None = None) -> list[dict[str, Any]]:
    bot = str(rig.fake.world.bot.id)
    return [m for m in rig.fake.messages(channel or rig.channel) if m["author"]["id"] == bot]


def posts_to(rig: DiscordRig, channel: FakeChannel) -> list[int]:
    path = f"/api/v10/channels/{channel.id}/messages"
    return [c.status for c in rig.fake.calls.items if c.method == "POST" and c.path == path]


async def test_a_scheduled_digest_is_posted_once_with_its_key(rig: DiscordRig) -> None:
    sub, slot = subscribe(rig)
    clock = Clock(slot.due + timedelta(seconds=2))
    delivery = DigestDelivery(rig.store, {"discord": rig.bot}, clock=clock)
    assert [r.outcome for r in await delivery.deliver_due()] == ["sent"]
    for _ in range(3):
        assert await delivery.deliver_due() == []
    [message] = bot_messages(rig)
    key = slot_key(sub, slot)
    assert read_marker(str(message["content"])) == nonce_for(key)
    [send] = [c for c in rig.fake.calls.items if c.path.endswith(f"{rig.channel.id}/messages")]
    assert send.body["nonce"] == nonce_for(key) and send.body["enforce_nonce"] is True
    thread = await rig.fake.threads.wait_for(lambda t: t.id == int(str(message["id"])))
    assert thread.name.startswith("Digest: all news")
    [row] = rig.store.outbox.entries(sub)
    assert row.status == "sent" and row.message_ref == message["id"]
    ref = ThreadRef("discord", str(rig.channel.id), str(message["id"]))
    assert rig.store.threads.get(ref) is not None
    # A redeploy and another deliverer: still one message.
    await rig.restart()
    again = DigestDelivery(rig.store, {"discord": rig.bot}, clock=clock, holder="other")
    assert await again.deliver_due() == []
    assert len(bot_messages(rig)) == 1


async def test_a_long_digest_continues_in_its_thread(rig: DiscordRig) -> None:
    subscribe(rig, "everything at 07:30 UTC daily always max 10")
    post = await DigestDelivery(rig.store, {}).digest_now(rig.store.outbox.subscriptions()[0])
    assert post is not None
    big = replace(post, items=tuple(post.items) * 12)
    ref = await rig.bot.post(rig.channel_ref, big, key="k")
    thread = await rig.fake.threads.wait_for(lambda t: t.id == int(ref.id))
    [first] = bot_messages(rig)
    rest = bot_messages(rig, thread)
    assert rest, "the digest should have continued in its thread"
    shown = sum(len(m["embeds"]) for m in [first, *rest])
    assert shown == len(big.items)


async def test_a_reconnect_in_the_middle_changes_nothing(rig: DiscordRig) -> None:
    _, slot = subscribe(rig)
    delivery = DigestDelivery(
        rig.store, {"discord": rig.bot}, clock=Clock(slot.due + timedelta(seconds=1))
    )
    events = rig.fake.gateway.events
    await rig.fake.drop(4000)  # Discord's "unknown error": discord.py resumes
    await rig.fake.slash(rig.manager, rig.channel, "brief", topic="korea")  # while it is away
    assert [r.outcome for r in await delivery.deliver_due()] == ["sent"]
    resumed = await events.wait_for(lambda e: e.kind == "resume")
    assert resumed.detail >= 1  # the interaction was replayed on RESUME
    await rig.seen(lambda v: "Brief: korea" in v.text)
    await rig.gateway("resumed", 1)
    await rig.fake.reconnect()  # op 7
    await rig.gateway("resumed", 2)
    assert await delivery.deliver_due() == []
    assert len([e for e in events.items if e.kind == "identify"]) == 1  # resumed, not anew
    # Op 9: the session is gone; a fresh IDENTIFY, and commands work again.
    await rig.fake.invalidate()
    await rig.wait_ready(2)
    await rig.brief("strike")
    digests = [m for m in bot_messages(rig) if "Digest" in str(m["content"])]
    briefs = [m for m in bot_messages(rig) if "Brief: korea" in str(m["content"])]
    assert len(digests) == 1 and len(briefs) == 1
    assert len(rig.fake.acks.items) == 2  # each interaction answered once


async def test_heartbeats_are_sent_and_acknowledged(
    news: Store, conversation: Conversation
) -> None:
    async with DiscordRig.open(news, conversation, heartbeat_ms=40) as rig:
        await rig.gateway("heartbeat", 4)
        await rig.fake.drop(4000)
        await rig.gateway("resumed", 1)
        beats = len([e for e in rig.fake.gateway.events.items if e.kind == "heartbeat"])
        await rig.gateway("heartbeat", beats + 2)  # beating again on the resumed connection
        assert rig.gateway_client.latency < 5  # ACKs arrive: the latency is measured


async def test_a_429_is_waited_out_and_the_digest_sent_once(rig: DiscordRig) -> None:
    _, slot = subscribe(rig)
    path = rf"/api/v10/channels/{rig.channel.id}/messages"
    rig.fake.rate_limit("POST", path, 0.3)
    delivery = DigestDelivery(rig.store, {"discord": rig.bot}, clock=Clock(slot.due))
    assert [r.outcome for r in await delivery.deliver_due()] == ["sent"]
    assert posts_to(rig, rig.channel) == [429, 200]
    first, second = [c.at for c in rig.fake.calls.items if c.path.endswith("/messages")][:2]
    assert second - first >= 0.3
    assert len(bot_messages(rig)) == 1


async def test_a_long_429_leaves_the_slot_pending_and_a_later_pass_sends_it(
    rig: DiscordRig,
) -> None:
    sub, slot = subscribe(rig)
    rig.fake.rate_limit("POST", rf"/api/v10/channels/{rig.channel.id}/messages", 120.0)
    clock = Clock(slot.due)
    delivery = DigestDelivery(rig.store, {"discord": rig.bot}, clock=clock)
    started = time.monotonic()
    assert [r.outcome for r in await delivery.deliver_due()] == ["failed"]
    assert time.monotonic() - started < 10  # raised at once: max_ratelimit_timeout
    assert bot_messages(rig) == [] and rig.store.outbox.entries(sub)[0].status == "pending"
    clock.now = slot.due + timedelta(minutes=2)  # the lease ran out
    assert [r.outcome for r in await delivery.deliver_due()] == ["sent"]
    assert len(bot_messages(rig)) == 1


async def test_a_channel_that_refuses_rests_and_a_manager_is_told_once(rig: DiscordRig) -> None:
    sub, slot = subscribe(rig)
    rig.channel.bot_denied = Permissions(send_messages=True)
    clock = Clock(slot.due)
    delivery = DigestDelivery(rig.store, {"discord": rig.bot}, clock=clock)
    assert [r.outcome for r in await delivery.deliver_due()] != ["sent"]
    told = await rig.seen(lambda v: "can't post its digest" in v.text)
    dm = rig.fake.world.channels[told.channel_id]
    assert dm.recipient == rig.manager.id and "Send Messages" in told.text
    shown = told.message["embeds"][0]["description"]  # in a DM, the channel is named
    assert shown.startswith(f"I can't post in <#{rig.channel.id}>: I need "), shown
    for minutes in (2, 4, 6):  # later sweeps: no request to Discord, no second message
        clock.now = slot.due + timedelta(minutes=minutes)
        await delivery.deliver_due()
    assert posts_to(rig, rig.channel) == [403]
    reads = [c for c in rig.fake.calls.items if c.method == "GET" and c.path.endswith("/messages")]
    assert reads == []  # recovering the pending slot does not ask the resting channel either
    assert len(rig.said(lambda v: "can't post its digest" in v.text)) == 1
    # Not sent; whether the slot waits (pending) or its digest pauses is the core's rule.
    assert rig.store.outbox.entries(sub)[0].status != "sent"


async def _worker(
    fake: FakeDiscord, db: str, now: datetime, holder: str, *crash: str
) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(WORKER),
        fake.api_url,
        fake.world.token,
        db,
        now.isoformat(),
        holder,
        *crash,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode is not None
    return proc.returncode, out.decode() + err.decode()


@pytest.mark.parametrize("crash", ["before_post", "after_post"])
async def test_sigkill_between_send_and_completion_still_posts_once(
    news: Store, conversation: Conversation, crash: str
) -> None:
    skip = FakeTime()
    async with DiscordRig.open(news, conversation, clock=skip) as rig:
        sub, slot = subscribe(rig)
        db = news.engine.url.render_as_string(hide_password=False)
        code, output = await _worker(rig.fake, db, slot.due + timedelta(seconds=1), "first", crash)
        assert code == -signal.SIGKILL, output
        sent_before = len(bot_messages(rig))
        assert sent_before == (1 if crash == "after_post" else 0)
        skip.skipped = 600.0  # ten minutes on: Discord's nonce window is over
        code, output = await _worker(rig.fake, db, slot.due + timedelta(minutes=1), "second")
        assert code == 0, output
        expected = {"before_post": "sent", "after_post": "recovered"}[crash]
        assert f"{sub} {slot.key} {expected}" in output
        [message] = bot_messages(rig)
        assert read_marker(str(message["content"])) == nonce_for(slot_key(sub, slot))
        assert len(posts_to(rig, rig.channel)) == 1  # found by its marker, not re-sent
        [row] = rig.store.outbox.entries(sub)
        assert row.status == "sent" and row.message_ref == message["id"]
        # The recovered post's thread takes follow-ups: its articles moved there.
        thread = rig.store.threads.get(
            ThreadRef("discord", str(rig.channel.id), str(message["id"]))
        )
        assert thread is not None and thread.kind == "digest" and thread.article_ids
