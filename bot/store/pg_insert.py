"""A new article in one statement on PostgreSQL: its cluster, row, signature, keys, source.

Written statement by statement, a new clustered article took five round trips after
its reads (cluster, row, signature, about 40 lookup keys as an executemany, source
link). In ingest the single writer thread waits out each one, and on a busy machine
every wait is a wake-up behind the worker processes and the event loop's hold on the
GIL: the store cost about 21 ms an article there against 8.5 ms alone. Here the five
are data-modifying CTEs of one INSERT (the keys from ``unnest`` of two arrays),
with the same values and the same constraints checked, so the same errors
(a taken URL, a gone cluster or feed) end the transaction as before.

SQLite keeps the statements one by one (``bot.store.upserts``): a round trip there
is a function call.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Connection,
    SmallInteger,
    Table,
    TextClause,
    bindparam,
    text,
)

from bot.store.clustering import Choice
from bot.store.schema import Article, ArticleSignature, Cluster
from bot.store.similarity import pack

_ARTICLES = cast(Table, Article.__table__)
_COLUMNS = (
    "canonical_url, url, guid, feed_id, title, text, author, site, published, fetched_at,"
    " updated_at, content_hash, status, analysis"
).split(", ")

# The cluster: founded (as ``Clustering._place_alone``) or joined (``_JOIN_CLUSTER``).
_FOUND = """c AS (INSERT INTO clusters (headline, first_seen, last_seen, size)
    VALUES (:headline, :published, :published, 1) RETURNING id)"""
_JOIN = """c AS (UPDATE clusters SET size = size + 1,
        headline = CASE WHEN first_seen > :published THEN :headline ELSE headline END,
        first_seen = CASE WHEN first_seen > :published THEN :published ELSE first_seen END,
        last_seen = CASE WHEN last_seen < :published THEN :published ELSE last_seen END
    WHERE id = :cluster RETURNING id)"""
_FINGERPRINT = """sig AS (INSERT INTO article_signatures (article_id, minhash, features)
    VALUES ((SELECT id FROM a), :minhash, :features)),
keys AS (INSERT INTO article_keys (article_id, key, kind, published)
    SELECT (SELECT id FROM a), k.key, k.kind, :published
    FROM unnest(CAST(:keys AS bigint[]), CAST(:kinds AS smallint[])) AS k(key, kind))"""
_SOURCE = """src AS (INSERT INTO article_sources (article_id, feed_id)
    VALUES ((SELECT id FROM a), :feed_id) ON CONFLICT DO NOTHING)"""


def _statement(cluster: str | None, linked: bool) -> TextClause:
    """``cluster``: "found", "join" or None (not clustered); ``linked``: the source too."""
    # A joined cluster's id is given, not read from ``c``: a cluster gone meanwhile
    # fails the foreign key, as the separate INSERT did.
    cluster_id = {"found": "(SELECT id FROM c)", "join": ":cluster", None: "NULL"}[cluster]
    article = f"""a AS (INSERT INTO articles (cluster_id, {", ".join(_COLUMNS)})
    VALUES ({cluster_id}, {", ".join(f":{c}" for c in _COLUMNS)}) RETURNING id, cluster_id)"""
    parts = [{"found": _FOUND, "join": _JOIN}[cluster]] if cluster else []
    parts.append(article)
    if cluster:
        parts.append(_FINGERPRINT)
    if linked:
        parts.append(_SOURCE)
    sql = "WITH " + ",\n".join(parts) + "\nSELECT id, cluster_id FROM a"
    types = [bindparam(c, type_=_ARTICLES.c[c].type) for c in _COLUMNS]
    if cluster:
        types += [
            bindparam("headline", type_=cast(Table, Cluster.__table__).c.headline.type),
            bindparam("features", type_=cast(Table, ArticleSignature.__table__).c.features.type),
            bindparam("minhash", type_=cast(Table, ArticleSignature.__table__).c.minhash.type),
            bindparam("keys", type_=ARRAY(BigInteger)),
            bindparam("kinds", type_=ARRAY(SmallInteger)),
        ]
    return text(sql).bindparams(*types)


_STATEMENTS = {
    (cluster, linked): _statement(cluster, linked)
    for cluster in ("found", "join", None)
    for linked in (True, False)
}


def insert_new(
    conn: Connection,
    values: dict[str, Any],
    choice: Choice | None,
    headline: str,
) -> tuple[int, int | None]:
    """(article id, cluster id) of the article ``values`` (``articles`` columns, without
    ``cluster_id``), clustered as ``choice`` says (None: not clustered) and linked to
    ``values["feed_id"]`` when it is a feed (the "stored directly" source is not)."""
    params = dict(values)
    cluster: str | None = None
    if choice is not None:
        cluster = "found" if choice.target is None else "join"
        keys = choice.fp.keys()
        params |= {
            "cluster": choice.target,
            "headline": headline,
            "minhash": pack(choice.fp.signature),
            "features": choice.fp.features(),
            "keys": list(keys),
            "kinds": list(keys.values()),
        }
    linked = values["feed_id"] is not None
    found = conn.execute(_STATEMENTS[(cluster, linked)], params).one()
    return int(found.id), None if found.cluster_id is None else int(found.cluster_id)
