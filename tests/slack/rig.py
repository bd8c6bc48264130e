"""newsbrief, in-process, wired to a ``FakeSlack``: what the Slack tests drive.

``SlackRig`` runs the real composition root (``bot.app.NewsbriefApp``: store with
the bundled sample, conversation, digests, HTTP server, Slack adapter) with its
Slack API URL pointing at the fake. People type through ``command`` and ``say``:
in HTTP mode a correctly signed request to newsbrief's own ``/slack/events``, in
Socket Mode an envelope on the fake's websocket. Only the clock may be injected.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from cryptography.fernet import Fernet
from slack_sdk.signature import SignatureVerifier

from adapters.slack.adapter import SlackPlatform
from bot.app import NewsbriefApp
from bot.chat.messages import ChannelRef
from bot.config import Settings
from tests.slack.fake_slack import FakeSlack, Workspace, fixture

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T0001"
CHANNEL = "C0NEWS"
ADMIN = "U0ADMIN"
MEMBER = "U0MEMBER"


def signed_headers(
    body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """Slack's v0 signature over ``v0:timestamp:body`` (slack-sdk's own generator)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": str(signature)}


@dataclass(frozen=True)
class Sent:
    """What newsbrief answered Slack: the HTTP status (or the ack) and how long it took."""

    status: int
    seconds: float
    body: str = ""


def command_fields(
    fake: FakeSlack, command: str, text: str, *, user: str, team: str, channel: str
) -> dict[str, str]:
    fields = fixture("slash_command.json")
    fields.update(
        team_id=team,
        team_domain=team.lower(),
        channel_id=channel,
        channel_name="news",
        user_id=user,
        user_name=fake.users.get(user, {}).get("name", user.lower()),
        command=command,
        text=text,
        response_url=fake.response_url(channel, user, team),
        trigger_id=f"{uuid.uuid4().int % 10**12}.{int(time.time())}.{uuid.uuid4().hex[:16]}",
        api_app_id="A0NEWSBRIEF",
    )
    fields.pop("enterprise_id")
    fields.pop("enterprise_name")
    return {k: str(v) for k, v in fields.items()}


def event_body(event: dict[str, Any], *, team: str, bot_user: str) -> dict[str, Any]:
    body = fixture("event_callback.json")
    body.update(team_id=team, event=event, event_id=f"Ev{uuid.uuid4().hex[:10].upper()}")
    body["event_time"] = int(time.time())
    body["authorizations"][0].update(team_id=team, user_id=bot_user)
    return body


class SlackRig:
    def __init__(
        self,
        fake: FakeSlack,
        tmp_path: Path,
        *,
        mode: str = "http",
        multi: bool = False,
        clock: Callable[[], datetime] | None = None,
        managers: str = "",
    ) -> None:
        self.fake = fake
        self.mode = mode
        self.tmp_path = tmp_path
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "database_url": f"sqlite:///{tmp_path / 'newsbrief.db'}",
            "slack_api_url": fake.api_url,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "http_host": "127.0.0.1",
            "http_port": 0,
            "console": False,
            "secret_key": Fernet.generate_key().decode(),
            "slack_managers": managers,
        }
        if multi:
            values |= {
                "SLACK_CLIENT_ID": fake.client_id,
                "SLACK_CLIENT_SECRET": fake.client_secret,
            }
        else:
            values["SLACK_BOT_TOKEN"] = fake.workspaces[TEAM].bot_token
        if mode == "socket":
            values["SLACK_APP_TOKEN"] = fake.app_token
        self.settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
        self.app = NewsbriefApp(self.settings, clock=clock)
        self._stop = asyncio.Event()
        self._serving: asyncio.Task[None] | None = None
        self._http: aiohttp.ClientSession | None = None

    @property
    def slack(self) -> SlackPlatform:
        platform = self.app.platform("slack")
        assert isinstance(platform, SlackPlatform)
        return platform

    def slack_channel(self, channel: str = CHANNEL, team: str = TEAM) -> ChannelRef:
        return ChannelRef("slack", channel, workspace=team)

    @property
    def events_url(self) -> str:
        return self.app.server.url + "/slack/events"

    async def __aenter__(self) -> SlackRig:
        self._http = aiohttp.ClientSession()
        await self.app.open()
        self._serving = asyncio.create_task(self.app.serve(self._stop))
        ready = asyncio.create_task(self.slack.ready.wait())
        done, _ = await asyncio.wait({ready, self._serving}, return_when="FIRST_COMPLETED")
        if self._serving in done:
            ready.cancel()
            self._serving.result()  # raises what made the start fail
        if self.mode == "socket":
            await self.fake.hellos.wait_for(lambda _: True)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stop.set()
        if self._serving is not None:
            await asyncio.gather(self._serving, return_exceptions=True)
        await self.app.close()
        if self._http is not None:
            await self._http.close()

    # ------------------------------------------------------------- people typing
    async def command(
        self, user: str, line: str, *, team: str = TEAM, channel: str = CHANNEL
    ) -> Sent:
        name, _, text = line.partition(" ")
        fields = command_fields(
            self.fake, name, text.strip(), user=user, team=team, channel=channel
        )
        if self.mode == "socket":
            return await self._push("slash_commands", fields)
        body = urlencode(fields)
        return await self.post_signed(body, "application/x-www-form-urlencoded")

    async def say(self, event: dict[str, Any], *, team: str = TEAM) -> Sent:
        """An Events API delivery of ``event`` (a message, an app_mention, an uninstall)."""
        bot = self.fake.workspaces[team].bot_user_id
        body = event_body(event, team=team, bot_user=bot)
        if self.mode == "socket":
            return await self._push("events_api", body)
        return await self.post_signed(json.dumps(body), "application/json")

    def reply_event(
        self, thread_ts: str, text: str, *, user: str = MEMBER, channel: str = CHANNEL
    ) -> dict[str, Any]:
        event = fixture("event_message_thread_reply.json")
        ts = f"{time.time():.6f}"
        event.update(text=text, user=user, ts=ts, event_ts=ts, thread_ts=thread_ts, channel=channel)
        event["team"] = TEAM
        event["parent_user_id"] = self.fake.workspaces[TEAM].bot_user_id
        return event

    async def post_signed(
        self,
        body: str,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
    ) -> Sent:
        assert self._http is not None
        signing = signed_headers(body) if headers is None else headers
        sent_headers = {"Content-Type": content_type, **signing}
        t0 = time.perf_counter()
        async with self._http.post(self.events_url, data=body, headers=sent_headers) as resp:
            text = await resp.text()
            return Sent(resp.status, time.perf_counter() - t0, text)

    async def _push(self, kind: str, payload: dict[str, Any]) -> Sent:
        t0 = time.perf_counter()
        envelope_id = await self.fake.push(kind, payload)
        ack = await self.fake.acks.wait_for(lambda a: a.envelope_id == envelope_id)
        return Sent(200, time.perf_counter() - t0, json.dumps(ack.payload or {}))


def bot_of(fake: FakeSlack, team: str = TEAM) -> Workspace:
    return fake.workspaces[team]


async def poll_until(what: str, check: Callable[[], bool], timeout: float = 20.0) -> None:
    """Poll recorded state (the database) until ``check`` holds, for effects Slack never
    sees, such as tokens deleted after an uninstall (the async twin of tests/pgschema.py's)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.05)
