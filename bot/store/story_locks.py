"""Locking one story, not every upsert, while it is clustered (PostgreSQL).

Clustering reads, then writes: two concurrent inserts of copies of one story, each
not yet seeing the other, would each found a cluster. A single advisory lock around
every upsert prevented that by serialising all ingest, across every instance. Two
articles can only ever meet as clustering candidates through a shared lookup key
(an LSH band, a title term, a name: ``Fingerprint.keys``), so it is enough to lock
those keys: each upsert takes a transaction-level advisory lock on every key of
the article it stores, in ascending order (no deadlock between two upserts), before
it reads anything. Copies of one story share keys and queue; unrelated stories
share none and proceed side by side. The keys are folded to 32 bits in their own
lock space (``pg_advisory_xact_lock(int, int)``); a collision only makes two
unrelated upserts wait for each other. SQLite has one writer at a time: nothing to do.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ARRAY, INTEGER, bindparam, text
from sqlalchemy.orm import Session

from bot.store.similarity import fingerprint

STORY_LOCK_SPACE = 0x6E62  # "nb": the first key of every story lock (pg_locks' classid)

_LOCK = text(
    "SELECT count(pg_advisory_xact_lock(:space, k)) FROM "
    "(SELECT k FROM unnest(:keys) AS k ORDER BY k) AS ordered"
).bindparams(bindparam("keys", type_=ARRAY(INTEGER)))


def fold(key: int) -> int:
    """A 64-bit lookup key as a signed 32-bit lock key."""
    folded = (key ^ (key >> 32)) & 0xFFFFFFFF
    return folded - (1 << 32) if folded >= 1 << 31 else folded


def story_lock_keys(title: str | None, text_: str | None) -> list[int]:
    if not text_:
        return []  # not clustered (a page that held no article)
    lookup = fingerprint(title, text_).keys()  # key -> kind
    return sorted({fold(k) for k in lookup})


def lock_story(s: Session, title: str | None, text_: str | None) -> None:
    """Hold, until the transaction ends, the locks of this story's lookup keys."""
    lock_stories(s, [(title, text_)])


def lock_stories(s: Session, stories: Iterable[tuple[str | None, str | None]]) -> None:
    """``lock_story`` for several (title, text) at once, stored in one transaction: every
    key of them all taken in one ascending pass, so batches never deadlock each other."""
    if s.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({k for title, text_ in stories for k in story_lock_keys(title, text_)})
    if keys:
        s.execute(_LOCK, {"space": STORY_LOCK_SPACE, "keys": keys})
