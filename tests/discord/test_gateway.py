"""Start-up against the FakeDiscord: command sync once per change, shards, ``newsbrief run``."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from functools import partial
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from adapters.discord.adapter import DiscordPlatform
from bot.app import NewsbriefApp
from bot.chat.conversation import Conversation
from bot.config import Settings
from bot.errors import NewsbriefError
from bot.leader import Leader, LeaseKeeper
from bot.store import Store
from tests.discord.fake import FakeChannel, FakeDiscord, Visible
from tests.discord.fake.rest import Call
from tests.discord.rig import DiscordRig
from tests.slack.fake_slack import FakeSlack
from tests.slack.rig import TEAM, command_fields


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


async def test_readiness_follows_the_gateway(news: Store, conversation: Conversation) -> None:
    async with DiscordRig.open(news, conversation, heartbeat_ms=50) as rig:
        await rig.gateway("heartbeat", 2)  # an ACK gives it a latency
        assert rig.bot.shards is not None
        await asyncio.wait_for(rig.bot.shards.clients[0].wait_until_ready(), timeout=20)
        ready = await rig.bot.readiness()
        assert ready.ok and "1 servers" in ready.detail, ready
        await rig.bot.stop()
        assert not (await rig.bot.readiness()).ok


async def test_only_the_leader_syncs_and_once_per_change(store: Store) -> None:
    """Three instances start (none syncs), each runs the leader's duties: one sync.
    Restarted, they sync nothing; a changed command set is synced once. On SQLite,
    and on PostgreSQL too when the suite has one (the ``store`` fixture)."""
    fake = await FakeDiscord().start()
    handler = Conversation(store)
    try:

        async def boot(**values: object) -> list[tuple[DiscordPlatform, Leader]]:
            booted = []
            for n in range(3):
                p = DiscordPlatform(settings_for(fake, **values), store)
                await p.open(handler)  # what start() does before the gateway
                keeper = LeaseKeeper(p.leases, "leader", f"i{n}", ttl=15, renew=5)
                booted.append((p, Leader(keeper, p.leader_duties())))
            return booted

        async def rounds(booted: list[tuple[DiscordPlatform, Leader]]) -> None:
            for _ in range(2):
                await asyncio.gather(*(ldr.keeper.step() for _, ldr in booted))
                await asyncio.gather(*(ldr.run_due() for _, ldr in booted))

        async def stop(booted: list[tuple[DiscordPlatform, Leader]]) -> None:
            for p, ldr in booted:
                await ldr.keeper.release()
                await p.stop()

        first = await boot()
        assert fake.world.syncs == []  # starting an instance syncs nothing
        await rounds(first)
        assert fake.world.syncs == ["global"]
        await stop(first)
        again = await boot()  # a redeploy with the same commands
        await rounds(again)
        assert fake.world.syncs == ["global"]
        await stop(again)
        guild, _ = fake.add_guild("Dev")
        changed = await boot(discord_guild_ids=str(guild.id))  # another command set
        await rounds(changed)
        assert fake.world.syncs == ["global", str(guild.id)]
        await stop(changed)
    finally:
        await fake.close()


async def test_a_failed_sync_is_retried_at_the_next_round(store: Store) -> None:
    fake = await FakeDiscord().start()
    try:
        fake.fail("PUT", r"/api/v10/applications/\d+/commands", 400, 50035, "Invalid Form Body")
        p = DiscordPlatform(settings_for(fake), store)
        keeper = LeaseKeeper(p.leases, "leader", "me", ttl=15, renew=5)
        await keeper.step()
        assert "failed" in await p.commands.run(keeper.current)
        assert fake.world.syncs == []
        second = DiscordPlatform(settings_for(fake), store)  # the fault was one request
        assert "synced" in await second.commands.run(keeper.current)
        assert fake.world.syncs == ["global"]
        assert await second.commands.run(keeper.current) == "discord commands unchanged"
        await keeper.release()
        await asyncio.gather(p.stop(), second.stop())
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
        await rig.wait_ready(2)  # the second IDENTIFY waits 5 s, as Discord asks
        identifies = [e for e in rig.fake.gateway.events.items if e.kind == "identify"]
        assert sorted(e.shard for e in identifies) == [0, 1]
        creates = [e for e in rig.fake.gateway.events.items if e.detail == "GUILD_CREATE"]
        assert sorted(e.shard for e in creates) == [0, 1]  # each guild on its own shard
        assert rig.bot.shards is not None and rig.bot.shards.count == 2
        assert rig.bot.shards.held() == [0, 1]  # the only instance: it holds both leases
        gap = identifies[1].at - identifies[0].at
        assert gap >= 4.9, gap
        for channel in (rig.channel, second[0]):
            await rig.fake.slash(rig.manager, channel, "brief", topic="korea")
            post = await rig.seen(partial(_brief_in, channel.id))
            assert post.where == "channel"


def synced(call: Call) -> bool:
    """A bulk overwrite of the commands, done."""
    return call.method == "PUT" and call.path.endswith("/commands") and call.status == 200


def _brief_in(channel_id: int, v: Visible) -> bool:
    return v.channel_id == channel_id and "Brief" in v.text


async def test_auto_shards_ask_discord_how_many(news: Store, conversation: Conversation) -> None:
    async with DiscordRig.open(news, conversation, discord_shards="auto") as rig:
        assert rig.bot.shards is not None
        assert rig.bot.shards.count == 1  # what /gateway/bot recommended
        identifies = [e for e in rig.fake.gateway.events.items if e.kind == "identify"]
        assert [e.shard for e in identifies] == [0]
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
            await fake.calls.wait_for(synced, timeout=60)  # the leader registered the commands
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


async def test_one_process_serves_slack_and_discord(tmp_path: Path) -> None:
    """Both platforms configured: one ``NewsbriefApp`` (what ``run`` starts) answers on each."""
    slack = FakeSlack()
    slack.add_workspace(TEAM, "Newsroom")
    slack.add_channel("C0NEWS", TEAM)
    slack.add_user("U0ASK", TEAM, "asker")
    await slack.start()
    discord_ = await FakeDiscord().start()
    _, channel = discord_.add_guild("Newsroom")
    manager = discord_.add_user("Mina", manager=True)
    settings = Settings.model_validate(
        {
            "data_dir": tmp_path / "data",
            "database_url": f"sqlite:///{tmp_path / 'both.db'}",
            "http_port": 0,
            "secret_key": Fernet.generate_key().decode(),
            "slack_api_url": slack.api_url,
            "SLACK_BOT_TOKEN": slack.workspaces[TEAM].bot_token,
            "SLACK_APP_TOKEN": slack.app_token,
            "DISCORD_TOKEN": discord_.world.token,
            "discord_api_url": discord_.api_url,
        }
    )
    app = NewsbriefApp(settings)
    stop = asyncio.Event()
    try:
        await app.open()
        serving = asyncio.create_task(app.serve(stop))
        assert sorted(p.name for p in app.running) == ["discord", "slack"]
        await slack.hellos.wait_for(lambda _: True)
        await discord_.gateway.events.wait_for(lambda e: e.kind == "ready")
        await discord_.calls.wait_for(synced)  # the leader registered the commands
        fields = command_fields(slack, "/brief", "korea", user="U0ASK", team=TEAM, channel="C0NEWS")
        await slack.push("slash_commands", fields)
        await discord_.slash(manager, channel, "brief", topic="korea")
        on_slack = await slack.messages.wait_for(lambda m: "Brief: korea" in m.shown)
        on_discord = await discord_.visible.wait_for(lambda v: "Brief: korea" in v.text)
        assert "Trump" in on_slack.shown and "Trump" in on_discord.text
        stop.set()
        await asyncio.wait_for(serving, timeout=30)
    finally:
        await app.close()
        await discord_.close()
        await slack.close()


async def test_a_refused_token_or_no_discord_is_a_setting_to_fix(store: Store) -> None:
    fake = await FakeDiscord().start()
    try:
        wrong = DiscordPlatform(settings_for(fake, DISCORD_TOKEN=SecretStr("not.the.token")), store)
        with pytest.raises(NewsbriefError, match="Discord refused DISCORD_TOKEN"):
            await wrong.open(Conversation(store))
        await wrong.stop()
    finally:
        await fake.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{s.getsockname()[1]}/api/v10"
    gone = DiscordPlatform(settings_for(fake, discord_api_url=nowhere), store)
    with pytest.raises(NewsbriefError, match=rf"cannot reach Discord at {nowhere} \(NEWSBRIEF_"):
        await gone.open(Conversation(store))
    await gone.stop()
