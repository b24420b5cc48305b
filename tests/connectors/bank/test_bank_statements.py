"""Bank statements: OFX/QFX/QBO and CSV presets as golden files; saved CSV mappings (service, CLI,
detection); the import path on both databases (exact counts and totals, idempotence, identical
same-day lines kept apart, overlapping statements, one bad cell changes nothing)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from connector_support import check_golden, count, import_into, parse_file, refused_unchanged, scalars, total
from sqlalchemy import select
from typer.testing import CliRunner

from sasame import models as m
from sasame.cli import app as main_app
from sasame.connectors import REGISTRY
from sasame.connectors.bank.cli import app as bank_app
from sasame.connectors.bank.csv_statement import SAVED_LAYOUTS, BankCsv
from sasame.connectors.bank.mappings import list_bank_mappings, save_bank_mapping, use_saved_mappings
from sasame.connectors.bank.ofx import OfxStatement
from sasame.connectors.base import ParseContext
from sasame.connectors.files import SourceFile
from sasame.core.errors import UserError
from sasame.db import transaction
from sasame.ingest.service import import_file

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
MAPPED = HERE / "mapped"
NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
FORMATS = {".ofx": OfxStatement(), ".qfx": OfxStatement(), ".qbo": OfxStatement(), ".csv": BankCsv()}
VALID = sorted(p.name for p in FIXTURES.iterdir() if p.suffix in FORMATS and "corrupt" not in p.name)


@pytest.fixture(autouse=True)
def no_saved_mappings() -> Iterator[None]:
    token = SAVED_LAYOUTS.set(())
    yield
    SAVED_LAYOUTS.reset(token)


def parsed(path: Path) -> dict[str, Any]:
    return parse_file(FORMATS[path.suffix], path, ParseContext(timezone=ZoneInfo("UTC"), currency="USD"))


@pytest.mark.parametrize("name", VALID)
def test_golden_file(name: str) -> None:
    check_golden(parsed(FIXTURES / name), FIXTURES / name)


@pytest.mark.parametrize("name", VALID)
def test_detected_by_content_as_one_format_only(name: str) -> None:
    file = SourceFile(name="statement.txt", data=(FIXTURES / name).read_bytes())
    assert [f.name for f in REGISTRY if f.detect(file)] == [FORMATS[Path(name).suffix].name]


def bank_totals(engine) -> tuple[int, Decimal]:
    return scalars(engine, count(m.BankTransaction), total(m.BankTransaction.amount))  # type: ignore[return-value]


def test_ofx_import_is_exact_idempotent_and_overlaps_by_fitid(engine, tmp_path) -> None:
    path = FIXTURES / "checking_ofx1_sgml.ofx"
    first = import_into(engine, path, NOW)
    assert (first.format, first.rows_read) == ("bank.ofx", 4)
    assert first.records["bank_transaction"] == {"created": 4, "updated": 0, "unchanged": 0}
    assert first.money == {"bank": {"USD": Decimal("2170.34")}}
    again = import_into(engine, path, NOW)
    assert again.records["bank_transaction"] == {"created": 0, "updated": 0, "unchanged": 4}
    # The next statement repeats the 9th (FITID 202401090001, memo now complete) and adds one line.
    text = path.read_bytes().decode("cp1252")
    later = text.replace("<MEMO>PAYPAL TRANSFER", "<MEMO>PAYPAL TRANSFER 1039447583").replace(
        "</BANKTRANLIST>",
        "<STMTTRN>\r\n<TRNTYPE>DEBIT\r\n<DTPOSTED>20240111\r\n<TRNAMT>-19.99\r\n<FITID>202401110001\r\n"
        "<NAME>SHOPIFY* APP FEES\r\n</STMTTRN>\r\n</BANKTRANLIST>",
    )
    overlapping = tmp_path / "later.qfx"
    overlapping.write_bytes(later.encode("cp1252"))
    third = import_into(engine, overlapping, NOW)
    assert third.records["bank_transaction"] == {"created": 1, "updated": 1, "unchanged": 3}
    assert bank_totals(engine) == (5, Decimal("2150.35"))
    with transaction(engine) as session:
        cafe = session.scalar(
            select(m.BankTransaction).where(m.BankTransaction.external_id == "202401050002")
        )
    assert (cafe.account, cafe.description) == ("121000248-0001234567", "Café Renée POS PURCHASE")


def test_csv_import_keeps_identical_same_day_lines_and_is_idempotent(engine, tmp_path) -> None:
    path = FIXTURES / "chase_checking.csv"
    first = import_into(engine, path, NOW)
    assert first.records["bank_transaction"] == {"created": 5, "updated": 0, "unchanged": 0}
    assert first.money == {"bank": {"USD": Decimal("2163.74")}}
    again = import_into(engine, path, NOW)
    assert again.records["bank_transaction"] == {"created": 0, "updated": 0, "unchanged": 5}
    lines = path.read_text().splitlines()
    overlapping = tmp_path / "chase_jan_5_12.csv"  # the 5th whole (both coffees) again, then a new day
    overlapping.write_text(
        "\n".join([*lines[:4], 'DEBIT,01/12/2024,"USPS",-9.10,DEBIT_CARD,5361.64,,']) + "\n"
    )
    third = import_into(engine, overlapping, NOW)
    assert third.records["bank_transaction"] == {"created": 1, "updated": 0, "unchanged": 3}
    assert bank_totals(engine) == (6, Decimal("2154.64"))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("chase_checking_corrupt.csv", "row 5, column 'Amount': '-25O.00' is not an amount"),
        ("checking_ofx1_sgml_corrupt.ofx", "row 58, column 'TRNAMT': '-25O.00' is not an amount"),
    ],
)
def test_a_corrupted_cell_names_file_row_column_and_changes_nothing(engine, name: str, message: str) -> None:
    import_into(engine, FIXTURES / "wells_fargo.csv", NOW)
    bad = FIXTURES / name
    assert refused_unchanged(engine, bad, NOW, bank_totals) == f"{bad}, {message}"


# -- saved mappings --------------------------------------------------------------------------


def test_a_saved_mapping_is_detected_and_imported(engine) -> None:
    german = MAPPED / "german_bank.csv"
    with transaction(engine) as session:
        assert not [f.name for f in REGISTRY if f.detect(SourceFile.read(german))]
        save_bank_mapping(
            session,
            name="sparkasse",
            account="sparkasse-giro",
            currency="eur",
            date_column="Buchungstag",
            date_format="DD.MM.YYYY",
            amount_column="Betrag",
            description_column="Verwendungszweck",
            balance_column="Saldo",
            decimal_comma=True,
            now=NOW,
        )
    SAVED_LAYOUTS.set(())  # a new command starts without them: the boundary loads them
    with transaction(engine) as session:
        use_saved_mappings(session)
        summary = import_file(session, german, now=NOW)
    assert (summary.format, summary.rows_read) == ("bank.csv", 3)
    assert summary.records["bank_transaction"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert summary.money == {"bank": {"EUR": Decimal("383.83")}}
    with transaction(engine) as session:
        rows = session.execute(
            select(m.BankTransaction.posted_on, m.BankTransaction.amount, m.BankTransaction.account).order_by(
                m.BankTransaction.id
            )
        ).all()
        assert [mapping.name for mapping in list_bank_mappings(session)] == ["sparkasse"]
    assert rows[0] == (date(2024, 1, 2), Decimal("1238.73"), "sparkasse-giro")


def test_a_mapping_with_debit_credit_and_bank_ids(engine) -> None:
    with transaction(engine) as session:
        save_bank_mapping(
            session,
            name="business-bank",
            currency="GBP",
            date_column="Date",
            date_format="%d/%m/%Y",
            debit_column="Money Out",
            credit_column="Money In",
            id_column="Reference",
            description_column="Description",
            now=NOW,
        )
        summary = import_file(session, MAPPED / "amex_like_debit_credit.csv", now=NOW)
        ids = session.scalars(select(m.BankTransaction.external_id).order_by(m.BankTransaction.id)).all()
    assert summary.money == {"bank": {"GBP": Decimal("1607.90")}}  # a debit written negative is still out
    assert list(ids) == ["TX-0001", "TX-0002", "TX-0003"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"amount_column": "A", "debit_column": "D", "credit_column": "C"}, "not both"),
        ({"debit_column": "D"}, "both --debit and --credit"),
        ({"amount_column": "A", "date_format": "DD/MM"}, "does not read a full date back"),
        ({"amount_column": "A", "currency": "dollars"}, "three-letter"),
    ],
)
def test_a_mapping_that_cannot_work_is_refused(sqlite_engine, options: dict[str, str], message: str) -> None:
    arguments: dict[str, Any] = {"date_format": "MM/DD/YYYY", **options}
    with pytest.raises(UserError, match=message), transaction(sqlite_engine) as session:
        save_bank_mapping(
            session, name="x", date_column="Date", description_column="Memo", now=NOW, **arguments
        )


def test_cli_adds_lists_and_imports_with_mappings(database_url: str) -> None:
    runner = CliRunner()
    added = runner.invoke(
        bank_app,
        ["mapping", "add", "sparkasse", "--date", "Buchungstag", "--date-format", "DD.MM.YYYY",
         "--amount", "Betrag", "--description", "Verwendungszweck", "--currency", "EUR",
         "--decimal-comma", "--db", database_url],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert added.output == "saved bank mapping 'sparkasse' (account sparkasse, EUR)\n"
    listed = runner.invoke(bank_app, ["mapping", "list", "--json", "--db", database_url])
    assert json.loads(listed.output)[0]["date_format"] == "%d.%m.%Y"
    SAVED_LAYOUTS.set(())
    imported = runner.invoke(
        main_app, ["import", str(MAPPED / "german_bank.csv"), "--json", "--db", database_url]
    )
    assert imported.exit_code == 0, imported.output
    summary = json.loads(imported.output)[0]
    assert (summary["format"], summary["money"]) == ("bank.csv", {"bank": {"EUR": "383.83"}})
