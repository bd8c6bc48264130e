"""Start-up against the FakeDiscord: command sync once per change, shards, ``newsbrief run``."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from functools import partial
from pathlib import Path

from discord import AutoShardedClient
from pydantic import SecretStr

from adapters.discord.adapter import DiscordPlatform
from bot.chat.conversation import Conversation
from bot.config import Settings
from bot.store import Store
from tests.discord.fake import FakeChannel, FakeDiscord, Visible
from tests.discord.rig import DiscordRig


def settings_for(fake: FakeDiscord, **values: object) -> Settings:
    base: dict[str, object] = {
        "DISCORD_TOKEN": SecretStr(fake.world.token),
        "discord_api_url": fake.api_url,
    }
    return Settings.model_validate({**base, **values})


async def test_commands_sync_only_when_the_tree_changed(
    news: Store, conversation: Conversation
) -> None:
    async with DiscordRig.open(news, conversation) as rig:
        assert rig.fake.world.syncs == ["global"]
        names = {c["name"] for c in rig.fake.world.commands["global"]}
        assert names == {"brief", "digest", "feeds", "newsbrief", "ask"}
        feeds = next(c for c in rig.fake.world.commands["global"] if c["name"] == "feeds")
        assert int(feeds["default_member_permissions"]) == 16  # Manage Channels
        assert feeds["contexts"] == [0]  # servers only
        await rig.restart()
        await rig.restart()
        assert rig.fake.world.syncs == ["global"]  # unchanged: no sync at boot
        # Development guilds: synced there (instant), once each, then not again.
        rig.overrides["discord_guild_ids"] = f"{rig.guild.id}"
        await rig.restart()
        await rig.restart()
        assert rig.fake.world.syncs == ["global", str(rig.guild.id)]


async def test_instances_booting_together_sync_once(news: Store) -> None:
    fake = await FakeDiscord().start()
    try:
        a = DiscordPlatform(settings_for(fake), news)
        b = DiscordPlatform(settings_for(fake), news)
        await asyncio.gather(a.login(), b.login())
        await asyncio.gather(a.sync_commands(), b.sync_commands())
        assert fake.world.syncs == ["global"]
        await asyncio.gather(a.stop(), b.stop())
    finally:
        await fake.close()


async def test_a_failed_sync_is_retried_at_the_next_start(news: Store) -> None:
    fake = await FakeDiscord().start()
    try:
        fake.fail("PUT", r"/api/v10/applications/\d+/commands", 400, 50035, "Invalid Form Body")
        first = DiscordPlatform(settings_for(fake), news)
        await first.login()
        await first.sync_commands()
        assert fake.world.syncs == []
        second = DiscordPlatform(settings_for(fake), news)
        await second.login()
        await second.sync_commands()
        assert fake.world.syncs == ["global"]
        await asyncio.gather(first.stop(), second.stop())
    finally:
        await fake.close()


async def test_shards_split_the_guilds_and_each_shard_answers(
    news: Store, conversation: Conversation
) -> None:
    second: list[FakeChannel] = []

    def two_guilds(rig: DiscordRig) -> None:  # the rig's guild on one shard, "Second" on the other
        other = ((rig.guild.id >> 22) + 1) << 22
        guild, channel = rig.fake.add_guild("Second", guild_id=other)
        guild.members += [rig.manager.id, rig.guest.id]
        second.append(channel)

    async with DiscordRig.open(news, conversation, discord_shards="2", setup=two_guilds) as rig:
        await rig.wait_ready(2)  # discord.py waits 5 s before the second IDENTIFY, as Discord asks
        identifies = [e for e in rig.fake.gateway.events.items if e.kind == "identify"]
        assert sorted(e.shard for e in identifies) == [0, 1]
        creates = [e for e in rig.fake.gateway.events.items if e.detail == "GUILD_CREATE"]
        assert sorted(e.shard for e in creates) == [0, 1]  # each guild on its own shard
        assert rig.bot.client.shard_count == 2
        for channel in (rig.channel, second[0]):
            await rig.fake.slash(rig.manager, channel, "brief", topic="korea")
            post = await rig.seen(partial(_brief_in, channel.id))
            assert post.where == "channel"


def _brief_in(channel_id: int, v: Visible) -> bool:
    return v.channel_id == channel_id and "Brief" in v.text


async def test_auto_shards_ask_discord_how_many(news: Store, conversation: Conversation) -> None:
    async with DiscordRig.open(news, conversation, discord_shards="auto") as rig:
        assert rig.bot.client.shard_count == 1  # what /gateway/bot recommended
        assert isinstance(rig.bot.client, AutoShardedClient)
        await rig.brief()


async def test_newsbrief_run_serves_discord_until_sigterm(tmp_path: Path) -> None:
    fake = await FakeDiscord().start()
    try:
        _, channel = fake.add_guild("Newsroom")
        manager = fake.add_user("Mina", manager=True)
        env = {
            **os.environ,
            **fake.env(),
            "NEWSBRIEF_DATA_DIR": str(tmp_path / "data"),
            "NEWSBRIEF_DATABASE_URL": "",
            "NEWSBRIEF_HTTP_PORT": "0",
        }
        env.pop("NEWSBRIEF_TEST_DATABASE_URL", None)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "-v",
            "run",
            env=env,
            stdin=asyncio.subprocess.DEVNULL,  # no console: stdin closing ends nothing
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await fake.gateway.events.wait_for(lambda e: e.kind == "ready", timeout=60)
            await fake.slash(manager, channel, "brief", topic="korea")
            post = await fake.visible.wait_for(lambda v: "Brief: korea" in v.text, timeout=30)
            assert "Trump" in post.text
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
        assert proc.returncode == 0, err.decode()
        logs = out.decode() + err.decode()
        assert "Traceback" not in logs
        assert fake.world.token not in logs  # the token is never logged
    finally:
        await fake.close()
