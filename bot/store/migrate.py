"""Schema migrations, run from code so they ship inside the package.

``migrate(engine)`` upgrades any database to head; ``Store.open`` calls it, so
``newsbrief run`` migrates at start-up, and ``newsbrief db upgrade`` does it by hand.
``current_revision(engine)`` reads the level without changing anything.

On PostgreSQL the upgrade runs in one transaction that first takes a
*transaction-level* advisory lock on a fixed key: instances starting together queue
on it, the first migrates, and the others find the database at head once it commits.
A transaction lock rather than a session one (``pg_advisory_lock``) because it can't
outlive its transaction (a crashed migrator's lock goes with its rolled-back work),
and because it keeps working behind PgBouncer's transaction pooling, where a session
lock may land on a server connection that another client gets next.

To add a revision after changing ``schema.py`` (one revision per change)::

    python -m bot.store.migrate revision -m "add threads" [--url sqlite:///scratch.db]

which autogenerates against a scratch database migrated to head; review the file,
since FTS objects and dialect-specific SQL are written by hand.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, create_engine, text

from bot.errors import NewsbriefError

SCRIPT_LOCATION = "bot.store:migrations"
# "news": the one key every newsbrief instance queues on (pg_locks shows it as
# classid 0, objid 0x6E657773).
MIGRATION_LOCK_KEY = 0x6E657773

log = logging.getLogger(__name__)


class MigrationError(NewsbriefError):
    """The database is at a revision this release does not know, or a migration failed."""


@dataclass(frozen=True)
class Migration:
    """What one ``migrate`` call found and left: ``before`` is None on an empty database."""

    before: str | None
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def current_revision(engine: Engine) -> str | None:
    """The database's revision (None: never migrated), read without a lock or a change."""
    with engine.connect() as conn:
        return _revision(conn)


def is_known_revision(revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def migrate(engine: Engine) -> Migration:
    """Upgrade the database behind ``engine`` to head; a no-op when it is there."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        before = _revision(conn)
        if before is not None and not is_known_revision(before):
            raise MigrationError(
                f"the database is at revision {before!r}, which this release of newsbrief "
                "does not know (it was migrated by a newer release): upgrade newsbrief"
            )
        try:
            command.upgrade(alembic_config(conn), "head")
        except CommandError as exc:
            raise MigrationError(f"migrating the database failed: {exc}") from exc
        result = Migration(before, _revision(conn) or "")
    if result.changed:
        log.info("database migrated from %s to %s", result.before or "empty", result.after)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.store.migrate")
    sub = parser.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("upgrade", help="upgrade a database to head")
    up.add_argument("--url", required=True)
    rev = sub.add_parser("revision", help="autogenerate a new revision")
    rev.add_argument("-m", "--message", required=True)
    rev.add_argument("--url", default="sqlite://", help="scratch database (default: in memory)")
    args = parser.parse_args(argv)
    engine = create_engine(args.url)
    try:
        migrate(engine)
        if args.cmd == "revision":
            with engine.begin() as conn:
                command.revision(alembic_config(conn), message=args.message, autogenerate=True)
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
