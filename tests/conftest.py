"""Shared fixtures: a migrated database on SQLite and on the PostgreSQL server, per test.

PostgreSQL tests run in a schema of their own that is dropped afterwards, so they never touch
anything else in the `test` database. They skip only where no server answers; CI sets
SASAME_REQUIRE_POSTGRES=1 so that a missing server fails the run instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from sasame.db import make_engine, upgrade

POSTGRES_URL = os.environ.get("SASAME_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_answers() -> bool:
    try:
        with make_engine(POSTGRES_URL, connect_args={"connect_timeout": 2}).connect():
            return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    answers = _postgres_answers()
    if not answers and os.environ.get("SASAME_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"SASAME_REQUIRE_POSTGRES=1 but no PostgreSQL answers at {POSTGRES_URL}")
    return answers


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'sasame.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_available: bool) -> Iterator[str]:
    """A URL to an empty schema of its own on the PostgreSQL server, dropped after the test."""
    if not postgres_available:
        pytest.skip(f"no PostgreSQL answers at {POSTGRES_URL}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database's URL, once per backend; nothing is created in it."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cli.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """A freshly migrated, empty database: each test using it runs once per backend."""
    return request.getfixturevalue(f"{request.param}_engine")
