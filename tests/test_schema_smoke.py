from typing import Any

import pytest
from sqlalchemy import Engine, inspect

from sasame.db import current_revision, head_revision, make_engine, upgrade
from sasame.models import Base


def test_migrations_create_every_table(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    engine.dispose()


def schema(engine: Engine) -> dict[str, Any]:
    """Every table's columns, keys, indexes and constraints, as the database reports them."""
    inspector = inspect(engine)
    return {
        table: (
            [
                (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                for c in inspector.get_columns(table)
            ],
            inspector.get_pk_constraint(table),
            sorted(map(repr, inspector.get_foreign_keys(table))),
            sorted(map(repr, inspector.get_indexes(table))),
            sorted(map(repr, inspector.get_unique_constraints(table))),
            sorted(map(repr, inspector.get_check_constraints(table))),
        )
        for table in inspector.get_table_names()
    }


@pytest.mark.postgres
def test_the_replayed_migration_of_the_postgres_fixtures_is_the_migration(postgres_server: Any) -> None:
    """conftest's PostgreSQL schemas replay the statements one migration ran: they must be the
    schema a migration makes, version row included."""
    migrated, replayed = postgres_server.migrated(), postgres_server.migrated()  # the second replays
    engines = [make_engine(postgres_server.url(name)) for name in (migrated, replayed)]
    try:
        replayed_schema = schema(engines[1])
        assert replayed_schema == schema(engines[0])
        assert len(replayed_schema) == len(Base.metadata.tables) + 1  # and alembic_version
        assert current_revision(engines[1]) == head_revision()
    finally:
        for engine, name in zip(engines, (migrated, replayed), strict=True):
            engine.dispose()
            postgres_server.drop(name)
