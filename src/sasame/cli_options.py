"""What every `sasame` command and sub-app shares: opening the database, the --db and --json
options, and how import and sync counts read on a terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from sasame.config import Settings
from sasame.core.errors import ConfigError
from sasame.db import current_revision, head_revision, make_engine, upgrade

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: $SASAME_DATABASE_URL, else sqlite:///sasame.db)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def describe_changes(records: dict[str, dict[str, int]]) -> str:
    """'order +3 ~1 =96, customer +2 ~0 =0': created, updated and unchanged records per entity."""
    return ", ".join(
        f"{entity} +{counts['created']} ~{counts['updated']} ={counts['unchanged']}"
        for entity, counts in records.items()
    )


def open_database(db: str | None, *, migrate: bool = True) -> tuple[Settings, Engine]:
    """Resolve settings, connect, and (by default) create or upgrade the schema."""
    settings = Settings.from_env(db)
    engine = make_engine(settings.database_url)
    database = make_url(engine.url).database
    if not migrate and engine.dialect.name == "sqlite" and database and not Path(database).exists():
        raise ConfigError(f"database file {database} does not exist: run `sasame init --db ...` first")
    shown = make_url(engine.url).render_as_string(hide_password=True)
    try:
        with engine.connect():
            pass
    except OperationalError as error:
        raise ConfigError(f"database URL {shown}: cannot connect ({str(error.orig).strip()})") from error
    if migrate:
        upgrade(engine)
    elif current_revision(engine) != head_revision():
        raise ConfigError(
            f"database {shown} is not initialised or is out of date: run `sasame init --db ...`"
        )
    return settings, engine
