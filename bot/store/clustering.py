"""Placing an article in a story cluster: candidates, "items like these" groups, counts.

Two articles meet as candidates only through a shared lookup key (an LSH band, a
title term, a name: ``Fingerprint.keys``), read near the article's time. The work
per article is bounded whatever is stored: at most KEY_SCAN postings read per key
and side, MAX_CANDIDATES fingerprints scored, and the cluster's counts moved by one
row. (Scanning every posting of a key and recounting the whole cluster made one
feed of 10,000 near-duplicates quadratic: 580 s.)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Table,
    TextClause,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    select,
    text,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from bot.store.schema import Article, ArticleKey, ArticleSignature, Cluster, UTCDateTime
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
from bot.store.times import as_utc

CLUSTER_WINDOW = timedelta(hours=48)  # either side of published: a story's news cycle
MAX_CANDIDATES = 30  # fingerprints scored per article
KEY_SCAN = 12  # postings read per lookup key on each side of an article's time
_KEYS_PER_QUERY = 100  # keys per UNION ALL (SQLite allows 500 compound terms)
GROUP_SIZE = 100  # members from which a cluster is an "items like these" group
GROUP_BANDS = 4  # of the 16 MinHash bands: a copy beyond doubt (see Clustering._group)

Score = Callable[[Fingerprint, Fingerprint], float]
Postings = list[tuple[int, int, int]]  # (article, key kind, keys of that kind shared)


@dataclass(frozen=True, slots=True)
class Placed:
    """Where a new article goes: its fingerprint and its cluster."""

    fp: Fingerprint
    cluster_id: int


@dataclass(frozen=True, slots=True)
class Choice:
    """Where a new article would go, nothing written yet: the cluster it joins, or None
    (it founds one). ``Clustering.place`` writes it; PostgreSQL's one-statement insert
    (``bot.store.pg_insert``) writes it with the article."""

    fp: Fingerprint
    target: int | None


class Clustering:
    """Clustering's reads and writes inside an upsert's transaction.

    ``score`` (two fingerprints -> 0..1) and ``group_size`` are given by the ``Store``,
    which is where a caller (or a test) tunes them.
    """

    def __init__(self, *, score: Score = similarity, group_size: int = GROUP_SIZE) -> None:
        self.score = score
        self.group_size = group_size

    # The work per article is bounded whatever is stored: at most KEY_SCAN postings
    # read per key and side, MAX_CANDIDATES fingerprints scored, and the cluster's
    # counts moved by one row. (Scanning every posting of a key and recounting the
    # whole cluster made one feed of 10,000 near-duplicates quadratic: 580 s.)

    def place(
        self,
        s: Session,
        published: datetime,
        headline: str,
        title: str | None,
        text: str | None,
    ) -> Placed:
        """The cluster a new article joins (counted in already), or a new one it founds."""
        choice = self.choose(s, published, title, text)
        if choice.target is None:
            return Placed(choice.fp, self._place_alone(s, published, headline))
        self._joined(s, choice.target, published, headline)
        return Placed(choice.fp, choice.target)

    def choose(
        self,
        s: Session,
        published: datetime,
        title: str | None,
        text: str | None,
        postings: Postings | None = None,
    ) -> Choice:
        """``place``'s reads alone: the cluster a new article would join, if any.

        ``postings``: its keys' postings read already (``postings_sql``), else read here."""
        fp = fingerprint(title, text)
        return Choice(fp, self._best_cluster(s, published, None, fp, postings))

    def keep_fingerprint(
        self, s: Session, article_id: int, published: datetime, fp: Fingerprint
    ) -> None:
        """The article's signature and lookup keys, for the articles clustered after it.

        The keys (about 40) go in one executemany whose timestamp is converted for the
        database once, not once a row: typed, each row's ``published`` went through
        the column's processors, the most of this insert's cost."""
        conn = s.connection()  # clustering's statements are Core: no ORM work per row
        conn.execute(
            _INSERT_SIGNATURE,
            {"article_id": article_id, "minhash": pack(fp.signature), "features": fp.features()},
        )
        at = _db_timestamp(conn.dialect, published)
        conn.execute(
            _INSERT_KEYS,
            [{"a": article_id, "k": k, "t": kind, "p": at} for k, kind in fp.keys().items()],
        )

    def recluster(self, s: Session, row: Article, old_title: str | None) -> None:
        """An edited article (titled ``old_title`` before): to the cluster of its most
        similar recent article, or its own."""
        s.execute(delete(ArticleKey).where(ArticleKey.article_id == row.id))
        s.execute(delete(ArticleSignature).where(ArticleSignature.article_id == row.id))
        fp = fingerprint(row.title, row.text)
        old = row.cluster_id
        target = self._best_cluster(s, row.published, row.id, fp)
        self.keep_fingerprint(s, row.id, row.published, fp)
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
        values = {"headline": headline, "first_seen": published, "last_seen": published}
        key = s.connection().execute(_INSERT_CLUSTER, {**values, "size": 1}).inserted_primary_key
        assert key is not None
        return int(key[0])

    def _best_cluster(
        self,
        s: Session,
        published: datetime,
        exclude: int | None,
        fp: Fingerprint,
        postings: Postings | None = None,
    ) -> int | None:
        """The cluster of the candidate most similar to ``fp``, if similar enough."""
        if postings is None:
            postings = self._postings(s, list(fp.keys()), window(s.connection().dialect, published))
        ranked = self._candidate_ids(exclude, postings)
        if not ranked:
            return None
        group, candidates = self._group_or_candidates(s, ranked)
        if group is not None:
            return group
        best: tuple[float, int] | None = None
        for cluster_id, other in candidates:
            sim = self.score(fp, other)
            if sim >= SAME_STORY and (best is None or sim > best[0]):
                best = (sim, cluster_id)
        return None if best is None else best[1]

    def _candidate_ids(self, exclude: int | None, postings: Postings) -> list[tuple[int, int]]:
        """(article, bands shared) of recent articles sharing a band, or enough title words
        and names, with the article whose keys' ``postings`` these are: most bands
        first, at most MAX_CANDIDATES.

        Each key's postings are read only near the article's time (KEY_SCAN either
        side): a key shared by thousands of articles (a word of every headline in a
        flood of copies) costs the same as a rare one, and the nearest articles are
        the ones that can be the same story."""
        tally: dict[int, dict[int, int]] = {}
        for article_id, kind, n in postings:
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

    def _postings(self, s: Session, keys: list[int], params: dict[str, Any]) -> Postings:
        """(article, kind, keys shared) over each key's KEY_SCAN postings either side.

        PostgreSQL: one statement over ``unnest`` of the keys, a LATERAL pair of index
        scans each (planned in 0.3 ms; the UNION ALL of 80 branches took 4.6 ms to plan,
        most of the postings' cost). SQLite has neither: UNION ALL, in chunks."""
        conn = s.connection()
        if conn.dialect.name == "postgresql":
            return [tuple(r) for r in conn.execute(_PG_POSTINGS, {**params, "keys": keys})]
        found: Postings = []
        for start in range(0, len(keys), _KEYS_PER_QUERY):
            chunk = keys[start : start + _KEYS_PER_QUERY]
            rows = conn.execute(
                _postings_sql(len(chunk)), {**params, **{f"k{i}": k for i, k in enumerate(chunk)}}
            )
            found += [tuple(r) for r in rows]
        return found

    def _group_or_candidates(
        self, s: Session, ranked: list[tuple[int, int]]
    ) -> tuple[int | None, list[tuple[int, Fingerprint]]]:
        """(the top candidate's cluster if it is an "items like these" group, else None;
        else the candidates' fingerprints), in one read.

        Past GROUP_SIZE members a cluster is a flood of copies (a feed posting one
        story over and over, wire copies everywhere) rather than a story still
        taking shape: one more copy cannot change what it is about, and sharing
        GROUP_BANDS of the MinHash bands means an estimated shingle Jaccard far past
        JACCARD_SAME, so scoring would say "same story" anyway. Joining it directly
        saves loading and scoring MAX_CANDIDATES fingerprints per copy. The group
        check and the fingerprints are one statement (they were two round trips)."""
        top, bands = ranked[0]
        ids = [aid for aid, _bands in ranked]
        if bands < GROUP_BANDS:
            return None, self._candidates(s, ids)
        rows = s.connection().execute(
            _GROUP_OR_FINGERPRINTS, {"top": top, "size": self.group_size, "ids": ids}
        )
        group: int | None = None
        candidates: list[tuple[int, Fingerprint]] = []
        for cid, mh, feats, is_group in rows:
            if is_group:
                group = int(cid)
            else:
                candidates.append((int(cid), Fingerprint.load(mh, feats)))
        return group, candidates

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


# Clustering's statements, built once: it runs them for every article stored.
_CLUSTERS = cast(Table, Cluster.__table__)
_INSERT_SIGNATURE = insert(cast(Table, ArticleSignature.__table__))
_INSERT_CLUSTER = insert(_CLUSTERS)
# Untyped parameters: the rows carry ``published`` already in the database's form.
_INSERT_KEYS = text(
    "INSERT INTO article_keys (article_id, key, kind, published) VALUES (:a, :k, :t, :p)"
)
_PUBLISHED = cast(Table, ArticleKey.__table__).c.published.type


def _db_timestamp(dialect: Dialect, value: datetime) -> Any:
    """``value`` as the ``article_keys.published`` column hands it to the driver."""
    process = _PUBLISHED.bind_processor(dialect)
    return process(value) if process is not None else value


def window(dialect: Dialect, published: datetime) -> dict[str, Any]:
    """The postings' parameters ``:lo``, ``:at`` and ``:hi`` around ``published``."""
    return {
        "lo": _db_timestamp(dialect, published - CLUSTER_WINDOW),
        "at": _db_timestamp(dialect, published),
        "hi": _db_timestamp(dialect, published + CLUSTER_WINDOW),
    }


_FINGERPRINTS = (
    select(Article.cluster_id, ArticleSignature.minhash, ArticleSignature.features)
    .join(ArticleSignature, ArticleSignature.article_id == Article.id)
    .where(
        Article.id.in_(bindparam("ids", expanding=True)),
        Article.status == "ok",
        Article.cluster_id.is_not(None),
    )
)
# ``_GROUP_OF`` (sized up to ``:size``) if the top candidate is a group, else
# ``_FINGERPRINTS``: the second branch runs only when the first finds nothing.
_GROUP_HIT = (
    select(Article.cluster_id)
    .join(Cluster, Cluster.id == Article.cluster_id)
    .where(
        Article.id == bindparam("top"),
        Article.status == "ok",
        Cluster.size >= bindparam("size"),
    )
    .cte("group_hit")
)
_GROUP_OR_FINGERPRINTS = union_all(
    _FINGERPRINTS.add_columns(literal(0).label("is_group")).where(
        ~exists(select(_GROUP_HIT.c.cluster_id))
    ),
    select(
        _GROUP_HIT.c.cluster_id,
        type_coerce(null(), ArticleSignature.minhash.type),
        type_coerce(null(), ArticleSignature.features.type),
        literal(1),
    ),
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


# PostgreSQL's postings (``Clustering._postings``): the same rows as ``_postings_sql``,
# for ``window``'s parameters and ``:keys``. Also read with an article's identity
# (``bot.store.upserts``): one round trip for both.
PG_POSTINGS_SQL = f"""SELECT p.article_id, p.kind, count(*) FROM unnest(:keys) AS k(key)
    CROSS JOIN LATERAL (
        (SELECT article_id, kind FROM article_keys
         WHERE key = k.key AND published >= :lo AND published <= :at
         ORDER BY published DESC LIMIT {KEY_SCAN})
        UNION ALL
        (SELECT article_id, kind FROM article_keys
         WHERE key = k.key AND published > :at AND published <= :hi
         ORDER BY published LIMIT {KEY_SCAN})
    ) AS p GROUP BY p.article_id, p.kind"""
PG_KEYS = bindparam("keys", type_=ARRAY(BigInteger))
_PG_POSTINGS = text(PG_POSTINGS_SQL).bindparams(PG_KEYS)


@functools.lru_cache(maxsize=_KEYS_PER_QUERY)
def _postings_sql(n: int) -> TextClause:
    """(article_id, kind, keys shared) over the KEY_SCAN postings of each of keys
    ``:k0``..``:k{n-1}`` nearest before ``:at`` (from ``:lo``) and after it (to ``:hi``):
    one index range scan on (key, published) each, stopped after KEY_SCAN rows.

    The times are given in the database's form (``_db_timestamp``), untyped: each is
    written 2n times here, and SQLAlchemy converts a typed one at every place."""
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
    return text(sql)
