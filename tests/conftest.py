"""Shared fixtures.

``database_url`` is a fresh, empty database per test: a SQLite file in ``tmp_path``,
and, only when ``NEWSBRIEF_TEST_DATABASE_URL`` is set, also a PostgreSQL schema of
its own on that server (created before the test, dropped after). Without the
variable the PostgreSQL parameters are simply not generated; with it, a server that
does not answer fails the tests instead of skipping them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from bot.store import Store, create_store_engine

PG_ENV = "NEWSBRIEF_TEST_DATABASE_URL"


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(PG_ENV) else ["sqlite"]


@pytest.fixture(params=_backends())
def database_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{os.path.join(tmp_path, 'newsbrief.db')}"
        return
    admin = create_store_engine(os.environ[PG_ENV])
    schema = f"nb_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = admin.url.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    s = Store.open(database_url)
    try:
        yield s
    finally:
        s.close()
