"""RSS 0.9x/1.0/2.0, RDF and Atom, read with feedparser (lenient, but never silent)."""

from __future__ import annotations

import io
import re
import xml.sax
from typing import Any

import feedparser

from bot.news.feeds.base import (
    FeedEntry,
    FeedError,
    ParsedFeed,
    dedupe,
    fallback_guid,
    join_problems,
    strip_bom,
)
from bot.news.feeds.text import detail_text, line, struct_to_datetime, web_url

# feedparser flags these as "bozo" although the entries are perfectly usable:
# they describe the HTTP headers or the declared encoding, not the XML.
_BENIGN_BOZO = (
    feedparser.NonXMLContentType,
    feedparser.CharacterEncodingOverride,
)


def _raw(entry: Any, key: str) -> Any:
    """``entry[key]`` without feedparser's aliases (``updated`` silently means ``published``)."""
    return dict.get(entry, key)


_HTML_ROOTS = frozenset(
    "html head body div p span a img table ul ol h1 h2 h3 h4 h5 h6 section article meta link "
    "script style br".split()
)


def _root_name(data: bytes) -> str | None:
    """Name of the first element, skipping the XML declaration, comments and doctype."""
    head = strip_bom(data)[:4096]
    match = re.match(
        rb"(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)*<([A-Za-z_][\w:.-]*)",
        head,
        flags=re.DOTALL | re.IGNORECASE,
    )
    return match.group(1).decode("ascii", "replace") if match else None


def looks_like_html(data: bytes) -> bool:
    """A web page's markup (its doctype, or an HTML element first), not text or a feed."""
    head = strip_bom(data)[:2048].lstrip().lower()
    return head.startswith(b"<!doctype html") or (_root_name(data) or "").lower() in _HTML_ROOTS


def _xml_failure_reason(result: Any, data: bytes) -> str:
    """Why feedparser found no feed, in words a user can act on."""
    root = _root_name(data)
    if looks_like_html(data):
        return "not a feed: the document is HTML (a web page, not its RSS or Atom feed)"
    exc = result.get("bozo_exception")
    if isinstance(exc, xml.sax.SAXParseException):
        return f"XML error at line {exc.getLineNumber()}: {exc.getMessage()}"
    if root and not result.get("version"):
        return f"not a feed: the root element <{root}> is not RSS, RDF or Atom"
    if exc is not None:
        return f"not a feed: {exc}"
    return "not a feed: no RSS, Atom or JSON Feed content found"


def parse_xml_feed(data: bytes, url: str, content_type: str | None) -> ParsedFeed:
    # A stream, not bytes: feedparser would try ``open(data)`` on bytes,
    # reading a local file if the document happened to be a path. Bytes
    # rather than a decoded str, so feedparser honours the XML encoding
    # declaration (windows-1251, GB2312, ...) itself.
    result = feedparser.parse(
        io.BytesIO(data),
        response_headers={
            "content-location": url,
            "content-type": content_type or "application/xml",
        },
    )
    version = str(result.get("version") or "")
    raw_entries = list(result.get("entries") or [])
    exc = result.get("bozo_exception") if result.get("bozo") else None
    if not version and not raw_entries:
        raise FeedError(_xml_failure_reason(result, data))
    meta = result.get("feed") or {}
    if exc is not None and not isinstance(exc, _BENIGN_BOZO) and not raw_entries:
        # Broken XML that gave up no item (perhaps a title); when feedparser's lenient
        # parser recovered entries, the feed is kept and the problem reported.
        raise FeedError(_xml_failure_reason(result, data) + " (no item could be read)")

    problem: str | None = None
    if exc is not None and not isinstance(exc, _BENIGN_BOZO):
        if isinstance(exc, xml.sax.SAXParseException):
            problem = f"XML error at line {exc.getLineNumber()}: {exc.getMessage()}"
        else:
            problem = f"{type(exc).__name__}: {exc}"
        problem += " (parsed leniently)"

    base = url
    entries = [_entry_from_feedparser(e, base) for e in raw_entries]
    unique, dupes = dedupe(entries)
    return ParsedFeed(
        title=line(detail_text(meta.get("title"), meta.get("title_detail"))),
        link=web_url(meta.get("link"), base),
        entries=unique,
        kind=version or "unknown",
        problem=join_problems(problem, dupes),
        ttl_s=_ttl_seconds(meta.get("ttl")),
    )


MAX_TTL_S = 24 * 3600  # a feed asking to be left alone for longer is read daily all the same


def _ttl_seconds(value: object) -> int | None:
    """RSS 2.0 ``<ttl>``: minutes the feed may be cached. Anything else is ignored."""
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return min(minutes * 60, MAX_TTL_S) if minutes > 0 else None


# A feed proxy's own link (feedproxy.google.com/~r/…, a Pheedo click URL) is a redirect
# that may be gone; the proxy keeps the article's in its own element (feedparser's keys).
_ORIGINAL_LINKS = ("feedburner_origlink", "pheedo_origlink")


def _entry_url(entry: Any, base: str) -> str | None:
    for key in _ORIGINAL_LINKS:
        if url := web_url(entry.get(key), base):
            return url
    url = web_url(entry.get("link"), base)
    if url:
        return url
    for link in entry.get("links") or []:
        if link.get("rel", "alternate") == "alternate":
            url = web_url(link.get("href"), base)
            if url:
                return url
    if entry.get("guidislink"):
        return web_url(entry.get("id"), base)
    return None


def _entry_image(entry: Any, base: str) -> str | None:
    for thumb in entry.get("media_thumbnail") or []:
        url = web_url(thumb.get("url"), base)
        if url:
            return url
    for media in entry.get("media_content") or []:
        if media.get("medium") == "image" or str(media.get("type", "")).startswith("image/"):
            url = web_url(media.get("url"), base)
            if url:
                return url
    for enc in entry.get("enclosures") or []:
        if str(enc.get("type", "")).startswith("image/"):
            url = web_url(enc.get("href") or enc.get("url"), base)
            if url:
                return url
    image = entry.get("image")
    if isinstance(image, dict):
        return web_url(image.get("href") or image.get("url"), base)
    return None


def _entry_from_feedparser(entry: Any, base: str) -> FeedEntry:
    url = _entry_url(entry, base)
    title = line(detail_text(entry.get("title"), entry.get("title_detail")))
    # feedparser copies a content into "summary" without its detail: the content's type
    summary_detail = entry.get("summary_detail") or next(
        (c for c in entry.get("content") or () if c.get("value") == entry.get("summary")), None
    )
    summary = detail_text(entry.get("summary"), summary_detail)
    parts = [
        detail_text(c.get("value"), c)
        for c in entry.get("content") or []
        if isinstance(c, dict) and c.get("value")
    ]
    content = "\n\n".join(p for p in parts if p) or None
    author_detail = entry.get("author_detail") or {}
    author = author_detail.get("name") or entry.get("author") or None
    raw_id = line(entry.get("id")) if isinstance(entry.get("id"), str) else None
    link = line(entry.get("link")) if isinstance(entry.get("link"), str) else None
    guid = raw_id or url or link or fallback_guid(title, summary, content)
    return FeedEntry(
        guid=guid,
        url=url,
        title=title,
        published=struct_to_datetime(_raw(entry, "published_parsed")),
        updated=struct_to_datetime(_raw(entry, "updated_parsed")),
        author=line(str(author)) if author else None,
        summary=summary,
        content=content,
        image=_entry_image(entry, base),
    )
