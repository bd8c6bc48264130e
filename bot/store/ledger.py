"""Deliveries handled once across instances: a unique row per key (``delivery_keys``).

Slack re-delivers an event whose ack was late up to 3 times (``X-Slack-Retry-Num``),
and with several instances the retry can reach another one; an in-memory set only
covers one process. ``DeliveryKeys.first`` inserts the key and says whether this
call was the one that did. It is the ``DeliveryLedger`` the Slack adapter takes
(``async first(key) -> bool``), without this package knowing about Slack. Keys are
kept a day (``KEEP``), far longer than Slack retries, and pruned by retention.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.store.schema import DeliveryKey

KEEP = timedelta(days=1)
MAX_KEY = 200  # the column's length; a longer key is kept as its digest

Clock = Callable[[], datetime]


def _key(key: str) -> str:
    if len(key) <= MAX_KEY:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class DeliveryKeys:
    """A part of ``Store`` (``store.deliveries``), sharing its session factory."""

    def __init__(self, session: sessionmaker[Session], clock: Clock | None = None) -> None:
        self._session = session
        self.clock: Clock = clock or (lambda: datetime.now(UTC))

    def claim(self, key: str, now: datetime | None = None) -> bool:
        """True for the first caller with ``key`` (across every process on this database)."""
        try:
            with self._session() as s, s.begin():
                s.add(DeliveryKey(key=_key(key), created_at=now or self.clock()))
        except IntegrityError:
            return False
        return True

    async def first(self, key: str) -> bool:
        """``claim`` off the event loop: the Slack adapter's ``DeliveryLedger``."""
        return await asyncio.to_thread(self.claim, key)

    def seen(self, key: str) -> bool:
        with self._session() as s:
            return s.scalar(select(DeliveryKey.key).where(DeliveryKey.key == _key(key))) is not None


def prune_batch(s: Session, cutoff: datetime, batch: int) -> tuple[int, int]:
    """One retention batch: keys older than ``cutoff`` (rows removed, rows picked)."""
    keys = list(
        s.scalars(select(DeliveryKey.key).where(DeliveryKey.created_at < cutoff).limit(batch))
    )
    if not keys:
        return 0, 0
    gone = cast(CursorResult[Any], s.execute(delete(DeliveryKey).where(DeliveryKey.key.in_(keys))))
    return int(gone.rowcount), len(keys)
