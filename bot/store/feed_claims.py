"""Claiming due feeds for polling, so that each is fetched by one instance per interval.

A due feed (``next_poll`` passed, no live claim) is claimed by writing the
instance's name and a lease end into its row, a batch at a time. On PostgreSQL
the batch is picked with ``SELECT … FOR UPDATE SKIP LOCKED``: instances claiming at
the same moment skip each other's rows instead of queueing on them. SQLite has one
writer at a time, so the same conditional UPDATE is atomic there as it is. The
poll itself saves the next poll time (at least ``interval`` on), and the claim is
released; a claim whose holder died ends with its lease and the feed is due again
for the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import sessionmaker

from bot.store.schema import Feed, UTCDateTime
from bot.store.sources import POLLED_KINDS


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


class FeedClaims:
    def __init__(self, engine: Engine) -> None:
        self._session = sessionmaker(engine)
        self._pg = engine.dialect.name == "postgresql"

    def _due(self, now: datetime) -> Any:
        return and_(
            Feed.kind.in_(POLLED_KINDS),
            or_(Feed.next_poll.is_(None), Feed.next_poll <= now),
            or_(Feed.lease_until.is_(None), Feed.lease_until <= now),
        )

    def claim(
        self, holder: str, *, now: datetime, lease: timedelta, limit: int, interval: int
    ) -> list[int]:
        """Ids of up to ``limit`` due feeds, now ``holder``'s until ``now + lease``.

        ``interval`` becomes the feeds' poll interval, so that the poll schedules the
        next one at least that far on (NEWSBRIEF_POLL_INTERVAL, whatever it was before).
        """
        pick = (
            select(Feed.id)
            .where(self._due(now))
            .order_by(Feed.next_poll.is_not(None), Feed.next_poll, Feed.id)
            .limit(limit)
        )
        claim = update(Feed).values(
            lease_holder=holder, lease_until=now + lease, poll_interval_s=interval
        )
        with self._session() as s, s.begin():
            if self._pg:
                # Picked and locked first, then claimed: as a subquery of the UPDATE,
                # PostgreSQL may run the SKIP LOCKED pick more than once, past its LIMIT.
                picked = list(s.scalars(pick.with_for_update(skip_locked=True)))
                if not picked:
                    return []
                ids = list(s.scalars(claim.where(Feed.id.in_(picked)).returning(Feed.id)))
            else:  # one writer at a time: the conditional UPDATE is the claim
                where = (Feed.id.in_(pick.scalar_subquery()), self._due(now))
                ids = list(s.scalars(claim.where(*where).returning(Feed.id)))
        return sorted(ids)

    def renew(self, holder: str, ids: Sequence[int], until: datetime) -> int:
        """Extend ``holder``'s claims on ``ids`` (a long poll); how many were still ours."""
        if not ids:
            return 0
        with self._session() as s, s.begin():
            return _rowcount(
                s.execute(
                    update(Feed)
                    .where(Feed.id.in_(list(ids)), Feed.lease_holder == holder)
                    .values(lease_until=until)
                )
            )

    def release(self, holder: str, ids: Sequence[int], *, now: datetime, interval: int) -> None:
        """The polls are done: the claims go, and no feed is due again before ``interval``.

        The poll saved its own next time (longer when the feed asked, or after a
        failure); this only makes sure that nothing, not even a Retry-After of a few
        seconds, brings the next poll closer than the interval.
        """
        if not ids:
            return
        floor = bindparam("floor", now + timedelta(seconds=interval), type_=UTCDateTime())
        with self._session() as s, s.begin():
            s.execute(
                update(Feed)
                .where(Feed.id.in_(list(ids)), Feed.lease_holder == holder)
                .values(
                    lease_holder=None,
                    lease_until=None,
                    next_poll=func.coalesce(_later(Feed.next_poll, floor, self._pg), floor),
                )
            )

    def queue_depth(self, now: datetime) -> int:
        """Feeds due and unclaimed right now (the poll backlog, for /metrics)."""
        with self._session() as s:
            return int(s.scalar(select(func.count()).where(self._due(now))) or 0)


def _later(column: Any, floor: Any, pg: bool) -> Any:
    """The later of a nullable timestamp column and ``floor`` (NULL stays NULL)."""
    return func.greatest(column, floor) if pg else func.max(column, floor)
