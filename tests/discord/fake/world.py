"""What the fake Discord knows: users, guilds, channels, messages, and their JSON shapes.

Every payload starts as a copy of a real example from Discord's documentation
(``tests/fixtures/discord/``) with ids, names and content put in.
Permissions are real bit sets, computed the way Discord does (roles, then the
channel's overwrites), so that a member's ``permissions`` in an interaction and
the bot's ``app_permissions`` tell the adapter what Discord would.
"""

from __future__ import annotations

import copy
import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from discord import Permissions

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "discord"
Json = dict[str, Any]

EVERYONE = Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    embed_links=True,
    read_message_history=True,
    use_application_commands=True,
)
BOT_NEEDS = Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    embed_links=True,
    read_message_history=True,
)
MANAGE_CHANNELS = Permissions(manage_channels=True)

TEXT, DM, PUBLIC_THREAD = 0, 1, 11


@cache
def _fixture(name: str) -> str:
    return (FIXTURES / f"{name}.json").read_text(encoding="utf-8")


def fixture(name: str) -> Json:
    """A fresh copy of a documented example."""
    data: Json = json.loads(_fixture(name))
    return data


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


_ids = itertools.count(1_300_000_000_000_000_000)


def snowflake() -> int:
    return next(_ids)


@dataclass
class FakeUser:
    id: int
    username: str
    bot: bool = False
    extra: Permissions = field(default_factory=Permissions.none)  # on top of @everyone

    def payload(self) -> Json:
        user = fixture("user")
        for k in ("email", "verified", "flags", "premium_type"):  # only for the user's own view
            user.pop(k, None)
        user.update(
            id=str(self.id), username=self.username, global_name=self.username, bot=self.bot
        )
        user["discriminator"] = "0"
        return user

    def member(self, permissions: Permissions | None = None) -> Json:
        data: Json = {
            "user": self.payload(),
            "roles": [],
            "nick": None,
            "joined_at": "2026-01-05T10:00:00+00:00",
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
        }
        if permissions is not None:
            data["permissions"] = str(permissions.value)
        return data


@dataclass
class FakeChannel:
    id: int
    guild_id: int | None
    name: str
    type: int = TEXT
    parent_id: int | None = None
    owner_id: int | None = None
    bot_denied: Permissions = field(default_factory=Permissions.none)
    recipient: int | None = None  # DM channels

    def payload(self, bot_id: int) -> Json:
        if self.type == PUBLIC_THREAD:
            data = fixture("channel_thread")
            data.update(parent_id=str(self.parent_id), owner_id=str(self.owner_id))
            data["rate_limit_per_user"] = 0
            data.pop("last_message_id", None)
        elif self.type == DM:
            data = fixture("channel_dm")
            data.pop("last_message_id", None)
            return {**data, "id": str(self.id), "recipients": []}
        else:
            data = fixture("channel_guild_text")
            data.update(parent_id=None, nsfw=False, rate_limit_per_user=0, position=0)
            data.pop("last_message_id", None)
            overwrites = []
            if self.bot_denied.value:
                overwrites.append(
                    {"id": str(bot_id), "type": 1, "allow": "0", "deny": str(self.bot_denied.value)}
                )
            data["permission_overwrites"] = overwrites
        data.update(id=str(self.id), guild_id=str(self.guild_id), name=self.name)
        return data


@dataclass
class FakeGuild:
    id: int
    name: str
    channels: list[int] = field(default_factory=list)
    members: list[int] = field(default_factory=list)


class World:
    """The state the REST API and the gateway share."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.bot = FakeUser(snowflake(), "newsbrief", bot=True)
        self.application_id = self.bot.id  # as for every bot made since 2019
        self.users: dict[int, FakeUser] = {self.bot.id: self.bot}
        self.guilds: dict[int, FakeGuild] = {}
        self.channels: dict[int, FakeChannel] = {}
        self.messages: dict[int, list[Json]] = {}  # channel id → messages, oldest first
        self.commands: dict[str, list[Json]] = {}  # "global" or guild id → synced commands
        self.syncs: list[str] = []  # each bulk overwrite, by scope
        self.active_threads = True  # GUILD_CREATE lists threads (False: archived, as Discord)

    # ------------------------------------------------------------- building
    def add_user(self, name: str, *, manager: bool = False, bot: bool = False) -> FakeUser:
        user = FakeUser(
            snowflake(), name, bot=bot, extra=MANAGE_CHANNELS if manager else Permissions()
        )
        self.users[user.id] = user
        return user

    def add_guild(self, name: str, guild_id: int | None = None) -> FakeGuild:
        guild = FakeGuild(guild_id or snowflake(), name, members=[self.bot.id])
        self.guilds[guild.id] = guild
        return guild

    def add_channel(self, guild: FakeGuild, name: str, **kw: Any) -> FakeChannel:
        channel = FakeChannel(snowflake(), guild.id, name, **kw)
        self.channels[channel.id] = channel
        self.messages[channel.id] = []
        guild.channels.append(channel.id)
        return channel

    def add_thread(self, parent: FakeChannel, thread_id: int, name: str, owner: int) -> FakeChannel:
        thread = FakeChannel(
            thread_id, parent.guild_id, name, PUBLIC_THREAD, parent_id=parent.id, owner_id=owner
        )
        self.channels[thread.id] = thread
        self.messages.setdefault(thread.id, [])
        if parent.guild_id is not None:
            self.guilds[parent.guild_id].channels.append(thread.id)
        return thread

    # ------------------------------------------------------------- permissions
    def permissions(self, user_id: int, channel: FakeChannel) -> Permissions:
        """The user's permissions in ``channel``: @everyone, extras, then overwrites."""
        if channel.type == DM:
            return BOT_NEEDS
        user = self.users[user_id]
        perms = Permissions(EVERYONE.value | user.extra.value)
        base = self.channels[channel.parent_id] if channel.parent_id else channel
        if user_id == self.bot.id:
            perms = Permissions(perms.value & ~base.bot_denied.value)
        return perms

    def guild_of(self, channel: FakeChannel) -> FakeGuild | None:
        return self.guilds.get(channel.guild_id) if channel.guild_id else None

    # ------------------------------------------------------------- payloads
    def message(
        self,
        channel: FakeChannel,
        author: FakeUser,
        body: Json,
        *,
        webhook_id: int | None = None,
        flags: int = 0,
    ) -> Json:
        msg = fixture("message")
        msg.update(
            id=str(snowflake()),
            channel_id=str(channel.id),
            author=author.payload(),
            content=body.get("content") or "",
            embeds=body.get("embeds") or [],
            mentions=body.get("mentions", []),
            mention_roles=[],
            reactions=[],
            timestamp=now_iso(),
            type=19 if body.get("message_reference") else 0,
            flags=flags,
        )
        if body.get("nonce") is not None:
            msg["nonce"] = str(body["nonce"])
        if body.get("message_reference"):
            msg["message_reference"] = body["message_reference"]
        if webhook_id is not None:
            msg["webhook_id"] = str(webhook_id)
        return msg

    def guild_create(self, guild: FakeGuild) -> Json:
        data = fixture("guild")
        everyone = {
            "id": str(guild.id),
            "name": "@everyone",
            "permissions": str(EVERYONE.value),
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        channels = [self.channels[c] for c in guild.channels]
        data.update(
            id=str(guild.id),
            name=guild.name,
            owner_id=str(guild.members[-1]),
            roles=[everyone],
            rules_channel_id=None,
            public_updates_channel_id=None,
            safety_alerts_channel_id=None,
            features=[],
            joined_at="2026-01-05T10:00:00+00:00",
            large=False,
            unavailable=False,
            member_count=len(guild.members),
            voice_states=[],
            members=[self.bot.member()],  # without the members intent: only ourselves
            channels=[c.payload(self.bot.id) for c in channels if c.type == TEXT],
            threads=[
                c.payload(self.bot.id)
                for c in channels
                if c.type == PUBLIC_THREAD and self.active_threads
            ],
            presences=[],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
            stickers=[],
        )
        return data

    def application(self) -> Json:
        app = fixture("application")
        app.update(id=str(self.application_id), name="newsbrief", guild_id=None)
        app["owner"] = self.users[next(iter(self.users))].payload()
        app["bot"] = self.bot.payload()
        app.pop("team", None)
        app["interactions_endpoint_url"] = None  # interactions come over the gateway
        return app


def deep(data: Json) -> Json:
    return copy.deepcopy(data)
