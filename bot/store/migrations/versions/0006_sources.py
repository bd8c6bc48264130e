"""Sources: each feed URL kept once (credentials encrypted), referenced by id; owners.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

``feeds`` gains ``kind``, ``secret_url`` (Fernet ciphertext of a URL with credentials)
and ``url_key`` (its identity, unique); ``url`` becomes the display-safe form.
``articles.feed_url`` and ``fetch_failures.feed_url``, which repeated the full URL
for every row, become ``feed_id``. New: ``feed_owners`` (who reads a source),
``feed_listings`` (the feeds an OPML list names), ``article_sources`` (every source
an article came through) and ``subscriptions.workspace``.

Existing rows: every feed is the operator's (before this, only ``newsbrief ingest``
added sources); a feed URL that articles name but ``feeds`` lacked (the sample, a
local file) becomes a ``local`` source; articles without a feed link to the
operator's "stored directly" source. Keying and redaction are the store's own
functions, not frozen copies: a URL's key must be the one the store computes.

SQLite cannot drop a column that is part of a UNIQUE constraint, so ``articles`` is
rebuilt as a copy. ``foreign_keys`` is on and cannot be switched off inside the
migration's transaction, so dropping the old table runs an implicit ``DELETE`` that
cascades into ``article_signatures`` and ``article_keys``: their rows are kept in
temporary tables and put back. (Renaming the old table away instead does not help:
with foreign keys on, SQLite rewrites the children's references to follow it.) The
FTS5 table keeps its rows: ids are copied, and its triggers are made again.

On SQLite the old plaintext must not linger in the file: ``secure_delete`` is on while
this runs (freed space is zeroed), and ``Store.open`` checkpoints the WAL after any
migration, so the old pages are overwritten and no copy stays in the log. On
PostgreSQL the old row versions are dead tuples, invisible to any query or dump and
reclaimed by (auto)vacuum.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
JSONDoc = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
OPERATOR = "operator"
DIRECT_URL = "urn:newsbrief:stored-directly"

FTS_TRIGGERS = [  # as created by 0001
    """CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
    """CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
    END""",
    """CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, text ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
]
ARTICLE_COLUMNS = (
    "id, canonical_url, url, guid, title, text, author, site, published, fetched_at, "
    "updated_at, content_hash, status, analysis, cluster_id"
)
CHILDREN = {  # the tables whose foreign keys name articles, and their columns
    "article_signatures": "article_id, minhash, features",
    "article_keys": "article_id, key, kind, published",
}
ARTICLE_INDEXES = {
    "ix_articles_published": ["published"],
    "ix_articles_cluster_id": ["cluster_id"],
    "ix_articles_content_hash": ["content_hash"],
}


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _articles_table(name: str, feed_column: sa.Column[Any], *constraints: sa.Constraint) -> None:
    """``articles`` as of 0005, with ``feed_column`` (and its constraints) for the feed."""
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("canonical_url", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("guid", sa.Text(), nullable=True),
        feed_column,
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("site", sa.Text(), nullable=True),
        sa.Column("published", TS, nullable=False),
        sa.Column("fetched_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("analysis", JSONDoc, nullable=True),
        sa.Column("cluster_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["clusters.id"],
            name="fk_articles_cluster_id_clusters",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_articles"),
        sa.UniqueConstraint("canonical_url", name="uq_articles_canonical_url"),
        *constraints,
    )


def _rebuild_sqlite_articles(feed_column: sa.Column[Any], *constraints: sa.Constraint) -> None:
    """Swap ``articles`` for a copy with ``feed_column`` as its feed column (see above).

    The old table must have that column already, filled: the copy carries it over.
    """
    for trigger in ("articles_fts_ai", "articles_fts_ad", "articles_fts_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for index in ARTICLE_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {index}")
    _articles_table("_articles_0006", feed_column, *constraints)
    columns = f"{ARTICLE_COLUMNS}, {feed_column.name}"
    op.execute(f"INSERT INTO _articles_0006 ({columns}) SELECT {columns} FROM articles")
    for table, kept in CHILDREN.items():
        op.execute(f"CREATE TEMP TABLE _kept_{table} AS SELECT {kept} FROM {table}")
    op.execute("DROP TABLE articles")  # cascades into the children: they are put back below
    op.execute("ALTER TABLE _articles_0006 RENAME TO articles")
    for table, kept in CHILDREN.items():
        op.execute(f"INSERT INTO {table} ({kept}) SELECT {kept} FROM _kept_{table}")
        op.execute(f"DROP TABLE _kept_{table}")
    for index, indexed in ARTICLE_INDEXES.items():
        op.create_index(index, "articles", indexed)
    for statement in FTS_TRIGGERS:
        op.execute(statement)


# ---------------------------------------------------------------- upgrade


def upgrade() -> None:
    bind = op.get_bind()
    if _sqlite():  # freed cells and pages are zeroed: the old URLs leave no copy in the file
        secure = bind.exec_driver_sql("PRAGMA secure_delete").scalar()
        op.execute("PRAGMA secure_delete = ON")
    with op.batch_alter_table("feeds") as b:
        b.add_column(sa.Column("kind", sa.String(length=16), nullable=True))
        b.add_column(sa.Column("secret_url", sa.Text(), nullable=True))
        b.add_column(sa.Column("url_key", sa.String(length=80), nullable=True))
        b.drop_constraint("uq_feeds_url", type_="unique")
    ids = _rekey_feeds(bind)
    with op.batch_alter_table("feeds") as b:
        b.alter_column("kind", existing_type=sa.String(length=16), nullable=False)
        b.alter_column("url_key", existing_type=sa.String(length=80), nullable=False)
        b.create_unique_constraint("uq_feeds_url_key", ["url_key"])

    op.create_table(
        "feed_owners",
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("workspace", sa.String(length=200), nullable=False),
        sa.Column("added_by", sa.Text(), nullable=True),
        sa.Column("added_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["feed_id"], ["feeds.id"], name="fk_feed_owners_feed_id_feeds", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("feed_id", "workspace", name="pk_feed_owners"),
    )
    op.create_index("ix_feed_owners_workspace", "feed_owners", ["workspace"])
    op.create_table(
        "feed_listings",
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"], ["feeds.id"], name="fk_feed_listings_list_id_feeds", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["feed_id"], ["feeds.id"], name="fk_feed_listings_feed_id_feeds", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("list_id", "feed_id", name="pk_feed_listings"),
    )
    op.create_index("ix_feed_listings_feed_id", "feed_listings", ["feed_id"])
    now = datetime.now(UTC)
    bind.execute(
        sa.text(
            "INSERT INTO feed_owners (feed_id, workspace, added_at) SELECT id, :op, :now FROM feeds"
        ).bindparams(sa.bindparam("now", type_=TS)),
        {"op": OPERATOR, "now": now},
    )

    _articles_to_feed_ids(bind, ids)
    _failures_to_feed_ids(bind, ids)
    op.add_column("subscriptions", sa.Column("workspace", sa.Text(), nullable=True))
    if _sqlite():
        op.execute(f"PRAGMA secure_delete = {int(secure or 0)}")


def _rekey_feeds(bind: sa.Connection) -> dict[str, int]:
    """Every feed row keyed and redacted; sources for feed URLs only articles named.

    Returns the feed id of every old full URL, for the tables that repeated it.
    """
    from bot.store.sources import settings_box, url_key
    from bot.urls import has_credentials, redact_url

    box_cache: list[Any] = []

    def box() -> Any:
        if not box_cache:
            box_cache.append(settings_box())
        return box_cache[0]

    ids: dict[str, int] = {}
    for feed_id, url in bind.execute(sa.text("SELECT id, url FROM feeds")).all():
        secret = box().encrypt(url.strip()) if has_credentials(url) else None
        bind.execute(
            sa.text(
                "UPDATE feeds SET kind = 'feed', url = :shown, secret_url = :secret, "
                "url_key = :key WHERE id = :id"
            ),
            {"shown": redact_url(url), "secret": secret, "key": url_key(url, box), "id": feed_id},
        )
        ids[url] = feed_id
    named = bind.execute(
        sa.text(
            "SELECT feed_url FROM articles WHERE feed_url IS NOT NULL UNION "
            "SELECT feed_url FROM fetch_failures WHERE feed_url IS NOT NULL"
        )
    ).scalars()
    missing = sorted({u for u in named if u not in ids})
    if bind.execute(sa.text("SELECT 1 FROM articles WHERE feed_url IS NULL LIMIT 1")).first():
        missing.append(DIRECT_URL)
    for url in missing:  # never fetched (the sample, a local file): sources of kind local
        secret = box().encrypt(url.strip()) if has_credentials(url) else None
        title = "Articles stored directly" if url == DIRECT_URL else None
        bind.execute(
            sa.text(
                "INSERT INTO feeds (kind, url, secret_url, url_key, title, poll_interval_s, "
                "consecutive_failures) VALUES ('local', :shown, :secret, :key, :title, 900, 0)"
            ),
            {"shown": redact_url(url), "secret": secret, "key": url_key(url, box), "title": title},
        )
        ids[url] = bind.execute(
            sa.text("SELECT id FROM feeds WHERE url_key = :key"), {"key": url_key(url, box)}
        ).scalar_one()
    return ids


def _articles_to_feed_ids(bind: sa.Connection, ids: dict[str, int]) -> None:
    op.add_column("articles", sa.Column("feed_id", sa.Integer(), nullable=True))
    mapping = [{"id": i, "url": u} for u, i in ids.items() if u != DIRECT_URL]
    if mapping:
        bind.execute(sa.text("UPDATE articles SET feed_id = :id WHERE feed_url = :url"), mapping)
    if _sqlite():
        _rebuild_sqlite_articles(
            sa.Column("feed_id", sa.Integer(), nullable=True),
            sa.UniqueConstraint("feed_id", "guid", name="uq_articles_feed_id_guid"),
            sa.ForeignKeyConstraint(
                ["feed_id"], ["feeds.id"], name="fk_articles_feed_id_feeds", ondelete="SET NULL"
            ),
        )
    else:
        op.drop_constraint("uq_articles_feed_url_guid", "articles", type_="unique")
        op.drop_column("articles", "feed_url")
        op.create_unique_constraint("uq_articles_feed_id_guid", "articles", ["feed_id", "guid"])
        op.create_foreign_key(
            "fk_articles_feed_id_feeds", "articles", "feeds", ["feed_id"], ["id"],
            ondelete="SET NULL",
        )  # fmt: skip
    op.create_table(
        "article_sources",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_article_sources_article_id_articles",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["feed_id"], ["feeds.id"], name="fk_article_sources_feed_id_feeds", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("article_id", "feed_id", name="pk_article_sources"),
    )
    op.create_index("ix_article_sources_feed_id", "article_sources", ["feed_id"])
    bind.execute(
        sa.text(
            "INSERT INTO article_sources (article_id, feed_id) "
            "SELECT id, feed_id FROM articles WHERE feed_id IS NOT NULL"
        )
    )
    if DIRECT_URL in ids:
        bind.execute(
            sa.text(
                "INSERT INTO article_sources (article_id, feed_id) "
                "SELECT id, :direct FROM articles WHERE feed_id IS NULL"
            ),
            {"direct": ids[DIRECT_URL]},
        )


def _failures_to_feed_ids(bind: sa.Connection, ids: dict[str, int]) -> None:
    op.add_column("fetch_failures", sa.Column("feed_id", sa.Integer(), nullable=True))
    mapping = [{"id": i, "url": u} for u, i in ids.items() if u != DIRECT_URL]
    if mapping:
        bind.execute(
            sa.text("UPDATE fetch_failures SET feed_id = :id WHERE feed_url = :url"), mapping
        )
    with op.batch_alter_table("fetch_failures") as b:  # no table refers to it: a copy is safe
        b.drop_column("feed_url")
        b.create_foreign_key(
            "fk_fetch_failures_feed_id_feeds", "feeds", ["feed_id"], ["id"], ondelete="SET NULL"
        )


# ---------------------------------------------------------------- downgrade


def downgrade() -> None:
    """Back to full URLs repeated per row (decrypted: this needs the secret key)."""
    bind = op.get_bind()
    full = _full_urls(bind)
    mapping = [{"id": i, "url": u} for i, u in full.items() if u != DIRECT_URL]
    with op.batch_alter_table("subscriptions") as b:
        b.drop_column("workspace")

    op.add_column("fetch_failures", sa.Column("feed_url", sa.Text(), nullable=True))
    if mapping:
        bind.execute(
            sa.text("UPDATE fetch_failures SET feed_url = :url WHERE feed_id = :id"), mapping
        )
    with op.batch_alter_table("fetch_failures") as b:
        b.drop_constraint("fk_fetch_failures_feed_id_feeds", type_="foreignkey")
        b.drop_column("feed_id")

    op.drop_table("article_sources")
    op.add_column("articles", sa.Column("feed_url", sa.Text(), nullable=True))
    if mapping:
        bind.execute(sa.text("UPDATE articles SET feed_url = :url WHERE feed_id = :id"), mapping)
    unique = sa.UniqueConstraint("feed_url", "guid", name="uq_articles_feed_url_guid")
    if _sqlite():
        _rebuild_sqlite_articles(sa.Column("feed_url", sa.Text(), nullable=True), unique)
    else:
        op.drop_constraint("fk_articles_feed_id_feeds", "articles", type_="foreignkey")
        op.drop_constraint("uq_articles_feed_id_guid", "articles", type_="unique")
        op.drop_column("articles", "feed_id")
        op.create_unique_constraint("uq_articles_feed_url_guid", "articles", ["feed_url", "guid"])

    op.drop_table("feed_listings")
    op.drop_table("feed_owners")
    bind.execute(sa.text("DELETE FROM feeds WHERE kind <> 'feed'"))  # 0005 kept feeds only
    if mapping:
        bind.execute(sa.text("UPDATE feeds SET url = :url WHERE id = :id"), mapping)
    with op.batch_alter_table("feeds") as b:
        b.drop_constraint("uq_feeds_url_key", type_="unique")
        b.drop_column("url_key")
        b.drop_column("secret_url")
        b.drop_column("kind")
        b.create_unique_constraint("uq_feeds_url", ["url"])


def _full_urls(bind: sa.Connection) -> dict[int, str]:
    from bot.store.sources import settings_box

    rows = bind.execute(sa.text("SELECT id, url, secret_url FROM feeds")).all()
    box = settings_box() if any(secret for _, _, secret in rows) else None
    return {
        feed_id: box.decrypt(secret) if secret and box else url for feed_id, url, secret in rows
    }
