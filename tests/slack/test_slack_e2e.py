"""newsbrief on Slack end to end, in HTTP mode and in Socket Mode, against the fake Slack.

Each test runs the real composition root with the real slack-bolt app; people
type through signed requests to newsbrief's own /slack/events or through
envelopes on the Socket Mode websocket. Only the clock is ever mocked.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.chat.messages import ChannelRef
from tests.slack.fake_slack import FakeSlack, Message
from tests.slack.rig import ADMIN, CHANNEL, MEMBER, TEAM, SlackRig

MODES = ["http", "socket"]


@pytest.fixture(params=MODES)
async def rig(
    request: pytest.FixtureRequest, fake: FakeSlack, tmp_path: Path
) -> AsyncIterator[SlackRig]:
    async with SlackRig(fake, tmp_path, mode=request.param) as r:
        yield r


def _to(user: str) -> object:
    return lambda m: m.kind in {"ephemeral", "response_url"} and m.user == user


async def _brief(rig: SlackRig, topic: str = "korea") -> Message:
    sent = await rig.command(MEMBER, f"/brief {topic}")
    assert sent.status == 200 and sent.seconds < 3.0, sent
    post = await rig.fake.messages.wait_for(lambda m: m.top_level and f"Brief: {topic}" in m.shown)
    await rig.slack.drain()  # the core has remembered the brief's thread
    return post


async def test_brief_is_acked_then_posted_as_block_kit(rig: SlackRig) -> None:
    post = await _brief(rig)
    assert post.blocks[0]["type"] == "header"
    assert post.blocks[0]["text"]["text"].startswith("Brief: korea")
    assert "Trump Teases Another Sit-Down With Kim Jong-un" in post.shown
    assert "“I look forward to seeing him,” Trump said" in post.shown or "— Trump" in post.shown
    assert any(b["type"] == "context" for b in post.blocks)  # the sources line
    assert "Brief: korea" in post.text  # the notification fallback
    assert post.params["unfurl_links"] is False and post.params["unfurl_media"] is False
    assert post.metadata is None  # only digests carry a key
    assert post.team == TEAM and post.channel == CHANNEL


async def test_question_in_the_thread_is_answered_there_with_its_source(rig: SlackRig) -> None:
    post = await _brief(rig)
    await rig.say(rig.reply_event(post.ts, "what did Kim's sister say?"))
    answer = await rig.fake.messages.wait_for(lambda m: m.thread_ts == post.ts)
    assert answer.kind == "message" and answer.channel == CHANNEL
    assert "no will to improve relations" in answer.shown
    assert "Source:" in answer.shown and "http" in answer.shown
    assert not answer.params.get("reply_broadcast")
    # Paced: the answer went out at least about a second after the brief, same channel.
    [brief_call, answer_call] = [
        c for c in rig.fake.calls_to("chat.postMessage") if c.params["channel"] == CHANNEL
    ]
    assert answer_call.at - brief_call.at >= 0.9


async def test_a_mention_in_our_thread_is_answered_once(rig: SlackRig) -> None:
    post = await _brief(rig)
    bot = rig.fake.workspaces[TEAM].bot_user_id
    message = rig.reply_event(post.ts, f"<@{bot}> what did Kim's sister say?")
    mention = {k: v for k, v in message.items() if k not in {"parent_user_id", "client_msg_id"}}
    mention["type"] = "app_mention"
    await rig.say(mention)  # Slack sends both for a mention in a channel the bot is in
    await rig.say(message)
    await rig.fake.messages.wait_for(lambda m: m.thread_ts == post.ts)
    await rig.command(MEMBER, "/newsbrief help")  # something after, to wait on
    await rig.fake.messages.wait_for(_to(MEMBER))  # type: ignore[arg-type]
    assert len(rig.fake.messages.matching(lambda m: m.thread_ts == post.ts)) == 1


async def test_digest_subscribe_refused_to_a_member_accepted_from_an_admin(rig: SlackRig) -> None:
    await rig.command(MEMBER, "/digest subscribe korea at 07:30 Asia/Seoul")
    refused = await rig.fake.messages.wait_for(_to(MEMBER))  # type: ignore[arg-type]
    assert "Only people who manage this channel" in refused.shown
    assert "a workspace admin or owner" in refused.shown  # says who can
    assert await asyncio.to_thread(rig.app.store.outbox.subscriptions) == []
    await rig.command(ADMIN, "/digest subscribe korea at 07:30 Asia/Seoul")
    done = await rig.fake.messages.wait_for(_to(ADMIN))  # type: ignore[arg-type]
    assert "Subscribed (#1)" in done.shown
    [sub] = await asyncio.to_thread(rig.app.store.outbox.subscriptions)
    assert (sub.platform, sub.channel_id, sub.created_by) == ("slack", CHANNEL, ADMIN)
    assert rig.fake.posts() == []  # nothing public
    assert len(rig.fake.calls_to("users.info")) == 2  # one each, then cached


async def test_not_in_the_channel_says_how_to_invite(rig: SlackRig) -> None:
    rig.fake.add_channel("C0ELSEWHERE", TEAM, member=False)
    await rig.command(MEMBER, "/brief korea", channel="C0ELSEWHERE")
    said = await rig.fake.messages.wait_for(_to(MEMBER))  # type: ignore[arg-type]
    assert said.kind == "response_url"  # chat.postEphemeral cannot reach that channel either
    assert "/invite @newsbrief" in said.shown
    assert rig.fake.posts() == []
    # A digest set up there is set up, and says it could not be posted until I'm invited.
    await rig.command(ADMIN, "/digest subscribe korea at 07:30 Asia/Seoul", channel="C0ELSEWHERE")
    note = await rig.fake.messages.wait_for(
        lambda m: _to(ADMIN)(m) and "I'm not in this channel yet" in m.shown
    )
    said_to_admin = rig.fake.messages.matching(_to(ADMIN))  # type: ignore[arg-type]
    assert "Subscribed (#1)" in said_to_admin[0].shown and note is said_to_admin[1]
    assert len(said_to_admin) == 2


async def test_429_is_retried_after_retry_after_and_posted_once(rig: SlackRig) -> None:
    rig.fake.rate_limit("chat.postMessage", retry_after=1)
    post = await _brief(rig)
    calls = rig.fake.calls_to("chat.postMessage")
    assert len(calls) == 2 and calls[1].at - calls[0].at >= 1.0
    assert [m.ts for m in rig.fake.posts()] == [post.ts]


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.mark.parametrize("mode", MODES)
async def test_a_scheduled_digest_is_posted_once(
    fake: FakeSlack, tmp_path: Path, mode: str
) -> None:
    clock = Clock(datetime.now(UTC).replace(second=0, microsecond=0))
    due = clock.now + timedelta(minutes=2)  # the sample is dated over the last day
    async with SlackRig(fake, tmp_path, mode=mode, clock=clock) as rig:
        await rig.command(ADMIN, f"/digest subscribe strike at {due:%H:%M} UTC")
        await fake.messages.wait_for(lambda m: "Subscribed (#1)" in m.shown)
        assert await rig.app.delivery.deliver_due() == []  # not yet due
        clock.now = due + timedelta(minutes=5)
        first = await rig.app.delivery.deliver_due()
        again = await rig.app.delivery.deliver_due()
        assert [d.outcome for d in first] == ["sent"] and again == []
        [digest] = fake.posts(CHANNEL)
        await rig.slack.drain()
        assert "Strike Halts Kessington Port" in digest.shown
        assert digest.metadata is not None
        assert digest.metadata["event_type"] == "newsbrief_digest"
        key = digest.metadata["event_payload"]["key"]
        assert key.startswith("newsbrief-digest:1:")
        found = await rig.slack.find_post(ChannelRef("slack", CHANNEL, workspace=TEAM), key)
        assert found is not None and found.id == digest.ts
        assert fake.calls_to("conversations.history")[-1].params["include_all_metadata"] in {
            True,
            "true",
            "1",
        }
        # Its thread takes questions like a brief's.
        await rig.say(rig.reply_event(digest.ts, "how many dockworkers walked out?"))
        answer = await fake.messages.wait_for(lambda m: m.thread_ts == digest.ts)
        assert "3,600" in answer.shown


async def test_bad_signature_or_stale_timestamp_gets_401_and_does_nothing(
    fake: FakeSlack, tmp_path: Path
) -> None:
    from urllib.parse import urlencode

    from tests.slack.rig import command_fields, signed_headers

    async with SlackRig(fake, tmp_path, mode="http") as rig:
        fields = command_fields(fake, "/brief", "korea", user=MEMBER, team=TEAM, channel=CHANNEL)
        body = urlencode(fields)
        form = "application/x-www-form-urlencoded"
        forged = signed_headers(body, secret="not-the-signing-secret")
        stale = signed_headers(body, timestamp=int(time.time()) - 6 * 60)
        tampered = signed_headers(body.replace("korea", "other"))
        for headers in (forged, stale, tampered, {}):
            sent = await rig.post_signed(body, form, headers=headers)
            assert sent.status == 401, (headers, sent)
        good = await rig.post_signed(body, form)  # the same body, signed right, works
        assert good.status == 200
        await fake.messages.wait_for(lambda m: m.top_level)
        assert len(fake.posts()) == 1
        assert len(fake.calls_to("chat.postMessage")) == 1


async def test_sigkill_between_post_and_completion_still_posts_exactly_once(
    fake: FakeSlack, tmp_path: Path
) -> None:
    import sys

    from bot.news.ingest import Ingester
    from bot.store import Store
    from digests.schedule import parse_subscription

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    due = now - timedelta(minutes=10)
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    store = Store.open(url)
    try:
        await Ingester(store, None).ingest_sample()
        schedule = parse_subscription(f"strike at {due:%H:%M} UTC").to_json()
        store.outbox.add_subscription("slack", CHANNEL, schedule, now=now - timedelta(hours=1))
    finally:
        store.close()
    worker = Path(__file__).with_name("digest_worker.py")
    token = fake.workspaces[TEAM].bot_token

    async def run(at: datetime, *crash: str) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(worker), url, fake.api_url, token, at.isoformat(), *crash,
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, _ = await proc.communicate()
        return proc.returncode or 0, out.decode()

    code, _ = await run(now, "after_post")
    assert code == -9  # killed after chat.postMessage, before the outbox row completed
    assert len(fake.posts(CHANNEL)) == 1
    code, out = await run(
        now + timedelta(minutes=2),
    )  # the lease ran out: recovery
    assert code == 0 and out.split()[-1] == "recovered", out
    assert fake.calls_to("conversations.history")  # it asked Slack before posting again
    [digest] = fake.posts(CHANNEL)  # exactly one message
    assert digest.metadata is not None and digest.metadata["event_type"] == "newsbrief_digest"
    code, out = await run(now + timedelta(minutes=3))
    assert code == 0 and len(fake.posts(CHANNEL)) == 1
