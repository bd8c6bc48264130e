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

Alembic (with Mako) takes longer to import than the rest of a CLI command, so a
database already at head is recognised without it: its ``alembic_version`` row is
compared with the heads read from the revision files' ``revision`` and
``down_revision`` lines (``head_revisions``; a test checks them against Alembic's
own). Anything else (empty, behind, unknown, a parse that finds nothing) goes
through Alembic as before.
"""

from __future__ import annotations

import argparse
import ast
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, inspect, text

from bot.errors import NewsbriefError

if TYPE_CHECKING:
    from alembic.config import Config

SCRIPT_LOCATION = "bot.store:migrations"
VERSIONS_DIR = Path(__file__).parent / "migrations" / "versions"
VERSION_TABLE = "alembic_version"  # Alembic's default; env.py does not rename it
# A module-level assignment as Alembic's template writes it: `revision: str = "0009"`.
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.M)
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
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


@cache
def head_revisions() -> frozenset[str]:
    """The heads, read from the revision files without Alembic (~1 ms); empty when a
    file does not parse, so that the caller falls back to Alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in VERSIONS_DIR.glob("*.py"):
        found = dict(_ASSIGNMENT.findall(path.read_text(encoding="utf-8")))
        if "revision" not in found:
            continue  # __init__.py; Alembic skips a file without a revision too
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found.get("down_revision", "None"))
        except (ValueError, SyntaxError):
            return frozenset()
        downs = down if isinstance(down, tuple | list) else (down,)
        if not isinstance(revision, str) or not all(isinstance(d, str | None) for d in downs):
            return frozenset()
        revisions.add(revision)
        parents.update(d for d in downs if d is not None)
    return frozenset(revisions - parents)


def stored_revisions(conn: Connection) -> list[str] | None:
    """The ``alembic_version`` rows (None: no such table), read with plain SQL."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    return [row[0] for row in conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))]


def _revision(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def current_revision(engine: Engine) -> str | None:
    """The database's revision (None: never migrated), read without a lock or a change."""
    with engine.connect() as conn:
        return _revision(conn)


def is_known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def at_head(engine: Engine) -> str | None:
    """The database's revision when it is the one head, found without Alembic; else None.

    Read without the migration lock: a database at head stays there (migrations only
    move forward), and any other answer takes the locked path."""
    with engine.connect() as conn:
        stored = stored_revisions(conn)
    heads = head_revisions()
    if stored is not None and len(stored) == 1 and len(heads) == 1 and stored[0] in heads:
        return stored[0]
    return None


def migrate(engine: Engine) -> Migration:
    """Upgrade the database behind ``engine`` to head; a no-op when it is there."""
    if (head := at_head(engine)) is not None:
        return Migration(head, head)
    from alembic import command
    from alembic.util.exc import CommandError

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
            from alembic import command

            with engine.begin() as conn:
                command.revision(alembic_config(conn), message=args.message, autogenerate=True)
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
