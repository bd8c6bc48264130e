"""News in: feeds, OPML lists and article pages → clean text → analysis → the store.

One bad source never stops a batch: every item ends as a row of the report
(new, updated, duplicate, no_article, not_modified or failed with a reason), and
a feed that parsed with problems (broken XML, repeated ids) gets a "problem" row
and keeps the problem in its state. What is stored is safe to show: every text
field cleaned (:mod:`bot.nlp.text.safe`), links http(s) only and redacted.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from bot.errors import NewsbriefError
from bot.news.decode import decode_body
from bot.news.extract import Extracted, extract_article
from bot.news.feeds import FeedEntry, FeedError, ParsedFeed, looks_like_opml, parse_feed, parse_opml
from bot.news.net import (
    Fetcher,
    FetchError,
    FetchResult,
    PoolBusyError,
)
from bot.nlp.analyze import analyze
from bot.nlp.text.safe import clean_line, clean_text
from bot.store import ArticleRecord, FeedState, Store, UpsertStatus, analysis_payload
from bot.store.records import SourceKind
from bot.store.sources import OPERATOR, Via
from bot.store.store import content_hash
from bot.urls import is_http_url, redact_url, web_link

log = logging.getLogger(__name__)

SAMPLE_FEED_URL = "https://sample.newsbrief.invalid/feed.xml"
# A feed item carrying at least this many words of content is an article in
# itself: no need to fetch its page (faster, and kinder to the publisher).
FULL_CONTENT_WORDS = 150

ItemStatus = Literal[UpsertStatus, "no_article", "not_modified", "failed", "problem"]
# "problem": a feed that parsed, but not cleanly (its items have rows of their own).


@dataclass(slots=True)
class ItemResult:
    source: str
    status: ItemStatus
    title: str | None = None
    reason: str | None = None
    article_id: int | None = None


@dataclass(slots=True)
class IngestReport:
    items: list[ItemResult] = field(default_factory=list)
    feeds: int = 0

    def counts(self) -> Counter[str]:
        return Counter(i.status for i in self.items)

    @property
    def fetched(self) -> int:
        return sum(1 for i in self.items if i.status not in {"failed", "not_modified", "problem"})


ProgressFn = Callable[[ItemResult], None]


def _shown(source: str) -> str:
    """A source as it may be logged or shown: URLs lose userinfo and secret parameters."""
    return redact_url(source) if is_http_url(source) else clean_line(source)


def _host(url: str | None) -> str | None:
    try:
        return urlsplit(url).hostname if url else None
    except ValueError:
        return None


def _site(entry: FeedEntry, feed: ParsedFeed) -> str | None:
    """The feed's name, unless the item lives on another host (an aggregator's feed)."""
    item_host, feed_host = _host(entry.url), _host(feed.link)
    if item_host and feed_host and item_host != feed_host:
        return item_host
    return feed.title or item_host


def _item_url(url: str | None, feed_url: str | None, guid: str | None) -> str:
    """The link stored for an article: http(s), redacted. An item without one gets an
    identity of ours (a ``urn:``, never shown as a link) instead of its guid, which
    may be ``javascript:…`` or ``file:///etc/passwd``."""
    link = web_link(url)
    if link:
        return link
    digest = hashlib.sha1(f"{feed_url}\x1f{guid or url}".encode(errors="replace")).hexdigest()
    return f"urn:newsbrief:item:{digest}"


def _guid(entry: FeedEntry | None) -> str | None:
    """An item's id as stored: a guid that is a URL (the usual fallback) is redacted too."""
    if entry is None:
        return None
    return redact_url(entry.guid) if is_http_url(entry.guid) else entry.guid


def _stand_in_title(text: str) -> str | None:
    """A headline for an item that has none: the start of its first sentence."""
    first = clean_line(text.split("\n", 1)[0]).split(". ", 1)[0]
    words = first.split()
    if not words:
        return None
    return " ".join(words[:12]) + ("…" if len(words) > 12 else "")


def _without_source(reason: str | None, source: str) -> str | None:
    """A reason that does not repeat the source its report line already shows."""
    if reason and source and reason.startswith(source):
        return reason[len(source) :].lstrip(" :") or reason
    return reason


def looks_like_feed(data: bytes, content_type: str | None) -> bool:
    ct = (content_type or "").lower()
    if any(k in ct for k in ("rss", "atom", "feed+json", "application/json")):
        return True
    head = data[:2048].lstrip().lower()
    if head.startswith(b"{"):
        return b"jsonfeed" in data[:4096].lower()
    return any(tag in head for tag in (b"<rss", b"<feed", b"<rdf:rdf", b"<rdf "))


class Ingester:
    """Turns sources into stored, analysed articles."""

    def __init__(
        self,
        store: Store,
        fetcher: Fetcher | None,
        *,
        concurrency: int = 8,
        progress: ProgressFn | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.fetcher = fetcher
        self._sem = asyncio.Semaphore(concurrency)
        self._progress = progress
        self._clock = clock

    # ------------------------------------------------------------ entry points
    async def ingest(
        self, sources: Sequence[str], *, owner: str | None = OPERATOR, added_by: str | None = None
    ) -> IngestReport:
        """Read ``sources``; those not known yet become ``owner``'s (by default the
        operator's, shared by every workspace). A known source keeps its readers: reading
        it again (a poll, the operator naming a workspace's private feed) shares nothing."""
        report = IngestReport()
        via = Via(owner=owner, added_by=added_by, new_only=True)
        await asyncio.gather(*(self._source(s, report, via=via) for s in sources))
        return report

    async def poll_due(self) -> IngestReport:
        """Re-poll the feeds whose interval has passed (what `newsbrief run` does each minute).

        Fetched with each source's full URL; who reads it does not change.
        """
        due = await asyncio.to_thread(self.store.due_feeds, self._clock())
        report = IngestReport()
        await asyncio.gather(
            *(self._source(f.url, report, via=Via()) for f in due if f.url != SAMPLE_FEED_URL)
        )
        return report

    async def ingest_fetched(self, url: str, result: FetchResult, *, via: Via) -> IngestReport:
        """A source fetched already (``/feeds add`` checks it first), stored as ``ingest``
        stores it, and read by ``via``."""
        report = IngestReport()
        state = await asyncio.to_thread(self.store.get_feed, url)
        await self._document(
            url, result.final_url, result.body, result, report, state=state, via=via
        )
        return report

    async def ingest_sample(self) -> IngestReport:
        """Load the bundled sample feed, dated as if published over the last day."""
        data = resources.files("bot").joinpath("data/sample/feed.xml").read_bytes()
        feed = parse_feed(data, SAMPLE_FEED_URL)
        dates = [e.published for e in feed.entries if e.published]
        shift = (self._clock() - timedelta(hours=1)) - max(dates) if dates else timedelta()
        entries = tuple(
            replace(e, published=e.published + shift if e.published else None) for e in feed.entries
        )
        report = IngestReport(feeds=1)
        sample = FeedState(url=SAMPLE_FEED_URL, kind="local", title=feed.title)
        src = await asyncio.to_thread(self.store.save_feed, sample, Via(owner=OPERATOR))
        await self._feed_entries(replace(feed, entries=entries), src, report)
        return report

    # ------------------------------------------------------------ sources
    async def _source(self, source: str, report: IngestReport, depth: int = 0, *, via: Via) -> None:
        try:
            if is_http_url(source):
                await self._url(source, report, depth, via)
            else:
                await self._file(source, report, depth, via)
        except Exception as exc:  # one bad source never stops the batch
            reason = str(exc) if isinstance(exc, NewsbriefError) else f"unexpected error: {exc!r}"
            if not isinstance(exc, NewsbriefError):
                log.exception("ingesting %s failed", _shown(source))
            if is_http_url(source) and not isinstance(exc, PoolBusyError):
                await self._record_failure(_shown(source), None, reason)
            self._done(report, ItemResult(_shown(source), "failed", reason=reason))

    async def _file(self, source: str, report: IngestReport, depth: int, via: Via) -> None:
        path = Path(source)
        if path.is_dir():
            raise NewsbriefError(f"{source} is a directory: give a feed or article file, or a URL")
        if not path.is_file():
            raise NewsbriefError(f"no such file or URL: {source}")
        data = path.read_bytes()
        base = path.resolve().as_uri()
        await self._document(source, base, data, None, report, depth=depth, via=via)

    async def _url(self, url: str, report: IngestReport, depth: int, via: Via) -> None:
        if self.fetcher is None:
            raise NewsbriefError("fetching is switched off")
        state = await asyncio.to_thread(self.store.get_feed, url)
        try:
            result = await self.fetcher.fetch(
                url,
                etag=state.etag if state else None,
                last_modified=state.last_modified if state else None,
            )
        except FetchError as exc:
            if state and not isinstance(exc, PoolBusyError):  # not the feed's fault: no back-off
                await self._save_feed_error(state, str(exc), exc.status, exc.retry_after, via=via)
            raise
        if result.not_modified:
            if state:
                await self._save_feed_ok(state, result, None, via=via)
            self._done(
                report,
                ItemResult(_shown(url), "not_modified", title=state.title if state else None),
            )
            return
        await self._document(
            url, result.final_url, result.body, result, report, state=state, depth=depth, via=via
        )

    async def _document(
        self,
        source: str,
        base: str,
        data: bytes,
        result: FetchResult | None,
        report: IngestReport,
        *,
        state: FeedState | None = None,
        depth: int = 0,
        via: Via,
    ) -> None:
        """``source`` as what its bytes are: an OPML list, a feed or a page. It is kept as
        a source (a fetched one under its URL, a file under ``base``) read by ``via``."""
        content_type = result.content_type if result else None
        if looks_like_opml(data):
            if depth > 0:  # an OPML list inside an OPML list: could loop forever
                raise NewsbriefError("an OPML list inside an OPML list is not followed")
            urls = parse_opml(data)
            lst = await self._keep(source, base, "opml", result, None, state, via)
            listed = Via(list_id=lst.id)  # read by whoever reads the list
            await asyncio.gather(*(self._source(u, report, depth + 1, via=listed) for u in urls))
            return
        if looks_like_feed(data, content_type):
            try:
                feed = parse_feed(data, base, content_type=content_type)
            except FeedError as exc:
                if result is not None:  # a feed, though unreadable: its state says why
                    state = state or FeedState(url=source)
                    await self._save_feed_error(state, str(exc), result.status, via=via)
                raise
            report.feeds += 1
            src = await self._keep(
                source, base, "feed", result, feed.title, state, via, feed.problem, feed.ttl_s
            )
            if feed.problem:
                self._done(report, ItemResult(_shown(source), "problem", feed.title, feed.problem))
            await self._feed_entries(feed, src, report)
            return
        text = result.text if result else decode_body(data)
        extracted = await asyncio.to_thread(extract_article, text, redact_url(base))
        page = await self._keep(source, base, "page", result, extracted.title, state, via)
        await self._store_extracted(_shown(source), base, extracted, None, page, report)

    async def _keep(
        self,
        source: str,
        base: str,
        kind: SourceKind,
        result: FetchResult | None,
        title: str | None,
        state: FeedState | None,
        via: Via,
        problem: str | None = None,
        hint_s: float | None = None,
    ) -> FeedState:
        """The source as stored: fetched, with its polling state; a file, as ``local``."""
        if result is None:
            local = FeedState(url=base, kind="local", title=clean_line(title or "") or None)
            return await asyncio.to_thread(self.store.save_feed, local, via)
        state = replace(state, kind=kind) if state else FeedState(url=source, kind=kind)
        return await self._save_feed_ok(
            state, result, title, problem=problem, via=via, hint_s=hint_s or 0
        )

    # ------------------------------------------------------------ feed items
    async def _feed_entries(self, feed: ParsedFeed, src: FeedState, report: IngestReport) -> None:
        await asyncio.gather(*(self._entry(e, feed, src, report) for e in feed.entries))

    async def _entry(
        self, entry: FeedEntry, feed: ParsedFeed, src: FeedState, report: IngestReport
    ) -> None:
        source = _shown(entry.url) if entry.url else f"an item of {src.shown} with no link"
        async with self._sem:
            try:
                extracted = await self._entry_article(entry, feed)
                await self._store_extracted(source, entry.url, extracted, entry, src, report)
            except Exception as exc:  # one bad item never stops the others
                reason = (
                    str(exc) if isinstance(exc, NewsbriefError) else f"unexpected error: {exc!r}"
                )
                if not isinstance(exc, NewsbriefError):
                    log.exception("feed item %s failed", source)
                if entry.url:
                    await self._record_failure(_shown(entry.url), src.id, reason)
                self._done(report, ItemResult(source, "failed", entry.title, reason))

    async def _entry_article(self, entry: FeedEntry, feed: ParsedFeed) -> Extracted:
        own = entry.content or entry.summary or ""
        if len(own.split()) >= FULL_CONTENT_WORDS or not entry.url or self.fetcher is None:
            if not own.strip():
                raise NewsbriefError("the feed item has no link and no text")
            return Extracted(
                status="ok", title=entry.title, text=own, author=entry.author,
                published=entry.published, site=_site(entry, feed), source="feed",
            )  # fmt: skip
        try:
            page = await self.fetcher.fetch(entry.url)
        except FetchError as exc:
            if own.strip():
                log.info("page %s failed (%s); using the feed's text", _shown(entry.url), exc.kind)
                return Extracted(
                    status="ok", reason=f"page not used: {exc}", title=entry.title, text=own,
                    author=entry.author, published=entry.published, site=_site(entry, feed),
                    source="feed",
                )  # fmt: skip
            raise
        return await asyncio.to_thread(
            extract_article,
            page.text,
            redact_url(page.final_url),
            fallback_text=own or None,
            fallback_title=entry.title,
        )

    # ------------------------------------------------------------ storing
    async def _store_extracted(
        self,
        source: str,
        url: str | None,
        extracted: Extracted,
        entry: FeedEntry | None,
        src: FeedState | None,
        report: IngestReport,
    ) -> None:
        """Store what was extracted, as having come through ``src``; ``source`` is the item
        as its report row shows it."""
        feed_id = src.id if src else None
        link = _item_url(url, src.shown if src else None, _guid(entry) or url or source)
        title = clean_line((entry.title if entry else None) or extracted.title or "") or None
        title = title or _stand_in_title(extracted.text)
        if not extracted.ok:
            record = ArticleRecord(
                url=link, guid=_guid(entry), feed_id=feed_id, title=title,
                status="no_article",
            )  # fmt: skip
            outcome = await asyncio.to_thread(self.store.upsert_article, record)
            reason = extracted.reason or "no article on the page"
            item = ItemResult(source, "no_article", title, reason, outcome.article_id)
            self._done(report, item)
            return
        text = clean_text(extracted.text)
        if await self._unchanged(link, entry, feed_id, title, text):
            self._done(report, ItemResult(source, "duplicate", title))
            return
        try:
            analysis = await asyncio.to_thread(analyze, text, title=title)
        except NewsbriefError as exc:
            self._done(report, ItemResult(source, "failed", title, f"analysis: {exc}"))
            return
        author = (entry.author if entry else None) or extracted.author
        record = ArticleRecord(
            url=link,
            guid=_guid(entry),
            feed_id=feed_id,
            title=title,
            text=text,
            author=clean_line(author) or None if author else None,
            site=clean_line(extracted.site or _host(web_link(url)) or "") or None,
            published=(entry.published if entry else None) or extracted.published,
            analysis=analysis_payload(analysis),
        )
        outcome = await asyncio.to_thread(self.store.upsert_article, record)
        # A feed's own text stored instead of its page: say why (a refused link, an error).
        hint = extracted.reason if extracted.source == "feed" else None
        self._done(report, ItemResult(source, outcome.status, title, hint, outcome.article_id))

    async def _unchanged(
        self, url: str, entry: FeedEntry | None, feed_id: int | None, title: str | None, text: str
    ) -> bool:
        """Already stored with the same content: skip the analysis, not just the write, but
        remember that it came through this source too (whoever reads it sees it)."""

        def check() -> bool:
            found = self.store.find_article(url, feed_id=feed_id, guid=_guid(entry))
            if found is None:
                return False
            stored = self.store.get_article(found)
            same = (
                stored is not None
                and stored.status == "ok"
                and content_hash(stored.title, stored.text) == content_hash(title, text)
            )
            if same:
                self.store.link_article(found, feed_id)
            return same

        return await asyncio.to_thread(check)

    async def _save_feed_ok(
        self,
        state: FeedState,
        result: FetchResult,
        title: str | None,
        *,
        problem: str | None = None,
        via: Via | None = None,
        hint_s: float = 0,
    ) -> FeedState:
        """A successful poll; ``problem`` (broken XML, repeated ids) stays in the state,
        so that whoever looks at the feed later sees it, not only this run's report.
        The next poll is the interval on, or later when the feed (``hint_s``: its RSS
        ttl) or the server (Cache-Control max-age) asks for longer; never sooner."""
        now = self._clock()
        wait = max(float(state.poll_interval_s), hint_s, result.max_age or 0.0)
        new = replace(
            state,
            title=title or state.title,
            etag=result.etag or state.etag,
            last_modified=result.last_modified or state.last_modified,
            last_polled=now,
            next_poll=now + timedelta(seconds=wait),
            consecutive_failures=0,
            last_error=f"parsed with problems: {problem}" if problem else None,
            last_status=result.status,
        )
        return await asyncio.to_thread(self.store.save_feed, new, via)

    async def _save_feed_error(
        self,
        state: FeedState,
        reason: str,
        status: int | None,
        retry_after: float | None = None,
        *,
        via: Via | None = None,
    ) -> None:
        """Back off: twice the interval per failure in a row (a day at most), or
        exactly what the server's Retry-After asked for when it said."""
        now = self._clock()
        failures = state.consecutive_failures + 1
        backoff = min(state.poll_interval_s * 2**failures, 24 * 3600)
        if retry_after is not None:
            backoff = max(retry_after, 1.0)
        new = replace(
            state,
            last_polled=now,
            next_poll=now + timedelta(seconds=backoff),
            consecutive_failures=failures,
            last_error=reason,
            last_status=status,
        )
        await asyncio.to_thread(self.store.save_feed, new, via)

    async def _record_failure(self, url: str, feed_id: int | None, reason: str) -> None:
        """Remember a failure; if even that fails (a locked database), the item's report
        row still says what happened: an error while reporting an error never escapes
        (it used to end the whole feed, and the items not yet reached were never reported)."""
        try:
            await asyncio.to_thread(self.store.record_failure, url, feed_id, reason)
        except Exception as exc:
            log.warning("could not record the failure of %s: %s", url, exc)

    def _done(self, report: IngestReport, item: ItemResult) -> None:
        item.reason = _without_source(item.reason, item.source)
        report.items.append(item)
        if item.status == "failed":
            log.info("failed: %s: %s", item.source, item.reason)  # the report shows it
        if self._progress:
            self._progress(item)
