"""PostgreSQL: the lead vector kept inline too, so ranking a brief's span reads no TOAST.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

A brief ranks every match of its span with ``ts_rank(search_lead, …)``. Left EXTENDED,
``search_lead`` is the column the toaster moves out of line (``search`` is MAIN since
0011 and stays), so each match cost a TOAST index probe and a chunk read: a frequent
word over 48 h touched 44,000 buffers for 14,000 articles, 28,000 inline. Like 0011,
this applies to rows written from now on, the ones a brief's span holds; older rows
keep their storage until rewritten. SQLite: nothing to do (FTS5).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE articles ALTER COLUMN search_lead SET STORAGE MAIN")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE articles ALTER COLUMN search_lead SET STORAGE EXTENDED")
