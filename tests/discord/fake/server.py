"""FakeDiscord: REST and gateway on 127.0.0.1:0, and the hands of the people in it.

Tests drive it as people would (``slash``, ``say``, ``user_thread``), inject what
Discord does to bots (``rate_limit``, ``fail``, ``drop``, ``reconnect``,
``invalidate``) and wait on what it recorded: ``calls`` (every REST request),
``visible`` (every message as people see it), ``acks`` (interaction answers with
their delay on the fake's clock) and ``gateway.events``. The clock is the one
thing a test may replace.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web

from tests.discord.fake.gateway import Gateway
from tests.discord.fake.rest import EPHEMERAL, LOADING, Call, Fault, Rest
from tests.discord.fake.world import (
    PUBLIC_THREAD,
    FakeChannel,
    FakeGuild,
    FakeUser,
    Json,
    World,
    fixture,
    snowflake,
)
from tests.fakes.recording import Recorder

Where = Literal["channel", "thread", "user"]
_ESCAPED = re.compile(r"\\([\\*_`~|>#\[\]()-])")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\u2063]")


@dataclass(frozen=True, slots=True)
class Visible:
    """A message as people see it; ``user_id`` alone sees an ephemeral one."""

    where: Where
    channel_id: int  # the thread's id for "thread"
    parent_id: int | None  # the thread's channel
    message: Json
    user_id: int | None = None
    edited: bool = False

    @property
    def text(self) -> str:
        return flatten(self.message)

    @property
    def author_id(self) -> int:
        return int(self.message["author"]["id"])


@dataclass(frozen=True, slots=True)
class Ack:
    interaction_id: str
    kind: int  # 4 message, 5 deferred, 8 autocomplete choices
    delay: float  # seconds on the fake's clock from the interaction's creation to the answer
    ephemeral: bool
    choices: tuple[str, ...] = ()
    since_sent: float = 0.0  # from INTERACTION_CREATE written to the socket to the answer


def flatten(message: Json) -> str:
    """Content and every embed as plain text: markdown escapes undone, markers gone."""
    parts = [message.get("content") or ""]
    for e in message.get("embeds") or []:
        parts += [e.get("title") or "", e.get("description") or ""]
        for f in e.get("fields") or []:
            parts += [f.get("name") or "", f.get("value") or ""]
        parts.append((e.get("footer") or {}).get("text") or "")
    text = "\n".join(p for p in parts if p)
    return _INVISIBLE.sub("", _ESCAPED.sub(r"\1", text))


class FakeDiscord:
    def __init__(
        self,
        *,
        token: str = "fake-bot-token",
        clock: Callable[[], float] = time.monotonic,
        heartbeat_ms: int = 41250,
        recommended_shards: int = 1,
    ) -> None:
        self.world = World(token)
        self.clock = clock
        self.recommended_shards = recommended_shards
        self.calls: Recorder[Call] = Recorder()
        self.visible: Recorder[Visible] = Recorder()
        self.listeners: list[Callable[[Visible], None]] = []  # told of every Visible
        self.threads: Recorder[FakeChannel] = Recorder()  # every thread, once created
        self.thread_listeners: list[Callable[[FakeChannel], None]] = []
        self.acks: Recorder[Ack] = Recorder()
        self.rest = Rest(self)
        self.gateway = Gateway(self, heartbeat_ms)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------- server
    async def start(self) -> FakeDiscord:
        app = web.Application(middlewares=[self.rest.middleware])
        self.rest.routes(app)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/resume", self.gateway.handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        if self._runner is not None:
            for session in self.gateway.sessions.values():
                if session.ws is not None:
                    await session.ws.close(code=1001)
            await self._runner.cleanup()
            self._runner = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def resume_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/resume"

    def env(self) -> dict[str, str]:
        """What ``newsbrief run`` needs to talk to this fake."""
        return {
            "DISCORD_TOKEN": self.world.token,
            "NEWSBRIEF_DISCORD_API_URL": self.api_url,
            "NEWSBRIEF_DISCORD_GATEWAY_URL": "",
        }

    # ------------------------------------------------------------- messages
    async def publish(self, channel: FakeChannel, msg: Json) -> None:
        """A new message: stored, shown, and sent to the gateway."""
        msg["_at"] = self.clock()
        self.world.messages.setdefault(channel.id, []).append(msg)
        self._show(channel, msg)
        event = {**{k: v for k, v in msg.items() if not k.startswith("_")}}
        if channel.guild_id is not None:
            event["guild_id"] = str(channel.guild_id)
            author = self.world.users.get(int(msg["author"]["id"]))
            if author is not None:
                member = author.member()
                member.pop("user")
                event["member"] = member
        await self.gateway.dispatch("MESSAGE_CREATE", event, guild_id=channel.guild_id)

    def _record(self, visible: Visible) -> None:
        self.visible.add(visible)
        for listener in self.listeners:
            listener(visible)

    def _show(self, channel: FakeChannel, msg: Json, *, edited: bool = False) -> None:
        if channel.type == PUBLIC_THREAD:
            self._record(Visible("thread", channel.id, channel.parent_id, msg, edited=edited))
        else:
            self._record(Visible("channel", channel.id, None, msg, edited=edited))

    async def open_thread(
        self, channel: FakeChannel, mid: int, name: str, owner: int
    ) -> FakeChannel:
        thread = self.world.add_thread(channel, mid, name, owner)
        payload = {**thread.payload(self.world.bot.id), "newly_created": True}
        await self.gateway.dispatch("THREAD_CREATE", payload, guild_id=channel.guild_id)
        self.threads.add(thread)
        for listener in self.thread_listeners:
            listener(thread)
        return thread

    def messages(self, channel: FakeChannel | int) -> list[Json]:
        cid = channel.id if isinstance(channel, FakeChannel) else channel
        return list(self.world.messages.get(cid, []))

    # ------------------------------------------------------------- interactions
    async def interaction_message(self, state: Json, data: Json, flags: int) -> Json:
        """The interaction's first message (its response) or a follow-up."""
        channel = self.world.channels[state["channel"]]
        msg = self.world.message(
            channel, self.world.bot, data, webhook_id=self.world.application_id, flags=flags
        )
        user = self.world.users[state["user"]].payload()
        msg["interaction_metadata"] = {"id": state["id"], "type": 2, "user": user}
        first = state.get("original") is None
        if first:
            state["original"] = msg
        else:
            state["followups"].append(msg)
        loading = bool(flags & LOADING)
        ephemeral = bool(flags & EPHEMERAL)
        if first:
            delay = state["acked"] - state["created"]
            sent = state["acked"] - state.get("sent", state["created"])
            self.acks.add(Ack(state["id"], state["kind"], delay, ephemeral, since_sent=sent))
        if ephemeral:
            if not loading:
                self._record(Visible("user", channel.id, None, msg, state["user"]))
        else:
            await self.publish(channel, msg)
        return msg

    async def edit_interaction_message(self, state: Json, target: Json, body: Json) -> Json:
        for key in ("content", "embeds"):
            if key in body:
                target[key] = body[key] or ([] if key == "embeds" else "")
        target["flags"] = target.get("flags", 0) & ~LOADING
        target["edited_timestamp"] = target["timestamp"]
        channel = self.world.channels[state["channel"]]
        if target["flags"] & EPHEMERAL:
            self._record(Visible("user", channel.id, None, target, state["user"], edited=True))
        else:
            self._show(channel, target, edited=True)
        return target

    async def delete_interaction_message(self, state: Json, target: Json) -> None:
        target["_deleted"] = True
        msgs = self.world.messages.get(state["channel"], [])
        self.world.messages[state["channel"]] = [m for m in msgs if m is not target]

    def calls_note(self, state: Json) -> None:
        delay = state["acked"] - state["created"]
        sent = state["acked"] - state.get("sent", state["created"])
        names = tuple(str(c.get("name")) for c in state.get("choices", []))
        self.acks.add(Ack(state["id"], 8, delay, False, names, since_sent=sent))

    def delivered(self, token: str) -> None:
        """The gateway wrote this interaction's INTERACTION_CREATE (first time counts)."""
        state = self.rest.interactions.get(token)
        if state is not None:
            state.setdefault("sent", self.clock())

    # ------------------------------------------------------------- people
    def add_guild(
        self, name: str = "Newsroom", *, guild_id: int | None = None
    ) -> tuple[FakeGuild, FakeChannel]:
        """A guild with a #news channel (``guild_id`` decides its shard: (id >> 22) % n)."""
        guild = self.world.add_guild(name, guild_id)
        return guild, self.world.add_channel(guild, "news")

    def add_user(
        self, name: str, *, manager: bool = False, guild: FakeGuild | None = None
    ) -> FakeUser:
        user = self.world.add_user(name, manager=manager)
        for g in [guild] if guild else self.world.guilds.values():
            g.members.append(user.id)
        return user

    def _command(self, name: str, guild_id: int | None) -> Json:
        for scope in ([str(guild_id)] if guild_id else []) + ["global"]:
            for c in self.world.commands.get(scope, []):
                if c["name"] == name:
                    return c
        raise AssertionError(f"/{name} was never synced: Discord could not deliver it")

    def _options(self, spec: Json, values: dict[str, Any], focused: str | None) -> list[Json]:
        types = {o["name"]: o["type"] for o in spec.get("options", [])}
        out = []
        for key, value in values.items():
            if value is None:
                continue
            assert key in types, f"/{spec['name']} has no option {key!r}"
            opt: Json = {"type": types[key], "name": key, "value": value}
            if key == focused:
                opt["focused"] = True
            out.append(opt)
        return out

    def _slash_data(
        self, channel: FakeChannel, name: str, sub: str | None, focused: str | None, options: Json
    ) -> Json:
        command = self._command(name, channel.guild_id)
        data: Json = {"id": command["id"], "name": name, "type": 1}
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        if sub is not None:
            spec = next(o for o in command["options"] if o["name"] == sub)
            data["options"] = [
                {"type": 1, "name": sub, "options": self._options(spec, options, focused)}
            ]
        else:
            data["options"] = self._options(command, options, focused)
        return data

    async def slash(
        self,
        user: FakeUser,
        channel: FakeChannel,
        name: str,
        sub: str | None = None,
        *,
        focused: str | None = None,
        **options: Any,
    ) -> Json:
        """A person runs ``/name [sub] option:value…`` (or types in an autocompleted option)."""
        data = self._slash_data(channel, name, sub, focused, options)
        state, payload = self._interaction(user, channel, 4 if focused else 2, data)
        await self.gateway.dispatch("INTERACTION_CREATE", payload, guild_id=channel.guild_id)
        return state

    async def slash_wave(self, runs: list[tuple[FakeUser, FakeChannel, str, Json]]) -> list[Json]:
        """Many people at once: every payload is built first, then all are sent back to back
        (so that what is timed is the bot, not the fake building payloads)."""
        built = []
        for user, channel, name, opts in runs:
            data = self._slash_data(channel, name, None, None, opts)
            built.append((channel, *self._interaction(user, channel, 2, data)))
        for channel, _, payload in built:
            await self.gateway.dispatch("INTERACTION_CREATE", payload, guild_id=channel.guild_id)
        return [state for _, state, _ in built]

    def _interaction(
        self, user: FakeUser, channel: FakeChannel, kind: int, data: Json
    ) -> tuple[Json, Json]:
        world = self.world
        payload = fixture("interaction_slash")
        token = secrets.token_urlsafe(32)
        iid = str(snowflake())
        guild_id = str(channel.guild_id)
        payload.update(
            id=iid,
            application_id=str(world.application_id),
            type=kind,
            token=token,
            version=1,
            guild_id=guild_id,
            guild={"id": guild_id, "locale": "en-US", "features": []},
            channel_id=str(channel.id),
            channel={
                **channel.payload(world.bot.id),
                "permissions": str(world.permissions(user.id, channel).value),
            },
            member=user.member(world.permissions(user.id, channel)),
            app_permissions=str(world.permissions(world.bot.id, channel).value),
            entitlements=[],
            authorizing_integration_owners={"0": guild_id},
            context=0,
            attachment_size_limit=26214400,
            data=data,
        )
        state = {
            "id": iid,
            "token": token,
            "created": self.clock(),
            "acked": None,
            "kind": None,
            "user": user.id,
            "channel": channel.id,
            "original": None,
            "followups": [],
        }
        self.rest.interactions[token] = state
        return state, payload

    async def say(
        self,
        user: FakeUser,
        channel: FakeChannel,
        content: str,
        *,
        reply_to: Json | None = None,
        mention_bot: bool = False,
    ) -> Json:
        """A person writes in a channel or thread (optionally a Discord reply, or @newsbrief)."""
        bot = self.world.bot
        body: Json = {"content": f"<@{bot.id}> {content}" if mention_bot else content}
        # As Discord does: who the content mentions, wherever in it
        mentions = [bot.payload()] if f"<@{bot.id}>" in body["content"] else []
        if reply_to is not None:
            body["message_reference"] = {
                "type": 0,
                "message_id": reply_to["id"],
                "channel_id": str(channel.id),
                "guild_id": str(channel.guild_id),
            }
            if reply_to["author"]["id"] == str(bot.id):  # a reply pings its author by default
                mentions = [bot.payload()]
        body["mentions"] = mentions
        msg = self.world.message(channel, user, body)
        await self.publish(channel, msg)
        return msg

    async def user_thread(self, user: FakeUser, channel: FakeChannel, name: str) -> FakeChannel:
        """A thread a person starts from their own message (not one of the bot's)."""
        starter = await self.say(user, channel, f"Let's talk about {name}")
        return await self.open_thread(channel, int(starter["id"]), name, user.id)

    # ------------------------------------------------------------- faults
    def rate_limit(self, method: str, path: str, retry_after: float, *, times: int = 1) -> None:
        """The next matching requests get 429, as Discord's edge sends it (with Via)."""
        body = fixture("rate_limit_429")
        body["retry_after"] = retry_after
        headers = {
            "Retry-After": str(max(1, round(retry_after))),
            "Via": "1.1 google",
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": str(retry_after),
            "X-RateLimit-Bucket": "fake-bucket",
            "X-RateLimit-Scope": "user",
        }
        self.rest.faults.append(Fault(method, path, 429, body, headers, times))

    def fail(
        self, method: str, path: str, status: int, code: int, message: str, *, times: int = 1
    ) -> None:
        self.rest.faults.append(
            Fault(method, path, status, {"message": message, "code": code}, {}, times)
        )

    async def drop(self, code: int = 4000) -> None:
        await self.gateway.drop(code)

    async def reconnect(self) -> None:
        await self.gateway.reconnect()

    async def invalidate(self) -> None:
        await self.gateway.invalidate()

    async def ready(self, *, count: int = 1, timeout: float = 20.0) -> None:
        """Wait until ``count`` sessions got READY and every GUILD_CREATE."""
        await self.gateway.events.wait_for(
            lambda e: (
                e.kind == "ready"
                and len({x.session for x in self.gateway.events.items if x.kind == "ready"})
                >= count
            ),
            timeout=timeout,
        )
