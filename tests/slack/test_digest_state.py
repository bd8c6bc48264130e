"""Digests on the fake Slack: a channel the bot was removed from pauses them, inviting
it back (``member_joined_channel`` for the bot) resumes them; with several OAuth-installed
workspaces each digest posts with its own team's token; link previews per channel."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.slack.fake_slack import FakeSlack, fixture
from tests.slack.rig import ADMIN, CHANNEL, MEMBER, TEAM, SlackRig


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _joined(fake: FakeSlack, user: str, channel: str = CHANNEL) -> dict[str, object]:
    event = fixture("event_member_joined_channel.json")
    event.update(user=user, channel=channel, team=TEAM, inviter=ADMIN)
    return event


async def test_removed_bot_pauses_the_digest_and_an_invite_resumes_it(
    fake: FakeSlack, tmp_path: Path
) -> None:
    clock = Clock(datetime.now(UTC).replace(second=0, microsecond=0))
    due = clock.now + timedelta(minutes=2)
    async with SlackRig(fake, tmp_path, clock=clock) as rig:
        await rig.command(ADMIN, f"/digest subscribe strike at {due:%H:%M} UTC")
        await fake.messages.wait_for(lambda m: "Subscribed (#1)" in m.shown)
        fake.members[CHANNEL].discard(TEAM)  # someone removed the bot from the channel
        clock.now = due + timedelta(minutes=1)
        [paused] = await rig.app.delivery.deliver_due()
        assert paused.outcome == "paused"
        tries = len(fake.calls_to("chat.postMessage"))
        assert await rig.app.delivery.deliver_due() == []  # not retried every sweep
        assert len(fake.calls_to("chat.postMessage")) == tries

        await rig.command(MEMBER, "/digest list")
        listed = await fake.messages.wait_for(lambda m: m.user == MEMBER and "#1:" in m.shown)
        assert "paused since" in listed.shown and "/invite @newsbrief" in listed.shown

        # Another member joining changes nothing; the bot being invited back resumes it.
        await rig.say(_joined(fake, MEMBER))
        await rig.slack.drain()
        [sub] = await asyncio.to_thread(rig.app.store.outbox.subscriptions)
        assert sub.paused_at is not None
        fake.members[CHANNEL].add(TEAM)
        await rig.say(_joined(fake, fake.workspaces[TEAM].bot_user_id))
        await rig.slack.drain()
        [sub] = await asyncio.to_thread(rig.app.store.outbox.subscriptions)
        assert sub.paused_at is None and sub.resumed_at == clock.now

        clock.now = due + timedelta(days=1, minutes=1)  # its next time
        [sent] = await rig.app.delivery.deliver_due()
        assert sent.outcome == "sent"
        assert len(fake.posts(CHANNEL)) == 1
