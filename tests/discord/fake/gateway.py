"""The fake gateway: a real websocket speaking Discord's gateway protocol (v10, JSON).

HELLO, heartbeat ACKs, IDENTIFY → READY + GUILD_CREATE, dispatches with sequence
numbers, RESUME → replay of what the session missed + RESUMED, and the ways
Discord ends a connection: a close with 4000, op 7 Reconnect, op 9 Invalid
Session. ``compress=zlib-stream`` is honoured as Discord does (one zlib context
per connection, each message ending in a Z_SYNC_FLUSH). Intents are applied:
MESSAGE_CREATE needs GUILD_MESSAGES, and without MESSAGE_CONTENT a message's
content is empty unless the bot wrote it or is mentioned.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from tests.discord.fake.world import Json, fixture
from tests.fakes.recording import Recorder

if TYPE_CHECKING:
    from tests.discord.fake.server import FakeDiscord

GUILDS, GUILD_MESSAGES, MESSAGE_CONTENT = 1 << 0, 1 << 9, 1 << 15


@dataclass(frozen=True, slots=True)
class GatewayEvent:
    """What happened on the gateway, for tests to wait on."""

    kind: str  # connect, identify, resume, resumed, invalid, heartbeat, dispatch, closed
    session: str | None = None
    shard: int = 0
    detail: Any = None
    at: float = field(default_factory=time.monotonic, compare=False)  # when it happened


@dataclass
class Session:
    id: str
    shard: int
    shards: int
    intents: int
    seq: int = 0
    buffer: list[Json] = field(default_factory=list)  # every dispatch, for RESUME
    ws: web.WebSocketResponse | None = None
    zlib: Any = None
    valid: bool = True
    ready: bool = False  # READY and every GUILD_CREATE sent


class Gateway:
    def __init__(self, fake: FakeDiscord, heartbeat_ms: int = 41250) -> None:
        self.fake = fake
        self.heartbeat_ms = heartbeat_ms
        self.sessions: dict[str, Session] = {}
        self.events: Recorder[GatewayEvent] = Recorder()
        self._lock = asyncio.Lock()  # one sender at a time, in sequence order

    # ------------------------------------------------------------- socket
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        compress = request.query.get("compress") == "zlib-stream"
        ctx = zlib.compressobj() if compress else None
        self.events.add(GatewayEvent("connect", detail=request.path))
        hello = fixture("gateway_hello")
        hello["d"]["heartbeat_interval"] = self.heartbeat_ms
        await self._raw(ws, ctx, hello)
        session: Session | None = None
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            payload = json.loads(msg.data)
            session = await self._receive(ws, ctx, payload, session) or session
        if session is not None and session.ws is ws:
            session.ws = None
        self.events.add(
            GatewayEvent("closed", session.id if session else None, detail=ws.close_code)
        )
        return ws

    async def _receive(
        self, ws: web.WebSocketResponse, ctx: Any, payload: Json, session: Session | None
    ) -> Session | None:
        op, data = payload.get("op"), payload.get("d")
        if op == 1:  # heartbeat
            self.events.add(GatewayEvent("heartbeat", session.id if session else None, detail=data))
            await self._raw(ws, ctx, fixture("gateway_heartbeat_ack"))
            return None
        if op == 2:
            return await self._identify(ws, ctx, data)
        if op == 6:
            return await self._resume(ws, ctx, data)
        return None

    async def _identify(self, ws: web.WebSocketResponse, ctx: Any, data: Any) -> Session | None:
        if data.get("token") != self.fake.world.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        shard, shards = data.get("shard") or [0, 1]
        session = Session(uuid.uuid4().hex, shard, shards, int(data.get("intents", 0)))
        session.ws, session.zlib = ws, ctx
        self.sessions[session.id] = session
        self.events.add(GatewayEvent("identify", session.id, shard, detail=data.get("intents")))
        world = self.fake.world
        guilds = [g for g in world.guilds.values() if self.shard_of(g.id, shards) == shard]
        ready = {
            "v": 10,
            "user": world.bot.payload(),
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "resume_gateway_url": self.fake.resume_url,
            "shard": [shard, shards],
            "application": {"id": str(world.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
        }
        await self._dispatch(session, "READY", ready)
        if session.intents & GUILDS:
            for g in guilds:
                await self._dispatch(session, "GUILD_CREATE", world.guild_create(g))
        session.ready = True
        self.events.add(GatewayEvent("ready", session.id, shard))
        return session

    async def _resume(self, ws: web.WebSocketResponse, ctx: Any, data: Any) -> Session | None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or not session.valid or data.get("token") != self.fake.world.token:
            self.events.add(GatewayEvent("invalid", str(data.get("session_id"))))
            await self._raw(ws, ctx, fixture("gateway_invalid_session"))
            return None
        async with self._lock:
            session.ws, session.zlib = ws, ctx
            seq = int(data.get("seq") or 0)
            missed = [e for e in session.buffer if e["s"] > seq]
            self.events.add(GatewayEvent("resume", session.id, session.shard, detail=len(missed)))
            for event in missed:
                await self._raw(ws, ctx, event)
                if event["t"] == "INTERACTION_CREATE":
                    self.fake.delivered(event["d"]["token"])
            session.seq += 1
            resumed = {"op": 0, "t": "RESUMED", "s": session.seq, "d": {}}
            session.buffer.append(resumed)
            await self._raw(ws, ctx, resumed)
        self.events.add(GatewayEvent("resumed", session.id, session.shard))
        return session

    # ------------------------------------------------------------- sending
    async def _raw(self, ws: web.WebSocketResponse, ctx: Any, payload: Json) -> None:
        if ws.closed:
            return
        text = json.dumps(payload)
        try:
            if ctx is None:
                await ws.send_str(text)
            else:
                data = ctx.compress(text.encode("utf-8")) + ctx.flush(zlib.Z_SYNC_FLUSH)
                await ws.send_bytes(data)
        except (ConnectionResetError, RuntimeError):
            pass  # the socket went away; the event stays buffered for RESUME

    async def _dispatch(self, session: Session, name: str, data: Json) -> None:
        async with self._lock:
            session.seq += 1
            event = {"op": 0, "t": name, "s": session.seq, "d": data}
            session.buffer.append(event)
            if session.ws is not None:
                await self._raw(session.ws, session.zlib, event)
                if name == "INTERACTION_CREATE":
                    self.fake.delivered(data["token"])
        self.events.add(GatewayEvent("dispatch", session.id, session.shard, detail=name))

    @staticmethod
    def shard_of(guild_id: int, shards: int) -> int:
        return (guild_id >> 22) % shards

    def live(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.valid]

    async def dispatch(self, name: str, data: Json, *, guild_id: int | None) -> None:
        """To each valid session whose intents and shard cover the event."""
        for session in self.live():
            if guild_id is not None and self.shard_of(guild_id, session.shards) != session.shard:
                continue
            payload = self._for(session, name, data)
            if payload is not None:
                await self._dispatch(session, name, payload)

    def _for(self, session: Session, name: str, data: Json) -> Json | None:
        if name in {"GUILD_CREATE", "THREAD_CREATE"} and not session.intents & GUILDS:
            return None
        if name == "MESSAGE_CREATE":
            if not session.intents & GUILD_MESSAGES:
                return None
            bot = str(self.fake.world.bot.id)
            mentioned = any(u.get("id") == bot for u in data.get("mentions", []))
            if (
                not session.intents & MESSAGE_CONTENT
                and data["author"]["id"] != bot
                and not (mentioned)
            ):
                return {**data, "content": "", "embeds": [], "attachments": []}
        return data

    # ------------------------------------------------------------- faults
    async def drop(self, code: int = 4000) -> None:
        """Close every socket with ``code`` (4000: unknown error, the client resumes)."""
        for session in self.live():
            if session.ws is not None:
                ws, session.ws = session.ws, None
                await ws.close(code=code, message=b"Unknown error.")

    async def reconnect(self) -> None:
        """Op 7: the client must close and RESUME."""
        for session in self.live():
            if session.ws is not None:
                await self._raw(session.ws, session.zlib, fixture("gateway_reconnect"))

    async def invalidate(self) -> None:
        """Op 9 with d=false: the session is gone, the client must IDENTIFY anew."""
        for session in self.live():
            session.valid = False
            if session.ws is not None:
                await self._raw(session.ws, session.zlib, fixture("gateway_invalid_session"))
