"""The article store: dedupe and cluster on the way in, ranked stories on the way out.

Synchronous SQLAlchemy on purpose: every call is a short transaction, and the
asyncio side (bot, poller) runs them with ``asyncio.to_thread``. One ``Store`` per
process is safe to share between threads (one session per call).

SQLite (the default, a file in the user data dir) and PostgreSQL run the same code.
This module is the face: opening, the upsert's transaction, reads, feeds and
failures. The parts: ``engine`` (setting up the database), ``upserts`` (what an item
is, and writing it), ``clustering`` (which story it joins), ``search`` (ranked
stories), ``sources``, ``threads`` and ``outbox``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import (
    Engine,
    func,
    select,
)
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.models import ArticleStatus
from bot.store.clustering import GROUP_SIZE, Clustering
from bot.store.engine import check_fts5, create_store_engine
from bot.store.known import Known, Version, article_versions, known_articles
from bot.store.ledger import DeliveryKeys
from bot.store.migrate import migrate
from bot.store.outbox import DigestOutbox
from bot.store.records import (
    ArticleRecord,
    FeedState,
    StoreCounts,
    StoredArticle,
    StoryHit,
    UpsertOutcome,
)
from bot.store.retry import retry_busy
from bot.store.schema import (
    Article,
    Cluster,
    Feed,
    FetchFailure,
)
from bot.store.scope import readable
from bot.store.search import StorySearch
from bot.store.similarity import (
    fingerprint,
    similarity,
)
from bot.store.sources import BoxSource, FeedSources, Via
from bot.store.story_locks import lock_stories
from bot.store.threads import ThreadMemory
from bot.store.times import as_utc, utcnow
from bot.store.upserts import ArticleWriter
from bot.store.upserts import content_hash as content_hash  # ingest's unchanged-check
from bot.urls import canonical_url


class Store:
    """Articles, story clusters, feed state, failures, threads and digests in one database.

    The articles side is here; ``sources`` (feeds and who reads them), ``threads``
    (thread memory) and ``outbox`` (digest subscriptions and delivery) are parts
    sharing the engine's session factory.

    Reads that take ``workspace`` (a ``bot.store.sources.workspace_key``) see only the
    articles of the operator's sources and that workspace's own; without it they see
    everything, which only the operator's own commands (``newsbrief brief``) may do.
    ``box`` gives the secret key for feed URLs with credentials (default: the settings').
    """

    def __init__(self, engine: Engine, *, box: BoxSource | None = None) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        session = sessionmaker(engine)
        self.sources = FeedSources(session, box)
        self.threads = ThreadMemory(session, self.articles)
        self.outbox = DigestOutbox(session)
        self.stories = StorySearch(session, self.dialect, self.sources.visible)
        # This module's names, read when a Store is made: the place to tune clustering.
        self.clusters = Clustering(score=similarity, group_size=GROUP_SIZE)
        self._writer = ArticleWriter(self.clusters, self.sources)
        self.deliveries = DeliveryKeys(session)  # Slack deliveries handled once

    @classmethod
    def open(
        cls, url: str | URL | None = None, *, upgrade: bool = True, box: BoxSource | None = None
    ) -> Store:
        """Open (and by default migrate to head) the database at ``url``.

        Without a URL, ``Settings.database_url``: a SQLite file in the user data dir.
        Use a file, not ``sqlite://``: an in-memory database is private to one
        thread, and callers run the store in worker threads.
        """
        if url is None:
            from bot.config import get_settings

            url = get_settings().effective_database_url()
        engine = create_store_engine(url)
        try:
            if engine.dialect.name == "sqlite":
                check_fts5(engine)
            if upgrade and migrate(engine).changed and engine.dialect.name == "sqlite":
                # A migration may rewrite rows that held secrets (0006 encrypts feed
                # URLs): checkpoint, so the WAL keeps no copy of the old pages.
                with engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, box=box)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- ingest

    def upsert_article(self, item: ArticleRecord, *, now: datetime | None = None) -> UpsertOutcome:
        """Store one article once: new, updated (an edit) or duplicate.

        Identity is the canonical URL, or (feed_id, guid) when the feed gives a
        guid. Same identity and content: duplicate. Same identity, changed title or
        text: the row is updated in place (analysis replaced, full-text index and
        cluster re-evaluated). A different URL with the same content from the same
        site (print/AMP/category copies) is a duplicate of the stored one; the same
        content from another site is a new article that joins the same cluster, so
        the brief lists both outlets. An "ok" article is never downgraded by a later
        "no_article" fetch of it (a transient extraction failure). Whatever the
        outcome, the article is linked to ``item.feed_id`` (None: the operator's "stored
        directly" source), so that it is seen wherever that source is read.
        """
        return self._store([item], now, "storing an article")[0]

    def upsert_articles(
        self, items: Sequence[ArticleRecord], *, now: datetime | None = None
    ) -> list[UpsertOutcome]:
        """``upsert_article`` for each of ``items``, in order, in one transaction.

        The outcomes are those of storing them one by one (a later item sees the
        earlier ones: copies in one batch cluster together). One writer storing
        batches holds SQLite's write lock once per batch rather than once per
        article, and commits once. All or nothing: an error stores none of them.
        """
        return self._store(items, now, "storing articles") if items else []

    def _store(
        self, items: Sequence[ArticleRecord], now: datetime | None, what: str
    ) -> list[UpsertOutcome]:
        at = as_utc(now or utcnow())
        for item in items:
            if item.status == "ok":  # computed (and kept) before the write lock
                fingerprint(item.title, item.text)
        return retry_busy(lambda: self._upsert_once(items, at), what)

    def _upsert_once(self, items: Sequence[ArticleRecord], now: datetime) -> list[UpsertOutcome]:
        for attempt in range(2):
            try:
                with Session(self.engine) as s, s.begin():
                    if self.dialect == "sqlite":
                        # The write lock first (waiting up to busy_timeout, then
                        # retry_busy): the article's cluster is chosen before the row
                        # is written, and copies stored at once must see each other.
                        s.connection().exec_driver_sql("BEGIN IMMEDIATE")
                    # Clustering reads then writes: copies of one story, stored at
                    # once, must not each found a cluster. Their lookup keys are
                    # locked (PostgreSQL; SQLite has one writer), not every upsert.
                    lock_stories(s, [(item.title, item.text) for item in items])
                    outcomes = []
                    for item in items:
                        outcome = self._upsert(s, item, now)
                        self._writer.link(s, item, outcome)
                        # Rows read through the ORM (an edit) may be changed by a
                        # later item's Core statements: none is kept across items.
                        s.flush()
                        s.expunge_all()
                        outcomes.append(outcome)
                    return outcomes
            except IntegrityError:  # a concurrent writer stored the same identity first
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _upsert(self, s: Session, item: ArticleRecord, now: datetime) -> UpsertOutcome:
        return self._writer.upsert(s, item, now)

    # ----------------------------------------------------------------- search
    # Ranked stories live in ``self.stories``; these are the brief side's short names.

    def search(
        self,
        topic: str,
        *,
        since: datetime,
        limit: int = 5,
        now: datetime | None = None,
        workspace: str | None = None,
    ) -> list[StoryHit]:
        """Stories about ``topic`` since ``since``, best first (``StorySearch.search``)."""
        return self.stories.search(topic, since=since, limit=limit, now=now, workspace=workspace)

    def recent(
        self,
        since: datetime,
        limit: int = 5,
        *,
        now: datetime | None = None,
        workspace: str | None = None,
    ) -> list[StoryHit]:
        """Top stories overall since ``since`` (``StorySearch.recent``)."""
        return self.stories.recent(since, limit, now=now, workspace=workspace)

    # ------------------------------------------------------------------ reads

    def get_article(self, article_id: int) -> StoredArticle | None:
        with Session(self.engine) as s:
            a = s.get(Article, article_id)
            return None if a is None else _stored(a)

    def articles(self, ids: Sequence[int], *, workspace: str | None = None) -> list[StoredArticle]:
        """The readable ("ok") articles among ``ids``, in the order given; with
        ``workspace``, only those of the sources it may read."""
        with Session(self.engine) as s:
            feeds = None if workspace is None else self.sources.visible(s, workspace)
            rows = s.scalars(readable(select(Article), feeds).where(Article.id.in_(ids))).all()
            by_id = {a.id: _stored(a) for a in rows}
        return [by_id[i] for i in ids if i in by_id]

    def article_versions(self, ids: Sequence[int], workspace: str) -> dict[int, Version]:
        """(id, updated_at, content_hash) of the readable articles among ``ids``: whether a
        parsed copy kept elsewhere is still current, without reading text or analysis."""
        with Session(self.engine) as s:
            return article_versions(s, ids, workspace)

    def known_articles(
        self, feed_id: int | None, items: Sequence[tuple[str, str | None]]
    ) -> list[Known | None]:
        """For each (link, guid): the stored article and its content hash (``known``)."""
        return known_articles(self.engine, feed_id, items)

    def find_article(
        self, url: str | None = None, *, feed_id: int | None = None, guid: str | None = None
    ) -> int | None:
        """Id of the stored article with this URL or feed guid: skip fetching it again."""
        with Session(self.engine) as s:
            if guid and feed_id:
                found = s.scalar(
                    select(Article.id).where(Article.feed_id == feed_id, Article.guid == guid)
                )
                if found is not None:
                    return found
            if url:
                return s.scalar(
                    select(Article.id).where(Article.canonical_url == canonical_url(url))
                )
        return None

    def counts(self) -> StoreCounts:
        with Session(self.engine) as s:
            by_status: dict[str, int] = {
                status: int(n)
                for status, n in s.execute(
                    select(Article.status, func.count()).group_by(Article.status)
                )
            }

            def n(model: type[Cluster] | type[Feed] | type[FetchFailure]) -> int:
                return int(s.scalar(select(func.count()).select_from(model)) or 0)

            return StoreCounts(
                articles=sum(by_status.values()),
                ok=by_status.get("ok", 0),
                no_article=by_status.get("no_article", 0),
                clusters=n(Cluster),
                feeds=n(Feed),
                failures=n(FetchFailure),
            )

    # ------------------------------------------------------------------ feeds
    # Sources live in ``self.sources``; these are the ingest side's short names.

    def get_feed(self, url: str) -> FeedState | None:
        """The source with this full URL, if known."""
        return self.sources.get(url)

    def save_feed(self, state: FeedState, via: Via | None = None) -> FeedState:
        """Insert or update ``state``'s source and polling state; ``via`` adds a reader."""
        return self.sources.save(state, via)

    def feeds(self) -> list[FeedState]:
        return self.sources.all()

    def due_feeds(self, now: datetime | None = None) -> list[FeedState]:
        """Feeds and lists never polled or whose next poll time has come, most overdue first."""
        return self.sources.due(as_utc(now or utcnow()))

    def link_article(self, article_id: int, feed_id: int | None) -> None:
        """Article ``article_id`` (stored already) also came through source ``feed_id``."""

        def link() -> None:
            with Session(self.engine) as s, s.begin():
                self.sources.link(s, article_id, feed_id)

        retry_busy(link, "linking an article to its source")

    # --------------------------------------------------------------- failures

    def record_failure(
        self, url: str, feed_id: int | None, reason: str, *, now: datetime | None = None
    ) -> int:
        """Remember that ``url`` could not be fetched; returns the attempts so far.

        Pages that were fetched but hold no article are stored as articles with
        status "no_article" instead (never summarised, never searched).
        """
        now = as_utc(now or utcnow())
        return retry_busy(
            lambda: self._record_failure_once(url, feed_id, reason, now), "recording a failure"
        )

    def _record_failure_once(
        self, url: str, feed_id: int | None, reason: str, now: datetime
    ) -> int:
        canon = canonical_url(url)
        for attempt in range(2):
            try:
                with Session(self.engine) as s, s.begin():
                    f = s.scalar(select(FetchFailure).where(FetchFailure.canonical_url == canon))
                    if f is None:
                        f = FetchFailure(
                            canonical_url=canon,
                            url=url.strip(),
                            feed_id=feed_id,
                            reason=reason,
                            first_failed=now,
                            last_failed=now,
                            attempts=1,
                        )
                        s.add(f)
                    else:
                        f.reason, f.last_failed, f.attempts = reason, now, f.attempts + 1
                        f.feed_id = feed_id or f.feed_id
                    s.flush()
                    return f.attempts
            except IntegrityError:
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def failure_attempts(self, url: str) -> int:
        """How often fetching ``url`` failed (0: never, or not recorded)."""
        with Session(self.engine) as s:
            n = s.scalar(
                select(FetchFailure.attempts).where(
                    FetchFailure.canonical_url == canonical_url(url)
                )
            )
            return int(n or 0)


def _stored(a: Article) -> StoredArticle:
    return StoredArticle(
        id=a.id,
        url=a.url,
        canonical_url=a.canonical_url,
        guid=a.guid,
        feed_id=a.feed_id,
        title=a.title,
        text=a.text,
        author=a.author,
        site=a.site,
        published=a.published,
        fetched_at=a.fetched_at,
        updated_at=a.updated_at,
        status=cast(ArticleStatus, a.status),
        analysis=a.analysis,
        cluster_id=a.cluster_id,
    )
