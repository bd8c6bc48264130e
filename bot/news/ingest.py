"""News in: feeds, OPML lists and article pages → clean text → analysis → the store.

One bad source never stops a batch: every item ends as a row of the report
(:mod:`bot.news.report`), and a feed that parsed with problems keeps the problem
in its state. What is stored is safe to show: every text field cleaned
(:mod:`bot.nlp.text.safe`), links http(s) only and redacted (:mod:`bot.news.items`).

This module reads sources (OPML lists, feeds, pages, files) and keeps their
polling state; a feed's items go through :mod:`bot.news.articles` (fetched here,
extracted and analysed in worker processes, stored in batches).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

from bot.errors import NewsbriefError
from bot.news.articles import FULL_CONTENT_WORDS, Articles, failure_reason
from bot.news.decode import decode_body
from bot.news.extract import extract_article
from bot.news.feeds import FeedError, looks_like_opml, parse_feed, parse_opml
from bot.news.items import looks_like_feed, shown
from bot.news.net import Fetcher, FetchError, FetchResult, PoolBusyError
from bot.news.polling import polled_error, polled_ok
from bot.news.pool import ProcessPool
from bot.news.report import IngestReport, ItemResult, ItemStatus, ProgressFn, without_source
from bot.nlp.text.safe import clean_line
from bot.store import FeedState, Store
from bot.store.records import SourceKind
from bot.store.sources import OPERATOR, Via
from bot.urls import is_http_url, redact_url

__all__ = [
    "FULL_CONTENT_WORDS",
    "SAMPLE_FEED_URL",
    "IngestReport",
    "Ingester",
    "ItemResult",
    "ItemStatus",
    "ProgressFn",
    "looks_like_feed",
]

log = logging.getLogger(__name__)

SAMPLE_FEED_URL = "https://sample.newsbrief.invalid/feed.xml"


class Ingester:
    """Turns sources into stored, analysed articles.

    ``concurrency``: fetches at once. ``workers``: processes for extraction and
    analysis; None, this process's shared pool (one per CPU); 0, none (threads of
    this process, as tests and one-off commands may prefer); a number, a pool of
    its own; or a ``ProcessPool``.
    """

    def __init__(
        self,
        store: Store,
        fetcher: Fetcher | None,
        *,
        concurrency: int = 8,
        progress: ProgressFn | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        workers: int | ProcessPool | None = None,
    ) -> None:
        self.store = store
        self.fetcher = fetcher
        self._progress = progress
        self._clock = clock
        self.articles = Articles(
            store,
            fetcher,
            concurrency=concurrency,
            workers=workers,
            done=self._done,
            record_failure=self._record_failure,
        )

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
        await self.articles.feed_entries(replace(feed, entries=entries), src, report)
        return report

    # ------------------------------------------------------------ sources
    async def _source(self, source: str, report: IngestReport, depth: int = 0, *, via: Via) -> None:
        try:
            if is_http_url(source):
                await self._url(source, report, depth, via)
            else:
                await self._file(source, report, depth, via)
        except Exception as exc:  # one bad source never stops the batch
            reason = failure_reason(exc, "ingesting", shown(source))
            if is_http_url(source) and not isinstance(exc, PoolBusyError):
                await self._record_failure(shown(source), None, reason)
            self._done(report, ItemResult(shown(source), "failed", reason=reason))

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
                ItemResult(shown(url), "not_modified", title=state.title if state else None),
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
                self._done(report, ItemResult(shown(source), "problem", feed.title, feed.problem))
            await self.articles.feed_entries(feed, src, report)
            return
        await self._page(source, base, data, result, report, state=state, via=via)

    async def _page(
        self,
        source: str,
        base: str,
        data: bytes,
        result: FetchResult | None,
        report: IngestReport,
        *,
        state: FeedState | None,
        via: Via,
    ) -> None:
        """One article page, in this process: extracted, kept as a source, stored."""
        text = result.text if result else decode_body(data)
        started = time.perf_counter()
        extracted = await asyncio.to_thread(extract_article, text, redact_url(base))
        report.spent("extract", time.perf_counter() - started)
        page = await self._keep(source, base, "page", result, extracted.title, state, via)
        await self.articles.page(source, base, extracted, page, report)

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
        new = polled_ok(state, result, title, self._clock(), problem=problem, hint_s=hint_s)
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
        new = polled_error(state, reason, status, self._clock(), retry_after)
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
        item.reason = without_source(item.reason, item.source)
        report.items.append(item)
        if item.status == "failed":
            log.info("failed: %s: %s", item.source, item.reason)  # the report shows it
        if self._progress:
            self._progress(item)
