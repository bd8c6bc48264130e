"""Adding a source from chat (``/feeds add URL``): fetched once, kept only if it works.

The URL is fetched once, through the same ``Fetcher`` as every poll (its SSRF guard
refuses private and loopback addresses unless the operator lifted it), and looked at
before anything is stored: an OPML list must name feeds, a feed must parse, a page
must hold an article. Only then is it stored, as ``newsbrief ingest`` would store it,
with the workspace as its reader. A URL that fails leaves nothing behind: no source,
no failure row, no article. Messages show the URL's safe form only.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from bot.errors import NewsbriefError
from bot.news.extract import extract_article
from bot.news.feeds import FeedError, looks_like_opml, parse_feed, parse_opml
from bot.news.ingest import Ingester, IngestReport, looks_like_feed
from bot.news.net import FetchError, FetchResult
from bot.store import Store
from bot.store.records import SourceKind
from bot.store.sources import CONFIGURED, OPERATOR, Via
from bot.urls import is_http_url, redact_url

log = logging.getLogger(__name__)

MAX_URL_CHARS = 2000


class SourceError(NewsbriefError):
    """The URL cannot be added; the message says why, with the URL's safe form."""


@dataclass(frozen=True, slots=True)
class AddedSource:
    id: int
    kind: SourceKind
    title: str | None
    url: str  # display-safe
    items: int  # a feed's items, an OPML list's feeds; a page: 1
    poll_interval_s: int
    new: int  # articles stored for the first time
    already: bool = False  # the workspace read it before: nothing was changed

    @property
    def name(self) -> str:
        return self.title or self.url


@dataclass(frozen=True, slots=True)
class _Found:
    kind: SourceKind
    title: str | None
    items: int


async def add_source(
    ingester: Ingester,
    url: str,
    *,
    owner: str,
    added_by: str | None = None,
    poll_interval_s: int | None = None,
) -> AddedSource:
    """Fetch ``url`` once; if it is a feed, an OPML list or an article, keep it as
    ``owner``'s source and store what it holds. Raises ``SourceError`` otherwise.

    ``poll_interval_s`` is how often the poller reads it (``NEWSBRIEF_POLL_INTERVAL``),
    for the message; by default the source's own interval.
    """
    url = url.strip()
    shown = redact_url(url)
    if len(url) > MAX_URL_CHARS or not is_http_url(url):
        raise SourceError(
            "Give the address of a feed, an OPML list or an article page, starting with "
            "https:// or http://, e.g. /feeds add https://example.com/rss.xml"
        )
    if ingester.fetcher is None:
        raise SourceError("Fetching is switched off here, so no source can be added.")
    known = await asyncio.to_thread(_read_by, ingester.store, url, owner)
    if known is not None:  # added twice: say so, and change nothing
        return known
    try:
        result = await ingester.fetcher.fetch(url)
    except FetchError as exc:
        raise SourceError(f"I couldn't fetch {shown}: {exc}. Nothing was added.") from None
    found = await asyncio.to_thread(_look_at, result, shown)
    report = await ingester.ingest_fetched(url, result, via=Via(owner=owner, added_by=added_by))
    state = await asyncio.to_thread(ingester.store.get_feed, url)
    if state is None or state.id is None:  # not expected: the document was checked above
        raise SourceError(f"{shown} could not be stored: {_first_failure(report)}")
    return AddedSource(
        id=state.id,
        kind=found.kind,
        title=state.title or found.title,
        url=state.shown,
        items=found.items,
        poll_interval_s=poll_interval_s or state.poll_interval_s,
        new=report.counts()["new"],
    )


def _read_by(store: Store, url: str, owner: str) -> AddedSource | None:
    """The source as ``owner`` already reads it (added before), or None."""
    state = store.get_feed(url)
    if state is None or state.id is None:
        return None
    if owner not in {workspace for workspace, _ in store.sources.readers(state.id)}:
        return None
    return AddedSource(
        id=state.id,
        kind=state.kind,
        title=state.title,
        url=state.shown,
        items=0,
        poll_interval_s=state.poll_interval_s,
        new=0,
        already=True,
    )


def _look_at(result: FetchResult, shown: str) -> _Found:
    """What the fetched document is, or a ``SourceError`` saying why it is none of them."""
    data = result.body
    try:
        if looks_like_opml(data):
            feeds = parse_opml(data)
            if not feeds:
                raise SourceError(f"{shown} is an OPML list that names no feeds.")
            return _Found("opml", None, len(feeds))
        if looks_like_feed(data, result.content_type):
            feed = parse_feed(data, result.final_url, content_type=result.content_type)
            if feed.problem and not feed.entries:  # broken, not merely empty today
                raise FeedError(feed.problem)
            return _Found("feed", feed.title, len(feed.entries))
    except FeedError as exc:
        raise SourceError(f"{shown} looks like a feed but I can't read it: {exc}") from None
    page = extract_article(result.text, redact_url(result.final_url))
    if not page.ok:
        raise SourceError(
            f"I found no feed, OPML list or article at {shown} "
            f"({page.reason or 'no article on the page'}). Nothing was added."
        )
    return _Found("page", page.title, 1)


def register_configured(store: Store, value: str) -> int:
    """``NEWSBRIEF_FEEDS``: the operator's sources, shared by every workspace, registered
    (due at once, so the poller reads them) without touching the state of known ones.
    Those it named at an earlier start and no longer does are no longer read (a feed
    someone else reads stays; stored articles stay, seen through no source of theirs).

    The value is the path of an OPML file, or http(s) URLs separated by commas.
    Returns how many feeds it names; anything else is a clear error.
    """
    value = value.strip()
    if not value:
        _dropped(store.sources.configure(()))
        return 0
    operator = Via(owner=OPERATOR, added_by=CONFIGURED)
    if not is_http_url(value.split(",")[0].strip()):
        path = Path(value).expanduser()
        if not path.is_file():
            raise NewsbriefError(
                f"NEWSBRIEF_FEEDS={value!r} is neither an OPML file nor feed URLs separated "
                "by commas"
            )
        try:
            urls = parse_opml(path.read_bytes())
        except FeedError as exc:
            raise NewsbriefError(f"NEWSBRIEF_FEEDS: {path} is not an OPML list: {exc}") from None
        listed = store.sources.register(path.resolve().as_uri(), "local", operator)
        assert listed.id is not None  # registered: saved
        named = [store.sources.register(u, "feed", Via(list_id=listed.id)).id for u in urls]
        _dropped(store.sources.relist(listed.id, [i for i in named if i is not None]))
        _dropped(store.sources.configure([listed.id]))
        return len(urls)
    urls = [u.strip() for u in value.split(",") if u.strip()]
    if bad := [redact_url(u) for u in urls if not is_http_url(u)]:
        raise NewsbriefError(f"NEWSBRIEF_FEEDS: not an http(s) URL: {', '.join(bad)}")
    named = [store.sources.register(url, "feed", operator).id for url in urls]
    _dropped(store.sources.configure([i for i in named if i is not None]))
    return len(urls)


def _dropped(n: int) -> None:
    if n:
        log.info("NEWSBRIEF_FEEDS: %d sources it no longer names are no longer read", n)


def _first_failure(report: IngestReport) -> str:
    failed = [i for i in report.items if i.status == "failed"]
    return failed[0].reason or "unknown error" if failed else "unknown error"
