"""`/feeds ...`: add, list, remove the sources a workspace reads — the same on every platform.

A workspace (Slack team, Discord guild, the console) reads the operator's sources,
which every workspace shares, and its own, which no other workspace sees: not their
articles, not their URLs. Only managers add or remove; anyone may list. URLs are
shown in their safe form only (no password, tokens REDACTED).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.chat.conversation import HelpLine, require_manager, workspace_of
from bot.chat.messages import CommandEvent, Post
from bot.chat.platform import Platform
from bot.errors import NewsbriefError
from bot.news.adding import AddedSource
from bot.store import Store
from bot.store.records import SourceRow
from bot.store.sources import OPERATOR
from bot.urls import is_http_url, redact_url

HELP = """\
/feeds add URL       read a feed, an OPML list of feeds or an article page here
                     (channel managers only), e.g. /feeds add https://example.com/rss.xml
/feeds list          the sources this workspace reads, and the ones everyone shares
/feeds remove ID     stop reading a source (channel managers only; ID from /feeds list)
/feeds remove URL    the same, by the address it was added with"""

# url, workspace key, who adds it -> what was added (bot.news.adding.add_source, bound)
Adder = Callable[[str, str, str | None], Awaitable[AddedSource]]

MAX_SHARED_NAMED = 10  # the operator's sources named in /feeds list; the rest are counted


def every(seconds: int) -> str:
    """ "every 15 min", "every hour", "every 2 hours"."""
    minutes = max(1, seconds // 60)
    if minutes % 60:
        return f"every {minutes} min"
    hours = minutes // 60
    return "every hour" if hours == 1 else f"every {hours} hours"


def added_text(added: AddedSource) -> str:
    """ "Daily Planet — 25 items, checked every 15 min" and what happens next."""
    if added.already:
        return f"Already read here as #{added.id}: {added.name}. Nothing changed."
    if added.kind == "opml":
        what = f"an OPML list of {added.items} feeds, each checked {every(added.poll_interval_s)}"
        after = "Their news arrives over the next few minutes."
    elif added.kind == "page":
        what, after = "an article page, read once", ""
    else:
        items = "1 item" if added.items == 1 else f"{added.items} items"
        what = f"{items}, checked {every(added.poll_interval_s)}"
        after = f"{added.new} new articles stored." if added.new else ""
    return f"Added #{added.id}: {added.name} — {what}. {after}".strip()


def _row(r: SourceRow) -> str:
    kind = {"opml": f"OPML list of {r.feeds} feeds", "page": "article page"}.get(
        r.kind, f"feed, checked {every(r.poll_interval_s)}"
    )
    articles = "1 article" if r.articles == 1 else f"{r.articles} articles"
    line = f"#{r.id} {r.title or r.url} — {kind}, {articles}\n    {r.url}"
    return line + (f"\n    last problem: {r.last_error}" if r.last_error else "")


def _shared_name(r: SourceRow) -> str:
    """An operator's source by name; a file of the operator's is not shown by its path."""
    return r.title or ("a file of the operator's" if r.kind == "local" else r.url)


class FeedCommands:
    """``/feeds ...``, plugged into the ``Conversation`` as one ``CommandGroup``."""

    help_line = HelpLine("/feeds ...", "the news sources this workspace reads: /feeds help")

    def __init__(self, store: Store, adder: Adder | None) -> None:
        self.store = store
        self.adder = adder  # None: fetching is off here, so sources can only be listed

    async def __call__(self, platform: Platform, event: CommandEvent) -> None:
        verb, _, rest = event.text.strip().partition(" ")
        verb = verb.lower()
        if verb in {"", "help"}:
            await platform.respond(event, Post(kind="help", title="Sources", text=HELP))
            return
        handler = {"add": self._add, "list": self._list, "remove": self._remove}.get(verb)
        if handler is None:
            raise NewsbriefError(
                f"/feeds has no {verb!r}: use add, list or remove (/feeds help shows examples)"
            )
        await handler(platform, event, rest.strip())

    async def _add(self, platform: Platform, event: CommandEvent, rest: str) -> None:
        require_manager(event, "add news sources", "use /feeds list to see what is read here")
        url = rest.split()[0] if rest.split() else ""
        if not url:
            raise NewsbriefError("Say what to read: /feeds add https://example.com/rss.xml")
        if self.adder is None:
            raise NewsbriefError("Fetching is switched off here, so no source can be added.")
        added = await self.adder(url, workspace_of(event.channel), event.user.id)
        await platform.respond(
            event, Post(kind="info", title="Source added", text=added_text(added))
        )

    async def _list(self, platform: Platform, event: CommandEvent, rest: str) -> None:
        own = await asyncio.to_thread(self.store.sources.listing, workspace_of(event.channel))
        shared = await asyncio.to_thread(self.store.sources.listing, OPERATOR)
        lines = [_row(r) for r in own] or [
            "This workspace reads no sources of its own yet: /feeds add URL adds one."
        ]
        if shared:
            names = ", ".join(_shared_name(r) for r in shared[:MAX_SHARED_NAMED])
            more = (
                f" and {len(shared) - MAX_SHARED_NAMED} more"
                if len(shared) > MAX_SHARED_NAMED
                else ""
            )
            lines.append(f"Shared with every workspace ({len(shared)}): {names}{more}.")
        await platform.respond(
            event, Post(kind="info", title="Sources read here", text="\n".join(lines))
        )

    async def _remove(self, platform: Platform, event: CommandEvent, rest: str) -> None:
        require_manager(event, "remove news sources", "use /feeds list to see what is read here")
        wanted = rest.strip().lstrip("#")
        if is_http_url(wanted):  # by its address, as /feeds add took it
            wanted = await asyncio.to_thread(self._id_of, wanted, workspace_of(event.channel))
        if not wanted.isdecimal() or len(wanted) > 12:
            raise NewsbriefError(
                "Say which source to stop reading: /feeds remove ID or its URL (see /feeds list)"
            )
        removed = await asyncio.to_thread(
            self.store.sources.remove, int(wanted), workspace_of(event.channel)
        )
        if removed is None:
            raise NewsbriefError(
                f"This workspace reads no source #{wanted} of its own: see /feeds list"
            )
        text = f"Stopped reading #{removed.id} {removed.title or removed.url}."
        await platform.respond(event, Post(kind="info", title="Source removed", text=text))

    def _id_of(self, url: str, workspace: str) -> str:
        """The id of the workspace's own source at ``url`` (shown redacted, as listed)."""
        state = self.store.get_feed(url)
        own = {r.id for r in self.store.sources.listing(workspace)}
        if state is None or state.id not in own:
            raise NewsbriefError(
                f"This workspace reads no source at {redact_url(url)} of its own: see /feeds list"
            )
        return str(state.id)
