"""Feed URLs with a secret in a parameter that is itself a URL, kept encrypted too.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

``bot.urls.has_credentials`` now also counts a query parameter holding a URL with
credentials: a redirector's ``?to=https://host/feed?token=…``. Such a source was stored
with that token in plain text in ``url``; it gets what 0013 gave secret paths (the same
step: ``bot.store.sources.encrypt_plain_credentials``). Downgrade leaves it so.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from bot.store.sources import encrypt_plain_credentials

    encrypt_plain_credentials(op.get_bind())


def downgrade() -> None:
    pass  # see the module's docstring
