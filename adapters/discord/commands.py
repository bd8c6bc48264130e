"""The slash commands newsbrief registers, as a discord.py ``CommandTree``.

Each command only turns its typed options back into the console's one-line form
and hands it to the adapter (``Dispatch``), which acknowledges the interaction at
once and runs the core's command handler: the rules live in the core, once.

``default_member_permissions`` can only be set per top-level command, so it is on
``/feeds`` (all manager business: adding, removing, and a list that shows feed
URLs) and not on ``/digest``, whose ``list`` and ``preview`` are for everyone;
its changing verbs are refused at run time to non-managers, like on every platform.
"""

from __future__ import annotations

import hashlib
import json
from typing import Protocol

import discord
from discord import app_commands

from adapters.discord.context import Interaction
from adapters.discord.events import subscribe_text

SPANS = [
    app_commands.Choice(name="last 24 hours", value="24h"),
    app_commands.Choice(name="last 2 days", value="48h"),
    app_commands.Choice(name="last 3 days", value="3d"),
    app_commands.Choice(name="last week", value="7d"),
    app_commands.Choice(name="last 30 days", value="30d"),
]
DAYS = [app_commands.Choice(name=d, value=d) for d in ("daily", "weekdays", "weekends", "mon-fri")]
MANAGERS = discord.Permissions(manage_channels=True)


class Dispatch(Protocol):
    """What the commands call on the adapter."""

    async def command(
        self, interaction: Interaction, command: str, text: str, *, posts: bool = False
    ) -> None:
        """Acknowledge, then run the core's ``/command text``; ``posts``: it posts publicly."""

    async def ask(self, interaction: Interaction, question: str) -> None: ...

    async def topics(self, interaction: Interaction, current: str) -> list[str]:
        """Topics of the recent stories this guild may read that match ``current``."""
        ...

    async def zones(self, current: str) -> list[str]: ...

    async def subscription_ids(self, interaction: Interaction, current: str) -> list[str]: ...

    def accepts(self, interaction: Interaction) -> bool:
        """False for an interaction on a shard this instance no longer holds: ignored."""
        ...


class _Tree(app_commands.CommandTree[discord.Client]):
    """A tree that asks the adapter first (a woken, frozen shard holder stays quiet)."""

    def __init__(self, client: discord.Client, d: Dispatch) -> None:
        super().__init__(client, allowed_contexts=app_commands.AppCommandContext(guild=True))
        self.adapter = d

    async def interaction_check(self, interaction: Interaction, /) -> bool:
        return self.adapter.accepts(interaction)


def _choices(values: list[str]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=v[:100], value=v[:100]) for v in values[:25]]


def build_tree(client: discord.Client, d: Dispatch) -> app_commands.CommandTree[discord.Client]:
    tree = _Tree(client, d)
    _brief_commands(tree, d)
    tree.add_command(_digest_group(d))
    tree.add_command(_feeds_group(d))
    tree.add_command(_newsbrief_group(d))
    return tree


def _brief_commands(tree: app_commands.CommandTree[discord.Client], d: Dispatch) -> None:
    @tree.command(name="brief", description="A short brief on a topic from recent news")
    @app_commands.describe(topic="What about, e.g. korea", span="How far back (default 2 days)")
    @app_commands.choices(span=SPANS)
    async def brief(
        interaction: Interaction,
        topic: app_commands.Range[str, 1, 100],
        span: app_commands.Choice[str] | None = None,
    ) -> None:
        text = f"{topic} {span.value}" if span else topic
        await d.command(interaction, "brief", text, posts=True)

    @brief.autocomplete("topic")
    async def brief_topics(
        interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return _choices(await d.topics(interaction, current))

    @tree.command(name="ask", description="Ask about the stories of this brief or digest thread")
    @app_commands.describe(question="e.g. what did Kim's sister say?")
    async def ask(interaction: Interaction, question: app_commands.Range[str, 1, 500]) -> None:
        await d.ask(interaction, question)


def _digest_group(d: Dispatch) -> app_commands.Group:
    group = app_commands.Group(name="digest", description="Scheduled digests in this channel")

    @group.command(name="subscribe", description="Post a digest here at set times (managers)")
    @app_commands.describe(
        topics="Words separated by commas, or everything",
        at="Local time(s), e.g. 07:30 or 07:30, 18:00",
        zone="Time zone, e.g. Europe/London (default UTC)",
        days="Which days (default daily; also e.g. mon,wed,fri)",
        max="At most this many stories",
        always="Post even when nothing is new",
    )
    @app_commands.choices(days=DAYS)
    async def subscribe(
        interaction: Interaction,
        topics: app_commands.Range[str, 1, 200],
        at: app_commands.Range[str, 1, 60],
        zone: str | None = None,
        days: app_commands.Choice[str] | None = None,
        max: app_commands.Range[int, 1, 10] | None = None,
        always: bool | None = None,
    ) -> None:
        text = subscribe_text(topics, at, zone, days.value if days else None, max, always)
        await d.command(interaction, "digest", f"subscribe {text}")

    @subscribe.autocomplete("zone")
    async def zones(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        return _choices(await d.zones(current))

    @group.command(name="list", description="This channel's digests and when the next comes")
    async def list_(interaction: Interaction) -> None:
        await d.command(interaction, "digest", "list")

    @group.command(name="unsubscribe", description="Stop a digest (managers)")
    @app_commands.describe(id="The digest's number from /digest list, or all")
    async def unsubscribe(interaction: Interaction, id: str) -> None:
        await d.command(interaction, "digest", f"unsubscribe {id}")

    @group.command(name="now", description="Post a digest here now (managers)")
    @app_commands.describe(id="Which digest (default: the first)")
    async def now(interaction: Interaction, id: str | None = None) -> None:
        await d.command(interaction, "digest", f"now {id or ''}", posts=True)

    @group.command(name="preview", description="See what the next digest would hold (only you)")
    @app_commands.describe(id="Which digest (default: the first)")
    async def preview(interaction: Interaction, id: str | None = None) -> None:
        await d.command(interaction, "digest", f"preview {id or ''}")

    async def ids(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        return _choices(await d.subscription_ids(interaction, current))

    unsubscribe.autocomplete("id")(ids)
    now.autocomplete("id")(ids)
    preview.autocomplete("id")(ids)
    return group


def _feeds_group(d: Dispatch) -> app_commands.Group:
    group = app_commands.Group(
        name="feeds",
        description="The news sources of this server (managers)",
        default_permissions=MANAGERS,
    )

    @group.command(name="add", description="Add a feed, an OPML list or a page")
    @app_commands.describe(url="https://… of an RSS/Atom/JSON feed, OPML list or article")
    async def add(interaction: Interaction, url: app_commands.Range[str, 1, 2000]) -> None:
        await d.command(interaction, "feeds", f"add {url}")

    @group.command(name="list", description="This server's sources")
    async def list_(interaction: Interaction) -> None:
        await d.command(interaction, "feeds", "list")

    @group.command(name="remove", description="Remove a source")
    @app_commands.describe(id="The source's number from /feeds list")
    async def remove(interaction: Interaction, id: str) -> None:
        await d.command(interaction, "feeds", f"remove {id}")

    return group


def _newsbrief_group(d: Dispatch) -> app_commands.Group:
    group = app_commands.Group(name="newsbrief", description="About newsbrief")

    @group.command(name="help", description="What you can type, and how follow-ups work")
    async def help_(interaction: Interaction) -> None:
        await d.command(interaction, "help", "")

    return group


def tree_hash(tree: app_commands.CommandTree[discord.Client], guild: int | None) -> str:
    """A digest of exactly what a sync would send: same hash, nothing to sync."""
    scope = discord.Object(guild) if guild is not None else None
    payload = [c.to_dict(tree) for c in tree.get_commands(guild=scope)]
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
