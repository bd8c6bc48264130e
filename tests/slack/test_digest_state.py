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


async def test_each_workspaces_digest_posts_with_its_own_token(
    fake: FakeSlack, tmp_path: Path
) -> None:
    from tests.slack.test_oauth import CHANNEL2, TEAM2, _install

    admin2 = "U0LANA"
    fake.add_workspace(TEAM2, "Smallville Gazette")
    fake.add_channel(CHANNEL2, TEAM2)
    fake.add_user(admin2, TEAM2, "lana", admin=True)
    clock = Clock(datetime.now(UTC).replace(second=0, microsecond=0))
    due = clock.now + timedelta(minutes=2)
    async with SlackRig(fake, tmp_path, multi=True, clock=clock) as rig:
        await _install(rig, TEAM)
        await _install(rig, TEAM2)
        await rig.command(ADMIN, f"/digest subscribe strike at {due:%H:%M} UTC")
        await rig.command(
            admin2, f"/digest subscribe port at {due:%H:%M} UTC", team=TEAM2, channel=CHANNEL2
        )
        await fake.messages.wait_for(lambda m: m.user == ADMIN and "Subscribed" in m.shown)
        await fake.messages.wait_for(lambda m: m.user == admin2 and "Subscribed" in m.shown)
        subs = await asyncio.to_thread(rig.app.store.outbox.subscriptions)
        assert {(s.channel_id, s.workspace) for s in subs} == {(CHANNEL, TEAM), (CHANNEL2, TEAM2)}

        clock.now = due + timedelta(minutes=1)
        results = await rig.app.delivery.deliver_due()
        assert sorted(d.outcome for d in results) == ["sent", "sent"]  # none left pending
        [one] = fake.posts(CHANNEL)
        [two] = fake.posts(CHANNEL2)
        assert (one.team, two.team) == (TEAM, TEAM2)  # each with its own team's bot token
        assert "Digest: strike" in one.shown and "Digest: port" in two.shown
        assert await rig.app.delivery.deliver_due() == []


async def test_link_previews_are_off_unless_the_channel_turns_them_on(
    fake: FakeSlack, tmp_path: Path
) -> None:
    clock = Clock(datetime.now(UTC).replace(second=0, microsecond=0))
    due = clock.now + timedelta(minutes=2)
    async with SlackRig(fake, tmp_path, clock=clock) as rig:
        await rig.command(MEMBER, "/digest previews on")
        refused = await fake.messages.wait_for(lambda m: m.user == MEMBER)
        assert "Only people who manage this channel" in refused.shown
        await rig.command(ADMIN, f"/digest subscribe strike at {due:%H:%M} UTC")
        await fake.messages.wait_for(lambda m: "Subscribed (#1)" in m.shown)
        await rig.command(ADMIN, "/digest now")
        off = await fake.messages.wait_for(lambda m: m.top_level and "Digest: strike" in m.shown)
        assert off.params["unfurl_links"] is False and off.params["unfurl_media"] is False

        await rig.command(ADMIN, "/digest previews on")
        await fake.messages.wait_for(lambda m: "Link previews are on" in m.shown)
        await rig.command(MEMBER, "/digest list")
        listed = await fake.messages.wait_for(lambda m: m.user == MEMBER and "#1:" in m.shown)
        assert "link previews on" in listed.shown
        clock.now = due + timedelta(minutes=1)
        assert [d.outcome for d in await rig.app.delivery.deliver_due()] == ["sent"]
        on = fake.posts(CHANNEL)[-1]
        assert on.metadata is not None  # the scheduled one
        assert on.params["unfurl_links"] is True and on.params["unfurl_media"] is True

        await rig.command(MEMBER, "/brief strike")  # briefs keep them off
        brief = await fake.messages.wait_for(lambda m: m.top_level and "Brief: strike" in m.shown)
        assert brief.params["unfurl_links"] is False
        await rig.command(ADMIN, "/digest previews off")
        await fake.messages.wait_for(lambda m: "Link previews are off" in m.shown)
        [sub] = await asyncio.to_thread(rig.app.store.outbox.subscriptions)
        assert sub.previews is False
