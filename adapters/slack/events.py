"""Slack payloads → the core's neutral events; everything else is ignored here.

Only this module reads Slack's payload fields (``thread_ts``, ``subtype``,
``bot_id``…). What reaches the core: slash commands, a person's message or mention of
the bot inside a thread (the core says whether the thread is ours), and a mention of
the bot in a channel. What never does: the bot's own messages, other bots, edits and
deletions, joins and other subtypes, and top-level chatter.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from bot.chat.messages import (
    ChannelRef,
    CommandEvent,
    MentionEvent,
    ThreadRef,
    ThreadReplyEvent,
    User,
)

PLATFORM = "slack"
# A person's reply sent "also to the channel", or with a file attached, is still theirs.
_REPLY_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
# <!channel>, <!subteam^S1|@team>, <#C1|news>: the label when there is one
_SPECIAL = re.compile(r"<([!#])[^|>]*(?:\|([^>]*))?>")
_EMOJI = re.compile(r":(?=[a-z0-9_+'-]*[a-z])[a-z0-9_+'-]+:")


@dataclass(frozen=True, slots=True)
class Person:
    """Who typed something, before the adapter knows whether they manage the channel."""

    team: str | None
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Command:
    """A slash command, with the delivery details the adapter keeps to itself."""

    person: Person
    channel: ChannelRef
    command: str
    text: str
    trigger_id: str | None
    response_url: str | None

    def event(self, user: User) -> CommandEvent:
        return CommandEvent(self.channel, user, self.command, self.text)


@dataclass(frozen=True, slots=True)
class Reply:
    """A message in a thread, addressed to the bot or in a thread it started."""

    person: Person
    thread: ThreadRef
    text: str
    message_key: str  # the same for a message's `message` and `app_mention` events
    addressed: bool = False  # it mentions the bot

    def event(self, user: User) -> ThreadReplyEvent:
        return ThreadReplyEvent(self.thread, user, self.text, addressed=self.addressed)


@dataclass(frozen=True, slots=True)
class Mention:
    """A person's message in a channel, outside a thread, that names the bot."""

    person: Person
    channel: ChannelRef
    text: str
    message_key: str  # as on Reply: `message` and `app_mention` deliver it twice

    def event(self, user: User) -> MentionEvent:
        return MentionEvent(self.channel, user, self.text)


def command(body: Mapping[str, Any]) -> Command:
    """``/brief korea`` → brief/"korea"; ``/newsbrief help`` → help; ``/newsbrief`` → help."""
    name = str(body.get("command", "")).lstrip("/").lower()
    text = command_text(str(body.get("text") or ""))
    if name == "newsbrief":
        name, _, text = text.partition(" ")
        name, text = (name.lower() or "help"), text.strip()
    team = body.get("team_id")
    channel = ChannelRef(
        PLATFORM, str(body.get("channel_id", "")), body.get("channel_name"), workspace=team
    )
    person = Person(team, str(body.get("user_id", "")), str(body.get("user_name") or ""))
    return Command(
        person, channel, name, text, body.get("trigger_id"), body.get("response_url") or None
    )


@lru_cache(maxsize=64)  # one bot per workspace; each message asks up to three times
def _bot_mention(bot_user_id: str) -> re.Pattern[str]:
    return re.compile(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>")


def incoming_text(text: str, bot_user_id: str | None) -> str:
    """What a person typed, from Slack's wire format: mentions of the bot dropped,
    links shown as their label, ``&amp;``/``&lt;``/``&gt;`` decoded."""
    if bot_user_id:
        text = _bot_mention(bot_user_id).sub("", text)
    return _plain(_LINK.sub(lambda m: m.group(2) or m.group(1), text))


def command_text(text: str) -> str:
    """A slash command's arguments as typed: escaped like a message, and a link is its URL
    (``/feeds add <https://x.example/rss?a=1&amp;b=2>`` adds that feed)."""
    return _plain(_LINK.sub(lambda m: m.group(1), text))


def _special(m: re.Match[str]) -> str:
    label = m.group(2) or ""
    return f"#{label}" if m.group(1) == "#" and label else label


def _plain(text: str) -> str:
    text = _MENTION.sub(lambda m: "@" + m.group(1), text)
    text = _SPECIAL.sub(_special, text)  # <!here>, <#C1|news>, <!subteam^S1|@team>
    text = _EMOJI.sub("", text)  # :thumbsup: is a picture, not words
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())


def message(
    event: Mapping[str, Any], *, team: str | None, bot_user_id: str | None
) -> Reply | Mention | None:
    """A person's ``message`` or ``app_mention``: inside a thread a ``Reply``, in the channel
    a ``Mention`` when it names the bot; else None.

    Whether the thread is one of ours (a brief's or a digest's) is the core's to
    say: it remembers them, also those posted before a restart.
    """
    if event.get("subtype") not in _REPLY_SUBTYPES or event.get("bot_id") or event.get("hidden"):
        return None
    user, ts, channel = event.get("user"), event.get("ts"), event.get("channel")
    if not user or not ts or not channel or (bot_user_id and user == bot_user_id):
        return None
    raw = str(event.get("text") or "")
    text = incoming_text(raw, bot_user_id)
    mentioned = event.get("type") == "app_mention" or bool(
        bot_user_id and _bot_mention(bot_user_id).search(raw)
    )
    person = Person(team, str(user), str(user))
    key = f"{team}:{channel}:{ts}"
    thread_ts = event.get("thread_ts")
    if not thread_ts or thread_ts == ts:  # in the channel, not inside a thread
        if not bot_user_id or not _bot_mention(bot_user_id).match(raw.lstrip()):
            return None  # the channel's own talk, also about the bot ("ask @newsbrief")
        return Mention(person, ChannelRef(PLATFORM, str(channel), workspace=team), text, key)
    if not text:
        return None
    ref = ThreadRef(PLATFORM, str(channel), str(thread_ts), workspace=team)
    return Reply(person, ref, text, message_key=key, addressed=mentioned)


def bot_joined(
    event: Mapping[str, Any], *, team: str | None, bot_user_id: str | None
) -> ChannelRef | None:
    """The channel of a ``member_joined_channel`` event when the one who joined is the bot."""
    channel = event.get("channel")
    if not bot_user_id or event.get("user") != bot_user_id or not channel:
        return None
    return ChannelRef(PLATFORM, str(channel), workspace=event.get("team") or team)


# ------------------------------------------------------------------ exactly once
class DeliveryLedger(Protocol):
    """Says whether a delivery (a command's ``trigger_id``, a message) is new.

    Slack re-delivers an event whose ack was late, up to 3 times, possibly to
    another instance. ``MemoryLedger`` covers one process; a store-backed ledger
    (a unique row per key) covers several and plugs in here unchanged.
    """

    async def first(self, key: str) -> bool: ...


class MemoryLedger:
    """Keys seen in the last ``ttl`` seconds, bounded; enough for one process."""

    def __init__(self, ttl: float = 3600.0, size: int = 50_000) -> None:
        self._ttl = ttl
        self._size = size
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = asyncio.Lock()

    async def first(self, key: str) -> bool:
        async with self._lock:
            now = time.monotonic()
            while self._seen and (
                len(self._seen) > self._size or next(iter(self._seen.values())) < now - self._ttl
            ):
                self._seen.popitem(last=False)
            if key in self._seen:
                return False
            self._seen[key] = now
            return True
