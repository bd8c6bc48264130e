"""Delivery keys: each Slack command (trigger_id) and message handled once across instances.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

One row per key (``bot/store/ledger.py``); the primary key is the lock, so of two
instances that receive the same re-delivered event exactly one inserts it. Frozen
like 0001: plain SQLAlchemy types.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "delivery_keys",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_delivery_keys"),
    )
    op.create_index("ix_delivery_keys_created_at", "delivery_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_delivery_keys_created_at", table_name="delivery_keys")
    op.drop_table("delivery_keys")
