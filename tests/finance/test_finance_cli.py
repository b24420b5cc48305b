"""`sasame pnl`, `reconcile`, `export`, `expense` and `rates` over the hand-written books."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from finance_books import build_books
from sqlalchemy import Engine
from typer.testing import CliRunner

from sasame.cli import app
from sasame.db import transaction
from sasame.finance.pnl import refresh_pnl_days

runner = CliRunner()


@pytest.fixture
def db(sqlite_engine: Engine) -> str:
    build_books(sqlite_engine)
    with transaction(sqlite_engine) as session:
        refresh_pnl_days(session)
    return str(sqlite_engine.url)


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_pnl_json_csv_and_table(db: str):
    data = json.loads(
        run("pnl", "--db", db, "--from", "2025-03-03", "--to", "2025-03-16", "--by", "week", "--json")
    )
    assert [row["key"] for row in data["rows"]] == ["2025-W10", "2025-W11"]
    assert data["rows"][0]["net_operating_income"] == "8.08"
    assert data["total"]["net_income"] == "-291.92"
    rows = list(
        csv.DictReader(
            io.StringIO(run("pnl", "--db", db, "--from", "2025-03-03", "--to", "2025-03-04", "--csv"))
        )
    )
    assert [row["day"] for row in rows] == ["2025-03-03", "2025-03-04", "Total"]
    assert rows[0]["contribution_after_fulfilment"] == "83.08"
    assert rows[2]["net_revenue"] == "75.00"
    table = run("pnl", "--db", db, "--from", "2025-03-03", "--to", "2025-03-16", "--by", "channel")
    assert "Amazon" in table and "1.83" in table


def test_pnl_rejects_bad_options(db: str):
    result = runner.invoke(
        app, ["pnl", "--db", db, "--from", "2025-03-03", "--to", "2025-03-16", "--by", "year"]
    )
    assert result.exit_code != 0
    assert "--by" in str(result.exception)
    result = runner.invoke(app, ["pnl", "--db", db, "--from", "March", "--to", "2025-03-16"])
    assert "--from: 'March' is not a date" in str(result.exception)


def test_reconcile_json_explains_profit_and_cash(db: str):
    data = json.loads(run("reconcile", "--db", db, "--from", "2025-03-03", "--to", "2025-03-16", "--json"))
    comparison = data["profit_vs_cash"]
    assert comparison["net_income"] == "-291.92" and comparison["cash_change"] == "-300.00"
    assert sum(Decimal(item["amount"]) for item in comparison["items"]) == Decimal("-8.08")
    assert "Why profit and cash differ" in run("reconcile", "--db", db)


def test_export_writes_each_format(db: str, tmp_path: Path):
    beancount = tmp_path / "books.beancount"
    assert "wrote 3 journal entries" in run("export", "beancount", "--out", str(beancount), "--db", db)
    assert loader.load_file(str(beancount))[1] == []
    quickbooks = tmp_path / "qbo.csv"
    run("export", "quickbooks", "--out", str(quickbooks), "--db", db, "--per", "day", "--from", "2025-03-10")
    rows = list(csv.DictReader(quickbooks.open()))
    assert {row["Journal No"] for row in rows} == {"D-2025-03-10"}
    xero = tmp_path / "xero.csv"
    run("export", "xero", "--out", str(xero), "--db", db)
    assert xero.read_text().startswith("*Narration,*Date,")
    result = runner.invoke(app, ["export", "sage", "--out", str(tmp_path / "x"), "--db", db])
    assert result.exit_code != 0


def test_expenses_and_rates(db: str, tmp_path: Path):
    out = run(
        "expense",
        "add",
        "Shopify plan",
        "--amount",
        "79.00",
        "--starts-on",
        "2025-01-05",
        "--category",
        "software",
        "--recurrence",
        "monthly",
        "--db",
        db,
    )
    assert "Shopify plan 79.00 USD (monthly) from 2025-01-05" in out
    listed = json.loads(run("expense", "list", "--json", "--db", db))
    assert listed == [
        {
            "id": 1,
            "name": "Shopify plan",
            "category": "software",
            "amount": "79.0000",
            "currency": "USD",
            "recurrence": "monthly",
            "starts_on": "2025-01-05",
            "ends_on": None,
        }
    ]
    rates = tmp_path / "rates.csv"
    rates.write_text("date,from,to,rate\n2025-03-03,CAD,USD,0.6950\n")
    assert "rates: +1 ~0 =0" in run("rates", "import", str(rates), "--db", db)
    assert "rates: +0 ~0 =1" in run("rates", "import", str(rates), "--db", db)
    rates.write_text("date,from,to,rate\n2025-03-03,CAD,USD,zero\n")
    result = runner.invoke(app, ["rates", "import", str(rates), "--db", db])
    assert "rates.csv, row 2, column 'rate'" in str(result.exception)


def test_an_expense_larger_than_sasame_can_store_is_refused(db: str) -> None:
    # It used to reach the database and fail there with a traceback.
    result = runner.invoke(
        app, ["expense", "add", "Rent", "--amount", "9" * 29, "--starts-on", "2025-03-01", "--db", db]
    )
    assert result.exit_code == 1
    assert str(result.exception) == f"--amount: {'9' * 29} is more than an amount sasame can store"
    assert json.loads(run("expense", "list", "--json", "--db", db)) == []
