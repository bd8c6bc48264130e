"""Start-up (issue 14): what ``newsbrief --help`` and ``newsbrief brief`` load, checked in
a fresh interpreter through ``sys.modules`` (no timing here: bench/startup.py times it),
and the cheap paths that make it so: the summarizer names, the migration check."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot import cli
from bot.nlp.summarize import ALGORITHMS, DEFAULT_ALGORITHM, SUMY_ALGORITHMS, sumy_summarizers
from bot.store.migrate import MigrationError, at_head, head_revision, head_revisions, migrate

ROOT = Path(__file__).resolve().parent.parent
migrate_module = importlib.import_module(
    "bot.store.migrate"
)  # bot.store.migrate is also a function

# What neither command needs: the summarizers (sumy, nltk, numpy), migrations (alembic,
# mako), fetching and extraction (httpx, trafilatura, lxml, charset_normalizer, simplemma),
# the HTTP server and metrics (aiohttp, prometheus_client), secrets (cryptography).
NEVER = (
    "sumy",
    "nltk",
    "numpy",
    "alembic",
    "mako",
    "trafilatura",
    "lxml",
    "httpx",
    "charset_normalizer",
    "simplemma",
    "aiohttp",
    "prometheus_client",
    "cryptography",
)
# --help builds the parser only: no settings, no database either.
NOT_FOR_HELP = (*NEVER, "sqlalchemy", "pydantic", "pydantic_settings", "asyncio")

PROBE = """
import io, json, sys
from bot import cli
try:
    code = cli.main(sys.argv[1:], out=io.StringIO())
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _newsbrief_env(data_dir: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBRIEF_", "SLACK_"))}
    return keep | {"NEWSBRIEF_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}


def _loaded(argv: list[str], data_dir: Path) -> tuple[object, set[str]]:
    """(exit code, every module loaded) of one command in a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        env=_newsbrief_env(data_dir),
        cwd=data_dir,  # no stray .env
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    return found["code"], set(found["modules"])


def _libraries(modules: set[str]) -> set[str]:
    return {m.partition(".")[0] for m in modules}


def test_help_loads_no_library_it_does_not_show(tmp_path: Path) -> None:
    code, modules = _loaded(["--help"], tmp_path)
    assert code == 0
    assert {"argparse", "bot.cli"} <= modules  # the probe saw the real thing
    assert not _libraries(modules) & set(NOT_FOR_HELP), sorted(modules & set(NOT_FOR_HELP))
    # nor the settings, the sentence patterns, the store
    assert not {"bot.config", "bot.nlp.text.sentences", "bot.store", "bot.app"} & modules


def test_the_languages_are_still_listed_in_summarize_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.nlp.text.sentences import SUPPORTED_LANGUAGES

    with pytest.raises(SystemExit):
        cli.main(["summarize", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert ", ".join(SUPPORTED_LANGUAGES) in shown


def test_brief_on_the_sample_store_loads_only_the_store(tmp_path: Path) -> None:
    ingest = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ingest", "--sample"],
        env=_newsbrief_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert ingest.returncode == 0, ingest.stderr
    code, modules = _loaded(["brief", "port", "--since", "9000d"], tmp_path)
    assert code == 0
    assert {"sqlalchemy", "pydantic_settings", "bot.store"} <= modules  # it did open the store
    assert not _libraries(modules) & set(NEVER), sorted(_libraries(modules) & set(NEVER))
    # SQLite, the embedded default: PostgreSQL's dialect (36 ms) is not imported for it.
    assert not any(m.startswith("sqlalchemy.dialects.postgresql") for m in modules)


def test_algorithm_names_are_the_registered_summarizers() -> None:
    """The CLI lists ALGORITHMS without importing sumy; they must be what runs."""
    registered = sumy_summarizers()
    assert tuple(registered) == SUMY_ALGORITHMS
    assert (DEFAULT_ALGORITHM, *registered) == ALGORITHMS
    commands = next(
        a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction)
    )
    algorithm = next(a for a in commands.choices["summarize"]._actions if a.dest == "algorithm")
    assert tuple(algorithm.choices or ()) == ALGORITHMS


def test_head_read_from_the_files_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate_module.alembic_config())
    assert head_revisions() == frozenset(script.get_heads())
    assert head_revisions() == {head_revision()}


def test_a_revision_file_that_does_not_parse_means_alembic_decides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "0001_a.py").write_text('revision = "0001"\ndown_revision = None\n')
    (tmp_path / "0002_b.py").write_text('revision = make_id()\ndown_revision = "0001"\n')
    monkeypatch.setattr(migrate_module, "VERSIONS_DIR", tmp_path)
    head_revisions.cache_clear()
    try:
        assert head_revisions() == frozenset()
    finally:
        monkeypatch.undo()
        head_revisions.cache_clear()


def test_a_database_at_head_is_checked_without_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'at_head.db'}"
    engine = create_engine(url)
    try:
        assert at_head(engine) is None  # empty: Alembic's part
        assert migrate(engine).changed
        assert at_head(engine) == head_revision()
        with engine.begin() as conn:  # one revision behind: Alembic's part again
            conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        assert at_head(engine) is None
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
        with pytest.raises(MigrationError, match="does not know"):
            migrate(engine)
    finally:
        engine.dispose()
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    probe = (
        "import sys; from sqlalchemy import create_engine; from bot.store.migrate import migrate;"
        f"e = create_engine({fresh!r}); migrate(e);"
        "print(migrate(e).changed, 'alembic' in sys.modules)"
    )
    first = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert first.stdout.split() == ["False", "True"]  # migrated from empty: Alembic ran
    second = subprocess.run(
        [sys.executable, "-c", probe.replace("migrate(e);", "", 1)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert second.stdout.split() == ["False", "False"]  # already at head: no Alembic


def test_a_bad_setting_is_still_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """pydantic is no longer imported by bot.cli, but its ValidationError still reads well."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSBRIEF_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NEWSBRIEF_HTTP_PORT", "not-a-port")
    assert cli.main(["brief", "x"]) == 2
    assert "newsbrief: error: a setting is not valid" in capsys.readouterr().err
