"""Migration 0012 on a populated store: ``search_lead`` inline (STORAGE MAIN) on PostgreSQL.

A brief ranks each match of its span by ``ts_rank(search_lead, …)``; out of line, every
match costs a TOAST probe (issue 14). The upgrade must keep the rows and what a search
finds, in the same order, on both databases; SQLite (FTS5) has nothing to change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import text

from bot.store import ArticleRecord, Store, create_store_engine
from bot.store.migrate import alembic_config, current_revision, head_revision

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
ARTICLES = [  # (title, text, hours old)
    ("Volcano erupts near the coast", "The volcano erupted at dawn, the ministry said.", 2),
    ("Harbour reopens", "Ash from the volcano had closed the harbour for a week.", 5),
    ("Budget vote delayed", "The minister said the vote would wait for the volcano.", 30),
    ("Old volcano report", "The volcano was quiet for a decade.", 24 * 20),
]


def storage(database_url: str) -> dict[str, str]:
    """attstorage of the two vectors (PostgreSQL)."""
    engine = create_store_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT attname, attstorage FROM pg_attribute WHERE attrelid = "
                    "'articles'::regclass AND attname IN ('search', 'search_lead')"
                )
            )
            return {str(name): str(kind) for name, kind in rows}
    finally:
        engine.dispose()


def test_an_existing_store_upgrades_and_finds_the_same_stories(database_url: str) -> None:
    engine = create_store_engine(database_url)
    sqlite = engine.dialect.name == "sqlite"
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0011")
            for i, (title, body, hours) in enumerate(ARTICLES, start=1):
                at = NOW - timedelta(hours=hours)
                ts = at.replace(tzinfo=None) if sqlite else at
                cluster = conn.execute(
                    text(
                        "INSERT INTO clusters (headline, first_seen, last_seen, size) "
                        "VALUES (:h, :t, :t, 1) RETURNING id"
                    ),
                    {"h": title, "t": ts},
                ).scalar_one()
                conn.execute(
                    text(
                        "INSERT INTO articles (canonical_url, url, title, text, published, "
                        "fetched_at, updated_at, content_hash, status, cluster_id) VALUES "
                        "(:u, :u, :title, :body, :t, :t, :t, :h, 'ok', :c)"
                    ),
                    {"u": f"https://a.example/{i}", "title": title, "body": body,
                     "t": ts, "h": f"{i:064x}", "c": cluster},
                )  # fmt: skip
        assert current_revision(engine) == "0011"
    finally:
        engine.dispose()
    if not sqlite:
        assert storage(database_url) == {"search": "m", "search_lead": "x"}

    with Store.open(database_url) as store:
        assert current_revision(store.engine) == head_revision()
        found = store.search("volcano", since=NOW - timedelta(days=2), limit=5, now=NOW)
        assert [h.headline for h in found] == [
            "Volcano erupts near the coast",
            "Harbour reopens",
            "Budget vote delayed",
        ]
        store.upsert_article(
            ArticleRecord(
                url="https://b.example/glacier",
                title="Glacier retreat measured",
                text="Surveyors said the glacier lost forty metres this year.",
                site="b.example",
                published=NOW - timedelta(hours=1),
            ),
            now=NOW,
        )  # a row written after the upgrade: inline on PostgreSQL
        new = store.search("glacier", since=NOW - timedelta(days=2), limit=5, now=NOW)
        assert [h.headline for h in new] == ["Glacier retreat measured"]
        again = store.search("volcano", since=NOW - timedelta(days=2), limit=5, now=NOW)
        assert [h.article_id for h in again] == [h.article_id for h in found]
    if not sqlite:
        assert storage(database_url) == {"search": "m", "search_lead": "m"}
