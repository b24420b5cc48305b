"""The P&L layers over hand-written books (see finance_books.py for every figure)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from finance_books import D1, D2, D3, build_books
from sqlalchemy import Engine, func, select

from sasame import models as m
from sasame.core.errors import UserError
from sasame.db import transaction
from sasame.finance.pnl import break_even_roas, compute_pnl, pnl_from_postings, refresh_pnl_days
from sasame.finance.queries import DrillFilter, drill_down, entry_detail

END = date(2025, 3, 17)


@pytest.fixture
def books(engine: Engine):
    built = build_books(engine)
    with transaction(engine) as session:
        refresh_pnl_days(session)
    return built


def figures(row, *names):
    return tuple(row.figures[name] for name in names)


def test_daily_layers_are_exact(engine, books):
    with transaction(engine) as session:
        report = compute_pnl(session, D1, END, "day")
    rows = {row.key: row for row in report.rows}
    assert len(report.rows) == 14  # every day of the range, quiet ones too
    first = rows["2025-03-03"]
    assert figures(first, "gross_sales", "discounts", "shipping_income", "net_revenue") == (
        Decimal("150.00"),
        Decimal("-10.00"),
        Decimal("5.00"),
        Decimal("145.00"),
    )
    assert figures(first, "cogs", "gross_margin", "marketplace_fees", "payment_processing", "shipping") == (
        Decimal("-42.00"),
        Decimal("103.00"),
        Decimal("-10.72"),
        Decimal("-3.20"),
        Decimal("-6.00"),
    )
    assert first.figures["contribution_after_fulfilment"] == Decimal("83.08")
    assert first.figures["net_operating_income"] == Decimal("83.08")
    second = rows["2025-03-04"]
    assert figures(second, "returns", "chargebacks", "net_revenue", "cogs", "gross_margin") == (
        Decimal("-45.00"),
        Decimal("-25.00"),
        Decimal("-70.00"),
        Decimal("15.00"),
        Decimal("-55.00"),
    )
    assert figures(second, "advertising", "contribution_after_marketing") == (
        Decimal("-20.00"),
        Decimal("-75.00"),
    )
    assert rows["2025-03-10"].figures["operating_expenses"] == Decimal("-300.00")
    assert rows["2025-03-05"].figures["net_income"] == Decimal("0.00")
    total = report.total.figures
    assert total["net_revenue"] == Decimal("75.00")
    assert total["contribution_after_fulfilment"] == Decimal("28.08")
    assert total["contribution_after_marketing"] == Decimal("8.08")
    assert total["net_operating_income"] == Decimal("-291.92")
    assert total["net_income"] == Decimal("-291.92")


def test_weeks_and_months_sum_their_days(engine, books):
    with transaction(engine) as session:
        weeks = compute_pnl(session, D1, END, "week")
        months = compute_pnl(session, date(2025, 2, 15), END, "month")
    assert [row.key for row in weeks.rows] == ["2025-W10", "2025-W11"]
    assert weeks.rows[0].figures["net_operating_income"] == Decimal("8.08")
    assert weeks.rows[1].figures["net_operating_income"] == Decimal("-300.00")
    assert [row.key for row in months.rows] == ["2025-02", "2025-03"]
    assert months.rows[0].figures["net_revenue"] == Decimal("0.00")
    assert months.rows[1].figures["net_operating_income"] == Decimal("-291.92")
    assert months.rows[0].ref == {"first": "2025-02-15", "last_exclusive": "2025-03-01"}


def test_by_channel_with_break_even_roas(engine, books):
    with transaction(engine) as session:
        report = compute_pnl(session, D1, END, "channel")
    rows = {row.label: row for row in report.rows}
    assert set(rows) == {"Shopify", "Amazon", "(not assigned)"}
    shopify, amazon = rows["Shopify"], rows["Amazon"]
    assert figures(shopify, "net_revenue", "gross_margin", "contribution_after_fulfilment") == (
        Decimal("25.00"),
        Decimal("10.00"),
        Decimal("0.80"),
    )
    assert figures(amazon, "net_revenue", "gross_margin", "contribution_after_fulfilment") == (
        Decimal("50.00"),
        Decimal("38.00"),
        Decimal("27.28"),
    )
    # 1 / (27.28 / 50) = 1.8328...
    assert amazon.break_even_roas == Decimal("1.83")
    assert shopify.break_even_roas == Decimal("31.25")
    assert figures(rows["(not assigned)"], "advertising", "operating_expenses") == (
        Decimal("-20.00"),
        Decimal("-300.00"),
    )
    assert sum(row.figures["net_income"] for row in report.rows) == report.total.figures["net_income"]


def test_by_sku_and_product(engine, books):
    with transaction(engine) as session:
        skus = compute_pnl(session, D1, END, "sku")
        products = compute_pnl(session, D1, END, "product")
    rows = {row.label: row for row in skus.rows}
    assert figures(
        rows["TEE-A"], "gross_sales", "discounts", "returns", "net_revenue", "cogs", "gross_margin"
    ) == (
        Decimal("100.00"),
        Decimal("-10.00"),
        Decimal("-45.00"),
        Decimal("45.00"),
        Decimal("-15.00"),
        Decimal("30.00"),
    )
    assert figures(rows["TEE-B"], "net_revenue", "gross_margin") == (Decimal("50.00"), Decimal("38.00"))
    tee = {row.label: row for row in products.rows}["Tee"]
    assert tee.figures["gross_margin"] == Decimal("68.00")


def test_break_even_roas_known_answer():
    # references.md 6.3: contribution before marketing of 40% -> break-even ROAS 2.5.
    assert break_even_roas(Decimal("200.00"), Decimal("80.00")) == Decimal("2.50")
    assert break_even_roas(Decimal("200.00"), Decimal("-5.00")) is None


def test_rollup_equals_the_postings_and_follows_reposting(engine, books):
    with transaction(engine) as session:
        straight = pnl_from_postings(session, D1, END)
        report = compute_pnl(session, D1, END, "day")
        by_day = {row.key: row.figures for row in report.rows}
        for (day, line), amount in straight.items():
            assert by_day[day.isoformat()][line] == amount
        # Rebuilding one day only touches that day.
        session.execute(m.Posting.__table__.delete().where(m.Posting.business_day == D3))
        refresh_pnl_days(session, D3, D3 + timedelta(days=1))
        assert compute_pnl(session, D1, END, "day").total.figures["net_income"] == Decimal("8.08")
        assert (
            session.scalar(select(func.count()).select_from(m.PnlDay).where(m.PnlDay.business_day == D2)) > 0
        )


def test_bad_ranges_and_groupings_are_user_errors(engine, books):
    with transaction(engine) as session:
        with pytest.raises(UserError, match="--by"):
            compute_pnl(session, D1, END, "year")
        with pytest.raises(UserError, match="before --from"):
            compute_pnl(session, D2, D1, "day")


def test_drill_down_reaches_postings_and_their_cause(engine, books):
    with transaction(engine) as session:
        drill = drill_down(session, DrillFilter("marketplace_fees", D1, D2))
        assert drill.total_profit_effect == Decimal("-10.72")
        assert drill.posting_count == 2
        assert [row.store_amount for row in drill.postings] == [Decimal("7.50"), Decimal("3.22")]
        assert {row.order_number for row in drill.postings} == {"A-2"}
        shopify_margin = drill_down(session, DrillFilter("gross_margin", D1, END, channel_id=books.shopify))
        assert shopify_margin.total_profit_effect == Decimal("10.00")
        sku = drill_down(session, DrillFilter("net_revenue", D1, END, variant_id=books.sku_a))
        assert sku.total_profit_effect == Decimal("45.00")
        unassigned = drill_down(
            session, DrillFilter("net_income", D1, END, unassigned=True, dimension="channel")
        )
        assert unassigned.total_profit_effect == Decimal("-320.00")
        detail = entry_detail(session, drill.postings[0].entry_id)
        assert sum(posting.amount for posting, _ in detail.postings) == 0
        assert detail.entry.cause == "payout_line"
        with pytest.raises(UserError, match="not a P&L figure"):
            drill_down(session, DrillFilter("profit", D1, END))
