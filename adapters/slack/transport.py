"""How Slack's requests reach bolt: acked at the door, then dispatched.

bolt acks a request only after its whole middleware chain has run and its
listener runner has noticed the ack (it polls every 10 ms). One at a time that
is a millisecond or two; under a burst of 200 commands, with briefs searching
100k articles in worker threads, the queue in front of those acks grew to over
a second (bench/slack_ack.py). Slack gives up after 3 s and retries, so
newsbrief answers a slash command or an event callback as soon as its signature
is checked — with slack-sdk's ``SignatureVerifier``, the one bolt uses; bolt then
checks it again — and hands it to bolt in a tracked task. Everything else
(URL verification, SSL checks) goes through bolt as usual, answer included.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from time import time
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_internals import run_async_bolt_app, send_async_response
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

Spawn = Callable[[Coroutine[Any, Any, None]], None]


def acked_at_the_door(body: dict[str, Any]) -> bool:
    """Slash commands and event callbacks: Slack wants only a 200 (newsbrief acks empty)."""
    return "command" in body or body.get("type") == "event_callback"


class HttpEvents:
    """``POST /slack/events``: 401 for a bad or stale signature, else 200 at once."""

    def __init__(
        self, app: AsyncApp, signing_secret: str, spawn: Spawn, accepting: Callable[[], bool]
    ) -> None:
        self._app = app
        self._verifier = SignatureVerifier(signing_secret)
        self._spawn = spawn
        self._accepting = accepting

    def _signed(self, body: str, headers: Any) -> bool:
        try:
            return self._verifier.is_valid(
                body=body,
                timestamp=headers.get("X-Slack-Request-Timestamp"),
                signature=headers.get("X-Slack-Signature"),
            )
        except ValueError:  # a timestamp that is not a number
            return False

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if not self._accepting():
            return web.Response(status=503, text="newsbrief is starting or stopping")
        body = await request.text()
        if not self._signed(body, request.headers):
            return web.json_response({"error": "invalid request"}, status=401)
        req = AsyncBoltRequest(body=body, query=request.query_string, headers=dict(request.headers))
        if acked_at_the_door(req.body):
            self._spawn(self._dispatch(req))
            return web.Response(status=200)
        return await to_aiohttp_response(await self._app.async_dispatch(req))

    async def _dispatch(self, req: AsyncBoltRequest) -> None:
        response = await self._app.async_dispatch(req)
        if response.status != 200:
            log.warning("Slack: bolt answered %s to an acked request", response.status)


class SocketEvents:
    """Socket Mode on slack-sdk's aiohttp client: each envelope acked on arrival."""

    def __init__(
        self, app: AsyncApp, app_token: str, web_client: AsyncWebClient, spawn: Spawn
    ) -> None:
        self._app = app
        self._spawn = spawn
        self.client = SocketModeClient(app_token=app_token, web_client=web_client)
        self.client.socket_mode_request_listeners.append(self._on_envelope)  # type: ignore[arg-type]

    async def _on_envelope(self, client: SocketModeClient, req: SocketModeRequest) -> None:
        if req.type in {"slash_commands", "events_api"}:
            await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            self._spawn(self._dispatch(req))
            return
        start = time()
        response = await run_async_bolt_app(self._app, req)
        await send_async_response(client, req, response, start)

    async def _dispatch(self, req: SocketModeRequest) -> None:
        response = await run_async_bolt_app(self._app, req)
        if response.status != 200:
            log.warning("Slack: bolt answered %s to an acked envelope", response.status)

    async def connect(self, url: str) -> None:
        self.client.wss_uri = url
        await self.client.connect()  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        await self.client.close()  # type: ignore[no-untyped-call]
