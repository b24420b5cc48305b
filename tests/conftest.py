"""Shared fixtures: a migrated database on SQLite and on the PostgreSQL server, per test.

Migrating takes 0.2-2 s, so each backend is migrated once per session and every test gets a copy:
a copy of the SQLite file, or a PostgreSQL database created from the migrated one as its template
(a few milliseconds). PostgreSQL tests get databases of their own on the server at
SASAME_TEST_POSTGRES_URL, all dropped when the session ends. They skip only where no server
answers; CI sets SASAME_REQUIRE_POSTGRES=1 so that a missing server fails the run instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

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


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite file, copied for each test that needs one."""
    path = tmp_path_factory.mktemp("template") / "sasame.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection closing folds the WAL back into the file
    return path


@pytest.fixture
def sqlite_engine(sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    path = tmp_path / "sasame.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


class PostgresServer:
    """Databases of their own for tests, on the server at POSTGRES_URL, all dropped when the
    session ends: PostgreSQL 15 checkpoints on every DROP DATABASE, which takes seconds after a
    test that wrote much, and once the tests are done nothing is left to write."""

    def __init__(self) -> None:
        self.server = create_engine(make_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
        self.created: list[str] = []
        self.template: str | None = None

    def url(self, name: str) -> str:
        return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)

    def empty(self) -> str:
        """The URL of a new, empty database."""
        return self.url(self._create())

    def migrated(self) -> str:
        """The URL of a new database with the schema, created from a template migrated once."""
        if self.template is None:
            template = self._create()
            engine = make_engine(self.url(template))
            upgrade(engine)
            engine.dispose()  # CREATE DATABASE ... TEMPLATE needs the template without connections
            self.template = template
        return self.url(self._create(template=self.template))

    def _create(self, template: str | None = None) -> str:
        name = f"sasame_test_{uuid.uuid4().hex[:12]}"
        statement = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
        with self.server.connect() as connection:
            connection.execute(text(statement))
        self.created.append(name)
        return name

    def drop_all(self) -> None:
        with self.server.connect() as connection:
            for name in reversed(self.created):  # the template last: the others were made from it
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.server.dispose()


@pytest.fixture(scope="session")
def postgres_server(postgres_available: bool) -> Iterator[PostgresServer]:
    if not postgres_available:
        pytest.skip(f"no PostgreSQL answers at {POSTGRES_URL}")
    server = PostgresServer()
    yield server
    server.drop_all()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """The URL of an empty database of its own on the PostgreSQL server."""
    return postgres_server.empty()


@pytest.fixture
def postgres_engine(postgres_server: PostgresServer) -> Iterator[Engine]:
    engine = make_engine(postgres_server.migrated())
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
