"""Etsy orders through the real import path, on SQLite and PostgreSQL: Sold Order Items and Sold
Orders in either order give the same orders, re-imports change nothing, a bad cell imports nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from connector_support import import_into, refused_unchanged
from sqlalchemy import func, select

from sasame import models as m
from sasame.db import transaction
from sasame.ingest.service import import_file

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)

ITEMS = FIXTURES / "sold_order_items_us.csv"
ORDERS = FIXTURES / "sold_orders_us.csv"

EXPECTED_ORDERS = {
    # number: (subtotal, discount, shipping, tax, total, financial status, fulfilment, lines)
    "1893456789": ("13.50", "1.35", "1.99", "0.93", "15.07", "paid", "fulfilled", 2),
    "1893456790": ("3.75", "0", "0", "0.31", "4.06", "refunded", "unfulfilled", 1),
    "1893456791": ("24.99", "0", "0", "1.75", "26.74", "paid", "fulfilled", 0),
}


def orders(engine) -> dict[str, tuple]:
    with transaction(engine) as session:
        lines = dict(
            session.execute(select(m.OrderLine.order_id, func.count()).group_by(m.OrderLine.order_id)).all()
        )
        return {
            order.number: (
                *(
                    str(Decimal(v).normalize()) if v else "0"
                    for v in (
                        order.subtotal,
                        order.discount_total,
                        order.shipping_total,
                        order.tax_total,
                        order.total,
                    )
                ),
                order.financial_status,
                order.fulfillment_status,
                lines.get(order.id, 0),
            )
            for order in session.scalars(select(m.Order))
        }


def normalized(expected: dict[str, tuple]) -> dict[str, tuple]:
    return {
        number: (*(str(Decimal(v).normalize()) if Decimal(v) else "0" for v in values[:5]), *values[5:])
        for number, values in expected.items()
    }


def test_items_then_orders(engine):
    items = import_into(engine, ITEMS, NOW)
    assert items.format == "etsy.sold_order_items"
    assert items.records == {
        "channel": {"created": 1, "updated": 0, "unchanged": 0},
        "order": {"created": 2, "updated": 0, "unchanged": 0},
    }
    assert items.money == {"order_total": {"USD": Decimal("18.82")}}
    sold = import_into(engine, ORDERS, NOW)
    assert sold.format == "etsy.sold_orders"
    assert sold.records == {"order": {"created": 1, "updated": 2, "unchanged": 0}}
    assert sold.money == {"order_total": {"USD": Decimal("45.87")}}
    assert orders(engine) == normalized(EXPECTED_ORDERS)


def test_orders_then_items_gives_the_same_orders(engine):
    import_into(engine, ORDERS, NOW)
    items = import_into(engine, ITEMS, NOW)
    # The items add lines but leave the totals Sold Orders gave (with the tax Etsy collected).
    assert items.records == {"order": {"created": 0, "updated": 2, "unchanged": 0}}
    assert orders(engine) == normalized(EXPECTED_ORDERS)


def test_reimports_change_nothing(engine):
    for path in (ITEMS, ORDERS):
        import_into(engine, path, NOW)
    for path, count in ((ITEMS, 2), (ORDERS, 3)):
        again = import_into(engine, path, NOW)
        assert again.records == {"order": {"created": 0, "updated": 0, "unchanged": count}}
    assert orders(engine) == normalized(EXPECTED_ORDERS)


def test_en_gb_files_read_like_en_us(engine):
    with transaction(engine) as session:
        items = import_file(session, FIXTURES / "sold_order_items_en_gb_spreadsheet.csv", now=NOW)
        sold = import_file(session, FIXTURES / "sold_orders_en_gb.csv", now=NOW)
    assert len(items.warnings) == 2  # a ZIP without its leading zero, a date a spreadsheet rewrote
    assert sold.records["order"] == {"created": 0, "updated": 2, "unchanged": 0}
    assert sold.money == {"order_total": {"CAD": Decimal("157.00")}}
    with transaction(engine) as session:
        toque = session.scalar(select(m.Order).where(m.Order.number == "1923000001"))
    assert (toque.ship_country, toque.ship_city) == ("CA", "Montréal")
    assert toque.order_date.isoformat() == "2021-01-05"


def test_a_corrupted_cell_imports_nothing_and_says_where(engine, tmp_path: Path):
    import_into(engine, ORDERS, NOW)
    bad = tmp_path / "EtsySoldOrderItems2020.csv"
    bad.write_text(ITEMS.read_text(encoding="utf-8").replace(",3.75,", ",3.7.5,", 1), encoding="utf-8")
    assert (
        refused_unchanged(engine, bad, NOW, orders)
        == f"{bad}, row 4, column 'Price': '3.7.5' is not an amount"
    )
