"""A feed's items (or one page) → articles in the store: the ingest's pipeline.

Each item is fetched (at most ``concurrency`` at once), extracted and analysed in
a worker process (:mod:`bot.news.pool`, :mod:`bot.news.prepare`) and stored in a
batch by one writer (:mod:`bot.news.writer`). At most ``IN_FLIGHT`` items are
between their fetch and their write, so a 10,000-item feed holds a bounded number
of pages in memory while every stage keeps busy. One bad item is its own report
row; the others go on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.errors import NewsbriefError
from bot.news.extract import Extracted
from bot.news.feeds import FeedEntry, ParsedFeed
from bot.news.items import guid, item_url, shown, site
from bot.news.net import Fetcher, FetchError
from bot.news.pool import ProcessPool, shared_pool
from bot.news.prepare import ArticleJob, Prepared, prepare
from bot.news.report import IngestReport, ItemResult, ItemStatus
from bot.news.writer import ArticleWriter
from bot.store import ArticleRecord, FeedState, Store
from bot.store.known import Known
from bot.urls import redact_url

log = logging.getLogger(__name__)

# A feed item carrying at least this many words of content is an article in
# itself: no need to fetch its page (faster, and kinder to the publisher).
FULL_CONTENT_WORDS = 150
# Items between their fetch and their write at once (pages held in memory).
IN_FLIGHT = 64
# A feed with fewer items than this is done in this process (a thread), unless the
# worker processes run already: starting them costs about a second.
POOL_MIN_ITEMS = 8

Done = Callable[[IngestReport, ItemResult], None]
RecordFailure = Callable[[str, int | None, str], Awaitable[None]]


class WorkerError(Exception):
    """An error that is not ours, raised in a worker process: its traceback is text."""

    def __init__(self, reason: str, trace: str) -> None:
        super().__init__(reason)
        self.reason, self.trace = reason, trace


def failure_reason(exc: Exception, what: str, source: str) -> str:
    """The report's reason for ``exc``; an error that is not ours is logged in full."""
    if isinstance(exc, NewsbriefError):
        return str(exc)
    if isinstance(exc, WorkerError):
        log.error("%s %s failed\n%s", what, source, exc.trace)
        return exc.reason
    log.exception("%s %s failed", what, source)
    return f"unexpected error: {exc!r}"


class Articles:
    """The items of the feeds an ``Ingester`` reads, fetched, prepared and stored.

    ``workers``: None, this process's shared pool (one worker per CPU); 0, none
    (threads of this process); a number, a pool of that many; or a ``ProcessPool``.
    """

    def __init__(
        self,
        store: Store,
        fetcher: Fetcher | None,
        *,
        concurrency: int,
        workers: int | ProcessPool | None,
        done: Done,
        record_failure: RecordFailure,
    ) -> None:
        self.store = store
        self.fetcher = fetcher
        self._sem = asyncio.Semaphore(concurrency)
        self._slots = asyncio.Semaphore(max(IN_FLIGHT, concurrency))
        self._writer = ArticleWriter(store)
        self._done = done
        self._record_failure = record_failure
        self._pool = workers if isinstance(workers, ProcessPool) else None
        if isinstance(workers, int) and workers > 0:
            self._pool = ProcessPool(workers)
        self._shared = workers is None  # the process's pool, looked up when first needed

    @property
    def pool(self) -> ProcessPool | None:
        """The worker processes used (None: threads only)."""
        if self._pool is None and self._shared:
            self._pool = shared_pool()
        return self._pool

    async def feed_entries(self, feed: ParsedFeed, src: FeedState, report: IngestReport) -> None:
        links = [
            item_url(e.url, src.shown, guid(e) or e.url or _no_link(src)) for e in feed.entries
        ]
        keys = [(link, guid(e)) for link, e in zip(links, feed.entries, strict=True)]
        known = await asyncio.to_thread(self.store.known_articles, src.id, keys)
        parallel = self._parallel(len(feed.entries))
        await asyncio.gather(
            *(
                self._entry(e, feed, src, report, link, k, parallel)
                for e, link, k in zip(feed.entries, links, known, strict=True)
            )
        )

    async def page(
        self, source: str, base: str, extracted: Extracted, page: FeedState, report: IngestReport
    ) -> None:
        """One page, extracted already (its title named the source): analysed and stored."""
        link = item_url(base, page.shown, base or source)
        [known] = await asyncio.to_thread(self.store.known_articles, page.id, [(link, None)])
        job = ArticleJob(extracted=extracted, url=base, stored_hash=_hash(known))
        prepared = await self._prepare(job, report, parallel=False)
        await self._store(shown(source), link, prepared, None, page, known, report)

    def _parallel(self, items: int) -> bool:
        """Whether to use the worker processes for a batch of ``items``."""
        pool = self.pool
        return pool is not None and (pool.started or items >= POOL_MIN_ITEMS)

    async def _entry(
        self,
        entry: FeedEntry,
        feed: ParsedFeed,
        src: FeedState,
        report: IngestReport,
        link: str,
        known: Known | None,
        parallel: bool,
    ) -> None:
        source = shown(entry.url) if entry.url else _no_link(src)
        async with self._slots:
            try:
                job = await self._entry_job(entry, feed, report, _hash(known))
                prepared = await self._prepare(job, report, parallel=parallel)
                await self._store(source, link, prepared, entry, src, known, report)
            except Exception as exc:  # one bad item never stops the others
                reason = failure_reason(exc, "feed item", source)
                if entry.url:
                    await self._record_failure(shown(entry.url), src.id, reason)
                self._done(report, ItemResult(source, "failed", entry.title, reason))

    async def _entry_job(
        self, entry: FeedEntry, feed: ParsedFeed, report: IngestReport, stored_hash: str | None
    ) -> ArticleJob:
        """What a feed item's article is made from: its own text, or its page."""
        own = entry.content or entry.summary or ""
        item = ArticleJob(
            title=entry.title,
            author=entry.author,
            published=entry.date,  # published, else updated: an Atom entry may have only that
            url=entry.url,
            stored_hash=stored_hash,
        )
        if len(own.split()) >= FULL_CONTENT_WORDS or not entry.url or self.fetcher is None:
            if not own.strip():
                raise NewsbriefError("the feed item has no link and no text")
            return replace(item, extracted=_own(entry, feed, own))
        try:
            async with self._sem:
                started = time.perf_counter()
                page = await self.fetcher.fetch(entry.url)
                report.spent("fetch", time.perf_counter() - started)
        except FetchError as exc:
            if own.strip():
                log.info("page %s failed (%s); using the feed's text", shown(entry.url), exc.kind)
                reason = f"page not used: {exc}"
                return replace(item, extracted=_own(entry, feed, own, reason))
            raise
        return replace(
            item, html=page.text, page_url=redact_url(page.final_url), fallback_text=own or None
        )

    async def _prepare(self, job: ArticleJob, report: IngestReport, *, parallel: bool) -> Prepared:
        """Extraction and analysis, in a worker process when ``parallel``. An extraction
        error is raised (the item failed); an analysis error is the item's row."""
        pool = self.pool
        if pool is not None:
            prepared = await pool.run(prepare, job, parallel=parallel)
        else:
            prepared = await asyncio.to_thread(prepare, job)
        report.spent("extract", prepared.extract_s)
        report.spent("analyse", prepared.analyse_s)
        if prepared.status == "failed" and (prepared.unexpected or prepared.failed_in == "extract"):
            reason = prepared.reason or "failed"
            if prepared.unexpected:
                raise WorkerError(reason, prepared.unexpected)
            raise NewsbriefError(reason)
        return prepared

    async def _store(
        self,
        source: str,
        link: str,
        prepared: Prepared,
        entry: FeedEntry | None,
        src: FeedState,
        known: Known | None,
        report: IngestReport,
    ) -> None:
        """Store what was prepared, as having come through ``src``; ``source`` is the item
        as its report row shows it, ``link`` its stored URL."""
        title = prepared.title
        if prepared.status == "failed":  # the analysis said no
            self._done(report, ItemResult(source, "failed", title, f"analysis: {prepared.reason}"))
            return
        if prepared.status == "unchanged" and known is not None:
            # Already stored with the same content, but it came through this source too
            # (whoever reads it sees it).
            await asyncio.to_thread(self.store.link_article, known.article_id, src.id)
            self._done(report, ItemResult(source, "duplicate", title))
            return
        ok = prepared.status == "ok"
        record = ArticleRecord(
            url=link,
            guid=guid(entry),
            feed_id=src.id,
            title=title,
            text=prepared.text if ok else None,
            author=prepared.author,
            site=prepared.site,
            published=prepared.published,
            status="ok" if ok else "no_article",
            analysis=prepared.analysis,
        )
        written = await self._writer.write(record)
        report.spent("store", written.seconds)
        status: ItemStatus = written.outcome.status if ok else "no_article"
        item = ItemResult(source, status, title, prepared.reason, written.outcome.article_id)
        self._done(report, item)


def _no_link(src: FeedState) -> str:
    return f"an item of {src.shown} with no link"


def _hash(known: Known | None) -> str | None:
    return known.content_hash if known else None


def _own(entry: FeedEntry, feed: ParsedFeed, text: str, reason: str | None = None) -> Extracted:
    """A feed item's own text as its article."""
    return Extracted(
        status="ok", reason=reason, title=entry.title, text=text, author=entry.author,
        published=entry.date, site=site(entry, feed), source="feed",
    )  # fmt: skip
