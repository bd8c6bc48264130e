"""The article store: dedupe and cluster on the way in, ranked stories on the way out.

Synchronous SQLAlchemy on purpose: every call is a short transaction, and the
asyncio side (bot, poller) runs them with ``asyncio.to_thread``. One ``Store`` per
process is safe to share between threads (one session per call).

SQLite (the default, a file in the user data dir) and PostgreSQL run the same code;
only the full-text query differs: FTS5 with the porter tokenizer and ``bm25`` on
SQLite, a generated ``tsvector`` column with ``ts_rank_cd`` on PostgreSQL.
"""

from __future__ import annotations

import functools
import hashlib
import math
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    Engine,
    Table,
    TextClause,
    bindparam,
    case,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from bot.errors import NewsbriefError
from bot.models import ArticleStatus
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
    ArticleKey,
    ArticleSignature,
    Cluster,
    Feed,
    FetchFailure,
    UTCDateTime,
)
from bot.store.scope import readable
from bot.store.search import StorySearch
from bot.store.similarity import (
    KEY_BAND,
    KEY_ENTITY,
    KEY_TITLE,
    SAME_STORY,
    Fingerprint,
    fingerprint,
    pack,
    similarity,
)
from bot.store.sources import BoxSource, FeedSources, Via
from bot.store.story_locks import lock_story
from bot.store.threads import ThreadMemory
from bot.store.times import as_utc, ts_param, utcnow
from bot.urls import canonical_url

CLUSTER_WINDOW = timedelta(hours=48)  # either side of published: a story's news cycle
MAX_CANDIDATES = 30  # fingerprints scored per article
KEY_SCAN = 12  # postings read per lookup key on each side of an article's time
_KEYS_PER_QUERY = 100  # keys per UNION ALL (SQLite allows 500 compound terms)
GROUP_SIZE = 100  # members from which a cluster is an "items like these" group
GROUP_BANDS = 4  # of the 16 MinHash bands: a copy beyond doubt (see Store._group)


def content_hash(title: str | None, text: str | None) -> str:
    """Hash of what a reader sees; whitespace-only changes are not edits."""
    norm = " ".join((title or "").split()) + "\n" + " ".join((text or "").split())
    return hashlib.sha256(norm.encode()).hexdigest()


def _sqlite_on_connect(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA journal_mode = WAL")  # readers (the bot) never wait for the poller
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute("PRAGMA busy_timeout = 10000")
    try:
        cur.execute("SELECT exp(0), ln(1)")
    except sqlite3.OperationalError:  # built without SQLITE_ENABLE_MATH_FUNCTIONS
        dbapi_conn.create_function("exp", 1, math.exp, deterministic=True)
        dbapi_conn.create_function("ln", 1, math.log, deterministic=True)
    cur.close()


def create_store_engine(url: str | URL) -> Engine:
    """An engine set up for the store: SQLite pragmas, psycopg 3 for PostgreSQL."""
    u = make_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        db = u.database
        if db and db != ":memory:" and not db.startswith("file:"):
            Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(u)
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    if backend == "postgresql":
        if u.drivername == "postgresql":  # psycopg2 is not a dependency; psycopg 3 is
            u = u.set(drivername="postgresql+psycopg")
        return create_engine(u, pool_pre_ping=True)
    raise NewsbriefError(
        f"unsupported database {backend!r} in NEWSBRIEF_DATABASE_URL: use sqlite or postgresql"
    )


def _check_fts5(engine: Engine) -> None:
    with engine.connect() as conn:
        try:
            conn.exec_driver_sql("CREATE VIRTUAL TABLE temp.nb_fts5_probe USING fts5(x)")
            conn.exec_driver_sql("DROP TABLE temp.nb_fts5_probe")
        except Exception as exc:
            raise NewsbriefError(
                "this Python's SQLite has no FTS5; use a Python built with it "
                "or set NEWSBRIEF_DATABASE_URL to a PostgreSQL database"
            ) from exc


@dataclass(frozen=True, slots=True)
class _Placed:
    """Where a new article goes: its fingerprint and its cluster."""

    fp: Fingerprint
    cluster_id: int


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
                _check_fts5(engine)
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
            self._place(s, published, item.title or item.url.strip(), item.title, item.text)
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
            self._keep_fingerprint(s, row.id, published, placed.fp)
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
            self._recluster(s, row, old_title)
        return UpsertOutcome("updated", row.id, row.cluster_id)

    # ------------------------------------------------------------- clustering
    # The work per article is bounded whatever is stored: at most KEY_SCAN postings
    # read per key and side, MAX_CANDIDATES fingerprints scored, and the cluster's
    # counts moved by one row. (Scanning every posting of a key and recounting the
    # whole cluster made one feed of 10,000 near-duplicates quadratic: 580 s.)

    def _place(
        self,
        s: Session,
        published: datetime,
        headline: str,
        title: str | None,
        text: str | None,
    ) -> _Placed:
        """The cluster a new article joins (counted in already), or a new one it founds."""
        fp = fingerprint(title, text)
        target = self._best_cluster(s, published, None, fp)
        if target is None:
            return _Placed(fp, self._place_alone(s, published, headline))
        self._joined(s, target, published, headline)
        return _Placed(fp, target)

    def _keep_fingerprint(
        self, s: Session, article_id: int, published: datetime, fp: Fingerprint
    ) -> None:
        """The article's signature and lookup keys, for the articles clustered after it."""
        conn = s.connection()  # clustering's statements are Core: no ORM work per row
        conn.execute(
            _INSERT_SIGNATURE,
            {"article_id": article_id, "minhash": pack(fp.signature), "features": fp.features()},
        )
        conn.execute(
            _INSERT_KEYS,
            [
                {"article_id": article_id, "key": k, "kind": kind, "published": published}
                for k, kind in fp.keys().items()
            ],
        )

    def _recluster(self, s: Session, row: Article, old_title: str | None) -> None:
        """An edited article (titled ``old_title`` before): to the cluster of its most
        similar recent article, or its own."""
        s.execute(delete(ArticleKey).where(ArticleKey.article_id == row.id))
        s.execute(delete(ArticleSignature).where(ArticleSignature.article_id == row.id))
        fp = fingerprint(row.title, row.text)
        old = row.cluster_id
        target = self._best_cluster(s, row.published, row.id, fp)
        self._keep_fingerprint(s, row.id, row.published, fp)
        if target is None and old is not None and self._size(s, old) <= 1:
            target = old  # an edited article alone in its cluster keeps it (stable ids)
        if target == old and old is not None:
            self._retitled(s, row, old_title)
            return
        headline = row.title or row.url
        if target is None:
            row.cluster_id = self._place_alone(s, row.published, headline)
        else:
            self._joined(s, target, row.published, headline)
            row.cluster_id = target
        s.flush()
        if old is not None:
            # Edits that move an article are rare: recount what it left, exactly.
            self._refresh_cluster(s, old)

    def _place_alone(self, s: Session, published: datetime, headline: str) -> int:
        cluster = Cluster(headline=headline, first_seen=published, last_seen=published, size=1)
        s.add(cluster)
        s.flush()
        return cluster.id

    def _best_cluster(
        self, s: Session, published: datetime, exclude: int | None, fp: Fingerprint
    ) -> int | None:
        """The cluster of the candidate most similar to ``fp``, if similar enough."""
        ranked = self._candidate_ids(s, published, exclude, fp.keys())
        if not ranked:
            return None
        group = self._group(s, *ranked[0])
        if group is not None:
            return group
        best: tuple[float, int] | None = None
        for cluster_id, other in self._candidates(s, [aid for aid, _bands in ranked]):
            sim = similarity(fp, other)
            if sim >= SAME_STORY and (best is None or sim > best[0]):
                best = (sim, cluster_id)
        return None if best is None else best[1]

    def _candidate_ids(
        self, s: Session, published: datetime, exclude: int | None, keys: dict[int, int]
    ) -> list[tuple[int, int]]:
        """(article, bands shared) of recent articles sharing a band, or enough title words
        and names, with an article published at ``published``: most bands first, at most
        MAX_CANDIDATES.

        Each key's postings are read only near ``published`` (KEY_SCAN either side): a
        key shared by thousands of articles (a word of every headline in a flood of
        copies) costs the same as a rare one, and the nearest articles are the ones
        that can be the same story."""
        tally: dict[int, dict[int, int]] = {}
        params: dict[str, Any] = {
            "lo": published - CLUSTER_WINDOW,
            "at": published,
            "hi": published + CLUSTER_WINDOW,
        }
        listed = list(keys)
        for start in range(0, len(listed), _KEYS_PER_QUERY):
            chunk = listed[start : start + _KEYS_PER_QUERY]
            found = s.connection().execute(
                _postings_sql(len(chunk)), {**params, **{f"k{i}": k for i, k in enumerate(chunk)}}
            )
            for article_id, kind, n in found:
                t = tally.setdefault(int(article_id), {})
                t[kind] = t.get(kind, 0) + int(n)

        def promising(t: dict[int, int]) -> bool:
            bands, titles, ents = t.get(KEY_BAND, 0), t.get(KEY_TITLE, 0), t.get(KEY_ENTITY, 0)
            return bands > 0 or titles >= 2 or (titles >= 1 and ents >= 2) or ents >= 4

        ranked = sorted(
            (aid for aid, t in tally.items() if promising(t) and aid != exclude),
            key=lambda aid: (tally[aid].get(KEY_BAND, 0), sum(tally[aid].values()), aid),
            reverse=True,
        )[:MAX_CANDIDATES]
        return [(aid, tally[aid].get(KEY_BAND, 0)) for aid in ranked]

    def _group(self, s: Session, article_id: int, bands: int) -> int | None:
        """The cluster of ``article_id`` if it is an "items like these" group that a copy
        sharing ``bands`` bands with it joins without being scored.

        Past GROUP_SIZE members a cluster is a flood of copies (a feed posting one
        story over and over, wire copies everywhere) rather than a story still
        taking shape: one more copy cannot change what it is about, and sharing
        GROUP_BANDS of the MinHash bands means an estimated shingle Jaccard far past
        JACCARD_SAME, so scoring would say "same story" anyway. Joining it directly
        saves loading and scoring MAX_CANDIDATES fingerprints per copy."""
        if bands < GROUP_BANDS:
            return None
        found = s.connection().execute(_GROUP_OF, {"id": article_id}).first()
        if found is None or found.size < GROUP_SIZE:
            return None
        return int(found.cluster_id)

    def _candidates(self, s: Session, ids: Sequence[int]) -> list[tuple[int, Fingerprint]]:
        """(cluster, fingerprint) of the clustered "ok" articles among ``ids``."""
        rows = s.connection().execute(_FINGERPRINTS, {"ids": list(ids)})
        return [(int(cid), Fingerprint.load(mh, feats)) for cid, mh, feats in rows]

    def _size(self, s: Session, cluster_id: int) -> int:
        return int(s.connection().scalar(_CLUSTER_SIZE, {"id": cluster_id}) or 0)

    def _joined(self, s: Session, cluster_id: int, published: datetime, headline: str) -> None:
        """An article published at ``published`` joined ``cluster_id``: one more member,
        first/last seen and the headline (the earliest member's title) moved by it
        alone, in one UPDATE, so that two writers adding to one cluster both count."""
        s.connection().execute(
            _JOIN_CLUSTER, {"cluster": cluster_id, "at": published, "title": headline}
        )

    def _retitled(self, s: Session, row: Article, old_title: str | None) -> None:
        """An edited article stayed in its cluster: if it gave the headline, it still does."""
        assert row.cluster_id is not None
        cluster = s.get(Cluster, row.cluster_id)
        if cluster is None:
            return
        gave = cluster.headline == (old_title or row.url) and cluster.first_seen == row.published
        if cluster.size <= 1 or gave:
            cluster.headline = row.title or row.url

    def _refresh_cluster(self, s: Session, cluster_id: int) -> None:
        """Size, first/last seen and headline (earliest member's title) from all members:
        only for a cluster an article left (new members use ``_joined``)."""
        cluster = s.get(Cluster, cluster_id)
        if cluster is None:
            return
        n, first, last = s.execute(
            select(func.count(), func.min(Article.published), func.max(Article.published)).where(
                Article.cluster_id == cluster_id
            )
        ).one()
        if not n:
            s.delete(cluster)
            return
        earliest = s.execute(
            select(Article.title, Article.url)
            .where(Article.cluster_id == cluster_id)
            .order_by(Article.published, Article.id)
            .limit(1)
        ).one()
        cluster.size = int(n)
        cluster.first_seen, cluster.last_seen = as_utc(first), as_utc(last)
        cluster.headline = earliest.title or earliest.url

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


# Clustering's statements, built once: it runs them for every article stored.
_CLUSTERS = cast(Table, Cluster.__table__)
_INSERT_SIGNATURE = insert(cast(Table, ArticleSignature.__table__))
_INSERT_KEYS = insert(cast(Table, ArticleKey.__table__))
_GROUP_OF = (
    select(Article.cluster_id, Cluster.size)
    .join(Cluster, Cluster.id == Article.cluster_id)
    .where(Article.id == bindparam("id"), Article.status == "ok")
)
_FINGERPRINTS = (
    select(Article.cluster_id, ArticleSignature.minhash, ArticleSignature.features)
    .join(ArticleSignature, ArticleSignature.article_id == Article.id)
    .where(
        Article.id.in_(bindparam("ids", expanding=True)),
        Article.status == "ok",
        Article.cluster_id.is_not(None),
    )
)
_CLUSTER_SIZE = select(Cluster.size).where(Cluster.id == bindparam("id"))
_AT = bindparam("at", type_=UTCDateTime())
_EARLIER = _CLUSTERS.c.first_seen > _AT
_JOIN_CLUSTER = (
    update(_CLUSTERS)
    .where(_CLUSTERS.c.id == bindparam("cluster"))
    .values(
        size=_CLUSTERS.c.size + 1,
        headline=case((_EARLIER, bindparam("title")), else_=_CLUSTERS.c.headline),
        first_seen=case((_EARLIER, _AT), else_=_CLUSTERS.c.first_seen),
        last_seen=case((_CLUSTERS.c.last_seen < _AT, _AT), else_=_CLUSTERS.c.last_seen),
    )
)


@functools.lru_cache(maxsize=_KEYS_PER_QUERY)
def _postings_sql(n: int) -> TextClause:
    """(article_id, kind, keys shared) over the KEY_SCAN postings of each of keys
    ``:k0``..``:k{n-1}`` nearest before ``:at`` (from ``:lo``) and after it (to ``:hi``):
    one index range scan on (key, published) each, stopped after KEY_SCAN rows."""
    parts = []
    for i in range(n):
        for side, cond, order in (
            ("b", "published >= :lo AND published <= :at", "published DESC"),
            ("a", "published > :at AND published <= :hi", "published"),
        ):
            parts.append(
                f"SELECT article_id, kind FROM (SELECT article_id, kind FROM article_keys "
                f"WHERE key = :k{i} AND {cond} ORDER BY {order} LIMIT {KEY_SCAN}) AS {side}{i}"
            )
    sql = (
        f"SELECT article_id, kind, count(*) FROM ({' UNION ALL '.join(parts)}) AS postings "
        "GROUP BY article_id, kind"
    )
    return text(sql).bindparams(*map(ts_param, ("lo", "at", "hi")))


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
