"""Migrations to head from an empty database and from the previous release's schema
(revision 0002), with its rows kept, on SQLite and PostgreSQL; then a lease and a feed
claim work on the migrated database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import inspect, text

from bot.store import Store, create_store_engine
from bot.store.feed_claims import FeedClaims
from bot.store.leases import Leases
from bot.store.migrate import alembic_config, current_revision, head_revision, migrate

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_from_empty_to_head(database_url: str) -> None:
    engine = create_store_engine(database_url)
    try:
        done = migrate(engine)
        assert done.before is None and done.after == head_revision()
        tables = set(inspect(engine).get_table_names())
        assert {"leases", "feeds", "articles", "outbox"} <= tables
        columns = {c["name"] for c in inspect(engine).get_columns("feeds")}
        assert {"lease_holder", "lease_until"} <= columns
    finally:
        engine.dispose()


def test_from_the_previous_release_keeps_its_rows(database_url: str) -> None:
    engine = create_store_engine(database_url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0002")
        assert current_revision(engine) == "0002"
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO feeds (url, poll_interval_s, consecutive_failures) "
                    "VALUES ('https://news.example/rss', 900, 0)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO subscriptions (platform, channel_id, schedule, created_at, active)"
                    " VALUES ('slack', 'C1', :s, :t, :a)"
                ),
                {"s": '{"topics": [], "times": ["07:30"]}', "t": NOW, "a": True},
            )
        assert migrate(engine).after == head_revision()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT url FROM feeds")).scalars().all() == [
                "https://news.example/rss"
            ]
            assert conn.execute(text("SELECT channel_id FROM subscriptions")).scalar() == "C1"
    finally:
        engine.dispose()
    with Store.open(database_url) as store:  # what the new release does with the old rows
        assert Leases(store.engine, clock=lambda: NOW).acquire(
            "leader", "me", timedelta(seconds=15)
        )
        claimed = FeedClaims(store.engine).claim(
            "me", now=NOW, lease=timedelta(minutes=2), limit=10, interval=900
        )
        assert len(claimed) == 1
