"""One newsbrief Discord adapter, connected to a FakeDiscord, with a guild and two people.

``DiscordRig.open`` starts the fake (a guild "Newsroom" with #news, a manager
Mina and a guest Gus), then the real ``DiscordPlatform`` on discord.py, and
yields once the bot has its READY and GUILD_CREATE. ``restart`` is a redeploy:
a new platform instance on the same fake and store.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import discord
from pydantic import SecretStr

from adapters.discord.adapter import DiscordPlatform
from bot.chat.messages import ChannelRef
from bot.chat.platform import EventHandler
from bot.config import Settings
from bot.leader import LeaseKeeper
from bot.store import Store
from bot.store.leases import Leases
from tests.discord.fake import FakeChannel, FakeDiscord, FakeGuild, FakeUser, Visible


class DiscordRig:
    def __init__(self, fake: FakeDiscord, store: Store, handler: EventHandler, **settings: Any):
        self.fake = fake
        self.store = store
        self.handler = handler
        self.overrides = settings
        self.guild: FakeGuild
        self.channel: FakeChannel
        self.guild, self.channel = fake.add_guild("Newsroom")
        self.manager: FakeUser = fake.add_user("Mina", manager=True)
        self.guest: FakeUser = fake.add_user("Gus")
        self.platform: DiscordPlatform | None = None
        self.task: asyncio.Task[None] | None = None

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        store: Store,
        handler: EventHandler,
        *,
        clock: Callable[[], float] | None = None,
        heartbeat_ms: int = 41250,
        setup: Callable[[DiscordRig], None] | None = None,
        **settings: Any,
    ) -> AsyncIterator[DiscordRig]:
        """``setup`` changes the fake's world before the bot first connects."""
        kw: dict[str, Any] = {"heartbeat_ms": heartbeat_ms}
        if clock is not None:
            kw["clock"] = clock
        fake = await FakeDiscord(**kw).start()
        rig = cls(fake, store, handler, **settings)
        if setup is not None:
            setup(rig)
        try:
            await rig.start()
            yield rig
        finally:
            await rig.stop()
            await fake.close()

    def settings(self) -> Settings:
        values: dict[str, Any] = {
            "DISCORD_TOKEN": SecretStr(self.fake.world.token),
            "discord_api_url": self.fake.api_url,
            "discord_gateway_url": "",
            "discord_message_content": True,
            **self.overrides,
        }
        return Settings.model_validate(values)  # these values only: no environment, no .env

    @property
    def channel_ref(self) -> ChannelRef:
        return ChannelRef("discord", str(self.channel.id), self.channel.name, str(self.guild.id))

    @property
    def bot(self) -> DiscordPlatform:
        assert self.platform is not None
        return self.platform

    @property
    def gateway_client(self) -> discord.Client:
        """The client of shard 0, which this (only) instance holds."""
        assert self.bot.shards is not None
        return self.bot.shards.clients[0]

    async def start(self) -> None:
        events = self.fake.gateway.events
        before = len({e.session for e in events.items if e.kind == "ready"})
        self.platform = DiscordPlatform(self.settings(), self.store)
        self.task = asyncio.create_task(self.platform.start(self.handler), name="discord")
        waiting = asyncio.create_task(self.wait_ready(before + 1))
        done, _ = await asyncio.wait({waiting, self.task}, return_when=asyncio.FIRST_COMPLETED)
        if self.task in done:
            waiting.cancel()
            self.task.result()  # raises what start() raised
            raise AssertionError("the platform stopped before it was ready")
        await self.sync()

    async def sync(self) -> None:
        """What the leader does (``newsbrief run``'s leader duty): register the slash
        commands where they changed, so that the fake can deliver them."""
        keeper = LeaseKeeper(Leases(self.store.engine), "leader", "rig", ttl=15, renew=5)
        await keeper.step()
        await self.bot.commands.run(keeper.current)
        await keeper.release()

    async def wait_ready(self, sessions: int) -> None:
        events = self.fake.gateway.events
        await events.wait_for(
            lambda _: len({e.session for e in events.items if e.kind == "ready"}) >= sessions
        )

    async def gateway(self, kind: str, count: int) -> None:
        """Until the fake gateway has seen ``count`` events of ``kind`` (resume, heartbeat…)."""
        events = self.fake.gateway.events
        await events.wait_for(lambda _: len([e for e in events.items if e.kind == kind]) >= count)

    async def stop(self) -> None:
        if self.platform is not None:
            await self.platform.stop()
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self.task, timeout=20)
        self.platform, self.task = None, None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    # ------------------------------------------------------------- waiting
    def by_bot(self, v: Visible) -> bool:
        return v.author_id == self.fake.world.bot.id

    async def seen(self, predicate: Callable[[Visible], bool], timeout: float = 20.0) -> Visible:
        """The first message from the bot matching ``predicate``, shown already or yet to be."""
        return await self.fake.visible.wait_for(
            lambda v: self.by_bot(v) and predicate(v), timeout=timeout
        )

    async def thread_of(self, post: Visible) -> FakeChannel:
        """The thread started from ``post`` (its id is the message's), once it exists."""
        mid = int(post.message["id"])
        return await self.fake.threads.wait_for(lambda t: t.id == mid)

    async def brief(self, topic: str = "korea", user: FakeUser | None = None) -> Visible:
        """``/brief topic`` by the manager; the post, once the command is done with it."""
        state = await self.fake.slash(user or self.manager, self.channel, "brief", topic=topic)
        post = await self.seen(lambda v: v.where == "channel" and f"Brief: {topic}" in v.text)
        await self.finished(state)
        return post

    async def finished(self, state: dict[str, Any]) -> None:
        """The adapter ended an interaction: its deferred "thinking…" message was removed,
        which it does once the core's handler returned (a brief's thread is remembered)."""
        token = state["token"]
        await self.fake.calls.wait_for(
            lambda c: c.method == "DELETE" and token in c.path and c.status == 204
        )

    def said(self, predicate: Callable[[Visible], bool] = lambda v: True) -> list[Visible]:
        """Everything the bot showed so far that matches ``predicate``."""
        return self.fake.visible.matching(lambda v: self.by_bot(v) and predicate(v))
