"""The Discord adapter: the ``Platform`` seam on discord.py 2.x, in newsbrief's event loop.

Transport only: discord.py keeps the gateway (heartbeats, RESUME after a drop or
op 7, a new IDENTIFY after op 9), the per-route rate-limit buckets and 429s; this
module connects it to the core. ``commands`` declares the slash commands,
``events`` turns payloads into neutral events, ``render`` makes the embeds.

Every interaction is deferred first (ephemeral, so only the person who typed sees
"thinking…"), then answered within its 15-minute token: what only they should
see edits that deferred message; a brief or a digest is a channel message sent
with the bot token and a public thread started from it (the thread's id is the
message's id), after which the deferred message is deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket

from adapters.discord import events
from adapters.discord.commands import build_tree
from adapters.discord.context import CURRENT, Interaction, Pending
from adapters.discord.keys import marker_for, nonce_for, read_marker
from adapters.discord.render import escape, render, thread_name
from adapters.discord.sending import NO_MENTIONS, ChannelGoneError, MissingPermissionsError, Sender
from adapters.discord.shards import ShardGateways, Sleep
from adapters.discord.sync import CommandSync
from adapters.discord.topics import TopicCache
from bot.chat.messages import (
    ChannelRef,
    CommandEvent,
    MentionEvent,
    Post,
    ThreadRef,
    ThreadReplyEvent,
)
from bot.chat.platform import ChannelUnreachableError, EventHandler
from bot.config import Settings
from bot.errors import NewsbriefError
from bot.health import Readiness
from bot.leader import Duty
from bot.store import Store
from bot.store.leases import Leases
from bot.store.sources import workspace_key
from digests.delivery import default_holder

log = logging.getLogger(__name__)

MAX_RATELIMIT_TIMEOUT = 30.0  # discord.py's smallest; a longer 429 raises, the slot stays pending
HTTP_CONNECTIONS = 16  # kept alive and reused: a wave of 200 answers opens 16, not 200
ACKS_FIRST_FOR = 0.5  # s a command's work may wait for other interactions' defers
CACHE_MAX = 50_000  # thread parents and hints remembered in memory
HISTORY_LIMIT = 100  # find_post reads this many recent messages (one request)


def point_at(api_url: str, gateway_url: str | None) -> None:
    """Send discord.py's REST and gateway traffic to ``api_url`` and ``gateway_url``.

    discord.py has no option for either: every REST route (webhooks and interaction
    callbacks too) is built from the class attribute ``Route.BASE``, which discord.py
    itself rewrites to change the API version, and the gateway is the class attribute
    ``DiscordWebSocket.DEFAULT_GATEWAY`` until READY names a resume URL (and again
    after op 9). One process talks to one Discord, so setting them per process is safe.
    """
    discord.http.Route.BASE = api_url.rstrip("/")
    if gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def shard_count(settings: Settings) -> int | None:
    """NEWSBRIEF_DISCORD_SHARDS: empty is one shard, a number that many, ``auto`` None
    (ask ``/gateway/bot``)."""
    shards = settings.discord_shards.strip().lower()
    if not shards:
        return 1
    if shards == "auto":
        return None
    if shards.isdecimal() and int(shards) > 0:
        return int(shards)
    raise NewsbriefError("NEWSBRIEF_DISCORD_SHARDS must be empty, auto or a number of shards")


def make_client(settings: Settings, shard: tuple[int, int] | None = None) -> discord.Client:
    """A ``Client`` for REST, or for gateway shard ``(i, n)`` alone (``adapters.discord.shards``
    holds each through a lease, so shards are separate clients, not an AutoShardedClient)."""
    intents = discord.Intents.none()
    intents.guilds = True  # channels and threads (THREAD_CREATE), GUILD_CREATE
    intents.guild_messages = True  # messages in our threads, replies to our posts
    intents.message_content = settings.discord_message_content  # privileged, optional
    options: dict[str, object] = {
        "intents": intents,
        "max_ratelimit_timeout": MAX_RATELIMIT_TIMEOUT,
        "allowed_mentions": NO_MENTIONS,
        "member_cache_flags": discord.MemberCacheFlags.none(),
        "chunk_guilds_at_startup": False,
        "max_messages": None,
        # Per host: the REST API's; the gateway's sockets (another host) never wait on it.
        "connector": aiohttp.TCPConnector(limit=0, limit_per_host=HTTP_CONNECTIONS),
    }
    # newsbrief never joins voice: no "PyNaCl is not installed" warning at every start.
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
    if shard is not None:
        options["shard_id"], options["shard_count"] = shard
    return discord.Client(**options)  # type: ignore[arg-type]


__all__ = ["DiscordPlatform", "MissingPermissionsError", "make_client", "point_at"]


class DiscordPlatform:
    name = events.PLATFORM

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        holder: str | None = None,
        leases: Leases | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if settings.discord_token is None:
            raise NewsbriefError("set DISCORD_TOKEN (the bot token from the developer portal)")
        shard_count(settings)  # a bad NEWSBRIEF_DISCORD_SHARDS fails now, not at start
        self.settings = settings
        self.store = store
        # REST only (posts, digests, command sync): the gateway is per shard held.
        self.client = make_client(settings)
        self.holder = holder or default_holder()
        self.leases = leases or Leases(store.engine)
        self._mono, self._sleep = monotonic, sleep
        self.shards: ShardGateways | None = None
        self._stop_shards = asyncio.Event()
        self._login_lock = asyncio.Lock()
        self.tree = build_tree(self.client, self)
        self.commands = CommandSync(self.tree, self.leases, self.login, settings.discord_guild_ids)
        self.client.on_message = self._on_message  # type: ignore[attr-defined]
        self.topic_cache = TopicCache(store)
        self._handler: EventHandler | None = None
        self._logged_in = False
        self._closed = False
        self._gateway: asyncio.Future[None] | None = None
        self.sender = Sender(self.client, store, self.name, self._answer_privately)
        self._inflight: set[asyncio.Task[Any]] = set()
        self._undeferred = 0  # interactions whose defer is not out yet
        self._all_deferred = asyncio.Event()
        self._all_deferred.set()
        self._parents: dict[int, int | None] = {}  # channel id → parent (None: not a thread)
        self._hinted: set[tuple[str, str]] = set()
        self._mentions: dict[int, int] = {}  # id(MentionEvent) → the message it answers

    # ------------------------------------------------------------- lifecycle
    async def login(self) -> None:
        """Authenticate for REST (enough to post digests); ``start`` also connects."""
        async with self._login_lock:  # start, a digest and the leader's sync may all ask
            if not self._logged_in:
                await self._login()

    async def _login(self) -> None:
        gateway = self.settings.discord_gateway_url or None
        api = self.settings.discord_api_url
        point_at(api, gateway)
        assert self.settings.discord_token is not None
        try:
            await self.client.login(self.settings.discord_token.get_secret_value())
            count = shard_count(self.settings)
            if gateway is None or count is None:  # the URL /gateway/bot names, as Discord asks
                recommended, url, _ = await self.client.http.get_bot_gateway()
                if gateway is None:
                    point_at(api, url)
                count = count or recommended
        except discord.LoginFailure:
            raise NewsbriefError(
                "Discord refused DISCORD_TOKEN: copy the bot's token from the developer "
                "portal (Bot → Reset Token)"
            ) from None
        except (aiohttp.ClientError, OSError) as exc:  # no Discord there: say where we looked
            raise NewsbriefError(
                f"cannot reach Discord at {api} (NEWSBRIEF_DISCORD_API_URL): {exc}"
            ) from None
        self.shards = ShardGateways(
            self._shard_client,
            self.leases,
            self.holder,
            count,
            ttl=self.settings.leader_ttl,
            renew=self.settings.leader_renew,
            monotonic=self._mono,
            sleep=self._sleep,
        )
        self._logged_in = True

    async def _shard_client(self, shard: int, count: int) -> discord.Client:
        """The gateway client of one shard held here, with its own command tree (each
        client dispatches its interactions to its own), logged in, not connected yet."""
        client = make_client(self.settings, (shard, count))
        build_tree(client, self)
        client.on_message = self._on_message  # type: ignore[attr-defined]
        assert self.settings.discord_token is not None
        await client.login(self.settings.discord_token.get_secret_value())
        return client

    def accepts(self, interaction: Interaction) -> bool:
        return self.shards is not None and self.shards.holds_guild(interaction.guild_id)

    async def open(self, handler: EventHandler) -> None:
        """Everything ``start`` does before the shards' leases (tests step those by hand)."""
        self._handler = handler
        if self._closed:
            return
        await self.login()  # no command sync here: the leader's duty (adapters.discord.sync)

    async def start(self, handler: EventHandler) -> None:
        await self.open(handler)
        if self._closed or self.shards is None:
            return
        self._gateway = asyncio.ensure_future(self.shards.run(self._stop_shards))
        try:
            await self._gateway
        except asyncio.CancelledError:
            if not self._closed:
                raise  # our caller was cancelled; a cancel from ``stop`` ends quietly

    async def stop(self) -> None:
        """In-flight commands finish (up to 10 s), then the gateway and HTTP close."""
        if self._closed:
            return
        self._closed = True
        busy = self._inflight | self.sender.background
        running = [t for t in busy if t is not asyncio.current_task()]
        if running:
            await asyncio.wait(running, timeout=10)
        self._stop_shards.set()  # each shard's client closes and its lease is released
        if self._gateway is not None and not self._gateway.done():
            done, _ = await asyncio.wait({self._gateway}, timeout=10)
            if not done:
                self._gateway.cancel()
        if self.shards is not None:
            await self.shards.close()  # done already by its run, unless it never ran
        await self.client.close()

    async def readiness(self) -> Readiness:
        """For /readyz: logged in, READY received, and the gateway answering heartbeats."""
        if self._closed:
            return Readiness(False, "stopped")
        if self.shards is None:
            return Readiness(False, "logging in to Discord")
        return self.shards.readiness()

    def leader_duties(self) -> list[Duty]:
        """What only the leader does for Discord: register the slash commands."""
        return [self.commands.duty()]

    # ------------------------------------------------------------- interactions
    async def command(
        self, interaction: Interaction, command: str, text: str, *, posts: bool = False
    ) -> None:
        """Defer at once; then the core's handler, whose answers reach this interaction."""
        if not await self._defer(interaction):
            return
        pending = Pending(interaction, events.command_event(interaction, command, text))
        missing = events.missing_to_post(interaction.app_permissions) if posts else []
        if missing:  # say so now rather than spend an invalid request finding out
            text = events.grant_text(missing)
            post = Post(kind="error", title="Missing permissions", text=text)
            await self._run(pending, self._answer_privately(pending, post))
            return
        await self._run(pending, self._command(pending))

    async def _command(self, pending: Pending) -> None:
        assert pending.event is not None and self._handler is not None
        await self._handler.on_command(self, pending.event)

    async def ask(self, interaction: Interaction, question: str) -> None:
        if not await self._defer(interaction):
            return
        pending = Pending(interaction, question=question)
        await self._run(pending, self._ask(pending, question))

    async def _ask(self, pending: Pending, question: str) -> None:
        assert self._handler is not None
        interaction = pending.interaction
        parent = await self._parent_of(interaction.channel)
        channel = str(interaction.channel_id)
        ours = False
        if parent is not None:
            ref = ThreadRef(self.name, str(parent), channel, workspace=events.guild_of(interaction))
            user = events.user_of(interaction.user, interaction.permissions)
            event = ThreadReplyEvent(ref, user, " ".join(question.split()), addressed=True)
            try:
                ours = await self._handler.on_thread_reply(self, event)
            except ChannelUnreachableError as exc:  # the asker learns what to grant
                error = Post(kind="error", title="Missing permissions", text=str(exc))
                await self._answer_privately(pending, error)
                return
        if not ours:
            text = "Ask with /ask inside the thread of a brief or a digest (open one, then ask)."
            await self._answer_privately(pending, Post(kind="info", title="Not here", text=text))

    async def _defer(self, interaction: Interaction) -> bool:
        self._undeferred += 1
        self._all_deferred.clear()
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
        except discord.HTTPException as exc:  # expired or answered already: nothing to do
            log.warning("could not defer interaction %s: %s", interaction.id, exc)
            return False
        finally:
            self._undeferred -= 1
            if not self._undeferred:
                self._all_deferred.set()
        return True

    async def _acks_first(self) -> None:
        """Work waits while other interactions still wait for their defer (at most a
        moment): under a wave the core's threads would otherwise take the CPU from the
        event loop that sends the defers, which have 3 s; the work has 15 minutes."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._all_deferred.wait(), ACKS_FIRST_FOR)

    async def _run(self, pending: Pending, work: Awaitable[None]) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        token = CURRENT.set(pending)
        try:
            await self._acks_first()
            await work
        finally:
            CURRENT.reset(token)
            if task is not None:
                self._inflight.discard(task)
            if not pending.answered:  # nothing private to say: "thinking…" goes away
                with contextlib.suppress(discord.HTTPException):
                    await pending.interaction.delete_original_response()

    async def topics(self, interaction: Interaction, current: str) -> list[str]:
        channel = events.channel_of(interaction)
        scope = workspace_key(self.name, channel.workspace, channel.id)
        return await self.topic_cache.suggest(scope, current)

    async def zones(self, current: str) -> list[str]:
        from adapters.discord.zones import matching_zones

        return matching_zones(current)

    async def subscription_ids(self, interaction: Interaction, current: str) -> list[str]:
        subs = await asyncio.to_thread(
            self.store.outbox.subscriptions, self.name, str(interaction.channel_id)
        )
        ids = [str(s.id) for s in subs]
        return [i for i in ids if i.startswith(current.lstrip("#"))] + ["all"]

    # ------------------------------------------------------------- Platform
    async def respond(self, event: CommandEvent | MentionEvent, post: Post) -> None:
        if post.kind == "help":
            post = _with_discord_help(post, self.settings.discord_message_content)
        if isinstance(event, MentionEvent):  # a message has no private answer: a reply to it
            said = self._mentions.get(id(event))
            for message in render(post) if said is not None else ():
                await self.sender.send(event.channel, message, reply_to=said)
            return
        pending = CURRENT.get()
        if pending is None or pending.event is not event:
            log.warning("respond() outside its interaction: %s", post.title)
            return
        await self._answer_privately(pending, post)

    async def _answer_privately(self, pending: Pending, post: Post) -> None:
        """The first message edits the deferred (ephemeral) one; any more follow it."""
        interaction = pending.interaction
        for message in render(post):
            if not pending.answered:
                await interaction.edit_original_response(
                    content=message.content or None,
                    embeds=list(message.embeds),
                    allowed_mentions=NO_MENTIONS,
                )
                pending.answered = True
            else:
                await interaction.followup.send(
                    content=message.content,
                    embeds=list(message.embeds),
                    ephemeral=True,
                    allowed_mentions=NO_MENTIONS,
                )

    async def post(self, channel: ChannelRef, post: Post, *, key: str | None = None) -> ThreadRef:
        await self.login()
        messages = render(post, marker=marker_for(key) if key else "")
        nonce = nonce_for(key) if key else None
        first = await self.sender.send(channel, messages[0], nonce=nonce)
        ref = ThreadRef(self.name, channel.id, str(first), workspace=channel.workspace)
        if await self.sender.start_thread(channel, first, thread_name(post)):
            self._remember_parent(first, int(channel.id))
            thread = ChannelRef(self.name, ref.id, workspace=channel.workspace)
            for extra in messages[1:]:  # a long digest continues in its thread
                await self.sender.send(thread, extra, where="its thread")
        return ref

    async def reply(self, thread: ThreadRef, post: Post) -> None:
        pending = CURRENT.get()
        heading = ""
        if (
            pending is not None
            and pending.question
            and str(pending.interaction.channel_id) == (thread.id)
        ):
            who = escape(pending.interaction.user.display_name)
            heading = f"**{who}** asked: {escape(pending.question)}"
        await self.login()
        target = ChannelRef(self.name, thread.id, workspace=thread.workspace)
        reply_to: int | None = None
        for message in render(post, heading=heading):
            try:
                await self.sender.send(target, message, reply_to=reply_to, where="this thread")
            except ChannelGoneError:
                if reply_to is not None or thread.id == thread.channel_id:
                    raise
                # A post Discord gave no thread (Create Public Threads missing), or whose
                # thread was deleted: answer in its channel, as a reply to the post itself.
                target = ChannelRef(self.name, thread.channel_id, workspace=thread.workspace)
                reply_to = int(thread.id)
                await self.sender.send(target, message, reply_to=reply_to, where="this channel")

    async def message_user(self, user_id: str, workspace: str | None, post: Post) -> None:
        """A direct message (bot.feed_alerts): Discord's DM channel with ``user_id``."""
        await self.login()
        dm = await self.client.http.start_private_message(int(user_id))
        target = self.client.get_partial_messageable(int(dm["id"]))
        for message in render(post):
            await target.send(
                content=message.content or None,
                embeds=list(message.embeds),
                allowed_mentions=NO_MENTIONS,
            )

    async def find_post(self, channel: ChannelRef, key: str) -> ThreadRef | None:
        await self.login()
        me = self.client.user
        assert me is not None
        wanted = nonce_for(key)
        self.sender.check_rested(channel)
        target = self.client.get_partial_messageable(int(channel.id))
        try:
            async for msg in target.history(limit=HISTORY_LIMIT):
                if msg.author.id == me.id and read_marker(msg.content) == wanted:
                    return ThreadRef(
                        self.name, channel.id, str(msg.id), workspace=channel.workspace
                    )
        except discord.Forbidden as exc:
            raise self.sender.refused(channel, exc, "this channel") from exc
        return None

    # ------------------------------------------------------------- messages
    async def _on_message(self, message: discord.Message) -> None:
        me = self.client.user
        if me is None or self._handler is None or events.should_ignore(message, me.id):
            return
        guild = message.guild.id if message.guild is not None else None
        if self.shards is None or not self.shards.holds_guild(guild):
            return  # a shard whose lease is gone (a frozen holder woke): not ours to answer
        parent = await self._parent_of(message.channel)
        incoming = events.incoming(message, me.id, parent)
        if incoming is None:
            said = events.mention(message, me.id) if parent is None else None
            if said is not None:
                await self._on_mention(said, message.id)
            return
        ref = incoming.thread
        if not incoming.text:
            await self._hint(ref, incoming.user.id)
            return
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            await self._handler.on_thread_reply(
                self,
                ThreadReplyEvent(ref, incoming.user, incoming.text, addressed=incoming.addressed),
            )
        except ChannelUnreachableError as exc:  # nobody to tell: the thread refuses us
            log.warning("cannot answer in thread %s: %s", ref.id, exc)
        finally:
            if task is not None:
                self._inflight.discard(task)

    async def _on_mention(self, event: MentionEvent, message_id: int) -> None:
        assert self._handler is not None
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        self._mentions[id(event)] = message_id  # what respond() answers, while it runs
        try:
            await self._handler.on_mention(self, event)
        except ChannelUnreachableError as exc:
            log.warning("cannot answer a mention in %s: %s", event.channel.id, exc)
        finally:
            self._mentions.pop(id(event), None)
            if task is not None:
                self._inflight.discard(task)

    async def _hint(self, ref: ThreadRef, user_id: str) -> None:
        """An empty message in our thread: content withheld without the intent. Say how, once."""
        if self.settings.discord_message_content or (ref.id, user_id) in self._hinted:
            return
        if await asyncio.to_thread(self.store.threads.get, ref) is None:
            return  # not our thread: stay quiet
        if len(self._hinted) >= CACHE_MAX:
            self._hinted.clear()
        self._hinted.add((ref.id, user_id))
        await self.reply(ref, Post(kind="info", title="How to ask", text=events.HINT))

    async def _parent_of(self, channel: object) -> int | None:
        """The parent channel of a thread, or None when ``channel`` is not a thread."""
        if isinstance(channel, discord.Thread):
            return channel.parent_id
        if isinstance(channel, discord.abc.GuildChannel):
            return None
        cid = getattr(channel, "id", None)
        if not isinstance(cid, int):
            return None
        if cid not in self._parents:  # not cached (a restart): ask Discord once
            try:
                found = await self.client.fetch_channel(cid)
            except discord.HTTPException:
                return None
            parent = found.parent_id if isinstance(found, discord.Thread) else None
            self._remember_parent(cid, parent)
            return parent
        return self._parents[cid]

    def _remember_parent(self, channel_id: int, parent: int | None) -> None:
        if len(self._parents) >= CACHE_MAX:  # a cache: anything forgotten is asked again
            self._parents.clear()
        self._parents[channel_id] = parent


def _with_discord_help(post: Post, message_content: bool) -> Post:
    """The core's help, with how commands and follow-ups are typed on Discord."""
    follow = (
        "type your question in the thread, mention me, or use /ask"
        if message_content
        else "use /ask question: in the thread, or mention me (or reply to my message with it)"
    )
    extra = (
        "\n\nOn Discord: /brief topic: span:, /digest subscribe|list|unsubscribe|now|preview, "
        f"/feeds add|list|remove, /newsbrief help. Follow-ups: {follow}."
    )
    return Post(
        kind=post.kind, title=post.title, text=(post.text or "") + extra, footer=post.footer
    )
