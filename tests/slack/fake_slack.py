"""A fake Slack on 127.0.0.1:0: the Web API, response URLs and the Socket Mode websocket.

Not a mock: a real aiohttp server speaking Slack's wire protocol, so the real
slack-sdk client and bolt app talk to it. It keeps workspaces, channels (and
whether the bot is in them), users, messages with their metadata, and records
every Web API call and every Socket Mode ack. Tests make it answer with an
error or a 429 (``fail``, ``rate_limit``) and wait on what it recorded.
Answers are built from the documented examples in tests/fixtures/slack/.
"""

from __future__ import annotations

import base64
import itertools
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from adapters.slack.manifest import bot_scopes
from tests.fakes.recording import Recorder

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "slack"
APP_ID = "A0NEWSBRIEF"
_TRUE = {True, "true", "1"}


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True)
class Workspace:
    team_id: str
    team_name: str
    bot_token: str
    bot_user_id: str
    bot_id: str


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    token: str | None
    at: float  # time.monotonic()


@dataclass(frozen=True)
class Message:
    """Something a person can see: in a channel, in a thread, or only for ``user``."""

    kind: str  # message | ephemeral | response_url
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None
    user: str | None = None  # who alone sees it (ephemeral, response_url)
    team: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def top_level(self) -> bool:
        return self.kind == "message" and self.thread_ts in (None, self.ts)

    @property
    def shown(self) -> str:
        """Everything the message shows, flattened: its blocks' text, or its text."""
        parts: list[str] = []
        for block in self.blocks:
            if "text" in block:
                parts.append(block["text"]["text"])
            parts += [e.get("text", "") for e in block.get("elements", ())]
        return "\n".join(parts) if parts else self.text


@dataclass(frozen=True)
class Ack:
    envelope_id: str
    payload: dict[str, Any] | None
    at: float


@dataclass
class _Fault:
    error: str
    status: int = 200
    retry_after: int | None = None


class FakeSlack:
    def __init__(self, client_id: str = "1111.2222", client_secret: str = "fake-secret") -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.app_token = "xapp-1-A0NEWSBRIEF-1234-" + "a" * 32
        self.workspaces: dict[str, Workspace] = {}
        self.members: dict[str, set[str]] = {}  # channel → teams whose bot is in it
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.oauth_codes: dict[str, Workspace] = {}
        self.calls: Recorder[Call] = Recorder()
        self.messages: Recorder[Message] = Recorder()
        self.acks: Recorder[Ack] = Recorder()
        self.hellos: Recorder[float] = Recorder()
        self.listeners: list[Callable[[Message], None]] = []  # told of every message
        self._faults: dict[str, list[_Fault]] = {}
        self._ts = itertools.count(1)
        self._hooks: dict[str, tuple[str, str, str | None]] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.scopes = list(bot_scopes())  # what the bot token was granted (x-oauth-scopes)

    # ------------------------------------------------------------- setup
    def add_workspace(self, team_id: str, name: str | None = None) -> Workspace:
        n = len(self.workspaces) + 1
        ws = Workspace(
            team_id,
            name or f"Workspace {team_id}",
            bot_token=f"xoxb-{n}{n}{n}-{team_id}-{uuid.uuid4().hex[:24]}",
            bot_user_id=f"U0BOT{n}",
            bot_id=f"B0BOT{n}",
        )
        self.workspaces[team_id] = ws
        return ws

    def add_channel(self, channel: str, team: str, *, member: bool = True) -> None:
        teams = self.members.setdefault(channel, set())
        if member:
            teams.add(team)

    def add_user(self, user_id: str, team: str, name: str, *, admin: bool = False) -> None:
        user = fixture("api_users_info.json")["user"]
        user.update(id=user_id, team_id=team, name=name, real_name=name.title(), is_admin=admin)
        user["profile"].update(real_name=name.title(), display_name=name, team=team)
        self.users[user_id] = user

    def fail(self, method: str, error: str, *, times: int = 1, status: int = 200) -> None:
        self._faults.setdefault(method, []).extend(_Fault(error, status) for _ in range(times))

    def rate_limit(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        self._faults.setdefault(method, []).extend(
            _Fault("ratelimited", 429, retry_after) for _ in range(times)
        )

    def response_url(self, channel: str, user: str, team: str | None = None) -> str:
        hook = uuid.uuid4().hex
        self._hooks[hook] = (channel, user, team)
        return f"{self.url}/commands/{hook}"

    def oauth_code(self, team_id: str, name: str | None = None) -> str:
        ws = self.workspaces.get(team_id) or self.add_workspace(team_id, name)
        code = uuid.uuid4().hex
        self.oauth_codes[code] = ws
        return code

    def _record(self, message: Message) -> None:
        self.messages.add(message)
        for listener in self.listeners:
            listener(message)

    def next_ts(self) -> str:
        return f"{1700000000 + next(self._ts)}.000100"

    # ------------------------------------------------------------- reading
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def calls_to(self, method: str) -> list[Call]:
        return self.calls.matching(lambda c: c.method == method)

    def posts(self, channel: str | None = None) -> list[Message]:
        """Top-level channel messages (briefs, digests), oldest first."""
        return self.messages.matching(
            lambda m: m.top_level and (channel is None or m.channel == channel)
        )

    # ------------------------------------------------------------- lifecycle
    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/commands/{hook}", self._hook)
        app.router.add_get("/link/", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------- socket mode
    @property
    def connected(self) -> int:
        return sum(1 for ws in self._sockets if not ws.closed)

    async def push(self, kind: str, payload: dict[str, Any]) -> str:
        """Send an envelope (``slash_commands``, ``events_api``) on the open connection."""
        envelope = fixture("socket_envelope.json")
        envelope.update(
            envelope_id=str(uuid.uuid4()),
            type=kind,
            payload=payload,
            accepts_response_payload=kind == "slash_commands",
        )
        live = [ws for ws in self._sockets if not ws.closed]
        if not live:
            raise AssertionError("no Socket Mode connection is open")
        await live[-1].send_str(json.dumps(envelope))
        return str(envelope["envelope_id"])

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        hello = fixture("socket_hello.json")
        hello["connection_info"]["app_id"] = APP_ID
        await ws.send_str(json.dumps(hello))
        self.hellos.add(time.monotonic())
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                data = json.loads(msg.data)
                if "envelope_id" in data:
                    self.acks.add(Ack(data["envelope_id"], data.get("payload"), time.monotonic()))
        return ws

    # ------------------------------------------------------------- web API
    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(dict(await request.post()))
        return params

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        self.calls.add(Call(method, params, token, time.monotonic()))
        faults = self._faults.get(method)
        if faults:
            fault = faults.pop(0)
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            return web.json_response(
                {"ok": False, "error": fault.error}, status=fault.status, headers=headers
            )
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        if method == "oauth.v2.access":
            return web.json_response(handler(params, auth))
        if method == "apps.connections.open":
            ok = token == self.app_token
            return web.json_response(handler() if ok else {"ok": False, "error": "invalid_auth"})
        ws = next((w for w in self.workspaces.values() if w.bot_token == token), None)
        if ws is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        # Slack names the token's scopes on every Web API answer (newsbrief doctor reads it).
        granted = {"x-oauth-scopes": ",".join(self.scopes)}
        return web.json_response(handler(ws, params), headers=granted)

    def _reachable(self, ws: Workspace, channel: str) -> str | None:
        if channel not in self.members:
            return "channel_not_found"
        return None if ws.team_id in self.members[channel] else "not_in_channel"

    def _m_auth_test(self, ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
        body = fixture("api_auth_test.json")
        body.update(team=ws.team_name, team_id=ws.team_id, user="newsbrief", user_id=ws.bot_user_id)
        return body | {"bot_id": ws.bot_id, "url": f"https://{ws.team_id.lower()}.slack.com/"}

    def _m_chat_postMessage(self, ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel"))
        if error := self._reachable(ws, channel):
            return {"ok": False, "error": error}
        ts = self.next_ts()
        meta = params.get("metadata")
        meta = json.loads(meta) if isinstance(meta, str) else meta
        blocks = params.get("blocks") or []
        blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
        thread = params.get("thread_ts") or None
        self._record(
            Message(
                "message", channel, ts, str(params.get("text") or ""), blocks, thread, meta,
                team=ws.team_id, params=params,
            )
        )  # fmt: skip
        body = fixture("api_chat_postMessage.json")
        body.update(channel=channel, ts=ts)
        body["message"].update(text=params.get("text"), ts=ts, bot_id=ws.bot_id)
        return body

    def _m_chat_postEphemeral(self, ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel"))
        if error := self._reachable(ws, channel):
            return {"ok": False, "error": error}
        ts = self.next_ts()
        blocks = params.get("blocks") or []
        self._record(
            Message(
                "ephemeral", channel, ts, str(params.get("text") or ""),
                json.loads(blocks) if isinstance(blocks, str) else blocks,
                user=str(params.get("user")), team=ws.team_id, params=params,
            )
        )  # fmt: skip
        return fixture("api_chat_postEphemeral.json") | {"message_ts": ts}

    def _m_conversations_history(self, ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel"))
        if error := self._reachable(ws, channel):
            return {"ok": False, "error": error}
        limit = int(params.get("limit") or 100)
        start = int(params.get("cursor") or 0)
        found = [m for m in reversed(self.posts(channel)) if m.team == ws.team_id]
        page = found[start : start + limit]
        with_meta = params.get("include_all_metadata") in _TRUE
        messages = []
        for m in page:
            item: dict[str, Any] = {"type": "message", "bot_id": ws.bot_id, "text": m.text}
            item["ts"] = m.ts
            if with_meta and m.metadata:
                item["metadata"] = m.metadata
            messages.append(item)
        more = start + limit < len(found)
        body = fixture("api_conversations_history.json")
        body.update(messages=messages, has_more=more)
        body["response_metadata"] = {"next_cursor": str(start + limit) if more else ""}
        return body

    def _m_users_info(self, ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(params.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _m_usergroups_users_list(self, ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
        group = self.usergroups.get(str(params.get("usergroup")))
        if group is None:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": group}

    def _m_apps_connections_open(self) -> dict[str, Any]:
        body = fixture("api_apps_connections_open.json")
        body["url"] = f"ws://127.0.0.1:{self.port}/link/?ticket={uuid.uuid4().hex}&app_id={APP_ID}"
        return body

    def _m_oauth_v2_access(self, params: dict[str, Any], auth: str) -> dict[str, Any]:
        expected = f"{self.client_id}:{self.client_secret}".encode()
        if auth != "Basic " + base64.b64encode(expected).decode():
            return {"ok": False, "error": "invalid_client_id"}
        ws = self.oauth_codes.pop(str(params.get("code")), None)
        if ws is None:
            return {"ok": False, "error": "invalid_code"}
        body = fixture("api_oauth_v2_access.json")
        body.update(
            access_token=ws.bot_token,
            scope="app_mentions:read,channels:history,chat:write,commands",
            bot_user_id=ws.bot_user_id,
            app_id=APP_ID,
            team={"name": ws.team_name, "id": ws.team_id},
        )
        return body

    async def _hook(self, request: web.Request) -> web.Response:
        """A command's response_url: what it is sent is seen only by the person who typed."""
        target = self._hooks.get(request.match_info["hook"])
        if target is None:
            return web.Response(status=404, text="no_such_hook")
        body = await request.json()
        channel, user, team = target
        self._record(
            Message(
                "response_url", channel, self.next_ts(), str(body.get("text") or ""),
                body.get("blocks") or [], user=user, team=team, params=body,
            )
        )  # fmt: skip
        return web.Response(text="ok")
