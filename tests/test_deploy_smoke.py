"""End to end: the compose newsbrief service's very command line, run here on PostgreSQL.

The argv is the service's entrypoint + command, and the environment its
``environment:`` block, with only what is container-specific put back on this
machine: the database (a fresh schema on ``NEWSBRIEF_TEST_DATABASE_URL`` instead of
the postgres service), the data directory, and the HTTP address (loopback and a free
port instead of 0.0.0.0:3000). NEWSBRIEF_CONSOLE=0 stays as it is. With stdin
closed, as in a container, the instance must migrate, start, keep running (no
console to end it), answer /healthz, /readyz and /metrics as the image's
healthcheck and an operator ask them, and exit 0 on SIGTERM, as ``docker compose
stop`` sends it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from bot.store.migrate import head_revision
from tests.pgschema import fresh_schema, needs_pg, start, table_exists, wait_until

ROOT = Path(__file__).resolve().parent.parent
VERSION = "alembic_version"
CONTAINER_SPECIFIC = {
    "NEWSBRIEF_DATABASE_URL",
    "NEWSBRIEF_DATA_DIR",
    "NEWSBRIEF_HTTP_HOST",
    "NEWSBRIEF_HTTP_PORT",
}


def compose_service() -> tuple[list[str], dict[str, str], float]:
    """(argv, environment, stop grace in seconds) of the compose newsbrief service."""
    svc = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["newsbrief"]
    argv = [*svc["entrypoint"], *svc["command"]]
    grace = str(svc.get("stop_grace_period", "10s"))
    assert grace.endswith("s") and grace[:-1].isdigit(), grace
    return argv, {k: str(v) for k, v in svc["environment"].items()}, float(grace[:-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def alive(proc: subprocess.Popen[str], check: bool) -> bool:
    """``check``, as long as the instance is still running (it must not end by itself)."""
    assert proc.poll() is None, f"newsbrief exited by itself with {proc.returncode}"
    return check


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@needs_pg
def test_compose_service_command_migrates_starts_and_stops_on_sigterm(tmp_path: Path) -> None:
    argv, env, grace = compose_service()
    assert env["NEWSBRIEF_CONSOLE"] == "0" and set(env) >= CONTAINER_SPECIFIC
    port = free_port()
    with fresh_schema() as (url, engine):
        here = {
            "NEWSBRIEF_DATABASE_URL": url,
            "NEWSBRIEF_DATA_DIR": str(tmp_path / "data"),
            "NEWSBRIEF_HTTP_HOST": "127.0.0.1",
            "NEWSBRIEF_HTTP_PORT": str(port),
            # argv[0] is looked up on PATH, as in the image: this venv's entry point.
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        proc = start(argv, {**env, **here}, tmp_path)
        early: AssertionError | None = None
        try:
            wait_until("the schema at head", lambda: alive(proc, table_exists(engine, VERSION)))
            with engine.connect() as conn:
                version = conn.exec_driver_sql(f"SELECT version_num FROM {VERSION}").scalar()
            assert version == head_revision()
            wait_until(f"the HTTP server on port {port}", lambda: alive(proc, listening(port)))
            assert get(port, "/healthz")[0] == 200
            wait_until("/readyz to say ready", lambda: alive(proc, get(port, "/readyz")[0] == 200))
            status, metrics = get(port, "/metrics")
            assert status == 200 and "newsbrief_leader" in metrics
            assert "newsbrief_feed_queue_depth 0.0" in metrics  # no feeds configured
        except AssertionError as exc:
            early = exc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=grace)
        if early is not None:
            raise AssertionError(f"{early}; its stderr:\n{err}") from early
        assert proc.returncode == 0, err
        assert "Traceback" not in err, err
        assert out == ""  # headless: nothing for a console
