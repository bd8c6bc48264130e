"""Which reader a feed document needs (JSON or XML), after undoing a stray gzip,
a byte-order mark and blank lines before the XML declaration."""

from __future__ import annotations

import zlib

from bot.news.feeds.base import MAX_FEED_BYTES, FeedError, ParsedFeed, join_problems, strip_bom
from bot.news.feeds.jsonfeed import parse_json_feed
from bot.news.feeds.rss import parse_xml_feed

_GZIP_MAGIC = b"\x1f\x8b"


def _maybe_gunzip(data: bytes) -> tuple[bytes, str | None]:
    """Gunzip a document that is a gzip file, not a feed, on disk or on the server.

    The fetcher undoes ``Content-Encoding``; this covers the other case (a
    ``feed.xml`` that *is* a .gz file, as node-feedparser's ``compressed.xml``),
    recognised by the gzip magic bytes, which no XML or JSON document starts with.
    """
    if not data.startswith(_GZIP_MAGIC):
        return data, None
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, MAX_FEED_BYTES + 1)
    except zlib.error as exc:
        raise FeedError(f"not a feed: a damaged gzip file ({exc})") from None
    if len(out) > MAX_FEED_BYTES:
        raise FeedError(f"the feed is larger than {MAX_FEED_BYTES:,} bytes once decompressed")
    if not inflater.eof:
        raise FeedError("not a feed: a truncated gzip file")
    return out, "the document was gzip-compressed without saying so"


def parse_feed(data: bytes, url: str, *, content_type: str | None = None) -> ParsedFeed:
    """Parse an RSS 0.9x/1.0/2.0, Atom 0.3/1.0 or JSON Feed 1.0/1.1 document.

    ``url`` is where the bytes came from: relative links are resolved
    against it (after any ``xml:base``). Raises :class:`FeedError` when
    nothing usable can be read from the document.
    """
    if len(data) > MAX_FEED_BYTES:
        raise FeedError(f"the feed is larger than {MAX_FEED_BYTES:,} bytes")
    data, gz_problem = _maybe_gunzip(data)
    body = strip_bom(data).lstrip()
    if not body:
        raise FeedError("empty document")
    if body.startswith((b"{", b"[")) or (
        content_type is not None and "json" in content_type.lower() and not body.startswith(b"<")
    ):
        feed = parse_json_feed(body, url)
    else:
        # Blank lines before "<?xml" (a classic WordPress plugin bug) make the
        # strict XML parser give up on an otherwise valid feed; drop them.
        if body.startswith(b"<?xml") and not data.startswith(b"<?xml"):
            data = body
        feed = parse_xml_feed(data, url, content_type)
    if gz_problem:
        return ParsedFeed(
            title=feed.title,
            link=feed.link,
            entries=feed.entries,
            kind=feed.kind,
            problem=join_problems(gz_problem, feed.problem),
            ttl_s=feed.ttl_s,
        )
    return feed
