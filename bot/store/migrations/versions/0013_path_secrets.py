"""Feed URLs with a secret in their path kept as other URLs with credentials are.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

``bot.urls.has_credentials`` now also counts the secrets well-known services keep in a
URL's path (a Slack or Discord webhook, a Telegram bot's token). A source stored with
one had it in plain text in ``url``, the URL shown, under a plain hash as its key. It
gets what 0006 gave every URL with credentials: shown redacted, kept whole only in
``secret_url`` (encrypted), keyed by an HMAC, so the store finds it again under the key
it now computes. Rows without such a path are not touched (every row, in a store that
never read one).

Downgrade leaves them so: the code before reads ``secret_url`` whenever it is set.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from bot.store.sources import encrypt_plain_credentials

    encrypt_plain_credentials(op.get_bind())


def downgrade() -> None:
    pass  # see the module's docstring
