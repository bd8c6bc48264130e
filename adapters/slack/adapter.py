"""The Slack adapter: the ``Platform`` seam on slack-bolt's ``AsyncApp``, in the core's loop.

Transport: Socket Mode when ``SLACK_APP_TOKEN`` (xapp-) is set, through bolt's
aiohttp Socket Mode handler; otherwise HTTP, ``POST /slack/events`` on
newsbrief's own server, where bolt verifies every signature (v0 HMAC, 5-minute
window; a bad or stale one gets 401 and nothing runs). With ``SLACK_CLIENT_ID``
and ``SLACK_CLIENT_SECRET`` it serves many workspaces through bolt's OAuth flow
(see ``oauth.py``); otherwise the one workspace of ``SLACK_BOT_TOKEN``.

Every listener acks first and works after, in a task this adapter tracks, so an
ack never waits for a brief and ``stop`` lets commands in flight finish. One
``AsyncWebClient`` (base URL from settings, so tests point it at a fake) calls
the Web API with each workspace's token, retries 429s after Retry-After
(slack-sdk's ``AsyncRateLimitErrorRetryHandler``) and sends through a
per-channel queue of about one message a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.listener.async_builtins import AsyncTokenRevocationListeners
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook.async_client import AsyncWebhookClient
from sqlalchemy import Engine

from adapters.slack import events
from adapters.slack.events import PLATFORM, Command, DeliveryLedger, MemoryLedger
from adapters.slack.managers import Managers
from adapters.slack.manifest import EVENTS_PATH, INSTALL_PATH, REDIRECT_PATH, commands
from adapters.slack.oauth import SlackConfigError, StaticTokens, build_app, secret
from adapters.slack.pacing import ChannelPacer
from adapters.slack.render import SlackMessage, escape, render
from adapters.slack.transport import HttpEvents, SocketEvents
from bot.chat.messages import ChannelRef, CommandEvent, MentionEvent, Post, ThreadRef, User
from bot.chat.platform import AccessHook, ChannelUnreachableError, EventHandler
from bot.config import Settings
from bot.crypto import SecretBox
from bot.errors import NewsbriefError
from bot.health import Readiness
from bot.server import HttpServer

log = logging.getLogger(__name__)

DIGEST_EVENT = "newsbrief_digest"  # message metadata event_type of keyed posts
UNREACHABLE = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
INVITE = "I'm not in this channel yet: invite me with /invite @newsbrief, then try again."
NOT_IN_CHANNEL_YET = (
    "Note: I'm not in this channel yet, so nothing I post can reach it (a brief, a digest): "
    "invite me with /invite @newsbrief."
)
HISTORY_PAGES = 3  # find_post looks this many pages (200 messages each) back


class SlackPostError(NewsbriefError):
    """Slack refused a message for a reason other than the channel (shown to the person)."""


def _error(exc: SlackApiError) -> str:
    return str(exc.response.get("error") or f"HTTP {exc.response.status_code}")


class SlackPlatform:
    name = PLATFORM

    def __init__(
        self,
        settings: Settings,
        *,
        server: HttpServer | None = None,
        engine: Engine | None = None,
        box: SecretBox | None = None,
        ledger: DeliveryLedger | None = None,
        send_interval: float = 1.0,
        shutdown_timeout: float = 30.0,
    ) -> None:
        self.app_token = secret(settings.slack_app_token)
        self.mode = "socket" if self.app_token else "http"
        self.multi = bool(settings.slack_client_id and settings.slack_client_secret)
        self.ledger: DeliveryLedger = ledger or MemoryLedger()
        self.managers = Managers(settings.slack_managers)
        self.pacer = ChannelPacer(send_interval)
        self.shutdown_timeout = shutdown_timeout
        self.ready = asyncio.Event()
        self._handler: EventHandler | None = None
        self.on_access: AccessHook | None = None  # the bot joined a channel (resumes digests)
        self._session: aiohttp.ClientSession | None = None
        self._socket: SocketEvents | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._commands: dict[int, Command] = {}  # id(event) → its delivery, while it runs
        self._accepting = False
        self._stopped = asyncio.Event()
        self._settings = settings
        wiring = build_app(settings, http=self.mode == "http", engine=engine, box=box)
        self.bolt, self.client, self.tokens = wiring.app, wiring.client, wiring.tokens
        self.installations = wiring.installations
        self._listen()
        self._mount(server)

    # ------------------------------------------------------------- wiring
    def _listen(self) -> None:
        for name in commands():
            self.bolt.command(f"/{name}")(self._on_command)
        self.bolt.event("message")(self._on_message)
        self.bolt.event("app_mention")(self._on_message)
        self.bolt.event("member_joined_channel")(self._on_joined)
        self.bolt.event("app_uninstalled")(self._on_uninstalled)
        self.bolt.event("tokens_revoked")(self._on_tokens_revoked)

    def _mount(self, server: HttpServer | None) -> None:
        routes: list[tuple[str, str, Any]] = []
        if self.mode == "http":
            secret_ = secret(self._settings.slack_signing_secret) or ""
            events_ = HttpEvents(self.bolt, secret_, self._spawn, lambda: self._accepting)
            routes.append(("POST", EVENTS_PATH, events_.handle))
        if self.multi:
            routes += [("GET", INSTALL_PATH, self._install), ("GET", REDIRECT_PATH, self._redirect)]
        if routes and server is None:
            raise SlackConfigError("Slack over HTTP and OAuth installs need newsbrief's server")
        for method, path, handler in routes:
            assert server is not None
            server.add_route(method, path, handler)

    # ------------------------------------------------------------- HTTP
    async def _install(self, request: web.Request) -> web.StreamResponse:
        assert self.bolt.oauth_flow is not None
        response = await self.bolt.oauth_flow.handle_installation(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def _redirect(self, request: web.Request) -> web.StreamResponse:
        assert self.bolt.oauth_flow is not None
        response = await self.bolt.oauth_flow.handle_callback(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    # ------------------------------------------------------------- listeners
    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()  # first, always: Slack gives up after 3 s
        self._spawn(self._run_command(events.command(body)))

    async def _on_message(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        said = events.message(event, team=context.team_id, bot_user_id=context.bot_user_id)
        if said is not None:
            self._spawn(self._run_message(said))

    async def _on_joined(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        """The bot itself was invited to a channel: digests paused there can go on."""
        channel = events.bot_joined(event, team=context.team_id, bot_user_id=context.bot_user_id)
        if channel is not None and self.on_access is not None:
            self._spawn(self._run_access(channel))

    async def _run_access(self, channel: ChannelRef) -> None:
        assert self.on_access is not None
        try:
            await self.on_access(channel)
        except Exception:
            log.exception("Slack: resuming digests in %s failed", channel.id)

    async def _on_uninstalled(self, context: AsyncBoltContext) -> None:
        if self.installations is None:
            log.warning("Slack: newsbrief was uninstalled from workspace %s", context.team_id)
            return
        await AsyncTokenRevocationListeners(self.installations).handle_app_uninstalled_events(
            context
        )
        log.info("Slack: uninstalled from %s; its tokens are deleted", context.team_id)

    async def _on_tokens_revoked(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        if self.installations is None:
            log.warning("Slack: tokens of workspace %s were revoked", context.team_id)
            return
        await AsyncTokenRevocationListeners(self.installations).handle_tokens_revoked_events(
            event, context
        )
        log.info("Slack: tokens revoked in %s; deleted", context.team_id)

    async def _run_command(self, cmd: Command) -> None:
        if cmd.trigger_id and not await self.ledger.first(f"trigger:{cmd.trigger_id}"):
            return  # a re-delivery of a command already handled
        try:
            bot = await self.tokens.bot(cmd.person.team)
            user = await self.managers.user(self.client, bot.token, cmd.person)
            event = cmd.event(user)
            self._commands[id(event)] = cmd
            try:
                await self.handler.on_command(self, event)
            finally:
                self._commands.pop(id(event), None)
        except NewsbriefError as exc:
            await self._say_privately(cmd, SlackMessage(escape(str(exc))))
        except Exception:
            log.exception("Slack command /%s failed", cmd.command)

    async def _run_message(self, said: events.Reply | events.Mention) -> None:
        if not await self.ledger.first(f"message:{said.message_key}"):
            return  # the same message as `message` and `app_mention`, or a re-delivery
        user = User(said.person.id, said.person.name)
        try:
            if isinstance(said, events.Mention):
                await self.handler.on_mention(self, said.event(user))
            else:
                await self.handler.on_thread_reply(self, said.event(user))
        except Exception:
            log.exception("Slack message in %s failed", said.message_key)

    @property
    def handler(self) -> EventHandler:
        if self._handler is None:
            raise RuntimeError("SlackPlatform.start() has not been called")
        return self._handler

    # ------------------------------------------------------------- Platform
    async def post(self, channel: ChannelRef, post: Post, *, key: str | None = None) -> ThreadRef:
        bot = await self.tokens.bot(channel.workspace)
        first, *rest = render(post)
        metadata = {"event_type": DIGEST_EVENT, "event_payload": {"key": key}} if key else None
        resp = await self._send(bot.token, channel.id, first, metadata=metadata)
        ref = ThreadRef(PLATFORM, str(resp["channel"]), str(resp["ts"]), channel.workspace)
        for page in rest:  # a long post continues in its own thread
            await self._send(bot.token, channel.id, page, thread_ts=ref.id)
        return ref

    async def reply(self, thread: ThreadRef, post: Post) -> None:
        bot = await self.tokens.bot(thread.workspace)
        for page in render(post):
            await self._send(bot.token, thread.channel_id, page, thread_ts=thread.id)

    async def respond(self, event: CommandEvent | MentionEvent, post: Post) -> None:
        cmd = self._commands.get(id(event))
        bot = await self.tokens.bot(event.channel.workspace)
        outside = False  # answered through response_url: the bot is not in the channel
        for page in render(post):
            try:
                await self.client.chat_postEphemeral(
                    token=bot.token,
                    channel=event.channel.id,
                    user=event.user.id,
                    text=page.text,
                    blocks=page.blocks,
                )
            except SlackApiError as exc:
                if _error(exc) not in UNREACHABLE or cmd is None or not cmd.response_url:
                    raise SlackPostError(f"Slack refused the message ({_error(exc)})") from None
                await self._say_privately(cmd, page)  # works where the bot was not invited
                outside = True
        if outside and post.kind != "error" and cmd is not None:
            # "Subscribed (#2)" in a channel I'm not in: its digests could never be posted.
            await self._say_privately(cmd, SlackMessage(escape(NOT_IN_CHANNEL_YET)))

    async def find_post(self, channel: ChannelRef, key: str) -> ThreadRef | None:
        bot = await self.tokens.bot(channel.workspace)
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            try:
                resp = await self.client.conversations_history(
                    token=bot.token,
                    channel=channel.id,
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            except SlackApiError as exc:
                raise self._refused(exc) from None
            for message in resp.get("messages") or ():
                meta = message.get("metadata") or {}
                payload = meta.get("event_payload") or {}
                if meta.get("event_type") == DIGEST_EVENT and payload.get("key") == key:
                    return ThreadRef(PLATFORM, channel.id, str(message["ts"]), channel.workspace)
            cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return None

    async def _send(
        self,
        token: str,
        channel: str,
        page: SlackMessage,
        *,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        async with self.pacer.turn(channel):
            try:
                resp = await self.client.chat_postMessage(
                    token=token,
                    channel=channel,
                    text=page.text,
                    blocks=page.blocks,
                    thread_ts=thread_ts,
                    # Off unless the channel asked: one message per digest, not ten cards.
                    unfurl_links=page.unfurl,
                    unfurl_media=page.unfurl,
                    metadata=metadata,
                )
            except SlackApiError as exc:
                raise self._refused(exc) from None
        return dict(resp.data) if isinstance(resp.data, dict) else {}

    @staticmethod
    def _refused(exc: SlackApiError) -> NewsbriefError:
        error = _error(exc)
        if error in UNREACHABLE:
            return ChannelUnreachableError(INVITE)
        return SlackPostError(f"Slack refused the message ({error})")

    async def _say_privately(self, cmd: Command, page: SlackMessage) -> None:
        """To the person who typed ``cmd``, through its response_url (any channel, 30 min)."""
        if not cmd.response_url:
            log.warning("Slack: no way to answer /%s privately", cmd.command)
            return
        hook = AsyncWebhookClient(cmd.response_url, session=self._session)
        resp = await hook.send(
            text=page.text, blocks=page.blocks, response_type="ephemeral", replace_original=False
        )
        if resp.status_code != 200:
            log.warning("Slack: response_url answered HTTP %s", resp.status_code)

    # ------------------------------------------------------------- lifecycle
    async def start(self, handler: EventHandler) -> None:
        self._handler = handler
        self._stopped.clear()
        self._session = aiohttp.ClientSession()
        self.client.session = self._session
        try:
            await self._connect()
        except BaseException:
            await self._close_session()
            raise
        self._accepting = True
        self.ready.set()
        await self._stopped.wait()

    async def _connect(self) -> None:
        if isinstance(self.tokens, StaticTokens):
            try:
                auth = await self.client.auth_test()
            except SlackApiError as exc:
                raise SlackConfigError(
                    f"Slack refused SLACK_BOT_TOKEN ({_error(exc)}): copy the Bot User OAuth "
                    "Token from OAuth & Permissions"
                ) from None
            except (aiohttp.ClientError, OSError) as exc:  # no Slack there: say where we looked
                raise SlackConfigError(
                    f"cannot reach Slack at {self.client.base_url} (NEWSBRIEF_SLACK_API_URL): {exc}"
                ) from None
            self.tokens.user_id = auth.get("user_id")
            log.info("Slack: workspace %s as %s", auth.get("team"), auth.get("user"))
        if self.app_token:
            try:  # once here, so that a refused token is an error, not an endless retry
                opened = await self.client.apps_connections_open(app_token=self.app_token)
            except SlackApiError as exc:
                raise SlackConfigError(
                    f"Slack refused SLACK_APP_TOKEN ({_error(exc)}): make an app-level token "
                    "with connections:write under Basic Information"
                ) from None
            self._socket = SocketEvents(self.bolt, self.app_token, self.client, self._spawn)
            await self._socket.connect(str(opened["url"]))
            log.info("Slack: Socket Mode connected")

    async def readiness(self) -> Readiness:
        """For /readyz: token accepted and, in Socket Mode, the websocket connected."""
        if self._stopped.is_set() and self.ready.is_set():
            return Readiness(False, "stopped")
        if not self.ready.is_set():
            return Readiness(False, "connecting to Slack")
        if self._socket is not None and not await self._socket.client.is_connected():
            return Readiness(False, "Socket Mode reconnecting")
        return Readiness(True, f"{self.mode} mode, accepting events")

    async def stop(self) -> None:
        """Take no new events, let commands in flight finish, then close the connections."""
        self._accepting = False
        if self._socket is not None:
            socket, self._socket = self._socket, None
            await socket.close()
        for task in await self.drain(self.shutdown_timeout):
            log.warning("Slack: cancelled a command still running after %ss", self.shutdown_timeout)
            task.cancel()
        await self._close_session()
        self._stopped.set()

    async def drain(self, timeout: float | None = None) -> set[asyncio.Task[None]]:
        """Wait until the requests, commands and replies in flight are handled (and what
        they started); returns those still running after ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._tasks:
            left = None if deadline is None else max(0.0, deadline - loop.time())
            _, late = await asyncio.wait(set(self._tasks), timeout=left)
            if late and deadline is not None and loop.time() >= deadline:
                return late
        return set()

    async def _close_session(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            with contextlib.suppress(Exception):
                await session.close()
