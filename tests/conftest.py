"""Shared fixtures: a migrated database on SQLite and on the PostgreSQL server, per test.

Migrating takes 0.2-2 s, so each backend is migrated once per session and every test gets a copy:
a copy of the SQLite file, or a PostgreSQL schema of its own (in the database of
SASAME_TEST_POSTGRES_URL, dropped after the test) into which the statements the migrations ran are
replayed. PostgreSQL tests skip only where no server answers; CI sets SASAME_REQUIRE_POSTGRES=1 so
that a missing server fails the run instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError

from sasame.db import head_revision, make_engine, upgrade
from sasame.models import Base

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
    """Schemas of their own for tests in the database of POSTGRES_URL.

    Making a migrated schema takes a second or two (creating some 60 tables and their indexes), so
    a test's schema is emptied afterwards (every row deleted, every sequence restarted: what a new
    one has) and lent to the next test. The first one is migrated; later ones replay the
    statements that migration ran. (Databases created from a migrated template are quick to make,
    but PostgreSQL then fsyncs every catalog file of every one of them at the next checkpoint.)"""

    def __init__(self) -> None:
        self.admin = make_engine(POSTGRES_URL)
        self.migration: list[tuple[str, Any, bool]] | None = None
        self.idle: list[str] = []  # emptied migrated schemas, ready to lend

    @staticmethod
    def url(schema: str) -> str:
        return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"

    def empty(self) -> str:
        """A new, empty schema's name."""
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with self.admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        return schema

    def migrated(self) -> str:
        """A new schema's name, with every migration applied."""
        schema = self.empty()
        engine = make_engine(self.url(schema))
        try:
            if self.migration is None:
                self.migration = _recorded_upgrade(engine)
            else:
                raw = engine.raw_connection()
                try:
                    cursor = raw.cursor()
                    for statement, parameters, many in self.migration:
                        (cursor.executemany if many else cursor.execute)(statement, parameters)
                    raw.commit()
                finally:
                    raw.close()
        finally:
            engine.dispose()
        return schema

    @contextmanager
    def lend(self) -> Iterator[str]:
        """A migrated schema without rows, for the length of one test."""
        schema = self.idle.pop() if self.idle else self.migrated()
        yield schema
        try:
            emptied = self._emptied(schema)
        except OperationalError:  # a connection the test left open still locks a table: leave it
            return
        if emptied:
            self.idle.append(schema)
        else:
            self.drop(schema)

    def _emptied(self, schema: str) -> bool:
        """Delete every row and restart every sequence; False if the schema is no longer the
        migrated one (a test changed its tables), which is then not lent again."""
        with self.admin.begin() as connection:
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            tables = connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = :schema"), {"schema": schema}
            ).scalars()
            rows = sorted(set(tables) - {"alembic_version"})
            if rows != self._tables or connection.execute(
                text(f'SELECT version_num FROM "{schema}".alembic_version')
            ).all() != [(self._head,)]:
                return False
            connection.execute(text("SET LOCAL session_replication_role = replica"))  # no FK order
            connection.exec_driver_sql("".join(f'DELETE FROM "{schema}"."{name}";' for name in rows))
            connection.execute(
                text(
                    "SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n"
                    " ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND n.nspname = :schema"
                ),
                {"schema": schema},
            )
        return True

    @cached_property
    def _tables(self) -> list[str]:
        return sorted(Base.metadata.tables)

    @cached_property
    def _head(self) -> str:
        return head_revision()

    def drop(self, schema: str) -> None:
        with self.admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))

    def close(self) -> None:
        for schema in self.idle:
            self.drop(schema)
        self.admin.dispose()


def _recorded_upgrade(engine: Engine) -> list[tuple[str, Any, bool]]:
    """Migrate, and return each statement that changed something (not the catalog reads)."""
    statements: list[tuple[str, Any, bool]] = []

    def record(
        _connection: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        if not statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters, many))

    event.listen(engine, "before_cursor_execute", record)
    try:
        upgrade(engine)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return statements


@pytest.fixture(scope="session")
def postgres_server(postgres_available: bool) -> Iterator[PostgresServer]:
    if not postgres_available:
        pytest.skip(f"no PostgreSQL answers at {POSTGRES_URL}")
    server = PostgresServer()
    yield server
    server.close()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of an empty schema of its own on the PostgreSQL server, dropped after the test."""
    schema = postgres_server.empty()
    yield postgres_server.url(schema)
    postgres_server.drop(schema)


@pytest.fixture
def postgres_engine(postgres_server: PostgresServer) -> Iterator[Engine]:
    with postgres_server.lend() as schema:
        engine = make_engine(postgres_server.url(schema))
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
