"""Threads (follow-up memory), digest subscriptions and the delivery outbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

Frozen like 0001: plain SQLAlchemy types, not the ``schema.py`` classes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "threads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.Text(), nullable=False),
        sa.Column("thread_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("article_ids", JSONDoc, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_threads"),
        sa.UniqueConstraint(
            "platform", "channel_id", "thread_id", name="uq_threads_platform_channel_id_thread_id"
        ),
    )
    op.create_table(
        "thread_turns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_pk", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", JSONDoc, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["thread_pk"],
            ["threads.id"],
            name="fk_thread_turns_thread_pk_threads",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_thread_turns"),
    )
    op.create_index("ix_thread_turns_thread_pk_id", "thread_turns", ["thread_pk", "id"])
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.Text(), nullable=False),
        sa.Column("channel_name", sa.Text(), nullable=True),
        sa.Column("schedule", JSONDoc, nullable=False),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_subscriptions"),
    )
    op.create_index(
        "ix_subscriptions_platform_channel_id", "subscriptions", ["platform", "channel_id"]
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("slot_key", sa.String(length=32), nullable=False),
        sa.Column("due", TS, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("holder", sa.Text(), nullable=True),
        sa.Column("claimed_at", TS, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("message_ref", sa.Text(), nullable=True),
        sa.Column("completed_at", TS, nullable=True),
        sa.Column("mentioned", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name="fk_outbox_subscription_id_subscriptions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint(
            "subscription_id", "slot_key", name="uq_outbox_subscription_id_slot_key"
        ),
    )
    op.create_index("ix_outbox_status", "outbox", ["status"])


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("subscriptions")
    op.drop_table("thread_turns")
    op.drop_table("threads")
