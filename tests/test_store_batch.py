"""``Store.upsert_articles``: a batch in one transaction, the outcomes of one by one.

Every kind of outcome is in the records below (new stories, copies joining them, a
same-site twin, a URL seen again, a guid learnt later, an edit that moves an article
to another story, a page without an article then with one, a no-article refetch that
must not downgrade). Stored one by one into one fresh database and as batches into
another, they must give the same outcomes and the same rows, ids included.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from bot.store import ArticleRecord, FeedState, Store
from bot.store.sources import OPERATOR, Via
from tests.fixtures.hostile.harness import STORIES
from tests.pgschema import PG_ENV, fresh_schema

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def copy(i: int, story: int = 0, *, site: str = "wire.example", **kw: Any) -> ArticleRecord:
    text_ = STORIES[story].replace(". ", f". Update {i} adds a line. ", 1)
    fields: dict[str, Any] = {
        "url": f"https://{site}/{story}/{i}",
        "title": f"{STORIES[story].split('.')[0][:60]} ({i})",
        "text": text_,
        "site": site,
        "published": NOW - timedelta(minutes=300 - i),
        "analysis": {"summary": [{"text": text_.split(". ")[0], "index": 0}]},
    }
    fields.update(kw)
    return ArticleRecord(**fields)


def records(feed: int) -> list[ArticleRecord]:
    """Every outcome the upsert has, in an order where later items meet earlier ones."""
    first = copy(0, 0, feed_id=feed, guid="a-0")
    out = [
        first,
        copy(1, 0, site="other.example"),  # a copy from another outlet: joins story 0
        copy(2, 1, feed_id=feed, guid="b-2"),  # another story
        copy(3, 2),
        replace(first, url="https://wire.example/print/0", feed_id=None, guid=None),  # twin
        replace(first, feed_id=None, guid=None),  # the same URL again: duplicate
        copy(4, 1, site="third.example"),
        replace(copy(5, 3), guid=None),
        replace(copy(5, 3), feed_id=feed, guid="d-5"),  # known URL, guid learnt now
        # An edit of story 0's first report into story 2's: moves it, both recounted.
        replace(first, title="Volcano erupts", text=STORIES[2]),
        ArticleRecord(url="https://wire.example/empty", title=None, text=None, status="no_article"),
        replace(copy(6, 4), url="https://wire.example/empty"),  # now it holds an article
        ArticleRecord(url="https://wire.example/empty", title=None, text=None, status="no_article"),
        copy(7, 4, site="other.example", feed_id=feed, guid="e-7"),
        replace(copy(8, 5), published=NOW + timedelta(days=2)),  # clamped to now
    ]
    return out + [copy(20 + i, 6, site=f"s{i}.example", feed_id=feed) for i in range(12)]


def state(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    queries = {
        "articles": "SELECT id, canonical_url, guid, feed_id, title, site, published, status,"
        " cluster_id, content_hash FROM articles ORDER BY id",
        "clusters": "SELECT id, headline, first_seen, last_seen, size FROM clusters ORDER BY id",
        "sources": "SELECT article_id, feed_id FROM article_sources ORDER BY 1, 2",
        "keys": "SELECT article_id, key, kind, published FROM article_keys ORDER BY 1, 2",
        "signatures": "SELECT article_id, minhash FROM article_signatures ORDER BY 1",
    }
    with store.engine.connect() as conn:
        return {name: [tuple(r) for r in conn.execute(text(q))] for name, q in queries.items()}


@pytest.fixture
def second_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """Another fresh, empty database of the same kind as ``database_url``."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'second.db'}"
        return
    with fresh_schema() as (url, _engine):
        yield url


def feed_of(store: Store) -> int:
    feed = store.save_feed(FeedState(url="https://wire.example/feed"), Via(owner=OPERATOR)).id
    assert feed is not None
    return feed


@pytest.mark.parametrize("size", [1, 4, 50])
def test_a_batch_stores_what_one_by_one_stores(
    database_url: str, second_url: str, size: int
) -> None:
    with Store.open(database_url) as single, Store.open(second_url) as batched:
        items = records(feed_of(single))
        assert feed_of(batched) == items[0].feed_id
        one_by_one = [single.upsert_article(r, now=NOW) for r in items]
        together = []
        for start in range(0, len(items), size):
            together += batched.upsert_articles(items[start : start + size], now=NOW)
        assert together == one_by_one
        statuses = [o.status for o in one_by_one]
        assert statuses.count("duplicate") == 4 and statuses.count("updated") == 2
        assert len({o.cluster_id for o in one_by_one[-12:]}) == 1  # the copies met
        assert state(batched) == state(single)
        assert batched.counts() == single.counts()


def test_an_empty_batch_stores_nothing(store: Store) -> None:
    assert store.upsert_articles([], now=NOW) == []
    assert store.counts().articles == 0


def test_a_failing_batch_stores_none_of_it(store: Store) -> None:
    """All or nothing: the batch is one transaction."""
    feed = feed_of(store)
    bad = replace(copy(1, 1), feed_id=feed + 99)  # no such source: the link fails
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        store.upsert_articles([copy(0, 0), bad], now=NOW)
    assert store.counts().articles == 0 and store.counts().clusters == 0


def statements(engine: Engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_a_new_article_takes_few_statements(tmp_path: Path) -> None:
    """The write lock, one identity lookup, clustering's reads (postings, then the top
    candidate's group or the candidates' fingerprints) and one write each for the
    cluster, the row, its signature, its keys (one executemany) and its source: 8 to
    found a story, 10 to join one on SQLite. (Before: 218 for these 20, the lookups
    through the ORM; now 198, and a batch takes the write lock once.)"""
    with Store.open(f"sqlite:///{tmp_path / 'nb.db'}") as store:
        feed = feed_of(store)
        seen = statements(store.engine)
        for i in range(20):
            store.upsert_article(copy(i, 0, site=f"s{i}.example", feed_id=feed), now=NOW)
        assert len(seen) <= 8 + 10 * 19, seen[:12]
        seen.clear()
        store.upsert_articles(
            [copy(i, 1, site=f"s{i}.example", feed_id=feed) for i in range(20)], now=NOW
        )
        assert len(seen) <= 1 + 7 + 9 * 19


@pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set")
def test_concurrent_batches_of_one_story_found_one_cluster_on_postgresql() -> None:
    """Two writers storing batches of copies of the same stories at once: the stories'
    locks (every key of a batch, in one ascending pass) keep one cluster per story,
    and the writers never deadlock (each batch takes all its locks in one order)."""
    with fresh_schema() as (url, _engine), Store.open(url) as store:
        barrier = threading.Barrier(4)

        def write(w: int) -> list[int]:
            batch = [
                copy(w * 10 + i, story, site=f"w{w}-{i}.example")
                for story in (0, 1, 2)
                for i in range(3)
            ]
            barrier.wait()
            return [int(o.cluster_id or 0) for o in store.upsert_articles(batch, now=NOW)]

        with ThreadPoolExecutor(4) as pool:
            clusters = list(pool.map(write, range(4)))
        per_story = [{c[k * 3 + i] for c in clusters for i in range(3)} for k in range(3)]
        assert [len(s) for s in per_story] == [1, 1, 1], per_story
        assert store.counts().ok == 36 and store.counts().clusters == 3
