"""Slack re-deliveries answered once across instances: the store's delivery ledger.

Slack re-sends an event whose ack was late (``X-Slack-Retry-Num``), and with
several instances behind one URL the retry can reach another one. Two newsbrief
instances on one database get the same signed command (the same ``trigger_id``)
and the same thread reply; each is answered once.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from bot.store import Store
from bot.store.leases import Leases
from bot.store.retention import Retention
from tests.slack.fake_slack import FakeSlack
from tests.slack.rig import MEMBER, TEAM, SlackRig, command_fields, event_body, signed_headers


async def _deliver(rig: SlackRig, body: str, content_type: str, retry: int | None) -> int:
    headers = signed_headers(body)
    if retry is not None:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    sent = await rig.post_signed(body, content_type, headers=headers)
    return sent.status


async def test_a_retry_reaching_another_instance_is_not_answered_twice(
    fake: FakeSlack, tmp_path: Path
) -> None:
    async with SlackRig(fake, tmp_path) as one, SlackRig(fake, tmp_path) as two:
        assert one.app.store.engine.url == two.app.store.engine.url  # one database
        fields = command_fields(fake, "/brief", "korea", user=MEMBER, team=TEAM, channel="C0NEWS")
        body = urlencode(fields)
        form = "application/x-www-form-urlencoded"
        statuses = [await _deliver(one, body, form, None)]
        statuses += [await _deliver(two, body, form, n) for n in (1, 2, 3)]
        assert statuses == [200] * 4  # every delivery is acked
        post = await fake.messages.wait_for(lambda m: m.top_level and "Brief: korea" in m.shown)
        await asyncio.gather(one.slack.drain(), two.slack.drain())

        # The same thread reply, as Slack's first try and as a retry to the other instance.
        reply = one.reply_event(post.ts, "what did Kim's sister say?")
        event = json.dumps(event_body(reply, team=TEAM, bot_user=fake.workspaces[TEAM].bot_user_id))
        assert await _deliver(two, event, "application/json", None) == 200
        assert await _deliver(one, event, "application/json", 1) == 200
        await fake.messages.wait_for(lambda m: m.thread_ts == post.ts)
        await asyncio.gather(one.slack.drain(), two.slack.drain())

        assert len(fake.messages.matching(lambda m: "Brief: korea" in m.shown)) == 1
        assert len(fake.messages.matching(lambda m: m.thread_ts == post.ts)) == 1
        trigger = f"trigger:{fields['trigger_id']}"
        assert one.app.store.deliveries.seen(trigger)


def test_keys_are_claimed_once_and_kept_a_day(store: Store) -> None:
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    keys = store.deliveries
    assert keys.claim("trigger:1", now) is True
    assert keys.claim("trigger:1", now + timedelta(minutes=5)) is False
    assert keys.claim("message:T1:C1:1.0", now) is True
    long_key = "message:" + "x" * 500  # longer than the column: kept as its digest
    assert keys.claim(long_key, now) is True and keys.claim(long_key, now) is False
    assert keys.seen("trigger:1") and not keys.seen("trigger:2")


def test_retention_prunes_keys_older_than_a_day(store: Store) -> None:
    now = datetime.now(UTC)
    store.deliveries.claim("trigger:old", now - timedelta(days=1, minutes=1))
    store.deliveries.claim("trigger:new", now - timedelta(hours=23))
    leases = Leases(store.engine)
    lease = leases.acquire("leader", "me", timedelta(hours=1))
    assert lease is not None
    pruned = Retention(
        store.engine, leases, retention_days=0, thread_days=14, clock=lambda: now
    ).run(lambda: lease)
    assert pruned.counts.get("delivery keys") == 1
    assert not store.deliveries.seen("trigger:old") and store.deliveries.seen("trigger:new")
    assert store.deliveries.claim("trigger:old", now) is True  # a day later it is new again
