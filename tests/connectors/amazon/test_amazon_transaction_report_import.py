"""Amazon's date-range transaction report through the real import path, on SQLite and PostgreSQL:
it brings the orders, the settlement brings the money, and together they count nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from connector_support import import_into
from sqlalchemy import func, select

from sasame import models as m
from sasame.core.errors import InputError
from sasame.db import transaction
from sasame.ingest.service import import_file

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)

REPORT = FIXTURES / "transaction_report_us_2026.csv"


def state(engine) -> tuple[int, int, Decimal, int, Decimal, int]:
    """Orders, order lines, order totals, payouts, payout line totals, payout lines linked to orders."""
    with transaction(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(m.Order)),
            session.scalar(select(func.count()).select_from(m.OrderLine)),
            Decimal(session.scalar(select(func.coalesce(func.sum(m.Order.total), 0)))),
            session.scalar(select(func.count()).select_from(m.Payout)),
            Decimal(session.scalar(select(func.coalesce(func.sum(m.PayoutLine.amount), 0)))),
            session.scalar(
                select(func.count()).select_from(m.PayoutLine).where(m.PayoutLine.order_id.is_not(None))
            ),
        )


def test_orders_from_the_report_and_money_from_the_settlement(engine):
    report = import_into(engine, REPORT, NOW)
    assert report.format == "amazon.transaction_report"
    assert report.rows_read == 6
    assert report.records == {
        "channel": {"created": 1, "updated": 0, "unchanged": 0},
        "order": {"created": 2, "updated": 0, "unchanged": 0},
    }
    assert report.money == {"order_total": {"USD": Decimal("1185.61")}}
    settlement = import_into(engine, FIXTURES / "settlement_v2_us.txt", NOW)
    assert settlement.records == {"payout": {"created": 1, "updated": 0, "unchanged": 0}}
    # 10 lines of order 111-… and 4 of order 112-… find their orders; the money is counted once.
    assert state(engine) == (2, 3, Decimal("1185.61"), 1, Decimal("17.25"), 14)


def test_reimport_and_an_overlapping_range_add_no_duplicates(engine, tmp_path: Path):
    import_into(engine, REPORT, NOW)
    before = state(engine)
    again = import_into(engine, REPORT, NOW)
    assert again.records == {"order": {"created": 0, "updated": 0, "unchanged": 2}}
    # A later range that starts inside this one: its first order is the same, one is new.
    lines = REPORT.read_text(encoding="utf-8").splitlines()
    new_order = lines[4].replace("112-0001112-2223334", "113-9990001-0001111").replace("Mar 8,", "Mar 20,")
    overlap = tmp_path / "later.csv"
    overlap.write_text("\n".join([*lines[:3], lines[4], lines[5], new_order]) + "\n", encoding="utf-8")
    later = import_into(engine, overlap, NOW)
    assert later.records["order"] == {"created": 1, "updated": 0, "unchanged": 1}
    assert state(engine)[:3] == (before[0] + 1, before[1] + 1, before[2] + Decimal("24.00"))


def test_a_corrupted_cell_imports_nothing_and_says_where(engine, tmp_path: Path):
    bad = tmp_path / "2026MarMonthlyTransaction.csv"
    text = REPORT.read_text(encoding="utf-8")
    bad.write_text(text.replace("3:02:55 AM PST", "3:02:55 AM XYZ", 1), encoding="utf-8")
    with pytest.raises(InputError) as caught, transaction(engine) as session:
        import_file(session, bad, now=NOW)
    assert str(caught.value) == (
        f"{bad}, row 5, column 'date/time': "
        "'Mar 8, 2026 3:02:55 AM XYZ' has a time zone sasame does not know ('XYZ')"
    )
    assert state(engine) == (0, 0, Decimal(0), 0, Decimal(0), 0)
