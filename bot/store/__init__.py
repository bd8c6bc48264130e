"""The article store: SQLite or PostgreSQL through SQLAlchemy 2, migrated by Alembic.

``Store.open(url)`` migrates to head and gives the ingest side ``upsert_article``
(dedupe by canonical URL and feed guid, story clustering) and the brief side
``search`` / ``recent`` (ranked stories, one per cluster, every source link);
its parts ``store.threads`` (thread memory) and ``store.outbox`` (digest
subscriptions and delivery) share its database.
"""

from bot.models import ArticleStatus
from bot.store.engine import create_store_engine
from bot.store.migrate import migrate
from bot.store.outbox import Claim, OutboxRow, OutboxStatus, SubscriptionRow
from bot.store.records import (
    ArticleRecord,
    FeedState,
    RememberedThread,
    StoreCounts,
    StoredArticle,
    StoredQuote,
    StoryHit,
    StorySource,
    UpsertOutcome,
    UpsertStatus,
    analysis_payload,
)
from bot.store.store import Store
from bot.urls import canonical_url

__all__ = [
    "ArticleRecord",
    "ArticleStatus",
    "Claim",
    "FeedState",
    "OutboxRow",
    "OutboxStatus",
    "RememberedThread",
    "Store",
    "StoreCounts",
    "StoredArticle",
    "StoredQuote",
    "StoryHit",
    "StorySource",
    "SubscriptionRow",
    "UpsertOutcome",
    "UpsertStatus",
    "analysis_payload",
    "canonical_url",
    "create_store_engine",
    "migrate",
]
