"""On a demo store, the ledger's P&L equals the generator's own daily P&L to the cent for every day,
channel and line, and every payout reconciles (lines sum to the deposit, deposit matched in the bank).

The generator records its truth from its own arrays (sasame.demo.pnl_truth), never from the
database, so this compares two independent computations of the same store.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from sasame import models as m
from sasame.db import transaction
from sasame.demo.context import DemoScale
from sasame.demo.load import load_demo_store
from sasame.demo.pnl_truth import LINES
from sasame.demo.service import generate_demo_store
from sasame.finance.pnl import compute_pnl
from sasame.finance.queries import pnl_by_channel_line_day
from sasame.finance.service import reconcile_books
from sasame.jobs.pipeline import run_pipeline

END = date(2025, 3, 3)
NOW = datetime(2025, 3, 3, 14, tzinfo=UTC)


@pytest.fixture(params=["direct", "import_path"])
def demo_store(engine: Engine, request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    """The store written directly by the generator, and the store `sasame demo` really builds: loaded
    from its platform export files through the import path."""
    scale = DemoScale(weeks=14, orders_per_week=110, skus=30)
    if request.param == "direct":
        generate_demo_store(engine, seed=11, scale=scale, end=END, now=NOW)
    else:
        load_demo_store(engine, tmp_path / "exports", seed=11, scale=scale, end=END, now=NOW)
    results = run_pipeline(engine, NOW, only=["finance.post", "finance.reports"])
    assert [(r.name, r.succeeded, r.error) for r in results] == [
        ("finance.post", True, None),
        ("finance.reports", True, None),
    ]
    return engine


def ledger_cells(session) -> tuple[dict[tuple[str, str, date], int], dict[str, dict]]:
    cells: dict[tuple[str, str, date], int] = {}
    for key, amount in pnl_by_channel_line_day(session).items():
        cents = amount * 100
        assert cents == int(cents), "a P&L amount finer than a cent"
        cells[key] = int(cents)
    truth = {
        key: value
        for key, value in session.execute(
            select(m.GroundTruth.key, m.GroundTruth.value).where(m.GroundTruth.kind == "daily_pnl")
        )
    }
    return cells, truth


def test_pnl_equals_the_generators_truth_for_every_day_and_channel(demo_store: Engine):
    with transaction(demo_store) as session:
        cells, truth = ledger_cells(session)
        first = date.fromisoformat(truth["shopify"]["start"])
        report = compute_pnl(session, first, END, "channel")
    assert set(truth) == {"shopify", "amazon", "etsy", "wholesale", "unassigned"}
    compared = 0
    differences = []
    for key, fact in truth.items():
        assert set(fact["cents"]) == set(LINES)
        for line, per_day in fact["cents"].items():
            assert len(per_day) == (END - first).days
            for index, expected in enumerate(per_day):
                got = cells.pop((key, line, first + timedelta(days=index)), 0)
                compared += expected != 0
                if got != expected:
                    differences.append((key, line, index, expected, got))
    assert differences == []
    # Nothing in the ledger's P&L that the truth does not know about (no other lines, no other days).
    assert {k: v for k, v in cells.items() if v} == {}
    assert compared > 1000  # the comparison really covered the store
    # And the rollup the reports read sums to the same figures.
    shopify = next(row for row in report.rows if row.label.startswith("Shopify"))
    expected_gross = sum(truth["shopify"]["cents"]["gross_sales"])
    assert shopify.figures["gross_sales"] == Decimal(expected_gross) / 100


def test_every_payout_reconciles_to_its_lines_and_the_bank(demo_store: Engine):
    with transaction(demo_store) as session:
        report = reconcile_books(session, NOW)
        expected = session.scalar(
            select(m.GroundTruth.value).where(
                m.GroundTruth.kind == "bank_deposit_matches", m.GroundTruth.key == "all"
            )
        )
        matched = {
            external_id: payout
            for external_id, payout in session.execute(
                select(m.BankTransaction.external_id, m.Payout.external_id).join(
                    m.Payout, m.Payout.id == m.BankTransaction.payout_id
                )
            )
        }
        payouts = {
            external_id: (status, amount)
            for external_id, status, amount in session.execute(
                select(m.Payout.external_id, m.Payout.status, m.Payout.amount)
            )
        }
    paid = [external_id for external_id, (status, _) in payouts.items() if status == "paid"]
    assert len(paid) > 20
    assert matched == expected
    statuses = defaultdict(int)
    for check in report.payouts:
        assert check.lines_total == check.amount, check.external_id
        statuses[check.status] += 1
        status, amount = payouts[check.external_id]
        # A paid payout is matched to its deposit; one still on its way waits for the statement,
        # and an Etsy statement period that paid nothing out (amount 0) has nothing to match.
        expected_status = "reconciled" if status == "paid" or amount == 0 else "awaiting_statement"
        assert check.status == expected_status, (check.external_id, status, amount)
    assert set(statuses) <= {"reconciled", "awaiting_statement"}
    assert {issue.kind for issue in report.issues} <= {"reserve_held"}
    assert all(check.unexplained == 0 for check in report.clearing)
