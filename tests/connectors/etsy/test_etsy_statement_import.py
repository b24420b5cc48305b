"""Etsy statements through the real import path, on SQLite and PostgreSQL: deposits as payouts that
add up, fees by type, idempotence, a re-export with the newer 'Tax Details' column, a bad cell."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from connector_support import import_into, refused_unchanged
from sqlalchemy import func, select

from sasame import models as m
from sasame.db import transaction

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)

STATEMENT = FIXTURES / "etsy_statement_eur_2022_01.csv"


def payouts(engine) -> dict[str, tuple[Decimal, Decimal, int]]:
    """Each payout's amount, the sum of its lines and their count."""
    with transaction(engine) as session:
        sums = {
            payout_id: (Decimal(total), count)
            for payout_id, total, count in session.execute(
                select(m.PayoutLine.payout_id, func.sum(m.PayoutLine.amount), func.count()).group_by(
                    m.PayoutLine.payout_id
                )
            ).all()
        }
        return {
            payout.external_id: (payout.amount, *sums[payout.id])
            for payout in session.scalars(select(m.Payout))
        }


def fees(engine) -> dict[str, Decimal]:
    with transaction(engine) as session:
        return {
            fee_type: Decimal(total)
            for fee_type, total in session.execute(
                select(m.PayoutLine.fee_type, func.sum(m.PayoutLine.amount))
                .where(m.PayoutLine.kind == "fee")
                .group_by(m.PayoutLine.fee_type)
            ).all()
        }


EXPECTED = {
    "deposit:EUR:2022-01-10:678.00:1": (Decimal("678.00"), Decimal("678.00"), 6),
    "deposit:EUR:2022-01-24:1236.75:1": (Decimal("1236.75"), Decimal("1236.75"), 13),
}


def test_deposits_become_payouts_that_add_up(engine):
    first = import_into(engine, STATEMENT, NOW)
    assert first.format == "etsy.statement"
    assert first.rows_read == 19
    assert first.records == {
        "channel": {"created": 1, "updated": 0, "unchanged": 0},
        "payout": {"created": 2, "updated": 0, "unchanged": 0},
    }
    assert first.money == {"payouts": {"EUR": Decimal("1914.75")}}
    assert payouts(engine) == EXPECTED
    assert fees(engine) == {
        "listing": Decimal("-0.54"),
        "transaction": Decimal("-110.51"),
        "processing": Decimal("-52.05"),
        "offsite_ads": Decimal("-192.00"),
        "vat_on_fees": Decimal("-10.24"),
    }
    again = import_into(engine, STATEMENT, NOW)
    assert again.records == {"payout": {"created": 0, "updated": 0, "unchanged": 2}}
    assert payouts(engine) == EXPECTED


def test_a_reexport_with_the_tax_details_column_changes_nothing(engine, tmp_path: Path):
    import_into(engine, STATEMENT, NOW)
    lines = STATEMENT.read_text(encoding="utf-8-sig").splitlines()
    reexport = tmp_path / "statement.csv"
    reexport.write_text("\n".join([lines[0] + ",Tax Details", *(line + ",--" for line in lines[1:])]) + "\n")
    again = import_into(engine, reexport, NOW)
    assert again.records == {"payout": {"created": 0, "updated": 0, "unchanged": 2}}
    assert payouts(engine) == EXPECTED


def test_a_corrupted_cell_imports_nothing_and_says_where(engine, tmp_path: Path):
    import_into(engine, FIXTURES / "etsy_statement_usd_2026_09.csv", NOW)
    bad = tmp_path / "etsy_statement_2022_1.csv"
    text = STATEMENT.read_text(encoding="utf-8-sig")
    bad.write_text(text.replace("€ 45.00,--,€ 45.00", "€ 45.00,--,€ 4S.00"), encoding="utf-8")
    assert (
        refused_unchanged(engine, bad, NOW, payouts)
        == f"{bad}, row 3, column 'Net': '€ 4S.00' is not an amount"
    )
