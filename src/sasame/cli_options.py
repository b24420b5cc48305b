"""What every `sasame` command and sub-app shares: the --db and --json options, and how import
and sync counts read on a terminal."""

from __future__ import annotations

from typing import Annotated

import typer

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
