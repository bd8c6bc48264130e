"""Migrations at start-up on PostgreSQL: instances starting together migrate once.

The test holds the migration lock itself while the processes start, and lets go
only when all of them are seen queuing on it in ``pg_locks``: so they really do
arrive together, however slowly each one starts. Without the lock, the two that
lose would fail on tables the winner created.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url

from bot.store.migrate import MIGRATION_LOCK_KEY, head_revision
from tests.pgschema import NEWSBRIEF, fresh_schema, needs_pg, start, table_exists, wait_until

MIGRATED = "database migrated from empty to"


def _waiting_on_migration_lock(engine: Engine) -> int:
    with engine.connect() as conn:
        n = conn.execute(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND classid = 0 AND objid = :key AND objsubid = 1"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"key": MIGRATION_LOCK_KEY},
        ).scalar_one()
    return int(n)


def _hold_migration_lock(engine: Engine) -> Connection:
    conn = engine.connect()
    conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    return conn


def _release(conn: Connection) -> None:
    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
    conn.close()


def _versions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


@needs_pg
def test_three_instances_starting_together_migrate_once(tmp_path: Path) -> None:
    with fresh_schema() as (url, engine):
        env = {"NEWSBRIEF_DATABASE_URL": url, "NEWSBRIEF_DATA_DIR": str(tmp_path)}
        lock = _hold_migration_lock(engine)
        procs: list[subprocess.Popen[str]] = []
        try:
            procs = [start([NEWSBRIEF, "-v", "db", "upgrade"], env, tmp_path) for _ in range(3)]
            wait_until(
                "three processes queuing on the lock",
                lambda: _waiting_on_migration_lock(engine) == 3,
            )
            assert not table_exists(engine, "alembic_version")  # nobody went past the lock
        finally:
            _release(lock)
        results = [p.communicate(timeout=120) for p in procs]
        for p, (_, err) in zip(procs, results, strict=True):
            assert p.returncode == 0, err
        outs = [out for out, _ in results]
        assert sum(f"upgraded from empty to {head_revision()}" in o for o in outs) == 1, outs
        assert sum(f"already at head ({head_revision()})" in o for o in outs) == 2, outs
        assert sum(MIGRATED in err for _, err in results) == 1
        assert _versions(engine) == [head_revision()]


@needs_pg
def test_run_migrates_at_start_up_under_the_same_lock(tmp_path: Path) -> None:
    """``newsbrief run`` queues on the lock before touching the schema, then migrates."""
    with fresh_schema() as (url, engine):
        env = {
            "NEWSBRIEF_DATABASE_URL": url,
            "NEWSBRIEF_DATA_DIR": str(tmp_path),
            "NEWSBRIEF_HTTP_PORT": "0",
        }
        lock = _hold_migration_lock(engine)
        try:
            proc = start([NEWSBRIEF, "-v", "run", "--no-sample"], env, tmp_path)
            wait_until("run queuing on the lock", lambda: _waiting_on_migration_lock(engine) == 1)
            assert not table_exists(engine, "alembic_version")
        finally:
            _release(lock)
        try:
            wait_until("the schema at head", lambda: table_exists(engine, "alembic_version"))
            wait_until("the schema at head", lambda: _versions(engine) == [head_revision()])
        finally:
            if proc.poll() is None:  # how it stops is test_deploy_smoke's part
                proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=60)


@needs_pg
def test_db_current_reads_without_migrating(tmp_path: Path) -> None:
    with fresh_schema() as (url, engine):
        env = {"NEWSBRIEF_DATABASE_URL": url, "NEWSBRIEF_DATA_DIR": str(tmp_path)}
        check = start([NEWSBRIEF, "db", "current", "--check"], env, tmp_path)
        out, err = check.communicate(timeout=60)
        assert check.returncode == 1, err
        assert f"empty (head is {head_revision()}: run newsbrief db upgrade)" in out
        assert out.startswith(make_url(url).render_as_string(hide_password=True) + ": ")
        assert not table_exists(engine, "alembic_version")
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)"))
            conn.execute(text("INSERT INTO alembic_version VALUES ('9999')"))
        newer = start([NEWSBRIEF, "db", "current"], env, tmp_path)
        out, _ = newer.communicate(timeout=60)
        assert newer.returncode == 0
        assert f"9999 (unknown to this release, whose head is {head_revision()})" in out
        up = start([NEWSBRIEF, "db", "upgrade"], env, tmp_path)
        _, err = up.communicate(timeout=60)
        assert up.returncode == 2
        assert "revision '9999', which this release of newsbrief does not know" in err
        assert "Traceback" not in err
        assert _versions(engine) == ["9999"]


@pytest.mark.parametrize("argv", [["db", "current"], ["db", "upgrade"]])
def test_db_commands_name_an_unreachable_database(tmp_path: Path, argv: list[str]) -> None:
    env = {
        "NEWSBRIEF_DATABASE_URL": "postgresql+psycopg://newsbrief:hunter2@127.0.0.1:1/newsbrief",
        "NEWSBRIEF_DATA_DIR": str(tmp_path),
    }
    proc = start([NEWSBRIEF, *argv], env, tmp_path)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "cannot reach the database postgresql+psycopg://newsbrief:***@127.0.0.1:1" in err
    assert "hunter2" not in err and "Traceback" not in err
