"""Digest subscriptions and the delivery outbox: the rows that make digests exactly-once.

A slot is claimed by inserting its outbox row (``pending``) before anything is
posted; the unique (subscription, slot) pair lets exactly one process win. A
pending row is a lease: its holder renews ``claimed_at`` while posting, and a
row whose lease has run out (its holder crashed) may be taken over — by a
conditional UPDATE, so again exactly one process wins. The same two statements
serve SQLite and PostgreSQL, so one mechanism is tested on both rather than an
advisory lock on one and a lease row on the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.store.schema import OutboxEntry, Subscription, Thread
from bot.store.sources import workspace_key

ClaimState = Literal["new", "recover", "done", "busy"]
OutboxStatus = Literal["pending", "sent", "skipped", "missed"]


@dataclass(frozen=True, slots=True)
class SubscriptionRow:
    id: int
    platform: str
    channel_id: str
    channel_name: str | None
    schedule: dict[str, Any]
    created_by: str | None
    created_at: datetime
    workspace: str | None = None  # the channel's Slack team / Discord guild, as given
    paused_at: datetime | None = None  # the channel became unreachable (migration 0009)
    paused_reason: str | None = None  # what the platform said, for /digest list
    resumed_at: datetime | None = None  # catch-up after a pause starts here
    previews: bool = False  # link previews (unfurls) in its digests

    @property
    def scope(self) -> str:
        """The workspace whose sources (and the operator's) its digests read."""
        return workspace_key(self.platform, self.workspace, self.channel_id)


@dataclass(frozen=True, slots=True)
class Claim:
    state: ClaimState  # new: post it; recover: ask the platform first; done/busy: leave it
    outbox_id: int
    status: OutboxStatus | Literal["gone"]  # gone: deleted with its subscription


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    subscription_id: int
    slot_key: str
    due: datetime
    status: OutboxStatus
    message_ref: str | None
    attempts: int


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def _sub(row: Subscription) -> SubscriptionRow:
    return SubscriptionRow(
        row.id,
        row.platform,
        row.channel_id,
        row.channel_name,
        dict(row.schedule),
        row.created_by,
        row.created_at,
        row.workspace,
        row.paused_at,
        row.paused_reason,
        row.resumed_at,
        bool(row.previews),
    )


def _status(row: OutboxEntry) -> OutboxStatus:
    return cast(OutboxStatus, row.status)  # only this module writes the column


def _out(row: OutboxEntry) -> OutboxRow:
    return OutboxRow(
        row.id, row.subscription_id, row.slot_key, row.due, _status(row), row.message_ref,
        row.attempts,
    )  # fmt: skip


class DigestOutbox:
    """A part of ``Store`` (``store.outbox``), sharing its session factory."""

    def __init__(self, session: sessionmaker[Session]) -> None:
        self._session = session

    # ------------------------------------------------------------ subscriptions
    def add_subscription(
        self,
        platform: str,
        channel_id: str,
        schedule: dict[str, Any],
        *,
        channel_name: str | None = None,
        created_by: str | None = None,
        now: datetime | None = None,
        workspace: str | None = None,
    ) -> SubscriptionRow:
        with self._session() as s, s.begin():
            row = Subscription(
                platform=platform,
                channel_id=channel_id,
                channel_name=channel_name,
                workspace=workspace,
                schedule=schedule,
                created_by=created_by,
                created_at=now or datetime.now(UTC),
                active=True,
            )
            s.add(row)
            s.flush()
            return _sub(row)

    def subscriptions(
        self, platform: str | None = None, channel_id: str | None = None
    ) -> list[SubscriptionRow]:
        q = select(Subscription).where(Subscription.active.is_(True))
        if platform is not None:
            q = q.where(Subscription.platform == platform)
        if channel_id is not None:
            q = q.where(Subscription.channel_id == channel_id)
        with self._session() as s:
            return [_sub(r) for r in s.scalars(q.order_by(Subscription.id))]

    def deactivate_subscription(self, sub_id: int) -> bool:
        with self._session() as s, s.begin():
            n = _rowcount(
                s.execute(
                    update(Subscription)
                    .where(Subscription.id == sub_id, Subscription.active.is_(True))
                    .values(active=False)
                )
            )
        return bool(n)

    # ------------------------------------------------------------ channel state
    def pause_channel(self, platform: str, channel_id: str, reason: str, now: datetime) -> int:
        """Pause the channel's active digests (the platform cannot reach it); how many."""
        with self._session() as s, s.begin():
            return _rowcount(
                s.execute(
                    update(Subscription)
                    .where(
                        Subscription.platform == platform,
                        Subscription.channel_id == channel_id,
                        Subscription.active.is_(True),
                        Subscription.paused_at.is_(None),
                    )
                    .values(paused_at=now, paused_reason=reason[:500])
                )
            )

    def resume_channel(self, platform: str, channel_id: str, now: datetime) -> list[int]:
        """Resume the channel's paused digests; their ids (none: nothing was paused)."""
        where = (
            Subscription.platform == platform,
            Subscription.channel_id == channel_id,
            Subscription.active.is_(True),
            Subscription.paused_at.is_not(None),
        )
        with self._session() as s, s.begin():
            ids = list(s.scalars(select(Subscription.id).where(*where).order_by(Subscription.id)))
            if ids:
                s.execute(
                    update(Subscription)
                    .where(Subscription.id.in_(ids))
                    .values(paused_at=None, paused_reason=None, resumed_at=now)
                )
        return ids

    def set_previews(self, platform: str, channel_id: str, on: bool) -> int:
        """Link previews on or off for every digest of the channel; how many."""
        with self._session() as s, s.begin():
            return _rowcount(
                s.execute(
                    update(Subscription)
                    .where(
                        Subscription.platform == platform,
                        Subscription.channel_id == channel_id,
                        Subscription.active.is_(True),
                    )
                    .values(previews=on)
                )
            )

    # ------------------------------------------------------------ outbox
    def claim_slot(
        self,
        sub_id: int,
        slot_key: str,
        due: datetime,
        holder: str,
        *,
        now: datetime,
        lease: timedelta,
    ) -> Claim:
        """Take the slot: a new row, a takeover of an expired lease, or nothing."""
        try:
            with self._session() as s, s.begin():
                row = OutboxEntry(
                    subscription_id=sub_id,
                    slot_key=slot_key,
                    due=due,
                    status="pending",
                    holder=holder,
                    claimed_at=now,
                    attempts=1,
                    mentioned=False,
                )
                s.add(row)
                s.flush()
                return Claim("new", row.id, "pending")
        except IntegrityError:
            pass
        with self._session() as s, s.begin():
            existing = s.scalar(
                select(OutboxEntry).where(
                    OutboxEntry.subscription_id == sub_id, OutboxEntry.slot_key == slot_key
                )
            )
            if existing is None:  # deleted with its subscription meanwhile
                return Claim("done", 0, "gone")
            if existing.status != "pending":
                return Claim("done", existing.id, _status(existing))
            taken = _rowcount(
                s.execute(
                    update(OutboxEntry)
                    .where(
                        OutboxEntry.id == existing.id,
                        OutboxEntry.status == "pending",
                        OutboxEntry.claimed_at < now - lease,
                    )
                    .values(holder=holder, claimed_at=now, attempts=OutboxEntry.attempts + 1)
                )
            )
            return Claim("recover" if taken else "busy", existing.id, "pending")

    def renew_claim(self, outbox_id: int, holder: str, now: datetime) -> bool:
        with self._session() as s, s.begin():
            n = _rowcount(
                s.execute(
                    update(OutboxEntry)
                    .where(
                        OutboxEntry.id == outbox_id,
                        OutboxEntry.holder == holder,
                        OutboxEntry.status == "pending",
                    )
                    .values(claimed_at=now)
                )
            )
        return bool(n)

    def complete_slot(
        self,
        outbox_id: int,
        holder: str,
        status: OutboxStatus,
        *,
        message_ref: str | None = None,
        now: datetime | None = None,
    ) -> bool:
        with self._session() as s, s.begin():
            n = _rowcount(
                s.execute(
                    update(OutboxEntry)
                    .where(
                        OutboxEntry.id == outbox_id,
                        OutboxEntry.holder == holder,
                        OutboxEntry.status == "pending",
                    )
                    .values(
                        status=status,
                        message_ref=message_ref,
                        completed_at=now or datetime.now(UTC),
                    )
                )
            )
        return bool(n)

    def latest_slot_dues(self) -> dict[int, datetime]:
        """Per subscription, the newest slot with an outbox row: where catch-up resumes."""
        with self._session() as s:
            rows = s.execute(
                select(OutboxEntry.subscription_id, func.max(OutboxEntry.due)).group_by(
                    OutboxEntry.subscription_id
                )
            )
            return {int(sub): due for sub, due in rows}

    def last_delivered(self, sub_id: int) -> datetime | None:
        """When the last digest actually reached the channel (sent or skipped as empty)."""
        with self._session() as s:
            return s.scalar(
                select(func.max(OutboxEntry.due)).where(
                    OutboxEntry.subscription_id == sub_id,
                    OutboxEntry.status.in_(("sent", "skipped")),
                )
            )

    def ever_sent(self, sub_id: int) -> bool:
        """Whether any digest of the subscription was posted (not only skipped as empty)."""
        with self._session() as s:
            return bool(
                s.scalar(
                    select(OutboxEntry.id)
                    .where(OutboxEntry.subscription_id == sub_id, OutboxEntry.status == "sent")
                    .limit(1)
                )
            )

    def posted_articles(self, sub_id: int, *, since: datetime) -> set[int]:
        """Articles of every digest the subscription posted for a slot due from ``since``
        (each post's thread memory): a digest leaves out all of these, not only the last
        digest's, which an "always" digest saying "Nothing new" leaves empty."""
        with self._session() as s:
            posted = s.execute(
                select(Subscription.platform, Subscription.channel_id, OutboxEntry.message_ref)
                .join(Subscription, Subscription.id == OutboxEntry.subscription_id)
                .where(
                    OutboxEntry.subscription_id == sub_id,
                    OutboxEntry.status == "sent",
                    OutboxEntry.due >= since,
                    OutboxEntry.message_ref.is_not(None),
                )
            ).all()
            if not posted:
                return set()
            platform, channel = posted[0].platform, posted[0].channel_id
            memories = s.scalars(
                select(Thread.article_ids).where(
                    Thread.platform == platform,
                    Thread.channel_id == channel,
                    Thread.thread_id.in_([p.message_ref for p in posted]),
                )
            )
            return {int(i) for ids in memories for i in (ids or {}).get("ids", [])}

    def unmentioned_missed(self, sub_id: int) -> list[OutboxRow]:
        with self._session() as s:
            rows = s.scalars(
                select(OutboxEntry)
                .where(
                    OutboxEntry.subscription_id == sub_id,
                    OutboxEntry.status == "missed",
                    OutboxEntry.mentioned.is_(False),
                )
                .order_by(OutboxEntry.due)
            )
            return [_out(r) for r in rows]

    def mark_mentioned(self, outbox_ids: list[int]) -> None:
        if not outbox_ids:
            return
        with self._session() as s, s.begin():
            s.execute(
                update(OutboxEntry).where(OutboxEntry.id.in_(outbox_ids)).values(mentioned=True)
            )

    def entries(self, sub_id: int | None = None) -> list[OutboxRow]:
        """Outbox rows, by due time (of one subscription, or all)."""
        q = select(OutboxEntry).order_by(OutboxEntry.due, OutboxEntry.id)
        if sub_id is not None:
            q = q.where(OutboxEntry.subscription_id == sub_id)
        with self._session() as s:
            return [_out(r) for r in s.scalars(q)]

    def pending_slots(self) -> list[OutboxRow]:
        with self._session() as s:
            return [
                _out(r)
                for r in s.scalars(select(OutboxEntry).where(OutboxEntry.status == "pending"))
            ]
