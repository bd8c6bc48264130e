"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1)."""

from __future__ import annotations

import json
from typing import Any

from bot.news.feeds.base import (
    FeedEntry,
    FeedError,
    ParsedFeed,
    dedupe,
    fallback_guid,
    join_problems,
)
from bot.news.feeds.text import html_to_text, iso_datetime, line, tidy, web_url
from bot.nlp.text.safe import clean_line


# feedparser 6.0 has no JSON Feed support (it arrives in the unreleased 6.1
# branch), so JSON Feed 1.0/1.1 is read here with the json module: the format
# is small and fully specified at https://jsonfeed.org/version/1.1.
def parse_json_feed(body: bytes, url: str) -> ParsedFeed:
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
    base = web_url(doc.get("feed_url"), url) or url
    home = web_url(doc.get("home_page_url"), base)
    feed_author = _json_author(doc)
    entries = [
        _entry_from_json(item, base, feed_author) for item in items if isinstance(item, dict)
    ]
    skipped = len(items) - len(entries)
    unique, dupes = dedupe(entries)
    return ParsedFeed(
        title=line(doc["title"]) if isinstance(doc.get("title"), str) else None,
        link=home,
        entries=unique,
        kind=kind,
        problem=join_problems(
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
    url = web_url(item.get("url"), base) or web_url(item.get("external_url"), base)
    title = line(item["title"]) if isinstance(item.get("title"), str) else None
    html = item.get("content_html")
    plain = item.get("content_text")
    if isinstance(html, str) and html.strip():
        content: str | None = html_to_text(html) or None
    elif isinstance(plain, str):
        content = tidy(plain) or None
    else:
        content = None
    summary = tidy(item["summary"]) or None if isinstance(item.get("summary"), str) else None
    raw_id = item.get("id")
    guid = line(str(raw_id)) if raw_id is not None else None
    return FeedEntry(
        guid=guid or url or fallback_guid(title, summary, content),
        url=url,
        title=title,
        published=iso_datetime(item.get("date_published")),
        updated=iso_datetime(item.get("date_modified")),
        author=_json_author(item) or feed_author,
        summary=summary,
        content=content,
        image=web_url(item.get("image"), base) or web_url(item.get("banner_image"), base),
    )
