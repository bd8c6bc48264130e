"""The Discord adapter's state: the synced command tree's hash, notices already sent.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

One key-value table (``adapters/discord/state.py``): the hash of the slash commands
last synced per application and scope, so that N instances booting together sync
once and not at every start (Discord allows 200 command creates a day per guild),
and when a manager was last told that a digest channel became unreachable.
Frozen like 0001: plain SQLAlchemy types.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "discord_state",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_discord_state"),
    )


def downgrade() -> None:
    op.drop_table("discord_state")
