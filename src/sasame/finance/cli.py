"""`sasame pnl`, `sasame reconcile`, `sasame export`, `sasame expense` and `sasame rates`: thin
commands over the finance services."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sasame.cli_options import DbOption, JsonOption, open_database
from sasame.core.errors import UserError

console = Console()
expense_app = typer.Typer(
    help="Operating expenses the P&L subtracts (software, salaries, rent).", no_args_is_help=True
)
rates_app = typer.Typer(
    help="Exchange rates for converting other currencies to the store's.", no_args_is_help=True
)

FromOption = Annotated[str | None, typer.Option("--from", help="First business day, YYYY-MM-DD.")]
ToOption = Annotated[str | None, typer.Option("--to", help="Last business day (inclusive), YYYY-MM-DD.")]


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise UserError(f"{option}: {value!r} is not a date like 2026-03-31") from error


def pnl(
    from_: FromOption = None,
    to: ToOption = None,
    by: Annotated[str, typer.Option("--by", help="day, week, month, channel, product or sku.")] = "day",
    as_json: JsonOption = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
    db: DbOption = None,
) -> None:
    """The P&L from gross sales to net operating income, by period, channel, product or SKU."""
    from sasame.db import transaction
    from sasame.finance.pnl import FIGURES
    from sasame.finance.service import default_range, pnl_report

    _, engine = open_database(db)
    with transaction(engine) as session:
        first, last = _day(from_, "--from"), _day(to, "--to")
        if first is None or last is None:
            default_first, default_last = default_range(session)
            first, last = first or default_first, last or default_last
        report = pnl_report(session, first, last + timedelta(days=1), by)
    if as_json:
        typer.echo(json.dumps(report.as_json(), indent=2))
        return
    if as_csv:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([by, *FIGURES, "break_even_roas"])
        for row in [*report.rows, report.total]:
            roas = row.break_even_roas
            writer.writerow(
                [row.label, *(str(row.figures[f]) for f in FIGURES), "" if roas is None else str(roas)]
            )
        typer.echo(out.getvalue(), nl=False)
        return
    # The table keeps to a terminal's width: the layers' subtotals; --json and --csv have every line.
    shown = {
        "net_revenue": "Net\nrevenue",
        "gross_margin": "Gross\nmargin",
        "contribution_after_fulfilment": "After\nfulfilment",
        "net_operating_income": "Net op.\nincome",
    }
    table = Table(title=f"P&L {report.first} to {last} by {by} ({report.currency})")
    table.add_column(by.capitalize(), overflow="fold", min_width=12)
    for label in shown.values():
        table.add_column(label, justify="right", no_wrap=True)
    table.add_column("Break-even\nROAS", justify="right", no_wrap=True)
    for row in [*report.rows, report.total]:
        roas = row.break_even_roas
        table.add_row(
            row.label, *(f"{row.figures[name]:,.2f}" for name in shown), "—" if roas is None else f"{roas}"
        )
    console.print(table)


def reconcile(
    from_: FromOption = None,
    to: ToOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Match payouts to bank deposits, check every payout and clearing account, explain profit vs cash."""
    from sasame.core.clock import system_clock
    from sasame.db import transaction
    from sasame.finance.service import reconcile_books

    first, last = _day(from_, "--from"), _day(to, "--to")
    _, engine = open_database(db)
    with transaction(engine) as session:
        report = reconcile_books(session, system_clock(), first, last + timedelta(days=1) if last else None)
    if as_json:
        typer.echo(json.dumps(report.as_json(), indent=2))
        return
    console.print(
        f"{report.reconciled} of {len(report.payouts)} payouts reconciled "
        f"({report.matched_now} deposits matched now); {len(report.issues)} exceptions."
    )
    if report.issues:
        table = Table(title="Exceptions")
        for column in ("Kind", "Amount", "Reason"):
            table.add_column(column, justify="right" if column == "Amount" else "left")
        for issue in report.issues[:50]:
            table.add_row(issue.kind, f"{issue.amount:,.2f} {issue.currency}", issue.reason)
        console.print(table)
        if len(report.issues) > 50:
            console.print(f"... and {len(report.issues) - 50} more (use --json for all)")
    comparison = report.profit_vs_cash
    if comparison:
        last_day = comparison.last_exclusive - timedelta(days=1)
        table = Table(title=f"Why profit and cash differ ({comparison.first} to {last_day})")
        table.add_column("Item")
        table.add_column("Amount", justify="right")
        table.add_row("Net income", f"{comparison.net_income:,.2f}")
        for item in comparison.items:
            table.add_row(item.label, f"{item.amount:,.2f}")
        table.add_row("Change in the bank", f"{comparison.cash_change:,.2f}")
        console.print(table)


def export(
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help="quickbooks, xero or beancount.")],
    out: Annotated[Path, typer.Option("--out", help="File to write.")],
    from_: FromOption = None,
    to: ToOption = None,
    per: Annotated[
        str, typer.Option("--per", help="payout (summary per payout, rest per day) or day.")
    ] = "payout",
    db: DbOption = None,
) -> None:
    """Write the ledger as QuickBooks Online or Xero journal CSV, or a beancount ledger."""
    from sasame.db import transaction
    from sasame.finance.exports import export_ledger

    first, last = _day(from_, "--from"), _day(to, "--to")
    _, engine = open_database(db)
    with transaction(engine) as session:
        text, journals = export_ledger(session, fmt, first, last + timedelta(days=1) if last else None, per)
    out.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {journals} journal entries to {out}")


def expense_add(
    name: Annotated[str, typer.Argument(help="What it is, e.g. 'Shopify plan'.")],
    amount: Annotated[str, typer.Option("--amount", help="Amount per occurrence, e.g. 79.00.")],
    starts_on: Annotated[str, typer.Option("--starts-on", help="First day, YYYY-MM-DD.")],
    category: Annotated[str, typer.Option("--category", help="software, salaries, rent, ...")] = "other",
    recurrence: Annotated[
        str, typer.Option("--recurrence", help="none, weekly, monthly or yearly.")
    ] = "none",
    ends_on: Annotated[str | None, typer.Option("--ends-on", help="Last day, YYYY-MM-DD.")] = None,
    currency: Annotated[str | None, typer.Option("--currency", help="Default: the store currency.")] = None,
    db: DbOption = None,
) -> None:
    """Record an operating expense (posted to the ledger by the next `sasame run`)."""
    from sasame.core.clock import system_clock
    from sasame.db import transaction
    from sasame.finance.expenses import add_expense

    start = _day(starts_on, "--starts-on")
    assert start is not None
    _, engine = open_database(db)
    with transaction(engine) as session:
        expense = add_expense(
            session,
            name=name,
            category=category,
            amount=amount,
            starts_on=start,
            ends_on=_day(ends_on, "--ends-on"),
            recurrence=recurrence,
            currency=currency,
            now=system_clock(),
        )
        typer.echo(
            f"recorded expense {expense.id}: {expense.name} {expense.amount:.2f} {expense.currency} "
            f"({expense.recurrence}) from {expense.starts_on}"
        )


def expense_list(as_json: JsonOption = False, db: DbOption = None) -> None:
    """List the recorded operating expenses."""
    from sasame.db import transaction
    from sasame.finance.expenses import list_expenses

    _, engine = open_database(db)
    with transaction(engine) as session:
        rows = [
            {
                "id": e.id,
                "name": e.name,
                "category": e.category,
                "amount": str(e.amount),
                "currency": e.currency,
                "recurrence": e.recurrence,
                "starts_on": e.starts_on.isoformat(),
                "ends_on": e.ends_on.isoformat() if e.ends_on else None,
            }
            for e in list_expenses(session)
        ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("no operating expenses recorded (add one with `sasame expense add`)")
    for row in rows:
        typer.echo(
            f"{row['id']}: {row['name']} [{row['category']}] {row['amount']} {row['currency']} "
            f"{row['recurrence']} from {row['starts_on']}"
            + (f" to {row['ends_on']}" if row["ends_on"] else "")
        )


def rates_import(
    file: Annotated[Path, typer.Argument(help="CSV with the columns date,from,to,rate.")],
    db: DbOption = None,
) -> None:
    """Import exchange rates (the table the P&L converts with where no payout says otherwise)."""
    from sasame.db import transaction
    from sasame.finance.fx import import_rates

    if not file.is_file():
        raise UserError(f"{file}: no such file")
    text = file.read_text(encoding="utf-8-sig")
    _, engine = open_database(db)
    with transaction(engine) as session:
        result = import_rates(session, text, file.name)
    typer.echo(f"rates: +{result.created} ~{result.updated} ={result.unchanged}")


def register(app: typer.Typer) -> None:
    """Add the finance commands to the top-level `sasame` app."""
    app.command("pnl")(pnl)
    app.command("reconcile")(reconcile)
    app.command("export")(export)
    expense_app.command("add")(expense_add)
    expense_app.command("list")(expense_list)
    rates_app.command("import")(rates_import)
    app.add_typer(expense_app, name="expense")
    app.add_typer(rates_app, name="rates")
