"""The platform-neutral message model: what the core says, before any platform renders it.

Adapters turn a ``Post`` into Block Kit, a Discord embed or console text and
keep every platform detail (``thread_ts``, interaction tokens) on their side.
``ThreadRef`` is opaque to the core: it is stored and compared, never parsed.

Every string here is plain text, never markup: a headline may hold ``**``, ``<!channel>``
or ``@everyone`` and must be shown as those characters. Each renderer escapes for its
own format (``bot.chat.render`` for terminal text and Markdown; Block Kit and Discord
markdown in their adapters) and shows a ``SourceLink.url`` only through
``bot.chat.render.link_url`` (http(s), redacted, ``None`` for a link-less item).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

PostKind = Literal["brief", "digest", "answer", "help", "error", "info"]


@dataclass(frozen=True, slots=True)
class SourceLink:
    title: str
    url: str
    site: str | None = None
    published: datetime | None = None


@dataclass(frozen=True, slots=True)
class QuoteLine:
    text: str
    speaker: str | None


@dataclass(frozen=True, slots=True)
class PostItem:
    """One story: a headline, a short summary, its best quote and its first sources."""

    headline: str
    summary: tuple[str, ...] = ()
    quote: QuoteLine | None = None
    sources: tuple[SourceLink, ...] = ()
    more_sources: int = 0  # sources not listed (a story many feeds carry)


def and_more(n: int) -> str:
    """What every platform says after the sources it lists."""
    return f"and {n} more source{'' if n == 1 else 's'}"


@dataclass(frozen=True, slots=True)
class Post:
    kind: PostKind
    title: str
    text: str | None = None  # free text: an answer, help, an error with what to type next
    items: tuple[PostItem, ...] = ()
    footer: str | None = None
    # Link previews (Slack's unfurls) under the post's links: off unless the channel
    # asked (``/digest previews on``), so a digest is one message, not ten cards.
    previews: bool = False
    # What the post covered; the core remembers it per thread for follow-ups.
    article_ids: tuple[int, ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class ChannelRef:
    platform: str
    id: str
    name: str | None = field(default=None, compare=False)
    # The Slack team / Discord guild the channel is in: the adapter fills it in and
    # needs it back to pick that workspace's token. None: the adapter's only workspace.
    workspace: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class ThreadRef:
    """Where follow-ups land: Slack channel + ts, a Discord thread id, a console number."""

    platform: str
    channel_id: str
    id: str
    workspace: str | None = field(default=None, compare=False)  # as on ChannelRef


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str
    is_manager: bool = False  # the adapter decides: Slack/Discord permissions, console always
    # Who may manage the channel, in words, for refusals ("a workspace admin or owner").
    managers: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class CommandEvent:
    """A slash command: ``/brief korea`` arrives as command="brief", text="korea"."""

    channel: ChannelRef
    user: User
    command: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class ThreadReplyEvent:
    thread: ThreadRef
    user: User
    text: str
    # Said to the bot (a mention, a command): answered even when it
    # reads as no question. Other lines in a thread are the people's own talk.
    addressed: bool = False


@dataclass(frozen=True, slots=True)
class MentionEvent:
    """The bot named in a channel, outside any thread: "@newsbrief korea".

    Read as ``/brief korea`` (or ``/help``): people mention a bot and expect it to
    answer; the adapter says so only for a person's message that names the bot.
    """

    channel: ChannelRef
    user: User
    text: str  # without the mention of the bot
