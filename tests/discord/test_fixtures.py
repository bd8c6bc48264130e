"""The recorded examples from Discord's docs are real to discord.py: it reads every one.

The fake builds its payloads from them, so if discord.py stopped understanding a
documented shape, these fail first and say which.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import discord
import pytest
from discord import app_commands
from discord.appinfo import AppInfo
from discord.state import ConnectionState

from tests.discord.fake.world import FIXTURES, fixture


@pytest.fixture
def state() -> Iterator[ConnectionState[discord.Client]]:
    client = discord.Client(intents=discord.Intents(guilds=True))
    state = client._connection
    state.user = discord.ClientUser(state=state, data=fixture("user"))  # type: ignore[arg-type]
    yield state


def test_every_listed_example_is_there_and_is_json() -> None:
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    listed = {line.split("`")[1] for line in readme.splitlines() if line.startswith("| `")}
    present = {p.name for p in FIXTURES.glob("*.json")}
    assert listed == present and len(present) >= 15
    for name in present:
        json.loads(Path(FIXTURES / name).read_text(encoding="utf-8"))


def test_users_guilds_channels_threads_and_messages(
    state: ConnectionState[discord.Client],
) -> None:
    user = discord.User(state=state, data=fixture("user"))  # type: ignore[arg-type]
    assert user.name == "Nelly" and user.id == 80351110224678912
    guild = discord.Guild(data=fixture("guild"), state=state)  # type: ignore[arg-type]
    assert guild.name == "Discord Testers"
    text = discord.TextChannel(state=state, guild=guild, data=fixture("channel_guild_text"))  # type: ignore[arg-type]
    assert text.name == "general" and text.type is discord.ChannelType.text
    thread = discord.Thread(guild=guild, state=state, data=fixture("channel_thread"))  # type: ignore[arg-type]
    assert thread.parent_id == 41771983423143937 and not thread.archived
    dm = fixture("channel_dm")
    assert dm["type"] == 1
    message = discord.Message(state=state, channel=text, data=fixture("message"))  # type: ignore[arg-type]
    assert message.content == "Supa Hot" and message.author.name == "Mason"


def test_the_application_and_a_command(state: ConnectionState[discord.Client]) -> None:
    data = fixture("application")
    with pytest.raises(KeyError):  # its team members lack "role", which discord.py reads
        AppInfo(state, data)  # type: ignore[arg-type]
    data.pop("team")  # the fake's bot belongs to no team
    app = AppInfo(state, data)  # type: ignore[arg-type]
    assert app.name == "Baba O-Riley" and app.id == 172150183260323840
    data = {**fixture("command_slash"), "id": "1", "application_id": "2", "version": "3"}
    command = app_commands.AppCommand(data=data, state=state)  # type: ignore[arg-type]
    assert command.name == "blep" and [o.name for o in command.options] == ["animal", "only_smol"]


def test_gateway_and_error_payloads_have_the_documented_shape() -> None:
    assert fixture("gateway_hello") == {"op": 10, "d": {"heartbeat_interval": 45000}}
    assert fixture("gateway_heartbeat_ack") == {"op": 11}
    assert fixture("gateway_reconnect")["op"] == 7
    assert fixture("gateway_invalid_session") == {"op": 9, "d": False}
    assert set(fixture("gateway_resume")["d"]) == {"token", "session_id", "seq"}
    assert fixture("gateway_identify")["d"]["intents"] == 5
    assert fixture("error_response")["code"] == 50014
    limited = fixture("rate_limit_429")
    assert limited["retry_after"] == 64.57 and limited["global"] is False


def test_the_interaction_example_needs_what_the_fake_adds(
    state: ConnectionState[discord.Client],
) -> None:
    """The docs' example predates fields discord.py 2.x reads; the fake adds those."""
    raw = fixture("interaction_slash")
    with pytest.raises(KeyError):
        discord.Interaction(data=raw, state=state)  # type: ignore[arg-type]
    raw.update(application_id="1", version=1, attachment_size_limit=26214400)
    raw["member"]["flags"] = 0
    interaction = discord.Interaction(data=raw, state=state)  # type: ignore[arg-type]
    assert interaction.user.name == "Mason"
    assert interaction.permissions.value == 2147483647
