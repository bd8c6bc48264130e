"""A feed failing for a day is reported once: when it started failing, when it was told.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

``failing_since``: the poll time of the first failure after a success (NULL while the
feed works); ``failure_reported_at``: when the leader told the workspaces reading it
(``bot/feed_alerts.py``), so a feed failing for weeks is reported once, not at every
round. A success clears both, so recovery and a new failure make a new report.
Frozen like 0001: plain SQLAlchemy types.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("failure_reported_at", sa.DateTime(timezone=True), nullable=True)
        )
    # A feed failing already when this runs starts its day now (its first failure's
    # time was not kept): reported a day after the upgrade at the earliest.
    feeds = sa.table(
        "feeds",
        sa.column("consecutive_failures", sa.Integer()),
        sa.column("last_polled", sa.DateTime(timezone=True)),
        sa.column("failing_since", sa.DateTime(timezone=True)),
    )
    op.execute(
        feeds.update()
        .where(feeds.c.consecutive_failures > 0)
        .values(failing_since=sa.func.coalesce(feeds.c.last_polled, sa.func.current_timestamp()))
    )


def downgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("failure_reported_at")
        batch.drop_column("failing_since")
