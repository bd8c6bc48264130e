"""The store's engine: SQLite set up for a shared file, PostgreSQL through psycopg 3.

SQLite gets WAL (readers never wait for the writer), a busy timeout, foreign keys,
and ``exp``/``ln`` where it was built without its math functions (search's recency
decay uses them); the store needs FTS5, checked once on open.
"""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import ConnectionPoolEntry

from bot.errors import NewsbriefError


def _sqlite_on_connect(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA journal_mode = WAL")  # readers (the bot) never wait for the poller
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute("PRAGMA busy_timeout = 10000")
    try:
        cur.execute("SELECT exp(0), ln(1)")
    except sqlite3.OperationalError:  # built without SQLITE_ENABLE_MATH_FUNCTIONS
        dbapi_conn.create_function("exp", 1, math.exp, deterministic=True)
        dbapi_conn.create_function("ln", 1, math.log, deterministic=True)
    cur.close()


def create_store_engine(url: str | URL) -> Engine:
    """An engine set up for the store: SQLite pragmas, psycopg 3 for PostgreSQL."""
    u = make_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        db = u.database
        if db and db != ":memory:" and not db.startswith("file:"):
            Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(u)
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    if backend == "postgresql":
        if u.drivername == "postgresql":  # psycopg2 is not a dependency; psycopg 3 is
            u = u.set(drivername="postgresql+psycopg")
        return create_engine(u, pool_pre_ping=True)
    raise NewsbriefError(
        f"unsupported database {backend!r} in NEWSBRIEF_DATABASE_URL: use sqlite or postgresql"
    )


class DatabaseUnreachableError(NewsbriefError):
    """The database named by NEWSBRIEF_DATABASE_URL cannot be opened: a setting to fix."""

    @classmethod
    def of(cls, url: str | URL, exc: Exception) -> DatabaseUnreachableError:
        """Said with the URL as it may be shown (no password) and the driver's own reason."""
        try:
            where = make_url(url).render_as_string(hide_password=True)
        except ArgumentError:
            return cls(f"NEWSBRIEF_DATABASE_URL is no database URL: {exc}")
        reason = getattr(exc, "orig", None) or exc
        return cls(f"cannot reach the database {where} (NEWSBRIEF_DATABASE_URL): {reason}")


def check_fts5(engine: Engine) -> None:
    with engine.connect() as conn:
        try:
            conn.exec_driver_sql("CREATE VIRTUAL TABLE temp.nb_fts5_probe USING fts5(x)")
            conn.exec_driver_sql("DROP TABLE temp.nb_fts5_probe")
        except Exception as exc:
            raise NewsbriefError(
                "this Python's SQLite has no FTS5; use a Python built with it "
                "or set NEWSBRIEF_DATABASE_URL to a PostgreSQL database"
            ) from exc
