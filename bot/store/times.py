"""Timestamps as the store keeps them: aware, in UTC, whatever a caller or a driver gives."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BindParameter, bindparam

from bot.store.schema import UTCDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A naive datetime is taken as UTC; an aware one is converted to it."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def ts_param(name: str) -> BindParameter[datetime]:
    """A bound timestamp in a raw-SQL statement, stored the way the columns are."""
    return bindparam(name, type_=UTCDateTime())


def parse_ts(value: object) -> datetime:
    """A timestamp an aggregate returned as text (SQLite's max() loses the column type)."""
    return datetime.fromisoformat(str(value))
