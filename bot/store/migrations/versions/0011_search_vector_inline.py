"""PostgreSQL: the full-text vector kept inline, so a brief can read its span first.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

A brief reads the articles of its span (the last days) through the published index and
tests each against ``search``. Stored out of line (TOAST, the default for a value of a
few kilobytes), each test costs a TOAST index probe and two chunk reads: 14,000 articles
in 48 h took 440-680 ms, against 80-120 ms with the vector compressed in the row
(``STORAGE MAIN``: compressed first, moved out of line only if the row cannot fit a
page). Applies to rows written from now on, which are the ones a brief reads; older rows
keep their storage until rewritten. SQLite: nothing to do (FTS5).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE articles ALTER COLUMN search SET STORAGE MAIN")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE articles ALTER COLUMN search SET STORAGE EXTENDED")
