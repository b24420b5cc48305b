"""Stripe balance exports: golden files for every variant, and the whole import path on both
databases (exact counts and totals, idempotence, overlapping exports, one bad cell changes nothing)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from connector_support import check_golden, import_into, parse_file, payout_totals, refused_unchanged
from sqlalchemy import select

from sasame import models as m
from sasame.connectors import REGISTRY
from sasame.connectors.base import ParseContext
from sasame.connectors.files import SourceFile
from sasame.connectors.stripe.balance import StripeBalanceTransactions
from sasame.core.errors import InputError
from sasame.db import transaction

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
FORMAT = StripeBalanceTransactions()
VALID = sorted(p.name for p in FIXTURES.glob("*.csv") if "corrupt" not in p.name)


def parsed(name: str) -> dict[str, Any]:
    return parse_file(FORMAT, FIXTURES / name, ParseContext(timezone=ZoneInfo("UTC"), currency="USD"))


@pytest.mark.parametrize("name", VALID)
def test_golden_file(name: str) -> None:
    check_golden(parsed(name), FIXTURES / name)


@pytest.mark.parametrize("name", VALID)
def test_detected_by_content_as_this_format_only(name: str) -> None:
    file = SourceFile(name="export.csv", data=(FIXTURES / name).read_bytes())
    assert [f.name for f in REGISTRY if f.detect(file)] == [FORMAT.name]


def test_lines_sum_to_each_payout_and_fees_are_negative() -> None:
    for name in VALID:
        for payout in parsed(name)["records"]:
            if payout["lines"]:
                assert sum(Decimal(line["amount"]) for line in payout["lines"]) == Decimal(payout["amount"])
            assert all(
                Decimal(line["amount"]) <= 0
                for line in payout["lines"]
                if line["kind"] == "fee" and not line["source"]["natural_key"].startswith("txn_19ABCD03")
            )  # 2016 refunds returned fees


def test_import_payout_reconciliation_is_exact_and_idempotent(engine) -> None:
    path = FIXTURES / "payout_reconciliation.csv"
    first = import_into(engine, path, NOW)
    assert first.format == FORMAT.name
    assert first.rows_read == 7
    assert first.records["payout"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert first.money == {"payouts": {"USD": Decimal("1264.45")}}
    assert first.warnings == [
        f"{path}: 1 row(s) of unknown Stripe category 'climate_order_purchase' kept as 'other'"
    ]
    assert payout_totals(engine) == (2, 11, Decimal("1264.45"), Decimal("1264.45"))
    again = import_into(engine, path, NOW)
    assert again.records["payout"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert payout_totals(engine) == (2, 11, Decimal("1264.45"), Decimal("1264.45"))
    with transaction(engine) as session:
        payout = session.scalar(select(m.Payout).where(m.Payout.external_id == "po_1OaA02"))
        kinds = sorted(
            (line.kind, line.fee_type or "", str(line.amount))
            for line in session.scalars(select(m.PayoutLine).where(m.PayoutLine.payout_id == payout.id))
        )
    assert (payout.provider, payout.paid_on, payout.status) == ("stripe", date(2024, 1, 8), "paid")
    assert kinds == [
        ("chargeback", "", "-75.0000"),
        ("fee", "stripe_dispute", "-15.0000"),
        ("fee", "stripe_processing", "-3.7800"),
        ("other", "climate_order_purchase", "-0.5000"),
        ("principal", "", "120.0000"),
    ]


def test_overlapping_and_corrected_exports_update_without_duplicates(engine, tmp_path) -> None:
    whole = (FIXTURES / "balance_change_itemized.csv").read_text(encoding="utf-8").splitlines()
    header, rows = whole[0], whole[1:]
    first = tmp_path / "february_1_2.csv"
    first.write_text("\n".join([header, *rows[:4]]) + "\n", encoding="utf-8")
    overlapping = tmp_path / "february_2_3.csv"  # days 2-3 again, with day 2 in full, a fee corrected
    overlapping.write_text("\n".join([header, *rows[2:]]).replace('"2.65","77.35"', '"2.60","77.40"') + "\n")
    one = import_into(engine, first, NOW)
    assert one.records["payout"] == {"created": 3, "updated": 0, "unchanged": 0}
    two = import_into(engine, overlapping, NOW)
    assert two.records["payout"] == {"created": 1, "updated": 1, "unchanged": 1}
    assert payout_totals(engine) == (4, 7, Decimal("148.58"), Decimal("105.49"))


def test_a_corrupted_cell_names_file_row_column_and_changes_nothing(engine) -> None:
    import_into(engine, FIXTURES / "legacy_balance_export_2017.csv", NOW)
    bad = FIXTURES / "balance_change_itemized_corrupt.csv"
    assert (
        refused_unchanged(engine, bad, NOW, payout_totals)
        == f"{bad}, row 3, column 'net': '14.2O' is not an amount"
    )


def test_net_that_is_not_gross_minus_fee_is_refused() -> None:
    data = (FIXTURES / "balance_change_itemized.csv").read_bytes().replace(b'"28.83"', b'"28.38"')
    with pytest.raises(
        InputError, match=r"row 2, column 'net': 28.38 is not the amount 30.00 minus the fee 1.17"
    ):
        list(FORMAT.parse(SourceFile("x.csv", data), ParseContext(ZoneInfo("UTC"), "USD")))
