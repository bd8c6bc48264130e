"""The Slack adapter's harness for tests/platform_contract.py, through the fake Slack.

People type the Slack way (signed requests to newsbrief's /slack/events, or
Socket Mode envelopes); what the fake Slack receives is what people see:
top-level messages anchor threads, thread replies land in them, ephemeral and
response_url messages reach one person.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from adapters.slack.adapter import SlackPlatform
from adapters.slack.manifest import commands
from bot.chat.messages import ChannelRef, ThreadRef, User
from bot.chat.platform import EventHandler
from bot.config import Settings
from bot.server import HttpServer
from tests.fakes.recording import Recorder, Seen
from tests.slack.fake_slack import FakeSlack, Message
from tests.slack.rig import (
    ADMIN,
    CHANNEL,
    MEMBER,
    SIGNING_SECRET,
    TEAM,
    command_fields,
    event_body,
    signed_headers,
)


def seen(m: Message) -> Seen:
    if m.kind in {"ephemeral", "response_url"}:
        return Seen("user", m.shown, user_id=m.user)
    if m.top_level:
        return Seen("channel", m.shown, ThreadRef("slack", m.channel, m.ts))
    return Seen("thread", m.shown, ThreadRef("slack", m.channel, str(m.thread_ts)))


class SlackHarness:
    name = "slack"
    replies_are_addressed = False
    mention_answers_are_private = True
    channel = ChannelRef("slack", CHANNEL, "news", workspace=TEAM)
    manager = User(ADMIN, "perry", is_manager=True)
    guest = User(MEMBER, "lois", is_manager=False)

    def __init__(self, handler: EventHandler, fake: FakeSlack, mode: str) -> None:
        self._handler = handler
        self.fake = fake
        self.mode = mode
        self.seen: Recorder[Seen] = Recorder()
        fake.listeners.append(lambda m: self.seen.add(seen(m)))
        values: dict[str, Any] = {
            "slack_api_url": fake.api_url,
            "SLACK_BOT_TOKEN": fake.workspaces[TEAM].bot_token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        }
        if mode == "socket":
            values["SLACK_APP_TOKEN"] = fake.app_token
        self.settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
        self._platform: SlackPlatform | None = None
        self._server: HttpServer | None = None
        self._running: asyncio.Task[None] | None = None
        self._http = aiohttp.ClientSession()

    @property
    def platform(self) -> SlackPlatform:
        assert self._platform is not None
        return self._platform

    @property
    def running(self) -> asyncio.Task[None]:
        assert self._running is not None
        return self._running

    async def _start(self) -> None:
        self._server = HttpServer("127.0.0.1", 0)
        self._platform = SlackPlatform(self.settings, server=self._server)
        await self._server.start()
        hellos = len(self.fake.hellos.items)
        self._running = asyncio.create_task(self._platform.start(self._handler))
        await self._platform.ready.wait()
        if self.mode == "socket":
            await self.fake.hellos.wait_for(lambda _: len(self.fake.hellos.items) > hellos)

    async def _stop(self) -> None:
        if self._platform is not None:
            await self._platform.stop()
        if self._running is not None:
            await asyncio.gather(self._running, return_exceptions=True)
        if self._server is not None:
            await self._server.stop()

    async def restart(self) -> None:
        await self._stop()
        await self._start()

    async def _deliver(self, kind: str, payload: dict[str, Any], form: bool) -> None:
        if self.mode == "socket":
            envelope = await self.fake.push(kind, payload)
            await self.fake.acks.wait_for(lambda a: a.envelope_id == envelope)
            return
        assert self._server is not None
        body = urlencode(payload) if form else json.dumps(payload)
        ctype = "application/x-www-form-urlencoded" if form else "application/json"
        headers = {"Content-Type": ctype, **signed_headers(body)}
        url = self._server.url + "/slack/events"
        async with self._http.post(url, data=body, headers=headers) as resp:
            assert resp.status == 200, await resp.text()

    async def command(self, user: User, text: str) -> None:
        """``/help`` is Slack's own command: on Slack a person types ``/newsbrief help``."""
        name, _, rest = text.partition(" ")
        if name.lstrip("/") not in commands():
            name, rest = "/newsbrief", f"{name.lstrip('/')} {rest}"
        fields = command_fields(
            self.fake, name, rest.strip(), user=user.id, team=TEAM, channel=CHANNEL
        )
        await self._deliver("slash_commands", fields, form=True)

    async def reply(self, user: User, thread: ThreadRef, text: str) -> None:
        ts = self.fake.next_ts()
        event = {
            "type": "message",
            "user": user.id,
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "thread_ts": thread.id,
            "channel": thread.channel_id,
            "channel_type": "channel",
            "team": TEAM,
        }
        bot = self.fake.workspaces[TEAM].bot_user_id
        await self._deliver("events_api", event_body(event, team=TEAM, bot_user=bot), form=False)

    async def mention(self, user: User, text: str) -> None:
        """``@newsbrief korea`` in the channel: Slack sends ``message`` and ``app_mention``."""
        bot = self.fake.workspaces[TEAM].bot_user_id
        ts = self.fake.next_ts()
        said = {
            "user": user.id,
            "text": f"<@{bot}> {text}",
            "ts": ts,
            "event_ts": ts,
            "channel": CHANNEL,
            "channel_type": "channel",
            "team": TEAM,
        }
        for kind in ("message", "app_mention"):
            event = {"type": kind, **said}
            await self._deliver("events_api", event_body(event, team=TEAM, bot_user=bot), False)

    async def foreign_thread(self) -> ThreadRef:
        """A thread under a person's message in the channel (not one the bot posted)."""
        return ThreadRef("slack", CHANNEL, self.fake.next_ts())

    async def close(self) -> None:
        await self._stop()
        await self._http.close()

    @classmethod
    @asynccontextmanager
    async def open(
        cls, handler: EventHandler, tmp_path: Path, mode: str = "http"
    ) -> AsyncIterator[SlackHarness]:
        fake = FakeSlack()
        fake.add_workspace(TEAM, "Daily Planet")
        fake.add_channel(CHANNEL, TEAM)
        fake.add_user(ADMIN, TEAM, "perry", admin=True)
        fake.add_user(MEMBER, TEAM, "lois")
        await fake.start()
        harness = cls(handler, fake, mode)
        try:
            await harness._start()
            yield harness
        finally:
            await harness.close()
            await fake.close()
