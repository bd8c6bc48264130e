"""OPML subscription lists: the feed URLs a user exported from another reader."""

from __future__ import annotations

import io

import lxml.etree

from bot.news.feeds.base import FeedError, strip_bom
from bot.news.feeds.text import web_url


def _safe_xml_parser() -> lxml.etree.XMLParser:
    """No DTDs, no entity expansion, no network: OPML files come from users."""
    return lxml.etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )


def looks_like_opml(data: bytes) -> bool:
    """True when the document's root element is ``<opml>`` (cheap: stops at the root)."""
    head = strip_bom(data).lstrip()
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
    body = strip_bom(data).lstrip()
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
        url = web_url(raw, None)
        if url and url not in seen:
            seen.add(url)
            urls.append(url)
    return urls
