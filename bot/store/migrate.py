"""Schema migrations, run from code so they ship inside the package.

``migrate(engine)`` upgrades any database to head; ``Store.open`` calls it. To add
a revision after changing ``schema.py`` (one revision per change)::

    python -m bot.store.migrate revision -m "add threads" [--url sqlite:///scratch.db]

which autogenerates against a scratch database migrated to head; review the file,
since FTS objects and dialect-specific SQL are written by hand.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, text

SCRIPT_LOCATION = "bot.store:migrations"
_PG_LOCK_ID = 0x6E657773  # "news": serialises concurrent migrations on one server


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


def migrate(engine: Engine) -> None:
    """Upgrade the database behind ``engine`` to head; a no-op when it is there."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
        command.upgrade(alembic_config(conn), "head")


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
