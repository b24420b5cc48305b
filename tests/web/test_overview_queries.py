"""The overview and area queries, exact on the hand-written store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, update
from web_store import NOW, TODAY, add_areas, add_orders

from sasame.business.service import DEFAULT_SETTINGS, store_settings
from sasame.db import transaction
from sasame.models import Location, StockLevel, Variant
from sasame.overview import queries
from sasame.web import presenters


@pytest.fixture
def store(engine: Engine) -> Engine:
    add_orders(engine)
    add_areas(engine)
    return engine


def test_store_today_is_the_business_day_in_the_store_timezone(store: Engine):
    with transaction(store) as session:
        settings = store_settings(session)
    assert queries.store_today(settings, NOW) == TODAY
    assert queries.store_today(DEFAULT_SETTINGS, NOW) == date(2025, 3, 20)  # 19:00 UTC is still the 20th


def test_weekly_sales_are_exact_and_bucket_by_business_day(store: Engine):
    with transaction(store) as session:
        series = queries.sales_series(session, "week", "USD", TODAY)
    data = presenters.sales_json(series)
    assert data["periods"] == [
        "2025-02-10",
        "2025-02-17",
        "2025-02-24",
        "2025-03-03",
        "2025-03-10",
        "2025-03-17",
    ]
    shopify, amazon = data["channels"]
    assert (shopify["code"], amazon["code"]) == ("shopify", "amazon-us")
    # The cancelled #1003 is never counted; A-2 (Monday 03:00 UTC, Sunday in New York) is last week.
    assert shopify["orders"] == [1, 0, 0, 0, 0, 2]
    assert shopify["revenue"] == ["60.00", "0.00", "0.00", "0.00", "0.00", "120.15"]
    assert amazon["orders"] == [0, 0, 0, 0, 2, 0]
    assert amazon["revenue"] == ["0.00", "0.00", "0.00", "0.00", "75.50", "0.00"]
    assert data["totals"] == {
        "orders": [1, 0, 0, 0, 2, 2],
        "revenue": ["60.00", "0.00", "0.00", "0.00", "75.50", "120.15"],
    }
    assert data["currency"] == "USD"
    assert all(isinstance(v, Decimal) for s in series.channels for v in s.revenue)


def test_the_whole_history_sales_sum_reads_one_covering_index(sqlite_engine: Engine):
    """The chart's all-time sum per day, channel and currency never reads the order rows: on a
    10,000-SKU store reading 2.6 million of them took 2.1 s of the overview's 2.6 s."""
    add_orders(sqlite_engine)
    statements: list[tuple[str, Any]] = []

    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if "GROUP BY" in statement and 'FROM "order"' in statement:
            statements.append((statement, parameters))

    event.listen(sqlite_engine, "before_cursor_execute", seen)
    try:
        with transaction(sqlite_engine) as session:
            weekly = presenters.sales_json(queries.sales_series(session, "week", "USD", TODAY))
    finally:
        event.remove(sqlite_engine, "before_cursor_execute", seen)
    assert weekly["totals"]["orders"] == [1, 0, 0, 0, 2, 2]  # the same figures as read from the rows
    [(statement, parameters)] = statements
    with sqlite_engine.connect() as connection:
        plan = [row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
    assert plan == ["SCAN order USING COVERING INDEX ix_order_sales_day"]


def test_daily_and_monthly_sales(store: Engine):
    with transaction(store) as session:
        monthly = presenters.sales_json(queries.sales_series(session, "month", "USD", TODAY))
        daily = queries.sales_series(session, "day", "USD", date(2025, 3, 25))
    assert monthly["periods"] == ["2025-02-01", "2025-03-01"]
    assert monthly["totals"]["revenue"] == ["60.00", "195.65"]
    assert daily.periods[0] == date(2025, 2, 10)
    assert daily.periods[-1] == date(2025, 3, 25)  # runs on to today with empty days
    assert len(daily.periods) == 44
    by_day = dict(zip(daily.periods, daily.total_revenue, strict=True))
    assert by_day[date(2025, 3, 16)] == Decimal("30.00")
    assert by_day[date(2025, 3, 17)] == Decimal("100.10")


def test_an_empty_store_has_an_empty_series(engine: Engine):
    with transaction(engine) as session:
        series = queries.sales_series(session, "week", "USD", TODAY)
    assert series.periods == [] and series.channels == []


def test_unknown_grain_is_refused(engine: Engine):
    with pytest.raises(ValueError, match="grain"), transaction(engine) as session:
        queries.sales_series(session, "year", "USD")  # type: ignore[arg-type]


def test_headline_last_30_days_vs_the_30_before(store: Engine):
    with transaction(store) as session:
        headline = queries.headline(session, TODAY, "USD")
    data = presenters.headline_json(headline)
    assert data["current_window"] == {"first": "2025-02-19", "last_exclusive": "2025-03-21"}
    assert data["previous_window"] == {"first": "2025-01-20", "last_exclusive": "2025-02-19"}
    assert data["current"] == {
        "orders": 4,
        "revenue": {"amount": "195.65", "currency": "USD"},
        "average_order_value": {"amount": "48.91", "currency": "USD"},
    }
    assert data["previous"]["orders"] == 1
    assert data["previous"]["revenue"] == {"amount": "60.00", "currency": "USD"}
    assert [
        (c["code"], c["current"]["orders"], c["current"]["revenue"]["amount"]) for c in data["channels"]
    ] == [
        ("shopify", 2, "120.15"),
        ("amazon-us", 2, "75.50"),
    ]
    assert headline.current.average_order_value == Decimal("48.9125")


def test_orders_in_another_currency_are_counted_but_kept_out_of_revenue(store: Engine):
    from sasame.models import Channel, Order

    with transaction(store) as session:
        etsy = Channel(code="etsy-eu", name="Etsy EU", kind="etsy", currency="EUR")
        session.add(etsy)
        session.flush()
        session.add(
            Order(
                channel_id=etsy.id,
                external_id="E-1",
                number="E-1",
                ordered_at=NOW,
                order_date=TODAY,
                currency="EUR",
                subtotal=Decimal("70"),
                total=Decimal("70"),
                financial_status="paid",
                fulfillment_status="unfulfilled",
            )
        )
    with transaction(store) as session:
        headline = queries.headline(session, TODAY, "USD")
        series = queries.sales_series(session, "week", "USD", TODAY)
    assert headline.current.orders == 5
    assert headline.current.revenue == Decimal("195.65")
    assert headline.current.revenue_orders == 4
    assert headline.other_currency_orders == {"EUR": 1}
    etsy_series = next(s for s in series.channels if s.channel.code == "etsy-eu")
    assert etsy_series.orders[-1] == 1 and sum(etsy_series.revenue) == 0


def test_support_overview(store: Engine):
    with transaction(store) as session:
        support = queries.support_overview(session)
    assert support.open_tickets_by_status == [("escalated", 1), ("open", 1)]
    assert support.closed_tickets == 1
    assert [m.subject for m in support.latest_messages] == ["Where is my order #1001?", "Damaged mug"]
    assert support.latest_messages[0].snippet == "Hi, I ordered on Monday and nothing has shipped yet."


def test_inventory_overview(store: Engine):
    with transaction(store) as session:
        rows = queries.inventory_overview(session)
    assert [
        (r.sku, r.location_code, r.on_hand, r.reserved, r.available, r.on_order, r.next_expected_on)
        for r in rows
    ] == [
        ("MUG-BLUE", "fba", 0, 0, 0, 24, date(2025, 4, 2)),  # on order only: no stock row there yet
        ("MUG-BLUE", "wh", 0, 0, 0, 0, None),
        ("TEE-RED-M", "fba", 7, 0, 7, 0, None),
        ("TEE-RED-M", "wh", 42, 2, 40, 40, date(2025, 3, 28)),  # the draft PO's 500 are not on order
    ]


def test_inventory_overview_reads_only_the_rows_asked_for(store: Engine):
    with transaction(store) as session:
        # TEE-RED-M's 42 at the warehouse all reserved: nothing available there, 7 at FBA.
        warehouse = select(Location.id).where(Location.code == "wh").scalar_subquery()
        tee = select(Variant.id).where(Variant.sku == "TEE-RED-M").scalar_subquery()
        session.execute(
            update(StockLevel)
            .where(StockLevel.variant_id == tee, StockLevel.location_id == warehouse)
            .values(reserved=StockLevel.on_hand)
        )
        total = queries.count_stock_rows(session)
        by_sku = queries.inventory_overview(session, limit=3)
        needing_first = queries.inventory_overview(session, limit=3, nothing_available_first=True)
    assert total == 4
    assert [(r.sku, r.location_code, r.available) for r in by_sku] == [
        ("MUG-BLUE", "fba", 0),
        ("MUG-BLUE", "wh", 0),
        ("TEE-RED-M", "fba", 7),
    ]
    assert [(r.sku, r.location_code, r.available) for r in needing_first] == [
        ("MUG-BLUE", "fba", 0),  # on order only
        ("MUG-BLUE", "wh", 0),
        ("TEE-RED-M", "wh", 0),
    ]


def test_finance_overview(store: Engine):
    with transaction(store) as session:
        payouts = queries.finance_overview(session)
    data = presenters.finance_json(payouts)["payouts"]
    assert [p["external_id"] for p in data] == ["S-200", "P-100"]
    short, balanced = data
    assert balanced["channel"] == "Shopify"
    assert balanced["amount"] == {"amount": "150.00", "currency": "USD"}
    assert balanced["line_totals"] == {
        "fee": {"amount": "-20.00", "currency": "USD"},
        "principal": {"amount": "170.00", "currency": "USD"},
    }
    assert balanced["is_balanced"] is True
    assert short["lines_total"] == {"amount": "76.50", "currency": "USD"}
    assert short["is_balanced"] is False


def test_marketing_overview(store: Engine):
    with transaction(store) as session:
        marketing = presenters.marketing_json(queries.marketing_overview(session, TODAY))
    assert marketing["window"] == {"first": "2025-02-19", "last_exclusive": "2025-03-21"}
    assert [
        (p["platform"], p["spend"]["amount"], p["reported_conversion_value"]["amount"], p["reported_roas"])
        for p in marketing["ad_platforms"]
    ] == [("meta", "40.00", "60.00", "1.50"), ("google", "22.34", "80.00", "3.58")]
    assert [(e["kind"], e["name"], e["revenue"]["amount"], e["recipients"]) for e in marketing["email"]] == [
        ("campaign", "Spring sale", "310.40", 100),
        ("flow", "welcome", "42.25", 200),
    ]


def test_operations_overview(store: Engine):
    with transaction(store) as session:
        operations = queries.operations_overview(session, NOW)
    # #1001 was placed 3 days and 3 hours ago; A-1 eight days ago; fulfilled and cancelled ones never.
    assert [(o.number, o.age_days) for o in operations.late_orders] == [("A-1", 8), ("#1001", 3)]
    assert operations.late_order_count == 2
    assert [(a.severity, a.subject) for a in operations.open_alerts] == [
        ("critical", "PO-7 is late"),
        ("warning", "MUG-BLUE is out of stock"),
    ]
