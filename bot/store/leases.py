"""Named leases with an epoch: one holder at a time, for a while, fenced.

A lease row (``leases``: name, holder, epoch, acquired_at, expires_at) gives one
instance a duty for ``ttl`` seconds: the leader's (retention, housekeeping), later
each Discord gateway shard's (``discord-shard:N``, one keeper per shard). The holder
renews it before it runs out; when it does not (crashed, frozen, cut off), anyone
may take it over after ``expires_at``, and the epoch goes up by one. Every write
that only the holder may make is *fenced*: it first checks, in its own transaction,
that the lease still has this holder, this epoch and time left (``fence``). That
check locks the lease row (PostgreSQL) or the database (SQLite) until the write
commits, so a takeover cannot slip in between check and write; and a holder that
wakes from a freeze finds its epoch gone and writes nothing.

Why plain SQL rather than a library: procrastinate and pgqueuer are job queues on
PostgreSQL (LISTEN/NOTIFY, a worker model, their own schema and migrations). Both
would give "run this job once"; neither offers a held, renewed role with an epoch
for fencing, nor a shard that one process keeps for hours; and both are
PostgreSQL-only, while the same leases must work on the embedded SQLite store. The
whole mechanism is four statements (insert, conditional takeover, renew, fence),
the same on both databases, as the digest outbox's claims already are. A session
advisory lock alone is not enough either: a frozen (SIGSTOP) holder keeps it
indefinitely, and it breaks behind PgBouncer's transaction pooling.

Time is the caller's clock (UTC), as for the outbox: instances' clocks must agree
to well within a TTL (NTP does). A skewed clock moves *when* a takeover happens,
never makes two holders write: fencing is by epoch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, case, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import NewsbriefError
from bot.store.schema import LeaseRow

Clock = Callable[[], datetime]
# A takeover never waits on a lease row that a stuck transaction holds: it gives up
# and tries again at its next round (PostgreSQL; SQLite has its busy timeout).
LOCK_TIMEOUT_MS = 2000
# A frozen holder's fenced transaction would keep the lease row locked: the server
# ends a session idle in such a transaction after this long, and with it the lock.
IDLE_IN_FENCED_TX_MS = 5000


class LeaseLostError(NewsbriefError):
    """The lease has another holder or epoch now, or ran out: the write was not made."""


@dataclass(frozen=True, slots=True)
class Lease:
    name: str
    holder: str
    epoch: int
    expires_at: datetime


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Leases:
    """The lease table of one database. Synchronous, like the store: call it in a thread."""

    def __init__(self, engine: Engine, *, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self._session = sessionmaker(engine)
        self._pg = engine.dialect.name == "postgresql"

    def _bounded(self, s: Session) -> None:
        if self._pg:
            s.execute(text(f"SET LOCAL lock_timeout = {LOCK_TIMEOUT_MS}"))

    def acquire(self, name: str, holder: str, ttl: timedelta) -> Lease | None:
        """The lease, if it was free, ran out, or is already ``holder``'s; else None.

        Taking it over (or taking back one that lapsed) starts a new epoch.
        """
        now = self.clock()
        try:
            with self._session() as s, s.begin():
                s.add(LeaseRow(name=name, holder=holder, epoch=1, acquired_at=now,
                               expires_at=now + ttl))  # fmt: skip
            return Lease(name, holder, 1, now + ttl)
        except IntegrityError:
            pass
        try:
            with self._session() as s, s.begin():
                self._bounded(s)
                epoch = s.scalar(
                    update(LeaseRow)
                    .where(
                        LeaseRow.name == name,
                        (LeaseRow.expires_at <= now) | (LeaseRow.holder == holder),
                    )
                    .values(
                        # Ours and still running: the same epoch. Any lapse: a new one.
                        epoch=case(
                            (LeaseRow.expires_at <= now, LeaseRow.epoch + 1), else_=LeaseRow.epoch
                        ),
                        holder=holder,
                        acquired_at=case(
                            (LeaseRow.expires_at <= now, now), else_=LeaseRow.acquired_at
                        ),
                        expires_at=now + ttl,
                    )
                    .returning(LeaseRow.epoch)
                )
        except OperationalError:  # lock_timeout: a stuck transaction holds the row
            return None
        return None if epoch is None else Lease(name, holder, int(epoch), now + ttl)

    def renew(self, lease: Lease, ttl: timedelta) -> Lease | None:
        """The lease for another ``ttl``, only while it is still ours and has time left."""
        now = self.clock()
        try:
            with self._session() as s, s.begin():
                self._bounded(s)
                n = _rowcount(
                    s.execute(
                        update(LeaseRow).where(*self._ours(lease, now)).values(expires_at=now + ttl)
                    )
                )
        except OperationalError:
            return None
        return Lease(lease.name, lease.holder, lease.epoch, now + ttl) if n else None

    def release(self, lease: Lease) -> bool:
        """Give it up now (a clean stop), so another instance need not wait for the TTL."""
        now = self.clock()
        with self._session() as s, s.begin():
            n = _rowcount(
                s.execute(
                    update(LeaseRow)
                    .where(
                        LeaseRow.name == lease.name,
                        LeaseRow.holder == lease.holder,
                        LeaseRow.epoch == lease.epoch,
                    )
                    .values(expires_at=now)
                )
            )
        return bool(n)

    def get(self, name: str) -> Lease | None:
        """Who holds ``name`` (expired or not): for metrics, doctor and tests."""
        with self._session() as s:
            row = s.get(LeaseRow, name)
            if row is None:
                return None
            return Lease(row.name, row.holder, row.epoch, _utc(row.expires_at))

    def all(self, prefix: str = "") -> list[Lease]:
        with self._session() as s:
            rows = s.scalars(
                select(LeaseRow).where(LeaseRow.name.startswith(prefix)).order_by(LeaseRow.name)
            )
            return [Lease(r.name, r.holder, r.epoch, _utc(r.expires_at)) for r in rows]

    def fence(self, s: Session, lease: Lease) -> None:
        """In the caller's transaction, before its fenced writes: raise unless still ours.

        A no-op UPDATE rather than a SELECT: it takes the row lock on PostgreSQL (a
        takeover waits for this transaction) and the write lock on SQLite at once.
        """
        if self._pg:
            s.execute(
                text(f"SET LOCAL idle_in_transaction_session_timeout = {IDLE_IN_FENCED_TX_MS}")
            )
        n = _rowcount(
            s.execute(
                update(LeaseRow)
                .where(*self._ours(lease, self.clock()))
                .values(holder=LeaseRow.holder)
            )
        )
        if not n:
            raise LeaseLostError(f"the {lease.name} lease (epoch {lease.epoch}) is no longer ours")

    @staticmethod
    def _ours(lease: Lease, now: datetime) -> tuple[Any, ...]:
        return (
            LeaseRow.name == lease.name,
            LeaseRow.holder == lease.holder,
            LeaseRow.epoch == lease.epoch,
            LeaseRow.expires_at > now,
        )
