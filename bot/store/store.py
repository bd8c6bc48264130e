"""The article store: dedupe and cluster on the way in, ranked stories on the way out.

Synchronous SQLAlchemy on purpose: every call is a short transaction, and the
asyncio side (bot, poller) runs them with ``asyncio.to_thread``. One ``Store`` per
process is safe to share between threads (one session per call).

SQLite (the default, a file in the user data dir) and PostgreSQL run the same code;
only the full-text query differs: FTS5 with the porter tokenizer and ``bm25`` on
SQLite, a generated ``tsvector`` column with ``ts_rank_cd`` on PostgreSQL.
"""

from __future__ import annotations

import hashlib
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
from bot.store.story_locks import lock_story
from bot.store.threads import ThreadMemory
from bot.store.times import as_utc, utcnow
from bot.urls import canonical_url


def content_hash(title: str | None, text: str | None) -> str:
    """Hash of what a reader sees; whitespace-only changes are not edits."""
    norm = " ".join((title or "").split()) + "\n" + " ".join((text or "").split())
    return hashlib.sha256(norm.encode()).hexdigest()


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
        now = as_utc(now or utcnow())
        if item.status == "ok":
            fingerprint(item.title, item.text)  # computed (and kept) before the write lock
        return retry_busy(lambda: self._upsert_once(item, now), "storing an article")

    def _upsert_once(self, item: ArticleRecord, now: datetime) -> UpsertOutcome:
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
                    lock_story(s, item.title, item.text)
                    outcome = self._upsert(s, item, now)
                    self.sources.link(s, outcome.article_id, item.feed_id)
                    return outcome
            except IntegrityError:  # a concurrent writer stored the same identity first
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _upsert(self, s: Session, item: ArticleRecord, now: datetime) -> UpsertOutcome:
        canon = canonical_url(item.url)
        chash = content_hash(item.title, item.text)
        row: Article | None = None
        if item.guid and item.feed_id:
            row = s.scalar(
                select(Article).where(Article.feed_id == item.feed_id, Article.guid == item.guid)
            )
        if row is None:
            row = s.scalar(select(Article).where(Article.canonical_url == canon))

        if row is not None:
            if row.content_hash == chash and row.status == item.status:
                self._fill_identity(s, row, item)
                return UpsertOutcome("duplicate", row.id, row.cluster_id)
            if row.status == "ok" and item.status != "ok":
                return UpsertOutcome("duplicate", row.id, row.cluster_id)
            return self._update(s, row, item, canon, chash, now)

        if item.status == "ok" and item.site:
            twin = s.scalar(
                select(Article)
                .where(
                    Article.content_hash == chash,
                    Article.site == item.site,
                    Article.status == "ok",
                )
                .limit(1)
            )
            if twin is not None:
                return UpsertOutcome("duplicate", twin.id, twin.cluster_id)

        # A date in the future (a feed's time-zone slip) would top every brief: clamp.
        published = min(as_utc(item.published), now) if item.published else now
        # Clustered before the row is written, so that it is written once, cluster and all
        # (on PostgreSQL an UPDATE would also recompute its search vectors).
        placed = (
            self.clusters.place(s, published, item.title or item.url.strip(), item.title, item.text)
            if item.status == "ok"
            else None
        )
        row = Article(
            cluster_id=placed.cluster_id if placed else None,
            canonical_url=canon,
            url=item.url.strip(),
            guid=item.guid if item.feed_id else None,
            feed_id=item.feed_id,
            title=item.title,
            text=item.text,
            author=item.author,
            site=item.site,
            published=published,
            fetched_at=now,
            updated_at=now,
            content_hash=chash,
            status=item.status,
            analysis=item.analysis if item.status == "ok" else None,
        )
        s.add(row)
        s.flush()
        if placed is not None:
            self.clusters.keep_fingerprint(s, row.id, published, placed.fp)
        return UpsertOutcome("new", row.id, row.cluster_id)

    def _fill_identity(self, s: Session, row: Article, item: ArticleRecord) -> None:
        """A guid first seen on a later poll of a known URL is remembered."""
        if row.guid is None and item.guid and item.feed_id and row.feed_id in (None, item.feed_id):
            clash = s.scalar(
                select(Article.id).where(Article.feed_id == item.feed_id, Article.guid == item.guid)
            )
            if clash is None:
                row.feed_id, row.guid = item.feed_id, item.guid

    def _update(
        self,
        s: Session,
        row: Article,
        item: ArticleRecord,
        canon: str,
        chash: str,
        now: datetime,
    ) -> UpsertOutcome:
        if canon != row.canonical_url:  # found by guid under a new URL: the page moved
            taken = s.scalar(select(Article.id).where(Article.canonical_url == canon))
            if taken is None:
                row.canonical_url, row.url = canon, item.url.strip()
        old_title = row.title
        row.title, row.text, row.content_hash = item.title, item.text, chash
        row.author = item.author or row.author
        row.site = item.site or row.site
        row.status = item.status
        row.analysis = item.analysis if item.status == "ok" else None
        row.fetched_at = row.updated_at = now
        s.flush()
        if item.status == "ok":
            self.clusters.recluster(s, row, old_title)
        return UpsertOutcome("updated", row.id, row.cluster_id)

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
