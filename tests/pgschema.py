"""A PostgreSQL schema of its own for tests that start ``newsbrief`` processes.

Like conftest's ``database_url``, but PostgreSQL only: these tests are about what
several processes do on one server (advisory locks, start-up). They need
``NEWSBRIEF_TEST_DATABASE_URL``; without it they are skipped with that reason, and
with it a server that does not answer fails them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bot.store import create_store_engine

PG_ENV = "NEWSBRIEF_TEST_DATABASE_URL"
needs_pg = pytest.mark.skipif(
    not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set (no PostgreSQL to start on)"
)
NEWSBRIEF = str(Path(sys.executable).with_name("newsbrief"))  # the installed entry point


@contextmanager
def fresh_schema(
    admin_url: str | None = None, prefix: str = "nb_test"
) -> Iterator[tuple[str, Engine]]:
    """(URL whose search_path is a new empty schema, an engine on that schema), dropped
    after; on ``admin_url`` (default: the tests' database). The benches use it too."""
    admin = create_store_engine(admin_url or os.environ[PG_ENV])
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = admin.url.update_query_dict({"options": f"-csearch_path={schema}"})
    engine = create_store_engine(url)
    try:
        yield url.render_as_string(hide_password=False), engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def wait_until(what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
    """Poll recorded state (the database, a socket) until ``check`` holds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


_OWN_SETTINGS = ("NEWSBRIEF_", "SLACK_", "DISCORD_")


def start(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    """A ``newsbrief`` process with stdin closed, as in a container.

    It sees only ``env`` of newsbrief's settings (none of the caller's tokens) and
    runs in ``cwd``, so no stray ``.env`` is read.
    """
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_SETTINGS)}
    return subprocess.Popen(
        argv,
        env={**inherited, **env},
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def table_exists(engine: Engine, name: str) -> bool:
    with engine.connect() as conn:
        return conn.execute(text("SELECT to_regclass(:n)"), {"n": name}).scalar() is not None
