"""`sasame bank mapping ...`: save and list the column mappings of bank CSV files no preset knows.
`sasame import` detects files matching a saved mapping. Mounted by sasame.cli as the `bank` sub-app."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from sasame.cli_options import DbOption

app = typer.Typer(help="Bank statements: saved CSV column mappings.", no_args_is_help=True)
mapping_app = typer.Typer(help="Column mappings for bank CSV files no preset knows.", no_args_is_help=True)
app.add_typer(mapping_app, name="mapping")


@mapping_app.command("add")
def mapping_add(
    name: Annotated[str, typer.Argument(help="A name for this bank's layout, e.g. 'boa-checking'.")],
    date: Annotated[str, typer.Option("--date", help="The posting date column.")],
    date_format: Annotated[
        str, typer.Option("--date-format", help="MM/DD/YYYY, DD.MM.YYYY, or a strptime pattern.")
    ],
    description: Annotated[str, typer.Option("--description", help="The description column.")],
    amount: Annotated[
        str | None, typer.Option("--amount", help="A signed amount column (deposits +).")
    ] = None,
    debit: Annotated[
        str | None, typer.Option("--debit", help="The money-out column (with --credit).")
    ] = None,
    credit: Annotated[
        str | None, typer.Option("--credit", help="The money-in column (with --debit).")
    ] = None,
    transaction_id: Annotated[
        str | None, typer.Option("--id", help="The bank's transaction id column.")
    ] = None,
    balance: Annotated[str | None, typer.Option("--balance", help="The running balance column.")] = None,
    account: Annotated[str | None, typer.Option("--account", help="Account name (default: NAME).")] = None,
    currency: Annotated[str, typer.Option("--currency", help="ISO 4217 currency of the account.")] = "USD",
    decimal_comma: Annotated[
        bool, typer.Option("--decimal-comma", help="Amounts are written 1.234,56.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Save (or replace) the mapping NAME; files whose header has its columns are then detected."""
    from sasame.cli_options import open_database
    from sasame.connectors.bank.mappings import save_bank_mapping
    from sasame.core.clock import system_clock
    from sasame.db import transaction

    _, engine = open_database(db)
    with transaction(engine) as session:
        mapping = save_bank_mapping(
            session,
            name=name,
            date_column=date,
            date_format=date_format,
            description_column=description,
            amount_column=amount,
            debit_column=debit,
            credit_column=credit,
            id_column=transaction_id,
            balance_column=balance,
            account=account,
            currency=currency,
            decimal_comma=decimal_comma,
            now=system_clock(),
        )
        typer.echo(f"saved bank mapping {mapping.name!r} (account {mapping.account}, {mapping.currency})")


@mapping_app.command("list")
def mapping_list(
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of lines.")] = False,
) -> None:
    """List the saved mappings."""
    from sasame.cli_options import open_database
    from sasame.connectors.bank.mappings import list_bank_mappings
    from sasame.db import transaction

    _, engine = open_database(db)
    with transaction(engine) as session:
        rows = [
            {
                "name": mapping.name,
                "account": mapping.account,
                "currency": mapping.currency,
                "date": mapping.date_column,
                "date_format": mapping.date_format,
                "amount": mapping.amount_column,
                "debit": mapping.debit_column,
                "credit": mapping.credit_column,
                "description": mapping.description_column,
                "id": mapping.id_column,
                "balance": mapping.balance_column,
                "decimal_comma": mapping.decimal_comma,
            }
            for mapping in list_bank_mappings(session)
        ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("no bank mappings saved (add one with `sasame bank mapping add`)")
    for row in rows:
        amount = row["amount"] or f"{row['credit']} − {row['debit']}"
        typer.echo(
            f"{row['name']}: account {row['account']} ({row['currency']}), date {row['date']!r} "
            f"{row['date_format']}, amount {amount!r}, description {row['description']!r}"
        )
