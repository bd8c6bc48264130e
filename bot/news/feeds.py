"""Parsing RSS, Atom, RDF and JSON feeds, and OPML subscription lists.

Input is always the bytes the fetcher received plus the URL they came from:
this module never touches the network. Parsing is lenient (a feed that
feedparser flags as "bozo" but still yields entries is accepted, with the
problem recorded) but never silent: a document that yields nothing raises
:class:`FeedError` with a reason a user can act on.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import json
import re
import time
import xml.sax
import zlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.etree
import lxml.html

from bot.errors import NewsbriefError
from bot.nlp.text.safe import clean_line, clean_text, unsafe_count

MAX_FEED_BYTES = 20_000_000
"""Larger documents (raw or after gunzip) are refused: no news feed is this big,
and the bound keeps a gzip bomb from eating the worker's memory."""

_GZIP_MAGIC = b"\x1f\x8b"
_WEB_SCHEMES = ("http", "https")

# feedparser flags these as "bozo" although the entries are perfectly usable:
# they describe the HTTP headers or the declared encoding, not the XML.
_BENIGN_BOZO = (
    feedparser.NonXMLContentType,
    feedparser.CharacterEncodingOverride,
)


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


# -- HTML to text --------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    "p div section article header footer aside nav main figure figcaption blockquote pre "
    "h1 h2 h3 h4 h5 h6 ul ol dl dt dd table thead tbody tfoot tr address hr form".split()
)
_LINE_TAGS = frozenset({"br", "li", "td", "th"})
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg")


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment, one paragraph per block element.

    Parsed with lxml (a regex cannot know that ``<p>`` ends a paragraph or
    that ``&amp;`` is one character); scripts, styles and FeedBurner's
    "feedflare" share links are dropped because they are never article text.
    """
    if "<" not in fragment and "&" not in fragment:
        return _tidy(fragment)
    # lxml refuses to hold a control character (&#x1b; in the markup becomes one):
    # the references go before parsing, raw characters are cleaned by _tidy.
    fragment = _UNSAFE_REF.sub(_safe_ref, clean_text(fragment))
    try:
        parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
        root = lxml.html.document_fromstring(fragment.encode("utf-8", "replace"), parser=parser)
    except (lxml.etree.LxmlError, ValueError):
        return _tidy(fragment)
    for bad in root.xpath(
        "//"
        + " | //".join(_DROP_TAGS)
        + " | //*[contains(concat(' ', @class, ' '), ' feedflare ')]"
    ):
        bad.drop_tree()
    for el in root.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _BLOCK_TAGS:
            el.text = "\n\n" + (el.text or "")
            el.tail = "\n\n" + (el.tail or "")
        elif tag in _LINE_TAGS:
            el.tail = "\n" + (el.tail or "")
            if tag != "br":
                el.text = "\n" + (el.text or "")
    text: str = root.text_content()
    return _tidy(text)


_UNSAFE_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,6})|([0-9]{1,7}));?")


def _safe_ref(match: re.Match[str]) -> str:
    """A numeric character reference, or nothing when it names a control character."""
    hexa, dec = match.groups()
    code = int(hexa, 16) if hexa else int(dec)
    if code > 0x10FFFF or unsafe_count(chr(code)) or code in (0x0D, 0x85, 0x2028, 0x2029):
        return "" if code not in (0x0D, 0x85, 0x2028, 0x2029) else "\n"
    return match.group(0)


def _tidy(text: str) -> str:
    """Safe text (:mod:`bot.nlp.text.safe`), with runs of spaces inside lines and of
    blank lines between them collapsed."""
    lines = [" ".join(line.split()) for line in clean_text(text).split("\n")]
    out = "\n".join(lines).strip()
    return re.sub(r"\n{3,}", "\n\n", out)


def _line(value: str | None) -> str | None:
    """A title, a name: one line, safe, or None."""
    return clean_line(value) or None if value else None


_LOOKS_LIKE_HTML = re.compile(
    r"</?(?:p|br|a|div|span|img|em|strong|b|i|u|ul|ol|li|h[1-6]|blockquote|figure|svg|table|pre)"
    r"\b[^>]*>",
    re.IGNORECASE,
)


def _detail_text(value: object, detail: object) -> str | None:
    """Text of a feedparser value, converted when it is (X)HTML.

    Feeds often mislabel HTML as plain text (or feedparser has no type for
    a summary it copied from the content), so markup is also sniffed for.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    kind = str(detail.get("type", "")) if isinstance(detail, dict) else ""
    is_html = "html" in kind or bool(_LOOKS_LIKE_HTML.search(value))
    text = html_to_text(value) if is_html else _tidy(value)
    return text or None


def _raw(entry: Any, key: str) -> Any:
    """``entry[key]`` without feedparser's aliases (``updated`` silently means ``published``)."""
    return dict.get(entry, key)


# -- helpers ---------------------------------------------------------------------


def _web_url(candidate: object, base: str | None) -> str | None:
    """``candidate`` made absolute against ``base``, if it is an http(s) URL."""
    if not isinstance(candidate, str) or not candidate.strip():
        return None
    absolute = urljoin(base or "", candidate.strip())
    parts = urlsplit(absolute)
    if parts.scheme.lower() not in _WEB_SCHEMES or not parts.netloc:
        return None
    return absolute


def _struct_to_datetime(value: object) -> datetime | None:
    """feedparser's UTC ``struct_time`` as an aware datetime (None if absurd)."""
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _iso_datetime(value: object) -> datetime | None:
    """An RFC 3339 date from a JSON Feed; a date without offset is taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


_FALLBACK = "sha1:"  # an identity only: never shown (ingest finds a readable stand-in)


def _fallback_guid(*parts: str | None) -> str:
    digest = hashlib.sha1("\x1f".join(p or "" for p in parts).encode("utf-8")).hexdigest()
    return f"{_FALLBACK}{digest}"


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


def _strip_bom(data: bytes) -> bytes:
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if data.startswith(bom):
            return data[len(bom) :]
    return data


def _dedupe(entries: list[FeedEntry]) -> tuple[tuple[FeedEntry, ...], str | None]:
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
    return tuple(kept), _join_problems(*problems)


def _join_problems(*problems: str | None) -> str | None:
    kept = [p for p in problems if p]
    return "; ".join(kept) if kept else None


# -- entry points ---------------------------------------------------------------


def parse_feed(data: bytes, url: str, *, content_type: str | None = None) -> ParsedFeed:
    """Parse an RSS 0.9x/1.0/2.0, Atom 0.3/1.0 or JSON Feed 1.0/1.1 document.

    ``url`` is where the bytes came from: relative links are resolved
    against it (after any ``xml:base``). Raises :class:`FeedError` when
    nothing usable can be read from the document.
    """
    if len(data) > MAX_FEED_BYTES:
        raise FeedError(f"the feed is larger than {MAX_FEED_BYTES:,} bytes")
    data, gz_problem = _maybe_gunzip(data)
    body = _strip_bom(data).lstrip()
    if not body:
        raise FeedError("empty document")
    if body.startswith((b"{", b"[")) or (
        content_type is not None and "json" in content_type.lower() and not body.startswith(b"<")
    ):
        feed = _parse_json_feed(body, url)
    else:
        # Blank lines before "<?xml" (a classic WordPress plugin bug) make the
        # strict XML parser give up on an otherwise valid feed; drop them.
        if body.startswith(b"<?xml") and not data.startswith(b"<?xml"):
            data = body
        feed = _parse_xml_feed(data, url, content_type)
    if gz_problem:
        return ParsedFeed(
            title=feed.title,
            link=feed.link,
            entries=feed.entries,
            kind=feed.kind,
            problem=_join_problems(gz_problem, feed.problem),
            ttl_s=feed.ttl_s,
        )
    return feed


_HTML_ROOTS = frozenset(
    "html head body div p span a img table ul ol h1 h2 h3 h4 h5 h6 section article meta link "
    "script style br".split()
)


def _root_name(data: bytes) -> str | None:
    """Name of the first element, skipping the XML declaration, comments and doctype."""
    head = _strip_bom(data)[:4096]
    match = re.match(
        rb"(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)*<([A-Za-z_][\w:.-]*)",
        head,
        flags=re.DOTALL | re.IGNORECASE,
    )
    return match.group(1).decode("ascii", "replace") if match else None


def _xml_failure_reason(result: Any, data: bytes) -> str:
    """Why feedparser found no feed, in words a user can act on."""
    head = _strip_bom(data)[:2048].lstrip().lower()
    root = _root_name(data)
    if head.startswith(b"<!doctype html") or (root or "").lower() in _HTML_ROOTS:
        return "not a feed: the document is HTML (a web page, not its RSS or Atom feed)"
    exc = result.get("bozo_exception")
    if isinstance(exc, xml.sax.SAXParseException):
        return f"XML error at line {exc.getLineNumber()}: {exc.getMessage()}"
    if root and not result.get("version"):
        return f"not a feed: the root element <{root}> is not RSS, RDF or Atom"
    if exc is not None:
        return f"not a feed: {exc}"
    return "not a feed: no RSS, Atom or JSON Feed content found"


def _parse_xml_feed(data: bytes, url: str, content_type: str | None) -> ParsedFeed:
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
    unique, dupes = _dedupe(entries)
    return ParsedFeed(
        title=_line(_detail_text(meta.get("title"), meta.get("title_detail"))),
        link=_web_url(meta.get("link"), base),
        entries=unique,
        kind=version or "unknown",
        problem=_join_problems(problem, dupes),
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


def _entry_url(entry: Any, base: str) -> str | None:
    url = _web_url(entry.get("link"), base)
    if url:
        return url
    for link in entry.get("links") or []:
        if link.get("rel", "alternate") == "alternate":
            url = _web_url(link.get("href"), base)
            if url:
                return url
    if entry.get("guidislink"):
        return _web_url(entry.get("id"), base)
    return None


def _entry_image(entry: Any, base: str) -> str | None:
    for thumb in entry.get("media_thumbnail") or []:
        url = _web_url(thumb.get("url"), base)
        if url:
            return url
    for media in entry.get("media_content") or []:
        if media.get("medium") == "image" or str(media.get("type", "")).startswith("image/"):
            url = _web_url(media.get("url"), base)
            if url:
                return url
    for enc in entry.get("enclosures") or []:
        if str(enc.get("type", "")).startswith("image/"):
            url = _web_url(enc.get("href") or enc.get("url"), base)
            if url:
                return url
    image = entry.get("image")
    if isinstance(image, dict):
        return _web_url(image.get("href") or image.get("url"), base)
    return None


def _entry_from_feedparser(entry: Any, base: str) -> FeedEntry:
    url = _entry_url(entry, base)
    title = _line(_detail_text(entry.get("title"), entry.get("title_detail")))
    summary = _detail_text(entry.get("summary"), entry.get("summary_detail"))
    parts = [
        _detail_text(c.get("value"), c)
        for c in entry.get("content") or []
        if isinstance(c, dict) and c.get("value")
    ]
    content = "\n\n".join(p for p in parts if p) or None
    author_detail = entry.get("author_detail") or {}
    author = author_detail.get("name") or entry.get("author") or None
    raw_id = _line(entry.get("id")) if isinstance(entry.get("id"), str) else None
    link = _line(entry.get("link")) if isinstance(entry.get("link"), str) else None
    guid = raw_id or url or link or _fallback_guid(title, summary, content)
    return FeedEntry(
        guid=guid,
        url=url,
        title=title,
        published=_struct_to_datetime(_raw(entry, "published_parsed")),
        updated=_struct_to_datetime(_raw(entry, "updated_parsed")),
        author=_line(str(author)) if author else None,
        summary=summary,
        content=content,
        image=_entry_image(entry, base),
    )


# feedparser 6.0 has no JSON Feed support (it arrives in the unreleased 6.1
# branch), so JSON Feed 1.0/1.1 is read here with the json module: the format
# is small and fully specified at https://jsonfeed.org/version/1.1.
def _parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    try:
        doc = json.loads(body)
    except UnicodeDecodeError:
        raise FeedError("not a feed: JSON that is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise FeedError(f"JSON error at line {exc.lineno}: {exc.msg}") from None
    if not isinstance(doc, dict):
        raise FeedError("not a feed: a JSON document whose top level is not an object")
    version = doc.get("version")
    items = doc.get("items")
    problem: str | None = None
    if not isinstance(version, str) or "jsonfeed.org/version/" not in version:
        if not isinstance(items, list):
            raise FeedError("not a feed: JSON without a JSON Feed 'version' or 'items'")
        problem = "JSON Feed without a 'version'"
    if not isinstance(items, list):
        raise FeedError("not a JSON Feed: 'items' is missing or not a list")
    kind = "json11" if isinstance(version, str) and version.endswith("/1.1") else "json1"
    base = _web_url(doc.get("feed_url"), url) or url
    home = _web_url(doc.get("home_page_url"), base)
    feed_author = _json_author(doc)
    entries = [
        _entry_from_json(item, base, feed_author) for item in items if isinstance(item, dict)
    ]
    skipped = len(items) - len(entries)
    unique, dupes = _dedupe(entries)
    return ParsedFeed(
        title=_line(doc["title"]) if isinstance(doc.get("title"), str) else None,
        link=home,
        entries=unique,
        kind=kind,
        problem=_join_problems(
            problem, f"{skipped} items were not objects" if skipped else None, dupes
        ),
    )


def _json_author(obj: dict[str, Any]) -> str | None:
    """``authors`` (1.1) or ``author`` (1.0): the names, comma-separated."""
    authors = obj.get("authors")
    if not isinstance(authors, list):
        authors = [obj.get("author")]
    names = [a.get("name") for a in authors if isinstance(a, dict)]
    text = ", ".join(clean_line(n) for n in names if isinstance(n, str) and clean_line(n))
    return text or None


def _entry_from_json(item: dict[str, Any], base: str, feed_author: str | None) -> FeedEntry:
    url = _web_url(item.get("url"), base) or _web_url(item.get("external_url"), base)
    title = _line(item["title"]) if isinstance(item.get("title"), str) else None
    html = item.get("content_html")
    plain = item.get("content_text")
    if isinstance(html, str) and html.strip():
        content: str | None = html_to_text(html) or None
    elif isinstance(plain, str):
        content = _tidy(plain) or None
    else:
        content = None
    summary = _tidy(item["summary"]) or None if isinstance(item.get("summary"), str) else None
    raw_id = item.get("id")
    guid = _line(str(raw_id)) if raw_id is not None else None
    return FeedEntry(
        guid=guid or url or _fallback_guid(title, summary, content),
        url=url,
        title=title,
        published=_iso_datetime(item.get("date_published")),
        updated=_iso_datetime(item.get("date_modified")),
        author=_json_author(item) or feed_author,
        summary=summary,
        content=content,
        image=_web_url(item.get("image"), base) or _web_url(item.get("banner_image"), base),
    )


# -- OPML --------------------------------------------------------------------------


def _safe_xml_parser() -> lxml.etree.XMLParser:
    """No DTDs, no entity expansion, no network: OPML files come from users."""
    return lxml.etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )


def looks_like_opml(data: bytes) -> bool:
    """True when the document's root element is ``<opml>`` (cheap: stops at the root)."""
    head = _strip_bom(data).lstrip()
    if not head.startswith(b"<"):
        return False
    try:
        for _event, element in lxml.etree.iterparse(
            io.BytesIO(head), events=("start",), resolve_entities=False, no_network=True
        ):
            return str(lxml.etree.QName(element).localname).lower() == "opml"
    except lxml.etree.XMLSyntaxError:
        return False
    return False


def parse_opml(data: bytes) -> list[str]:
    """Feed URLs of an OPML subscription list, nested outlines included, in order.

    Duplicates are dropped; ``feed://`` URLs become ``http://``; outlines
    without an http(s) ``xmlUrl`` (folders, links to web pages) are skipped.
    """
    body = _strip_bom(data).lstrip()
    if not body:
        raise FeedError("empty document")
    try:
        root = lxml.etree.fromstring(body, parser=_safe_xml_parser())
    except lxml.etree.XMLSyntaxError as exc:
        raise FeedError(f"XML error at line {exc.lineno}: {exc.msg}") from None
    if lxml.etree.QName(root).localname.lower() != "opml":
        raise FeedError(
            f"not an OPML file: the root element is <{lxml.etree.QName(root).localname}>"
        )
    urls: list[str] = []
    seen: set[str] = set()
    for outline in root.iter("{*}outline"):
        raw = next(
            (v for k, v in outline.attrib.items() if str(k).lower() == "xmlurl" and v.strip()),
            None,
        )
        if raw is None:
            continue
        raw = raw.strip()
        if raw.lower().startswith("feed://"):
            raw = "http://" + raw[len("feed://") :]
        elif raw.lower().startswith("feed:"):
            raw = raw[len("feed:") :]
        url = _web_url(raw, None)
        if url and url not in seen:
            seen.add(url)
            urls.append(url)
    return urls
