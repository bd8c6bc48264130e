"""PostgreSQL's faster upsert paths store exactly what the statement-by-statement ones do.

A new article is written in one statement there (``bot.store.pg_insert``) and the
postings are read through ``unnest`` (``Clustering._postings``); SQLite keeps the
statements one by one and the UNION ALL. Both forms run on PostgreSQL here and must
give the same outcomes, the same rows (ids included) and the same postings.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from bot.store import Store
from bot.store.clustering import CLUSTER_WINDOW, _db_timestamp, _postings_sql
from bot.store.similarity import fingerprint
from tests.pgschema import PG_ENV, fresh_schema
from tests.test_store_batch import NOW, copy, feed_of, records, state

pytestmark = pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set")


def stored(store: Store, size: int) -> list[object]:
    items = records(feed_of(store))
    items += [replace(r, url=r.url + "?direct", feed_id=None, guid=None) for r in items[:3]]
    out: list[object] = []
    for start in range(0, len(items), size):
        out += store.upsert_articles(items[start : start + size], now=NOW)
    return out


@pytest.mark.parametrize("size", [1, 50])
def test_one_statement_stores_what_statement_by_statement_stores(size: int) -> None:
    with (
        fresh_schema() as (one_url, _e1),
        fresh_schema() as (many_url, _e2),
        Store.open(one_url) as one,
        Store.open(many_url) as many,
    ):
        many._writer.one_statement = False  # the SQLite path, on PostgreSQL
        assert stored(one, size) == stored(many, size)
        assert state(one) == state(many)
        assert one.counts() == many.counts()
        assert one.counts().clusters > 1 and one.counts().ok > 20


def test_a_failing_one_statement_insert_stores_nothing() -> None:
    """A constraint failing inside the statement (a feed that is not there) ends the
    batch as the separate INSERT did: nothing of it stays."""
    with fresh_schema() as (url, _engine), Store.open(url) as store:
        feed = feed_of(store)
        with pytest.raises(Exception, match=r"(?i)foreign key"):
            store.upsert_articles([copy(0, 0), replace(copy(1, 1), feed_id=feed + 99)], now=NOW)
        assert store.counts().articles == 0 and store.counts().clusters == 0


def test_postgresql_postings_equal_the_union_all() -> None:
    """``unnest`` + LATERAL reads each key's KEY_SCAN postings either side, as the
    UNION ALL does: the same (article, kind, count) rows for every article's keys,
    around times before, inside and after the stored ones."""
    with fresh_schema() as (url, _engine), Store.open(url) as store:
        feed = feed_of(store)
        items = [copy(i, i % 7, site=f"s{i % 5}.example", feed_id=feed) for i in range(60)]
        store.upsert_articles(items, now=NOW)
        with Session(store.engine) as s:
            dialect = s.connection().dialect
            compared = 0
            for item in items[:20]:
                keys = list(fingerprint(item.title, item.text).keys())
                for shift in (timedelta(0), timedelta(hours=-3), timedelta(days=3)):
                    at = (item.published or NOW) + shift
                    params = {
                        "lo": _db_timestamp(dialect, at - CLUSTER_WINDOW),
                        "at": _db_timestamp(dialect, at),
                        "hi": _db_timestamp(dialect, at + CLUSTER_WINDOW),
                    }
                    union = s.connection().execute(
                        _postings_sql(len(keys)),
                        {**params, **{f"k{i}": k for i, k in enumerate(keys)}},
                    )
                    lateral = store.clusters._postings(s, keys, params)
                    assert sorted(lateral) == sorted(tuple(r) for r in union)
                    compared += bool(lateral)
            assert compared >= 20  # most lookups found postings
