"""The fake REST API: the routes newsbrief uses, with Discord's checks and error codes.

Answers are JSON with ``Content-Type: application/json`` exactly (discord.py reads
a body as JSON only then). Checked as Discord checks: the bot token, the bot's
permissions in the channel (403 with 50001 Missing Access or 50013 Missing
Permissions), message and embed limits (400 with 50035), nonces with
``enforce_nonce`` (a repeat within the window returns the first message), the
3 s deadline of an interaction's first answer and its 15-minute token.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.discord.fake.world import DM, PUBLIC_THREAD, FakeChannel, Json, fixture, snowflake

if TYPE_CHECKING:
    from tests.discord.fake.server import FakeDiscord

INITIAL_DEADLINE = 3.0  # s to answer an interaction at all
TOKEN_LIFETIME = 15 * 60.0  # s an interaction token takes follow-ups
NONCE_WINDOW = 5 * 60.0
EPHEMERAL, LOADING = 1 << 6, 1 << 7
BODY: web.RequestKey[Any] = web.RequestKey("json", object)  # the JSON body, read once


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: float
    status: int = 0


@dataclass
class Fault:
    """Answer the next ``times`` requests matching ``method`` and ``path`` (a regex) so."""

    method: str
    path: str
    status: int
    body: Json
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1


def reply(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    if status == 204:
        return web.Response(status=204, headers=headers)
    data = json.dumps(body).encode("utf-8")
    return web.Response(
        body=data, status=status, headers={"Content-Type": "application/json", **(headers or {})}
    )


def error(status: int, code: int, message: str, errors: Json | None = None) -> web.Response:
    body: Json = {"message": message, "code": code}
    if errors:
        body["errors"] = errors
    return reply(body, status)


# ------------------------------------------------------------------ limits
def _limit_errors(body: Json) -> Json:
    """Discord's message limits; an empty dict when the message is fine."""
    errors: Json = {}
    if len(body.get("content") or "") > 2000:
        errors["content"] = "Must be 2000 or fewer in length."
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        errors["embeds"] = "Must be 10 or fewer in length."
    total = 0
    for i, e in enumerate(embeds):
        parts = {
            "title": (e.get("title") or "", 256),
            "description": (e.get("description") or "", 4096),
            "footer.text": ((e.get("footer") or {}).get("text") or "", 2048),
            "author.name": ((e.get("author") or {}).get("name") or "", 256),
        }
        fields = e.get("fields") or []
        if len(fields) > 25:
            errors[f"embeds.{i}.fields"] = "Must be 25 or fewer in length."
        for j, f in enumerate(fields):
            parts[f"fields.{j}.name"] = (f.get("name") or "", 256)
            parts[f"fields.{j}.value"] = (f.get("value") or "", 1024)
        for name, (text, most) in parts.items():
            total += len(text)
            if len(text) > most:
                errors[f"embeds.{i}.{name}"] = f"Must be {most} or fewer in length."
        url = e.get("url")
        if url is not None and not re.match(r"^https?://", url):
            errors[f"embeds.{i}.url"] = "Scheme must be one of ('http', 'https')."
    if total > 6000:
        errors["embeds"] = "Embed size exceeds maximum size of 6000"
    if not body.get("content") and not embeds:
        errors["content"] = "Cannot send an empty message"
    return errors


class Rest:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.world = fake.world
        self.faults: list[Fault] = []
        self.interactions: dict[str, Json] = {}  # token → state

    def routes(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/api/v10/users/@me", self.me)
        r.add_get("/api/v10/oauth2/applications/@me", self.application)
        r.add_get("/api/v10/gateway/bot", self.gateway_bot)
        r.add_put("/api/v10/applications/{app}/commands", self.sync)
        r.add_put("/api/v10/applications/{app}/guilds/{guild}/commands", self.sync)
        r.add_post("/api/v10/interactions/{id}/{token}/callback", self.callback)
        r.add_post("/api/v10/webhooks/{app}/{token}", self.followup)
        r.add_route("*", "/api/v10/webhooks/{app}/{token}/messages/{mid}", self.webhook_message)
        r.add_post("/api/v10/channels/{cid}/messages", self.create_message)
        r.add_get("/api/v10/channels/{cid}/messages", self.history)
        r.add_post("/api/v10/channels/{cid}/messages/{mid}/threads", self.start_thread)
        r.add_get("/api/v10/channels/{cid}", self.get_channel)
        r.add_post("/api/v10/users/@me/channels", self.open_dm)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.startswith("/api/"):
            return await handler(request)  # type: ignore[no-any-return]
        body = await request.json() if request.can_read_body else None
        call = Call(request.method, request.path, dict(request.query), body, self.fake.clock())
        request[BODY] = body
        response = self._fault(request) or self._auth(request)
        if response is None:
            response = await handler(request)
        self.fake.calls.add(
            Call(call.method, call.path, call.query, call.body, call.at, response.status)
        )
        return response

    def _fault(self, request: web.Request) -> web.Response | None:
        for f in self.faults:
            if f.times > 0 and f.method == request.method and re.fullmatch(f.path, request.path):
                f.times -= 1
                return reply(f.body, f.status, f.headers)
        return None

    def _auth(self, request: web.Request) -> web.Response | None:
        if request.path.startswith(("/api/v10/webhooks/", "/api/v10/interactions/")):
            return None  # authorised by the interaction token in the path
        if request.headers.get("Authorization") != f"Bot {self.world.token}":
            return error(401, 0, "401: Unauthorized")
        return None

    # ------------------------------------------------------------- identity
    async def me(self, request: web.Request) -> web.Response:
        return reply(self.world.bot.payload())

    async def application(self, request: web.Request) -> web.Response:
        return reply(self.world.application())

    async def gateway_bot(self, request: web.Request) -> web.Response:
        return reply(
            {
                "url": self.fake.gateway_url,
                "shards": self.fake.recommended_shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 14400000,
                    "max_concurrency": 1,
                },
            }
        )

    async def sync(self, request: web.Request) -> web.Response:
        scope = request.match_info.get("guild", "global")
        commands = []
        for c in request[BODY]:
            cmd = {**c, "id": str(snowflake()), "application_id": str(self.world.application_id)}
            cmd["version"] = str(snowflake())
            if scope != "global":
                cmd["guild_id"] = scope
            commands.append(cmd)
        self.world.commands[scope] = commands
        self.world.syncs.append(scope)
        return reply(commands)

    # ------------------------------------------------------------- channels
    def _channel(self, request: web.Request) -> FakeChannel | web.Response:
        channel = self.world.channels.get(int(request.match_info["cid"]))
        if channel is None:
            return error(404, 10003, "Unknown Channel")
        if not self.world.permissions(self.world.bot.id, channel).view_channel:
            return error(403, 50001, "Missing Access")
        return channel

    async def get_channel(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if isinstance(channel, web.Response):
            return channel
        return reply(channel.payload(self.world.bot.id))

    async def create_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if isinstance(channel, web.Response):
            return channel
        body: Json = request[BODY]
        perms = self.world.permissions(self.world.bot.id, channel)
        can_send = (
            perms.send_messages_in_threads if channel.type == PUBLIC_THREAD else perms.send_messages
        )
        if not can_send or (body.get("embeds") and not perms.embed_links):
            return error(403, 50013, "Missing Permissions")
        problems = _limit_errors(body)
        if problems:
            return error(400, 50035, "Invalid Form Body", problems)
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            for earlier in reversed(self.world.messages[channel.id]):
                if (
                    earlier.get("nonce") == str(nonce)
                    and self.fake.clock() - earlier["_at"] < NONCE_WINDOW
                ):
                    return reply(_public(earlier))
        msg = self.world.message(channel, self.world.bot, body)
        await self.fake.publish(channel, msg)
        return reply(_public(msg))

    async def history(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if isinstance(channel, web.Response):
            return channel
        if not self.world.permissions(self.world.bot.id, channel).read_message_history:
            return reply([])  # Discord answers an empty list without Read Message History
        limit = min(int(request.query.get("limit", 50)), 100)
        before = int(request.query.get("before", 1 << 63))
        msgs = [m for m in self.world.messages[channel.id] if int(m["id"]) < before]
        return reply([_public(m) for m in reversed(msgs)][:limit])

    async def start_thread(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if isinstance(channel, web.Response):
            return channel
        mid = int(request.match_info["mid"])
        if not any(int(m["id"]) == mid for m in self.world.messages[channel.id]):
            return error(404, 10008, "Unknown Message")
        if mid in self.world.channels:
            return error(400, 160004, "A thread has already been created for this message")
        if not self.world.permissions(self.world.bot.id, channel).create_public_threads:
            return error(403, 50013, "Missing Permissions")
        name = (request[BODY] or {}).get("name") or ""
        if not 1 <= len(name) <= 100:
            return error(400, 50035, "Invalid Form Body", {"name": "Must be between 1 and 100."})
        thread = await self.fake.open_thread(channel, mid, name, self.world.bot.id)
        return reply(thread.payload(self.world.bot.id), 201)

    async def open_dm(self, request: web.Request) -> web.Response:
        recipient = int(request[BODY]["recipient_id"])
        for c in self.world.channels.values():
            if c.type == DM and c.recipient == recipient:
                return reply(c.payload(self.world.bot.id))
        channel = FakeChannel(snowflake(), None, "dm", DM, recipient=recipient)
        self.world.channels[channel.id] = channel
        self.world.messages[channel.id] = []
        return reply(channel.payload(self.world.bot.id))

    # ------------------------------------------------------------- interactions
    async def callback(self, request: web.Request) -> web.Response:
        state = self.interactions.get(request.match_info["token"])
        if state is None or state["id"] != request.match_info["id"]:
            return error(404, 10062, "Unknown interaction")
        if self.fake.clock() - state["created"] > INITIAL_DEADLINE:
            return error(404, 10062, "Unknown interaction")
        if state["acked"] is not None:
            return error(400, 40060, "Interaction has already been acknowledged.")
        body: Json = request[BODY]
        kind, data = body["type"], body.get("data") or {}
        state["acked"] = self.fake.clock()
        state["kind"] = kind
        if kind == 8:  # autocomplete result
            state["choices"] = data.get("choices", [])
            self.fake.calls_note(state)
            return reply({"interaction": self._callback_interaction(state)})
        flags = int(data.get("flags") or 0)
        loading = LOADING if kind == 5 else 0
        original = await self.fake.interaction_message(state, data, flags | loading)
        resource = {"type": kind, "message": _public(original)}
        if request.query.get("with_response") in {"1", "true", "True"}:
            return reply({"interaction": self._callback_interaction(state), "resource": resource})
        return reply(None, 204)

    def _callback_interaction(self, state: Json) -> Json:
        return {
            "id": state["id"],
            "type": 2,
            "activity_instance_id": None,
            "response_message_id": state["original"]["id"] if state.get("original") else None,
            "response_message_loading": bool(state.get("original", {}).get("flags", 0) & LOADING),
            "response_message_ephemeral": bool(
                state.get("original", {}).get("flags", 0) & EPHEMERAL
            ),
        }

    def _token(self, request: web.Request) -> Json | web.Response:
        state = self.interactions.get(request.match_info["token"])
        if state is None or request.match_info["app"] != str(self.world.application_id):
            return error(404, 10015, "Unknown Webhook")
        if self.fake.clock() - state["created"] > TOKEN_LIFETIME:
            return error(401, 50027, "Invalid Webhook Token")
        if state["acked"] is None:
            return error(404, 10015, "Unknown Webhook")
        return state

    async def followup(self, request: web.Request) -> web.Response:
        state = self._token(request)
        if isinstance(state, web.Response):
            return state
        body: Json = request[BODY]
        original = state.get("original")
        if original is not None and original["flags"] & LOADING:
            # Right after a deferral this edits the loading message (Discord's old rule).
            msg = await self.fake.edit_interaction_message(state, original, body)
            return reply(_public(msg))
        problems = _limit_errors(body)
        if problems:
            return error(400, 50035, "Invalid Form Body", problems)
        msg = await self.fake.interaction_message(state, body, int(body.get("flags") or 0))
        return reply(_public(msg))

    async def webhook_message(self, request: web.Request) -> web.Response:
        state = self._token(request)
        if isinstance(state, web.Response):
            return state
        mid = request.match_info["mid"]
        target = state.get("original") if mid == "@original" else None
        for m in state["followups"]:
            if m["id"] == mid:
                target = m
        if target is None or target.get("_deleted"):
            return error(404, 10008, "Unknown Message")
        if request.method == "GET":
            return reply(_public(target))
        if request.method == "DELETE":
            await self.fake.delete_interaction_message(state, target)
            return reply(None, 204)
        body: Json = request[BODY]
        merged = {**{k: target.get(k) for k in ("content", "embeds")}, **body}
        problems = _limit_errors(merged)
        if problems:
            return error(400, 50035, "Invalid Form Body", problems)
        msg = await self.fake.edit_interaction_message(state, target, body)
        return reply(_public(msg))


def _public(msg: Json) -> Json:
    """A stored message without the fake's own bookkeeping keys."""
    return {k: v for k, v in msg.items() if not k.startswith("_")}


__all__ = ["Call", "Fault", "Rest", "error", "fixture", "reply"]
