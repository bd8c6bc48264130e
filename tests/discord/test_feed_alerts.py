"""A feed failing for a day reaches the Discord manager who added it, in a direct message."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.feed_alerts import FeedAlerts
from bot.leader import LeaseKeeper
from bot.store.leases import Leases
from bot.store.records import FeedState
from bot.store.sources import Via
from tests.discord.rig import DiscordRig


async def test_the_manager_who_added_a_failing_feed_gets_one_dm(rig: DiscordRig) -> None:
    store = rig.store
    owner = f"discord:{rig.guild.id}"
    feed = store.save_feed(
        FeedState(url="https://planet.example/rss.xml", title="Daily Planet"),
        Via(owner=owner, added_by=str(rig.manager.id)),
    )
    # The rig's command sync took and released the leader lease on the real clock: a
    # test clock set before that release would see the lease still held.
    now = datetime.now(UTC)
    for _ in range(26):  # hourly failed polls, as the poller saves them
        now += timedelta(hours=1)
        feed = store.save_feed(
            replace(
                feed,
                consecutive_failures=feed.consecutive_failures + 1,
                last_polled=now,
                last_error="HTTP 404 Not Found",
            )
        )
    leases = Leases(store.engine, clock=lambda: now)
    keeper = LeaseKeeper(leases, "leader", "me", ttl=15, renew=5)
    await keeper.step()
    alerts = FeedAlerts(store, leases, {"discord": rig.bot}, clock=lambda: now)
    await alerts.run(keeper.current)
    await alerts.run(keeper.current)  # a second round says nothing more
    told = await rig.seen(lambda v: "A news source is failing" in v.text)
    dm = rig.fake.world.channels[told.channel_id]
    assert dm.recipient == rig.manager.id
    assert "Daily Planet" in told.text and "/feeds remove" in told.text
    assert len(rig.said(lambda v: "A news source is failing" in v.text)) == 1
    assert rig.said(lambda v: v.channel_id == rig.channel.id) == []  # nothing public
