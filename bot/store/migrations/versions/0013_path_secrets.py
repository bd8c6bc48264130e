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
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from bot.store.sources import settings_box, url_key
    from bot.urls import has_credentials, redact_url

    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, url FROM feeds WHERE secret_url IS NULL")).all()
    todo = [(feed_id, url) for feed_id, url in rows if has_credentials(url)]
    if not todo:
        return
    box: Any = settings_box()
    for feed_id, url in todo:
        bind.execute(
            sa.text(
                "UPDATE feeds SET url = :shown, secret_url = :secret, url_key = :key WHERE id = :id"
            ),
            {
                "shown": redact_url(url),
                "secret": box.encrypt(url.strip()),
                "key": url_key(url, lambda: box),
                "id": feed_id,
            },
        )


def downgrade() -> None:
    pass  # see the module's docstring
