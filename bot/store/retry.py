"""A write the database refused for being busy is tried again, never dropped.

SQLite says "database is locked" when a writer waited past ``busy_timeout`` for
another (one ingest runs several writer threads); PostgreSQL aborts a transaction
on a serialization failure or a deadlock and expects the client to run it again.
Either way the whole transaction is repeated, a bounded number of times with a
growing, jittered pause, and if the database is still busy after that the caller
gets a clear ``StoreBusyError`` (its item is reported as failed, not lost silently
with a traceback).

Hand-written rather than tenacity: that would be a dependency for a dozen lines,
and the part that matters (which errors are "busy") is ours either way.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

from bot.errors import NewsbriefError

log = logging.getLogger(__name__)

T = TypeVar("T")

# serialization_failure, deadlock_detected, lock_not_available
BUSY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
ATTEMPTS = 8
BASE_DELAY_S = 0.05
MAX_DELAY_S = 2.0  # 8 attempts sleep at most ~7 s in all, on top of SQLite's busy_timeout


class StoreBusyError(NewsbriefError):
    """The database stayed busy through every retry."""


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` means "busy, try again" rather than a real error."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if isinstance(orig, sqlite3.OperationalError):
        message = str(orig).lower()
        return "locked" in message or "busy" in message
    return getattr(orig, "sqlstate", None) in BUSY_SQLSTATES


def _pause(seconds: float) -> None:
    time.sleep(seconds)  # a worker thread's, between two tries of a transaction


def retry_busy(
    work: Callable[[], T],
    what: str,
    *,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] | None = None,
) -> T:
    """``work()`` (one whole transaction), again while the database is busy."""
    for attempt in range(attempts):
        try:
            return work()
        except DBAPIError as exc:
            if not is_busy(exc):
                raise
            if attempt == attempts - 1:
                raise StoreBusyError(
                    f"the database stayed busy through {attempts} tries of {what}: "
                    "nothing of it was stored"
                ) from exc
            delay = min(MAX_DELAY_S, BASE_DELAY_S * 2**attempt) * random.uniform(0.5, 1.0)
            log.info("database busy during %s (try %d): again in %.2f s", what, attempt + 1, delay)
            (sleep or _pause)(delay)
    raise AssertionError("unreachable")
