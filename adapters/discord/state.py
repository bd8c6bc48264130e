"""The Discord adapter's few facts kept in the store (table ``discord_state``, migration 0005).

- ``commands:<application>:<scope>`` → the hash of the command tree last synced
  there, written by the leader after it synced (``adapters.discord.sync``): Discord
  allows 200 command creates a day per guild, so it syncs only when the hash changed.
- ``told:<channel>`` → when a manager was told that the bot lost access to a
  digest channel, so that it is said once, not on every sweep.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.schema import DiscordState


def record(s: Session, key: str, value: str, now: datetime) -> None:
    """In the caller's transaction (the leader's, fenced): ``key`` is ``value`` now."""
    n = s.execute(
        update(DiscordState).where(DiscordState.key == key).values(value=value, updated_at=now)
    )
    if not cast("CursorResult[Any]", n).rowcount:
        s.add(DiscordState(key=key, value=value, updated_at=now))


def once_per(engine: Engine, key: str, period: timedelta, *, now: datetime | None = None) -> bool:
    """True at most once per ``period`` for ``key``, across restarts and instances."""
    now = now or datetime.now(UTC)
    stamp = now.isoformat()
    with engine.begin() as conn:
        row = conn.execute(select(DiscordState.value).where(DiscordState.key == key)).first()
        if row is not None:
            if datetime.fromisoformat(row[0]) > now - period:
                return False
            changed = conn.execute(
                update(DiscordState)
                .where(DiscordState.key == key, DiscordState.value == row[0])
                .values(value=stamp, updated_at=now)
            ).rowcount
            return bool(changed)
    try:
        with engine.begin() as conn:
            conn.execute(insert(DiscordState).values(key=key, value=stamp, updated_at=now))
    except IntegrityError:
        return False
    return True


def forget(engine: Engine, key: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(DiscordState).where(DiscordState.key == key))


def get(engine: Engine, key: str) -> str | None:
    with engine.connect() as conn:
        row = conn.execute(select(DiscordState.value).where(DiscordState.key == key)).first()
    return None if row is None else str(row[0])
