"""Tables of the store, as typed SQLAlchemy 2 ORM classes.

The full-text index is not declared here because it differs per database: an FTS5
table with triggers on SQLite, a generated ``tsvector`` column with a GIN index on
PostgreSQL. Both are created by the migrations (``bot/store/migrations``), which are
the source of truth for the layout; a test checks that these classes and the
migrated database agree. New tables go in new classes here plus one new revision.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, whatever the database keeps.

    SQLite has no time zones, so values are stored there as naive UTC text (which
    also sorts and compares correctly); a naive value given to us is taken as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JSONDoc(TypeDecorator[Any]):
    """JSON, stored as JSONB on PostgreSQL (``JSON().with_variant(JSONB(), ...)`` would
    import the PostgreSQL dialect, 36 ms of every command's start, on SQLite too)."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONDoc()}  # noqa: RUF012


class Feed(Base):
    """A source: a feed, an OPML list, a page, or a file the operator read (``kind``).

    Its URL is kept once. ``url`` is the form that may be shown (no userinfo, secret
    query parameters redacted); ``secret_url`` is the Fernet ciphertext of the full URL,
    only when it had credentials (NULL otherwise); ``url_key`` identifies the full URL:
    a SHA-256 of a URL without secrets, a keyed HMAC of one with them, so that a short
    token cannot be recovered by hashing guesses. Who reads it: ``FeedOwner`` rows and,
    for a feed an OPML list names, ``FeedListing``. Migration 0006.
    """

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="feed")  # feed|opml|page|local
    url: Mapped[str] = mapped_column(Text)
    secret_url: Mapped[str | None] = mapped_column(Text)
    url_key: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_polled: Mapped[datetime | None]
    next_poll: Mapped[datetime | None] = mapped_column(index=True)
    poll_interval_s: Mapped[int] = mapped_column(Integer, default=900)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_status: Mapped[int | None] = mapped_column(Integer)
    # Migration 0007 (bot/store/feed_claims.py): the instance polling it now, and until when.
    lease_holder: Mapped[str | None] = mapped_column(Text)
    lease_until: Mapped[datetime | None]
    # Migration 0010 (bot/feed_alerts.py): failing since this poll, and when that was
    # reported to the workspaces reading it (once per run of failures).
    failing_since: Mapped[datetime | None]
    failure_reported_at: Mapped[datetime | None]


class FeedOwner(Base):
    """Who reads a source: a workspace (``slack:T…``, ``discord:…``) or the operator.

    The operator's sources (``OPERATOR``) are shared by every workspace; a workspace's
    own are seen only by it.
    """

    __tablename__ = "feed_owners"
    __table_args__ = (Index(None, "workspace"),)

    feed_id: Mapped[int] = mapped_column(
        ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True
    )
    workspace: Mapped[str] = mapped_column(String(200), primary_key=True)
    added_by: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[datetime]


class FeedListing(Base):
    """A feed named by an OPML list: read by whoever reads the list."""

    __tablename__ = "feed_listings"
    __table_args__ = (Index(None, "feed_id"),)

    list_id: Mapped[int] = mapped_column(
        ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True
    )
    feed_id: Mapped[int] = mapped_column(
        ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True
    )


class Cluster(Base):
    """A story: the articles of several outlets (or one) about the same event."""

    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    headline: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime]  # earliest published member
    last_seen: Mapped[datetime] = mapped_column(index=True)  # latest published member
    size: Mapped[int] = mapped_column(Integer, default=1)


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (
        UniqueConstraint("feed_id", "guid"),  # NULL guids never collide
        Index(None, "published"),
        Index(None, "cluster_id"),
        Index(None, "content_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    canonical_url: Mapped[str] = mapped_column(Text, unique=True)
    url: Mapped[str] = mapped_column(Text)  # as first seen, for links
    guid: Mapped[str | None] = mapped_column(Text)
    # The feed whose guid identifies the article; ``ArticleSource`` says every feed it
    # came through, which is what decides who may see it.
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="SET NULL"))
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    site: Mapped[str | None] = mapped_column(Text)
    published: Mapped[datetime]  # UTC; the fetch time when the feed gave none
    fetched_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="ok")  # "ok" | "no_article"
    analysis: Mapped[dict[str, Any] | None]
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id", ondelete="SET NULL"))


class ArticleSource(Base):
    """An article arrived through this source; one row per source it came through."""

    __tablename__ = "article_sources"
    __table_args__ = (Index(None, "feed_id"),)

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    feed_id: Mapped[int] = mapped_column(
        ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True
    )


class ArticleSignature(Base):
    """What clustering compares: a MinHash of the lead, title terms and entities."""

    __tablename__ = "article_signatures"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    minhash: Mapped[bytes] = mapped_column(LargeBinary)
    features: Mapped[dict[str, Any]]  # {"title": [...], "entities": [...], "lead": [...]}


class ArticleKey(Base):
    """Candidate lookup for clustering: LSH band keys, title terms and entities.

    ``published`` is copied here so that the lookup is one index range scan on
    ``(key, published)`` within the clustering window.
    """

    __tablename__ = "article_keys"
    __table_args__ = (Index(None, "key", "published"),)

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[int] = mapped_column(SmallInteger)  # KEY_BAND, KEY_TITLE, KEY_ENTITY
    published: Mapped[datetime]


class FetchFailure(Base):
    """A URL that could not be fetched; recorded so it is not retried every poll."""

    __tablename__ = "fetch_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    canonical_url: Mapped[str] = mapped_column(Text, unique=True)
    url: Mapped[str] = mapped_column(Text)
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text)
    first_failed: Mapped[datetime]
    last_failed: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=1)


class Thread(Base):
    """A post the bot made (brief or digest) and the articles it covered.

    Follow-up questions in its thread are answered from these articles; the
    platform's thread reference is opaque here (Slack ts, Discord thread id).
    """

    __tablename__ = "threads"
    __table_args__ = (UniqueConstraint("platform", "channel_id", "thread_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(Text)
    thread_id: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))  # "brief" | "digest"
    title: Mapped[str | None] = mapped_column(Text)
    article_ids: Mapped[dict[str, Any]]  # {"ids": [...]}
    created_at: Mapped[datetime]


class ThreadTurn(Base):
    """One question asked in a thread and the answer given, for follow-ups."""

    __tablename__ = "thread_turns"
    __table_args__ = (Index(None, "thread_pk", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_pk: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class Subscription(Base):
    """A channel's digest schedule: the source of truth the scheduler is derived from."""

    __tablename__ = "subscriptions"
    __table_args__ = (Index(None, "platform", "channel_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(Text)
    channel_name: Mapped[str | None] = mapped_column(Text)
    # The Slack team / Discord guild of the channel (``ChannelRef.workspace``): a digest
    # reads that workspace's sources and the operator's (migration 0006).
    workspace: Mapped[str | None] = mapped_column(Text)
    schedule: Mapped[dict[str, Any]]  # topics, times, days, tz, max_stories, skip_empty
    created_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Migration 0009: paused while the platform says the channel is unreachable (the
    # reason is what it said), resumed by a manager's command or access coming back;
    # catch-up after a pause starts at ``resumed_at``. ``previews``: link unfurls on.
    paused_at: Mapped[datetime | None]
    paused_reason: Mapped[str | None] = mapped_column(Text)
    resumed_at: Mapped[datetime | None]
    previews: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class OutboxEntry(Base):
    """One digest slot of one subscription: written before posting, completed after.

    The unique (subscription, slot) pair is what makes delivery exactly-once; a
    pending row is a lease held by ``holder`` until ``claimed_at`` + the lease time.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("subscription_id", "slot_key"),
        Index(None, "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    slot_key: Mapped[str] = mapped_column(String(32))  # local "2026-11-27T07:30"
    due: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))  # pending | sent | skipped | missed
    holder: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    message_ref: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None]
    mentioned: Mapped[bool] = mapped_column(Boolean, default=False)


# ---------------------------------------------------------------- Slack installations
# slack-sdk's SQLAlchemy installation and OAuth state stores (adapters/slack/oauth.py)
# read and write these three tables through Table objects of their own, with the
# same names and columns. They are declared here and created by migration 0004, so
# that no instance runs DDL at run time. Token columns are Text, not slack-sdk's
# String(200): they hold Fernet ciphertext (bot.crypto), never a usable token.


class SlackInstallation(Base):
    __tablename__ = "slack_installations"
    __table_args__ = (
        Index(
            "slack_installations_idx",
            "client_id",
            "enterprise_id",
            "team_id",
            "user_id",
            "installed_at",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(32))
    app_id: Mapped[str] = mapped_column(String(32))
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    enterprise_name: Mapped[str | None] = mapped_column(String(200))
    enterprise_url: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(String(32))
    team_name: Mapped[str | None] = mapped_column(String(200))
    bot_token: Mapped[str | None] = mapped_column(Text)
    bot_id: Mapped[str | None] = mapped_column(String(32))
    bot_user_id: Mapped[str | None] = mapped_column(String(32))
    bot_scopes: Mapped[str | None] = mapped_column(String(1000))
    bot_refresh_token: Mapped[str | None] = mapped_column(Text)
    bot_token_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    user_id: Mapped[str] = mapped_column(String(32))
    user_token: Mapped[str | None] = mapped_column(Text)
    user_scopes: Mapped[str | None] = mapped_column(String(1000))
    user_refresh_token: Mapped[str | None] = mapped_column(Text)
    user_token_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    incoming_webhook_url: Mapped[str | None] = mapped_column(Text)
    incoming_webhook_channel: Mapped[str | None] = mapped_column(String(200))
    incoming_webhook_channel_id: Mapped[str | None] = mapped_column(String(200))
    incoming_webhook_configuration_url: Mapped[str | None] = mapped_column(String(200))
    is_enterprise_install: Mapped[bool] = mapped_column(Boolean, default=False)
    token_type: Mapped[str | None] = mapped_column(String(32))
    installed_at: Mapped[datetime] = mapped_column(DateTime)


class SlackBot(Base):
    __tablename__ = "slack_bots"
    __table_args__ = (
        Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(32))
    app_id: Mapped[str] = mapped_column(String(32))
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    enterprise_name: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(String(32))
    team_name: Mapped[str | None] = mapped_column(String(200))
    bot_token: Mapped[str | None] = mapped_column(Text)
    bot_id: Mapped[str | None] = mapped_column(String(32))
    bot_user_id: Mapped[str | None] = mapped_column(String(32))
    bot_scopes: Mapped[str | None] = mapped_column(String(1000))
    bot_refresh_token: Mapped[str | None] = mapped_column(Text)
    bot_token_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    is_enterprise_install: Mapped[bool] = mapped_column(Boolean, default=False)
    installed_at: Mapped[datetime] = mapped_column(DateTime)


class SlackOAuthState(Base):
    __tablename__ = "slack_oauth_states"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(200))
    expire_at: Mapped[datetime] = mapped_column(DateTime)


# ---------------------------------------------------------------- Discord adapter state
# Migration 0005. Read and written only by adapters/discord/state.py.


class DiscordState(Base):
    """Small facts the Discord adapter keeps: the synced command tree's hash, notices sent."""

    __tablename__ = "discord_state"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


# ---------------------------------------------------------------- leases (operations)
# Migration 0007. Read and written only by bot/store/leases.py.


class LeaseRow(Base):
    """A named lease: who holds it, until when, and its epoch (the fencing token).

    The epoch grows by one at every change of holder (and after any lapse), so a
    write checked against the epoch it was started under fails once the lease has
    moved on, however late the old holder wakes up.
    """

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str] = mapped_column(Text)
    epoch: Mapped[int] = mapped_column(BigInteger)
    acquired_at: Mapped[datetime]
    expires_at: Mapped[datetime]


# ---------------------------------------------------------------- delivery ledger (Slack)
# Migration 0008. Read and written only by bot/store/ledger.py.


class DeliveryKey(Base):
    """A delivery handled once (a Slack command's trigger_id, a message): the unique row.

    Slack re-delivers an event whose ack was late, possibly to another instance; the
    first instance to insert the key handles it. Rows go after a day (retention).
    """

    __tablename__ = "delivery_keys"
    __table_args__ = (Index(None, "created_at"),)

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[datetime]
