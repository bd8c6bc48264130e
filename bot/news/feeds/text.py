"""Feed items' text: HTML to plain text, safe lines, absolute links and dates.

Shared by the RSS/Atom and JSON Feed readers, so an item reads the same whichever
format carried it.
"""

from __future__ import annotations

import calendar
import re
import time
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
import lxml.html.defs

from bot.nlp.text.safe import clean_line, clean_text, unsafe_count

_WEB_SCHEMES = ("http", "https")

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
        return tidy(fragment)
    # lxml refuses to hold a control character (&#x1b; in the markup becomes one):
    # the references go before parsing, raw characters are cleaned by tidy().
    fragment = _UNSAFE_REF.sub(_safe_ref, clean_text(fragment))
    try:
        parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
        root = lxml.html.document_fromstring(fragment.encode("utf-8", "replace"), parser=parser)
    except (lxml.etree.LxmlError, ValueError):
        return tidy(fragment)
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
    return tidy(text)


_UNSAFE_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,6})|([0-9]{1,7}));?")


def _safe_ref(match: re.Match[str]) -> str:
    """A numeric character reference, or nothing when it names a control character."""
    hexa, dec = match.groups()
    code = int(hexa, 16) if hexa else int(dec)
    if code > 0x10FFFF or unsafe_count(chr(code)) or code in (0x0D, 0x85, 0x2028, 0x2029):
        return "" if code not in (0x0D, 0x85, 0x2028, 0x2029) else "\n"
    return match.group(0)


def tidy(text: str) -> str:
    """Safe text (:mod:`bot.nlp.text.safe`), with runs of spaces inside lines and of
    blank lines between them collapsed."""
    lines = [" ".join(row.split()) for row in clean_text(text).split("\n")]
    out = "\n".join(lines).strip()
    return re.sub(r"\n{3,}", "\n\n", out)


def line(value: str | None) -> str | None:
    """A title, a name: one line, safe, or None."""
    return clean_line(value) or None if value else None


# A tag of an HTML element (lxml's list of them, lxml.html.defs.tags): "<video ...>" is
# markup, "press <Enter>" is not.
_LOOKS_LIKE_HTML = re.compile(
    r"</?(?:" + "|".join(sorted(lxml.html.defs.tags, key=len, reverse=True)) + r")\b[^<>]*>",
    re.IGNORECASE,
)


def detail_text(value: object, detail: object) -> str | None:
    """Text of a feedparser value, converted when it is (X)HTML.

    Feeds often mislabel HTML as plain text (or feedparser has no type for
    a summary it copied from the content), so markup is also sniffed for.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    kind = str(detail.get("type", "")) if isinstance(detail, dict) else ""
    is_html = "html" in kind or bool(_LOOKS_LIKE_HTML.search(value))
    text = html_to_text(value) if is_html else tidy(value)
    return text or None


def web_url(candidate: object, base: str | None) -> str | None:
    """``candidate`` made absolute against ``base``, if it is an http(s) URL."""
    if not isinstance(candidate, str) or not candidate.strip():
        return None
    absolute = urljoin(base or "", candidate.strip())
    parts = urlsplit(absolute)
    if parts.scheme.lower() not in _WEB_SCHEMES or not parts.netloc:
        return None
    return absolute


def struct_to_datetime(value: object) -> datetime | None:
    """feedparser's UTC ``struct_time`` as an aware datetime (None if absurd)."""
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def iso_datetime(value: object) -> datetime | None:
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
