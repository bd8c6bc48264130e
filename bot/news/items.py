"""What a feed item or a source is called, linked and shown as: small pure rules.

What is stored is safe to show: links http(s) only and redacted, an item without a
link gets an identity of ours, names cleaned (:mod:`bot.nlp.text.safe`).
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from bot.news.feeds import FeedEntry, ParsedFeed
from bot.nlp.text.safe import clean_line
from bot.urls import is_http_url, redact_url, web_link


def shown(source: str) -> str:
    """A source as it may be logged or shown: URLs lose userinfo and secret parameters."""
    return redact_url(source) if is_http_url(source) else clean_line(source)


def host(url: str | None) -> str | None:
    try:
        return urlsplit(url).hostname if url else None
    except ValueError:
        return None


def site(entry: FeedEntry, feed: ParsedFeed) -> str | None:
    """The feed's name, unless the item lives on another host (an aggregator's feed)."""
    item_host, feed_host = host(entry.url), host(feed.link)
    if item_host and feed_host and item_host != feed_host:
        return item_host
    return feed.title or item_host


def item_url(url: str | None, feed_url: str | None, guid: str | None) -> str:
    """The link stored for an article: http(s), redacted. An item without one gets an
    identity of ours (a ``urn:``, never shown as a link) instead of its guid, which
    may be ``javascript:…`` or ``file:///etc/passwd``."""
    link = web_link(url)
    if link:
        return link
    digest = hashlib.sha1(f"{feed_url}\x1f{guid or url}".encode(errors="replace")).hexdigest()
    return f"urn:newsbrief:item:{digest}"


def guid(entry: FeedEntry | None) -> str | None:
    """An item's id as stored: a guid that is a URL (the usual fallback) is redacted too."""
    if entry is None:
        return None
    return redact_url(entry.guid) if is_http_url(entry.guid) else entry.guid


def stand_in_title(text: str) -> str | None:
    """A headline for an item that has none: the start of its first sentence."""
    first = clean_line(text.split("\n", 1)[0]).split(". ", 1)[0]
    words = first.split()
    if not words:
        return None
    return " ".join(words[:12]) + ("…" if len(words) > 12 else "")


def looks_like_feed(data: bytes, content_type: str | None) -> bool:
    ct = (content_type or "").lower()
    if any(k in ct for k in ("rss", "atom", "feed+json", "application/json")):
        return True
    head = data[:2048].lstrip().lower()
    if head.startswith(b"{"):
        return b"jsonfeed" in data[:4096].lower()
    return any(tag in head for tag in (b"<rss", b"<feed", b"<rdf:rdf", b"<rdf "))
