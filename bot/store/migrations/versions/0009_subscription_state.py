"""A channel's digest state: paused when the channel became unreachable, and link previews.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

``paused_at``/``paused_reason``: the platform said the bot cannot reach the channel
(not invited, gone, permissions): its digests wait, not deleted, not retried every
sweep, until a manager's command there or access coming back (``resumed_at``, from
which catch-up starts). ``previews``: ``/digest previews on`` (link unfurls). Frozen
like 0001: plain SQLAlchemy types.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("paused_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("resumed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("previews", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("previews")
        batch.drop_column("resumed_at")
        batch.drop_column("paused_reason")
        batch.drop_column("paused_at")
