"""A workspace's brief reads its span first too (issue 14), whatever parallel plans cost.

Under a workspace's scope (a semi-join on article_sources) the planner costed a parallel
plan that ANDs the GIN bitmap of every match in the store with the span's, and took it:
at 1M articles "government" read 184,000 entries, 277 ms against 35 ms serial. Here
parallel plans are made free, so the planner would take one wherever it is allowed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, literal, select

from bot.store import FeedState, Store
from bot.store.schema import Article, ArticleSource
from bot.store.sources import OPERATOR, Via
from tests.conftest import _backends
from tests.test_search_scale import DAY, NOW, executed, plan, seed

__all__ = ["executed"]  # the fixture, used below by name

FREE_PARALLEL = (
    "SET parallel_setup_cost = 0",
    "SET parallel_tuple_cost = 0",
    "SET min_parallel_table_scan_size = 0",
    "SET min_parallel_index_scan_size = 0",
)


# PostgreSQL's planner only (SQLite has no parallel plans): not generated for SQLite.
@pytest.mark.parametrize(
    "database_url", [b for b in _backends() if b == "postgresql"], indirect=True
)
def test_a_workspace_s_frequent_word_reads_its_span_without_workers(
    store: Store, executed: list[tuple[str, Any]]
) -> None:

    def free(dbapi: Any, _record: Any) -> None:
        with dbapi.cursor() as cur:
            for setting in FREE_PARALLEL:
                cur.execute(setting)

    store.engine.dispose()  # new connections only, each with the settings
    event.listen(store.engine, "connect", free)
    seed(store)
    feed = store.save_feed(FeedState(url="https://s.example/feed"), Via(owner=OPERATOR))
    with store.engine.begin() as conn:  # every seeded article from an operator's source
        conn.execute(
            insert(ArticleSource).from_select(
                ["article_id", "feed_id"], select(Article.id, literal(feed.id))
            )
        )
    hits = store.search("minister", since=NOW - 2 * DAY, limit=5, now=NOW, workspace="slack:T0PLAN")
    assert len(hits) == 5 and all(h.published >= NOW - timedelta(days=2) for h in hits)
    shown = plan(store, executed)
    assert "Gather" not in shown and "ix_articles_published" in shown, shown
