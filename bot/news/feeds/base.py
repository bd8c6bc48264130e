"""What every feed reader here shares: the result types, the error, identity and
de-duplication of entries, and the byte-order mark."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime

from bot.errors import NewsbriefError

MAX_FEED_BYTES = 20_000_000
"""Larger documents (raw or after gunzip) are refused: no news feed is this big,
and the bound keeps a gzip bomb from eating the worker's memory."""


class FeedError(NewsbriefError):
    """The document is not a feed we can read; the message says why."""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item of a feed, with its HTML already turned into plain text."""

    guid: str  # the entry's id, else its link, else a hash of its content
    url: str | None  # absolute http(s) URL of the article, if the entry has one
    title: str | None
    published: datetime | None  # aware, UTC
    updated: datetime | None  # aware, UTC
    author: str | None
    summary: str | None  # plain text
    content: str | None  # plain text of the full content, when the feed carries it
    image: str | None = None  # absolute URL of a picture for the item

    @property
    def date(self) -> datetime | None:
        """The best date we have: when it was published, else last updated."""
        return self.published or self.updated


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed. ``problem`` is set when it parsed, but not cleanly."""

    title: str | None
    link: str | None  # the site's home page
    entries: tuple[FeedEntry, ...]
    kind: str  # "rss20", "atom10", "rss10", "json11", ... (feedparser's version names)
    problem: str | None = None
    ttl_s: int | None = None  # RSS <ttl>, in seconds: the feed asks not to be polled sooner


_FALLBACK = "sha1:"  # an identity only: never shown (ingest finds a readable stand-in)


def fallback_guid(*parts: str | None) -> str:
    digest = hashlib.sha1("\x1f".join(p or "" for p in parts).encode("utf-8")).hexdigest()
    return f"{_FALLBACK}{digest}"


def strip_bom(data: bytes) -> bytes:
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if data.startswith(bom):
            return data[len(bom) :]
    return data


def dedupe(entries: list[FeedEntry]) -> tuple[tuple[FeedEntry, ...], str | None]:
    """One entry per guid, and every change reported.

    The same guid with the same link (or none) is the same story twice: dropped.
    The same guid with another link is a feed bug (a CMS that gives every item one
    id): those entries are different stories, kept apart by their links. Entries
    with nothing in them, not even an id (a truncated feed's last item), are dropped.
    """
    seen: set[str] = set()
    pairs: set[tuple[str, str | None]] = set()
    kept: list[FeedEntry] = []
    empty = repeated = relinked = 0
    for entry in entries:
        if entry.guid.startswith(_FALLBACK) and not (entry.title or entry.summary or entry.content):
            empty += 1
        elif entry.guid not in seen:
            seen.add(entry.guid)
            pairs.add((entry.guid, entry.url))
            kept.append(entry)
        elif entry.url and (entry.guid, entry.url) not in pairs and entry.url not in seen:
            seen.add(entry.url)
            pairs.add((entry.guid, entry.url))
            kept.append(replace(entry, guid=entry.url))
            relinked += 1
        else:
            repeated += 1
    problems = [
        f"{relinked} entries reused an earlier entry's id (guid); they were kept apart by "
        "their links"
        if relinked
        else None,
        f"{repeated} entries repeated an earlier entry (same id and link) and were dropped"
        if repeated
        else None,
        f"{empty} entries were empty (no title, link or text) and were dropped" if empty else None,
    ]
    return tuple(kept), join_problems(*problems)


def join_problems(*problems: str | None) -> str | None:
    kept = [p for p in problems if p]
    return "; ".join(kept) if kept else None
