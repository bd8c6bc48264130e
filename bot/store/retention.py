"""Retention: the database stays bounded. The leader prunes, in batches, under its lease.

Articles first fetched and published more than ``retention_days`` ago go, with
their lookup keys, signatures and source links (foreign keys cascade; the SQLite
full-text index has its delete trigger), and clusters left empty go with them.
Articles a live thread still names are kept until that thread expires, so a
follow-up is answered from the same articles as long as it may be asked.

Threads expire ``thread_days`` after their post: their article list and turns are
dropped and the row stays as a small tombstone (kind ``expired``), so a question in
it gets "this thread has expired" instead of silence; tombstones go after
``retention_days`` more. Lookup keys older than the cut-off go even for kept
articles (clustering only looks 48 h around a story), and so do old fetch failures
and settled outbox rows (each subscription's newest is kept: catch-up resumes there).

Each batch is its own short transaction that starts with the lease fence, so a
leader that lost its lease stops between two batches and never deletes after.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, and_, delete, exists, func, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from bot.store.leases import Lease, Leases
from bot.store.ledger import KEEP, prune_batch
from bot.store.schema import (
    Article,
    ArticleKey,
    Cluster,
    FetchFailure,
    OutboxEntry,
    Thread,
    ThreadTurn,
)

EXPIRED = "expired"  # the kind of a thread whose time for follow-ups is over
BATCH = 500
Clock = Callable[[], datetime]


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


@dataclass(slots=True)
class Pruned:
    """Rows removed (or threads expired) by one run, by kind."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, n: int) -> None:
        if n:
            self.counts[kind] = self.counts.get(kind, 0) + n

    def __str__(self) -> str:
        if not self.counts:
            return "nothing to prune"
        return ", ".join(f"{n} {kind}" for kind, n in sorted(self.counts.items()))


class Retention:
    def __init__(
        self,
        engine: Engine,
        leases: Leases,
        *,
        retention_days: int,
        thread_days: int,
        batch: int = BATCH,
        clock: Clock | None = None,
    ) -> None:
        self.leases = leases
        self.retention_days = retention_days
        self.thread_days = thread_days
        self.batch = batch
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self._session = sessionmaker(engine)

    def run(self, current: Callable[[], Lease]) -> Pruned:
        """Everything due, batch after batch; ``current`` gives the lease (or raises)."""
        now = self.clock()
        pruned = Pruned()
        self._expire_threads(current, now - timedelta(days=self.thread_days), pruned)
        # Delivery keys only guard against Slack's retries: a day is plenty, whatever
        # retention_days says (bot/store/ledger.py).
        self._simple(current, pruned, "delivery keys", self._old_deliveries, now - KEEP)
        if self.retention_days <= 0:
            return pruned
        cutoff = now - timedelta(days=self.retention_days)
        self._drop_tombstones(current, cutoff - timedelta(days=self.thread_days), pruned)
        self._articles(current, cutoff, pruned)
        self._simple(current, pruned, "lookup keys", self._old_keys, cutoff)
        self._simple(current, pruned, "fetch failures", self._old_failures, cutoff)
        self._simple(current, pruned, "outbox rows", self._old_outbox, cutoff)
        return pruned

    # ------------------------------------------------------------ threads
    def _expire_threads(self, current: Callable[[], Lease], before: datetime, out: Pruned) -> None:
        while True:
            with self._session() as s, s.begin():
                self.leases.fence(s, current())
                ids = list(
                    s.scalars(
                        select(Thread.id)
                        .where(Thread.created_at < before, Thread.kind != EXPIRED)
                        .limit(self.batch)
                    )
                )
                if not ids:
                    return
                out.add("thread turns", _rowcount(s.execute(
                    delete(ThreadTurn).where(ThreadTurn.thread_pk.in_(ids)))))  # fmt: skip
                s.execute(
                    update(Thread)
                    .where(Thread.id.in_(ids))
                    .values(kind=EXPIRED, article_ids={"ids": []})
                )
                out.add("threads expired", len(ids))

    def _drop_tombstones(self, current: Callable[[], Lease], before: datetime, out: Pruned) -> None:
        while True:
            with self._session() as s, s.begin():
                self.leases.fence(s, current())
                ids = list(
                    s.scalars(
                        select(Thread.id)
                        .where(Thread.created_at < before, Thread.kind == EXPIRED)
                        .limit(self.batch)
                    )
                )
                if not ids:
                    return
                s.execute(delete(Thread).where(Thread.id.in_(ids)))
                out.add("expired threads", len(ids))

    # ------------------------------------------------------------ articles
    def _kept(self, s: Session) -> set[int]:
        """Articles that live threads name (read once per run)."""
        kept: set[int] = set()
        for doc in s.scalars(select(Thread.article_ids).where(Thread.kind != EXPIRED)):
            kept.update(int(i) for i in (doc or {}).get("ids", ()))
        return kept

    def _articles(self, current: Callable[[], Lease], cutoff: datetime, out: Pruned) -> None:
        with self._session() as s:
            kept = self._kept(s)
        after = 0
        while True:
            with self._session() as s, s.begin():
                self.leases.fence(s, current())
                rows = s.execute(
                    select(Article.id, Article.cluster_id)
                    .where(
                        Article.id > after,
                        Article.published < cutoff,
                        Article.fetched_at < cutoff,
                    )
                    .order_by(Article.id)
                    .limit(self.batch)
                ).all()
                if not rows:
                    return
                after = rows[-1][0]
                doomed = [aid for aid, _ in rows if aid not in kept]
                if not doomed:
                    continue
                touched = {cid for aid, cid in rows if cid is not None and aid not in kept}
                out.add("articles", _rowcount(s.execute(
                    delete(Article).where(Article.id.in_(doomed)))))  # fmt: skip
                out.add("clusters", self._settle_clusters(s, sorted(touched)))

    def _settle_clusters(self, s: Session, ids: Sequence[int]) -> int:
        """Clusters that lost members: deleted when empty, else their counts refreshed."""
        if not ids:
            return 0
        member = aliased(Article)
        gone = _rowcount(
            s.execute(
                delete(Cluster).where(
                    Cluster.id.in_(ids), ~exists().where(member.cluster_id == Cluster.id)
                )
            )
        )
        stats = select(func.count(), func.min(Article.published), func.max(Article.published))
        for cid in ids:
            n, first, last = s.execute(stats.where(Article.cluster_id == cid)).one()
            if n:
                s.execute(
                    update(Cluster)
                    .where(Cluster.id == cid)
                    .values(size=n, first_seen=first, last_seen=last)
                )
        return gone

    # ------------------------------------------------------------ the rest
    def _simple(
        self,
        current: Callable[[], Lease],
        out: Pruned,
        kind: str,
        one_batch: Callable[[Session, datetime], tuple[int, int]],
        cutoff: datetime,
    ) -> None:
        """Batches of ``one_batch`` (rows removed, rows picked) until one picks less."""
        while True:
            with self._session() as s, s.begin():
                self.leases.fence(s, current())
                removed, picked = one_batch(s, cutoff)
            out.add(kind, removed)
            if picked < self.batch:
                return

    def _old_keys(self, s: Session, cutoff: datetime) -> tuple[int, int]:
        ids = list(
            s.scalars(
                select(ArticleKey.article_id)
                .where(ArticleKey.published < cutoff)
                .distinct()
                .limit(self.batch)
            )
        )
        if not ids:
            return 0, 0
        gone = s.execute(
            delete(ArticleKey).where(ArticleKey.article_id.in_(ids), ArticleKey.published < cutoff)
        )
        return _rowcount(gone), len(ids)

    def _old_deliveries(self, s: Session, cutoff: datetime) -> tuple[int, int]:
        return prune_batch(s, cutoff, self.batch)

    def _old_failures(self, s: Session, cutoff: datetime) -> tuple[int, int]:
        ids = list(
            s.scalars(
                select(FetchFailure.id).where(FetchFailure.last_failed < cutoff).limit(self.batch)
            )
        )
        if ids:
            s.execute(delete(FetchFailure).where(FetchFailure.id.in_(ids)))
        return len(ids), len(ids)

    def _old_outbox(self, s: Session, cutoff: datetime) -> tuple[int, int]:
        newer = aliased(OutboxEntry)
        ids = list(
            s.scalars(
                select(OutboxEntry.id)
                .where(
                    OutboxEntry.due < cutoff,
                    OutboxEntry.status != "pending",
                    ~and_(OutboxEntry.status == "missed", OutboxEntry.mentioned.is_(False)),
                    exists().where(
                        newer.subscription_id == OutboxEntry.subscription_id,
                        newer.due > OutboxEntry.due,
                    ),
                )
                .limit(self.batch)
            )
        )
        if ids:
            s.execute(delete(OutboxEntry).where(OutboxEntry.id.in_(ids)))
        return len(ids), len(ids)
