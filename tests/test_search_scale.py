"""Brief search reads the span first (issue 14: "brief p95 <= 200 ms at 1M articles").

A brief asks for the last few days; a frequent word matches a large share of the whole
store. The search must read its span through the published index (PostgreSQL: the time
condition is an index condition; SQLite: FTS5 starts at the span's first article id),
so that the cost follows the matches in the span, not in the store; and the span must
still be exact whatever order articles arrived in. Timings live in bench/brief_scale.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert

from bot.store import ArticleRecord, Store
from bot.store.schema import Article, Cluster

NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def record(url: str, title: str, published: datetime) -> ArticleRecord:
    body = f"{title}. The ministry said the volcano near the coast kept erupting for a week."
    return ArticleRecord(
        url=url, title=title, text=body, site=url.split("/")[2], published=published
    )


def test_span_is_exact_whatever_the_arrival_order(store: Store) -> None:
    """Ids follow arrival, not publication: a feed backfilling old articles after new
    ones, or an early article dated later, must neither leak into nor drop out of the span."""
    arrivals = [  # in arrival order, so ids ascend down the list
        ("https://a.example/early-but-recent", "Volcano ash over the coast", NOW - 2 * HOUR),
        ("https://b.example/old", "Volcano quiet for a decade", NOW - 9 * DAY),
        ("https://c.example/fresh", "Volcano erupts again", NOW - HOUR),
        ("https://d.example/backfill", "Volcano records from the archive", NOW - 20 * DAY),
    ]
    for url, title, published in arrivals:
        store.upsert_article(record(url, title, published), now=NOW)
    found = store.search("volcano", since=NOW - 2 * DAY, limit=10, now=NOW)
    assert sorted(h.headline for h in found) == [
        "Volcano ash over the coast",
        "Volcano erupts again",
    ]
    wider = store.search("volcano", since=NOW - 30 * DAY, limit=10, now=NOW)
    assert len(wider) == 4


def seed(store: Store, n: int = 3000, days: int = 60) -> None:
    """``n`` articles over ``days`` in publication order; every one says "minister"."""
    clusters: list[dict[str, Any]] = []
    articles: list[dict[str, Any]] = []
    for i in range(1, n + 1):
        at = NOW - days * DAY + days * DAY * (i / n)
        clusters.append({"id": i, "headline": f"Story {i}", "first_seen": at, "last_seen": at})
        title = f"Minister speaks on budget {i}" if i % 3 else f"Volcano {i} and the minister"
        articles.append(
            {
                "id": i,
                "canonical_url": f"https://s.example/{i}",
                "url": f"https://s.example/{i}",
                "title": title,
                "text": f"{title}. The minister said the plan for year {i} was ready.",
                "published": at,
                "fetched_at": at,
                "updated_at": at,
                "content_hash": f"{i:064x}",
                "status": "ok",
                "cluster_id": i,
            }
        )
    with store.engine.begin() as conn:
        conn.execute(insert(Cluster), [{**c, "size": 1} for c in clusters])
        conn.execute(insert(Article), articles)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE articles")


@pytest.fixture
def executed(store: Store) -> Iterator[list[tuple[str, Any]]]:
    """Every statement the store's engine runs, with its driver parameters."""
    seen: list[tuple[str, Any]] = []

    def spy(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        seen.append((statement, params))

    event.listen(store.engine, "before_cursor_execute", spy)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", spy)


def plan(store: Store, seen: list[tuple[str, Any]]) -> str:
    """The query plan of the ranked search statement, under the settings it ran with."""
    seen = list(seen)  # what the search ran: the EXPLAIN below is recorded too
    ranked = [(sql, p) for sql, p in seen if "ORDER BY score DESC" in sql]
    assert ranked, "no ranked search statement ran"
    sql, params = ranked[0]
    explain = "EXPLAIN QUERY PLAN " if store.dialect == "sqlite" else "EXPLAIN "
    with store.engine.begin() as conn:
        for setting, _ in seen:
            if setting.startswith("SET LOCAL"):
                conn.exec_driver_sql(setting)
        rows = conn.exec_driver_sql(explain + sql, params).all()
    return "\n".join(str(r[-1]) for r in rows)


def test_a_frequent_word_reads_its_span_through_the_published_index(
    store: Store, executed: list[tuple[str, Any]]
) -> None:
    seed(store)
    hits = store.search("minister", since=NOW - 2 * DAY, limit=5, now=NOW)
    assert len(hits) == 5 and all(h.published >= NOW - 2 * DAY for h in hits)
    shown = plan(store, executed)
    assert "ix_articles_published" in shown, shown


def test_a_rare_word_in_the_span_still_comes_first_by_score(store: Store) -> None:
    """Same stories and order as scoring every match: the span only cuts what is read."""
    seed(store)
    recent = store.search("volcano", since=NOW - 2 * DAY, limit=5, now=NOW)
    every = store.search("volcano", since=NOW - 400 * DAY, limit=50, now=NOW)
    in_span = [h.article_id for h in every if h.published >= NOW - 2 * DAY][:5]
    assert [h.article_id for h in recent] == in_span and in_span
