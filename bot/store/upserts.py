"""Writing one article inside an upsert's transaction: new, updated or duplicate.

The hot path (a new article, or a duplicate of a stored one) is prebuilt Core
statements on the session's connection: one statement finds the stored article by
feed guid, canonical URL or same-site twin; one inserts the row, cluster chosen
first (on PostgreSQL, one statement writes the cluster, row, signature, keys and
source link: ``bot.store.pg_insert``). The ORM is kept for the rare edit of a
stored article, whose re-clustering reads and changes several rows. (Through the
ORM, the lookups, the flush and the identity map cost about 2 ms an article, more
than the database's own work.) Whatever the outcome, ``link`` then links the
article to the source it came through (unless that one statement did).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from bot.store.clustering import PG_KEYS, PG_POSTINGS_SQL, Clustering, Postings, window
from bot.store.pg_insert import insert_new
from bot.store.records import ArticleRecord, UpsertOutcome
from bot.store.schema import Article
from bot.store.similarity import fingerprint
from bot.store.sources import FeedSources
from bot.store.times import as_utc
from bot.urls import canonical_url

_ARTICLES = cast(Table, Article.__table__)


def content_hash(title: str | None, text: str | None) -> str:
    """Hash of what a reader sees; whitespace-only changes are not edits."""
    norm = " ".join((title or "").split()) + "\n" + " ".join((text or "").split())
    return hashlib.sha256(norm.encode()).hexdigest()


# The stored article an item is: by (feed, guid) first, then canonical URL, then (for
# a new "ok" item with a site) the same content from the same site, its "twin". A
# NULL parameter disables its branch (``= NULL`` is never true). One statement for
# what were three ORM queries; each branch is one index lookup.
_COLUMNS = "id, cluster_id, content_hash, status, guid, feed_id"
_IDENTITY = text(
    f"""SELECT rank, {_COLUMNS} FROM (
        SELECT 1 AS rank, {_COLUMNS} FROM articles WHERE feed_id = :feed AND guid = :guid
        UNION ALL
        SELECT 2 AS rank, {_COLUMNS} FROM articles WHERE canonical_url = :canon
        UNION ALL
        SELECT * FROM (SELECT 3 AS rank, {_COLUMNS} FROM articles
                       WHERE content_hash = :hash AND site = :site AND status = 'ok'
                       ORDER BY id LIMIT 1) AS twin
    ) AS found ORDER BY rank LIMIT 1"""
)
_BY_GUID, _BY_URL, _TWIN = 1, 2, 3
# PostgreSQL, for an "ok" item: the identity and, in case it is new, its keys' postings
# (``Clustering.choose``) in one round trip; ``part`` 0 is the identity, 1 a posting.
_IDENTITY_AND_POSTINGS = text(
    f"""WITH found AS ({_IDENTITY.text}), postings AS ({PG_POSTINGS_SQL})
    SELECT 0 AS part, rank, {_COLUMNS}, NULL AS kind, NULL AS n FROM found
    UNION ALL
    SELECT 1, NULL, article_id, NULL, NULL, NULL, NULL, NULL, kind, count FROM postings"""
).bindparams(PG_KEYS)
_INSERT_ARTICLE = insert(_ARTICLES)
_FILL_IDENTITY = (
    update(_ARTICLES)
    .where(_ARTICLES.c.id == bindparam("b_id"))
    .values(feed_id=bindparam("b_feed"), guid=bindparam("b_guid"))
)
_URL_TAKEN = select(Article.id).where(Article.canonical_url == bindparam("canon"))
# ``FeedSources.link``'s insert for a known feed (SQLite >= 3.24 and PostgreSQL alike).
_LINK = text(
    "INSERT INTO article_sources (article_id, feed_id) VALUES (:article, :feed) "
    "ON CONFLICT DO NOTHING"
)


def _identity_params(item: ArticleRecord, canon: str, chash: str) -> dict[str, Any]:
    by_guid = bool(item.guid and item.feed_id)
    twin = item.status == "ok" and bool(item.site)
    return {
        "feed": item.feed_id if by_guid else None,
        "guid": item.guid if by_guid else None,
        "canon": canon,
        "hash": chash if twin else None,
        "site": item.site if twin else None,
    }


class ArticleWriter:
    """``upsert`` for ``Store``: decides what an item is and writes it, clustered.

    ``one_statement``: a new article is written in one statement on PostgreSQL
    (``bot.store.pg_insert``); False writes it statement by statement, as on SQLite
    (the tests compare the two; the benches time them)."""

    def __init__(self, clusters: Clustering, sources: FeedSources) -> None:
        self.clusters = clusters
        self.sources = sources
        self.one_statement = True

    def upsert(self, s: Session, item: ArticleRecord, now: datetime) -> UpsertOutcome:
        """Store ``item`` once (``Store.upsert_article``); ``link`` links it after."""
        conn = s.connection()
        canon = canonical_url(item.url)
        chash = content_hash(item.title, item.text)
        # A date in the future (a feed's time-zone slip) would top every brief: clamp.
        published = min(as_utc(item.published), now) if item.published else now
        postings: Postings | None = None
        if self._one_statement(s) and item.status == "ok":
            found, postings = self._identity_and_postings(conn, item, canon, chash, published)
        else:
            found = self._identity(conn, item, canon, chash)
        if found is None:
            return self._insert(s, item, canon, chash, published, now, postings)
        return self._known(s, found, item, canon, chash, now)

    def link(self, s: Session, item: ArticleRecord, outcome: UpsertOutcome) -> None:
        """The article ``upsert`` gave ``outcome`` for came through ``item.feed_id``
        (None: the operator's "stored directly" source), so whoever reads that sees it.
        A new article from a feed was linked by PostgreSQL's one-statement insert."""
        if outcome.status == "new" and item.feed_id is not None and self._one_statement(s):
            return
        self._link(s, outcome.article_id, item.feed_id)

    def _known(
        self,
        s: Session,
        found: Row[Any],
        item: ArticleRecord,
        canon: str,
        chash: str,
        now: datetime,
    ) -> UpsertOutcome:
        """``item`` is the stored article ``found``: a duplicate of it, or an edit."""
        if found.rank == _TWIN:
            return UpsertOutcome("duplicate", found.id, found.cluster_id)
        if found.content_hash == chash and found.status == item.status:
            self._fill_identity(s.connection(), found, item)
            return UpsertOutcome("duplicate", found.id, found.cluster_id)
        if found.status == "ok" and item.status != "ok":
            return UpsertOutcome("duplicate", found.id, found.cluster_id)
        return self._update(s, found.id, item, canon, chash, now)

    def _link(self, s: Session, article_id: int, feed_id: int | None) -> None:
        """``sources.link``, with a feed's link (every article a poll stores) as one
        prebuilt statement: built afresh through the ORM, it cost about 1 ms."""
        if feed_id is None:
            self.sources.link(s, article_id, None)  # the "stored directly" source
        else:
            s.connection().execute(_LINK, {"article": article_id, "feed": feed_id})

    def _one_statement(self, s: Session) -> bool:
        return self.one_statement and s.connection().dialect.name == "postgresql"

    def _identity(
        self, conn: Connection, item: ArticleRecord, canon: str, chash: str
    ) -> Row[Any] | None:
        return conn.execute(_IDENTITY, _identity_params(item, canon, chash)).first()

    def _identity_and_postings(
        self, conn: Connection, item: ArticleRecord, canon: str, chash: str, published: datetime
    ) -> tuple[Row[Any] | None, Postings]:
        """``_identity``, and the postings ``Clustering.choose`` reads for a new article
        published at ``published``: read at once (they are wasted if it is not new)."""
        params = {
            **_identity_params(item, canon, chash),
            **window(conn.dialect, published),
            "keys": list(fingerprint(item.title, item.text).keys()),
        }
        found: Row[Any] | None = None
        postings: Postings = []
        for row in conn.execute(_IDENTITY_AND_POSTINGS, params):
            if row.part == 0:
                found = row
            else:
                postings.append((int(row.id), int(row.kind), int(row.n)))
        return found, postings

    def _insert(
        self,
        s: Session,
        item: ArticleRecord,
        canon: str,
        chash: str,
        published: datetime,
        now: datetime,
        postings: Postings | None,
    ) -> UpsertOutcome:
        """A new article; ``postings``: its keys' postings, read with its identity."""
        headline = item.title or item.url.strip()
        values = {
            "canonical_url": canon,
            "url": item.url.strip(),
            "guid": item.guid if item.feed_id else None,
            "feed_id": item.feed_id,
            "title": item.title,
            "text": item.text,
            "author": item.author,
            "site": item.site,
            "published": published,
            "fetched_at": now,
            "updated_at": now,
            "content_hash": chash,
            "status": item.status,
            "analysis": item.analysis if item.status == "ok" else None,
        }
        # Clustered before the row is written, so that it is written once, cluster and all
        # (on PostgreSQL an UPDATE would also recompute its search vectors).
        ok = item.status == "ok"
        if self._one_statement(s):
            choice = (
                self.clusters.choose(s, published, item.title, item.text, postings) if ok else None
            )
            article_id, cluster_id = insert_new(s.connection(), values, choice, headline)
            return UpsertOutcome("new", article_id, cluster_id)
        placed = self.clusters.place(s, published, headline, item.title, item.text) if ok else None
        cluster_id = placed.cluster_id if placed else None
        key = (
            s.connection()
            .execute(_INSERT_ARTICLE, {"cluster_id": cluster_id, **values})
            .inserted_primary_key
        )
        assert key is not None
        article_id = int(key[0])
        if placed is not None:
            self.clusters.keep_fingerprint(s, article_id, published, placed.fp)
        return UpsertOutcome("new", article_id, cluster_id)

    def _fill_identity(self, conn: Connection, found: Row[Any], item: ArticleRecord) -> None:
        """A guid first seen on a later poll of a known URL is remembered.

        Found by URL, the (feed, guid) branch of the lookup found nothing: no other
        article holds that guid, so it is free to take."""
        if (
            found.rank == _BY_URL
            and found.guid is None
            and item.guid
            and item.feed_id
            and found.feed_id in (None, item.feed_id)
        ):
            conn.execute(
                _FILL_IDENTITY, {"b_id": found.id, "b_feed": item.feed_id, "b_guid": item.guid}
            )

    def _update(
        self,
        s: Session,
        article_id: int,
        item: ArticleRecord,
        canon: str,
        chash: str,
        now: datetime,
    ) -> UpsertOutcome:
        """An edit of a stored article: the row changed in place, then re-clustered."""
        row = s.get(Article, article_id, populate_existing=True)
        assert row is not None
        if canon != row.canonical_url:  # found by guid under a new URL: the page moved
            taken = s.connection().scalar(_URL_TAKEN, {"canon": canon})
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
