"""The Discord adapter's few facts kept in the store (table ``discord_state``, migration 0005).

- ``commands:<application>:<scope>`` → the hash of the command tree last synced
  there. Discord allows 200 command creates a day per guild, and N instances
  booting together must not each sync: the one whose conditional write changed
  the row syncs, the others see the hash already there.
- ``told:<channel>`` → when a manager was told that the bot lost access to a
  digest channel, so that it is said once, not on every sweep.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.store.schema import DiscordState


def claim(engine: Engine, key: str, value: str, *, now: datetime | None = None) -> bool:
    """Set ``key`` to ``value``; True only for the one caller whose write changed it."""
    now = now or datetime.now(UTC)
    with engine.begin() as conn:
        changed = conn.execute(
            update(DiscordState)
            .where(DiscordState.key == key, DiscordState.value != value)
            .values(value=value, updated_at=now)
        ).rowcount
        if changed:
            return True
        if conn.execute(select(DiscordState.key).where(DiscordState.key == key)).first():
            return False  # already this value
    try:
        with engine.begin() as conn:
            conn.execute(insert(DiscordState).values(key=key, value=value, updated_at=now))
    except IntegrityError:  # another instance inserted it first
        return False
    return True


def release(engine: Engine, key: str, value: str) -> None:
    """Undo a ``claim`` whose work failed, so that the next start tries again."""
    with engine.begin() as conn:
        conn.execute(
            delete(DiscordState).where(DiscordState.key == key, DiscordState.value == value)
        )


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
