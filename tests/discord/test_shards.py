"""Gateway shards held through leases (adapters/discord/shards.py), against the FakeDiscord.

Two adapters share one store and one fake Discord. Their lease clocks (UTC and
monotonic) and their back-off sleeps are one test clock, and each instance's
keeper round is stepped by hand, so a "freeze" is an instance not stepped while
time passes: exact, and nothing sleeps. The gateway, the IDENTIFYs and the
interactions are real (discord.py against the fake).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from adapters.discord.adapter import DiscordPlatform
from adapters.discord.shards import CAP, ShardGateways
from bot.chat.conversation import Conversation
from bot.config import Settings
from bot.leader import LeaseKeeper
from bot.store import Store
from bot.store.leases import Lease, Leases
from tests.discord.fake import FakeChannel, FakeDiscord, FakeUser

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0
        self.mono = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.mono += seconds

    async def sleep(self, seconds: float) -> None:
        """A back-off wait: recorded, and the test clock moves on by as much."""
        self.slept.append(seconds)
        self.advance(seconds)
        await asyncio.sleep(0)


@dataclass
class World:
    fake: FakeDiscord
    channel: FakeChannel
    manager: FakeUser
    clock: Clock

    def identifies(self) -> int:
        return len([e for e in self.fake.gateway.events.items if e.kind == "identify"])

    async def ready_sessions(self, n: int) -> None:
        events = self.fake.gateway.events
        await events.wait_for(
            lambda _: len({e.session for e in events.items if e.kind == "ready"}) >= n
        )


@pytest.fixture
async def world() -> AsyncIterator[World]:
    fake = await FakeDiscord().start()
    _, channel = fake.add_guild("Newsroom")
    manager = fake.add_user("Mina", manager=True)
    try:
        yield World(fake, channel, manager, Clock())
    finally:
        await fake.close()


def instance(world: World, store: Store, holder: str) -> DiscordPlatform:
    settings = Settings.model_validate(
        {
            "DISCORD_TOKEN": SecretStr(world.fake.world.token),
            "discord_api_url": world.fake.api_url,
            "discord_message_content": True,
        }
    )
    return DiscordPlatform(
        settings,
        store,
        holder=holder,
        leases=Leases(store.engine, clock=world.clock),
        monotonic=world.clock.monotonic,
        sleep=world.clock.sleep,
    )


async def register_commands(p: DiscordPlatform, world: World) -> None:
    """The leader's duty (``newsbrief run``'s leader does it): the fake delivers only
    commands that were registered."""
    keeper = LeaseKeeper(p.leases, "leader", "l", ttl=15, renew=5, monotonic=world.clock.monotonic)
    await keeper.step()
    await p.commands.run(keeper.current)
    await keeper.release()


def shards(p: DiscordPlatform) -> ShardGateways:
    assert p.shards is not None
    return p.shards


async def test_one_instance_per_shard_and_a_frozen_holder_stays_quiet(
    world: World, news: Store, conversation: Conversation
) -> None:
    a, b = instance(world, news, "a"), instance(world, news, "b")
    try:
        await asyncio.gather(a.open(conversation), b.open(conversation))
        await register_commands(a, world)
        await shards(a).step()
        await shards(b).step()
        assert shards(a).held() == [0] and shards(b).held() == []
        await world.ready_sessions(1)
        assert (await b.readiness()).ok  # standing by is ready: it posts over REST
        await world.fake.slash(world.manager, world.channel, "brief", topic="korea")
        await world.fake.visible.wait_for(lambda v: "Brief: korea" in v.text)

        # a freezes (not stepped). b's rounds take the shard once the lease ran out.
        world.clock.advance(5)
        await shards(b).step()
        assert shards(b).held() == []  # 5 s after a's renewal: still a's
        world.clock.advance(10.1)
        await shards(b).step()
        assert shards(b).held() == [0]  # 15.1 s after a's last renewal
        lease = Leases(news.engine, clock=world.clock).get("discord-shard:0")
        assert lease == Lease("discord-shard:0", "b", 2, world.clock.now + timedelta(seconds=15))
        await world.ready_sessions(2)

        # Both sessions are on the shard now; a woke up with events in its socket.
        acks = len(world.fake.acks.items)
        await world.fake.slash(world.manager, world.channel, "brief", topic="port")
        await world.fake.visible.wait_for(lambda v: "Brief: port" in v.text)
        await world.fake.acks.wait_for(lambda _: len(world.fake.acks.items) > acks)
        assert len(world.fake.acks.items) == acks + 1  # deferred once: only b answered
        posts = world.fake.visible.matching(lambda v: "Brief: port" in v.text)
        assert len(posts) == 1

        # a's next round sees its lease gone and drops the gateway.
        closed = len([e for e in world.fake.gateway.events.items if e.kind == "closed"])
        await shards(a).step()
        assert shards(a).held() == [] and shards(a).clients == {}
        await world.fake.gateway.events.wait_for(
            lambda _: (
                len([e for e in world.fake.gateway.events.items if e.kind == "closed"]) > closed
            )
        )
        assert world.identifies() == 2  # a's and b's: no retry storm on either side
    finally:
        await asyncio.gather(a.stop(), b.stop())


async def test_a_dead_holders_shard_is_taken_within_30_s(
    world: World, news: Store, conversation: Conversation
) -> None:
    a, b = instance(world, news, "a"), instance(world, news, "b")
    try:
        await asyncio.gather(a.open(conversation), b.open(conversation))
        await shards(a).step()
        await world.ready_sessions(1)
        await a.stop()  # a clean stop releases at once: b takes it at its next round
        world.clock.advance(5)
        await shards(b).step()
        assert shards(b).held() == [0]
        await world.ready_sessions(2)

        # b dies without releasing (its client gone, no more rounds): a third takes over.
        await shards(b)._drop(0)
        c = instance(world, news, "c")
        await c.open(conversation)
        waited = 0.0
        while not shards(c).held():
            world.clock.advance(5)  # c's rounds, every renewal interval
            waited += 5
            await shards(c).step()
        assert waited <= 20 < 30, waited  # the TTL (15 s) plus one round at most
        await world.ready_sessions(3)
        await c.stop()
    finally:
        await asyncio.gather(a.stop(), b.stop())


async def test_identify_is_backed_off_never_crash_looped(
    world: World, news: Store, conversation: Conversation
) -> None:
    """Discord invalidates every session at once, eight times: nine IDENTIFYs, each
    waiting twice as long as the last (5 s up to 5 minutes), never a tight loop."""
    p = instance(world, news, "a")
    try:
        await p.open(conversation)
        await shards(p).step()
        for n in range(1, 9):
            await world.ready_sessions(n)
            await world.fake.gateway.invalidate()
        await world.ready_sessions(9)
        assert world.identifies() == 9
        waits = [round(w) for w in world.clock.slept]
        assert waits == [5, 10, 20, 40, 80, 160, 300, 300], waits
        assert max(world.clock.slept) == CAP  # at most 86400 / 300 = 288 a day per shard
    finally:
        await p.stop()


async def test_a_shard_whose_login_failed_is_opened_at_the_next_round(
    world: World, news: Store, conversation: Conversation
) -> None:
    p = instance(world, news, "a")
    try:
        await p.open(conversation)  # the REST client is logged in
        world.fake.fail("GET", r"/api/v10/users/@me", 400, 0, "Bad Request")
        await shards(p).step()  # the lease is won, the shard client's login refused
        assert shards(p).clients == {} and shards(p).keepers[0].held is not None
        assert world.identifies() == 0
        world.clock.advance(5)
        await shards(p).step()
        assert shards(p).held() == [0]
        await world.ready_sessions(1)
    finally:
        await p.stop()
