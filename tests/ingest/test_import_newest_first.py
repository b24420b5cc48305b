"""A newest-first orders export ends the same through the columnar path (orders not stored yet) as
through the records: same orders, lines, customers (dated by their first order, wherever in the
file it is) and counts; importing it again compares every order; a duplicate order anywhere in
the file fails the whole file."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from sasame import models as m
from sasame.connectors.shopify.orders_csv import COLUMNS, ShopifyOrdersCsv
from sasame.core.errors import InputError
from sasame.db import make_engine, transaction, upgrade
from sasame.ingest import service
from sasame.ingest.service import import_file

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
START = datetime(2026, 1, 5, 15, tzinfo=UTC)


def _export(path: Path, orders: int, *, duplicate_of: int | None = None) -> Path:
    """Newest order first, as Shopify exports: a repeat buyer's first order is in a later batch."""
    index = {name: position for position, name in enumerate(COLUMNS)}
    rows = []
    for number in reversed(range(orders)):
        created = (START + timedelta(hours=7 * number)).strftime("%Y-%m-%d %H:%M:%S +0000")
        lines = [(f"SKU-{(number * 7 + k) % 5}", Decimal(10 + k), 1 + k % 2) for k in range(1 + number % 3)]
        subtotal = sum((price * quantity for _, price, quantity in lines), Decimal(0))
        shipping = Decimal("5.00") if number % 2 else Decimal("0.00")
        for position, (sku, price, quantity) in enumerate(lines):
            cells = [""] * len(COLUMNS)
            values: dict[str, Any] = {
                "Name": f"#{1001 + number}",
                "Email": f"buyer{number % 4}@example.com",
                "Created at": created,
                "Lineitem quantity": quantity,
                "Lineitem name": f"Item {sku}",
                "Lineitem price": price,
                "Lineitem sku": sku,
            }
            if position == 0:
                values |= {
                    "Financial Status": "paid",
                    "Currency": "USD",
                    "Subtotal": subtotal,
                    "Shipping": shipping,
                    "Taxes": "0.00",
                    "Total": subtotal + shipping,
                    "Billing Name": f"Buyer {number}",
                    "Shipping Country": "US",
                    "Accepts Marketing": "yes" if number % 3 else "no",
                    "Note Attributes": f"utm_source: source{number}",
                    "Id": 7_000_000 + (duplicate_of if number == 0 and duplicate_of is not None else number),
                }
            for column, value in values.items():
                cells[index[column]] = str(value)
            rows.append(cells)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return path


def _state(engine: Engine) -> dict[str, Any]:
    with engine.connect() as connection:
        orders = connection.execute(
            select(
                m.Order.external_id,
                m.Order.number,
                m.Order.ordered_at,
                m.Order.total,
                m.Order.utm_source,
                m.Customer.email,
            )
            .join(m.Customer, m.Customer.id == m.Order.customer_id)
            .order_by(m.Order.id)
        ).all()
        lines = connection.execute(
            select(m.Order.number, m.OrderLine.sku, m.OrderLine.quantity, m.OrderLine.unit_price)
            .join(m.Order, m.Order.id == m.OrderLine.order_id)
            .order_by(m.OrderLine.id)
        ).all()
        customers = connection.execute(
            select(
                m.Customer.email,
                m.Customer.name,
                m.Customer.first_seen_at,
                m.Customer.acquisition_source,
                m.Customer.accepts_marketing,
                m.Customer.country,
            ).order_by(m.Customer.email)
        ).all()
        sources = connection.scalar(select(func.count()).select_from(m.SourceRecord))
    return {
        "orders": [tuple(row) for row in orders],
        "lines": [tuple(row) for row in lines],
        "customers": [tuple(row) for row in customers],
        "sources": sources,
    }


def _import(engine: Engine, path: Path) -> service.ImportSummary:
    with transaction(engine) as session:
        return import_file(session, path, now=NOW)


def test_columns_end_exactly_as_records(engine: Engine, tmp_path: Path, monkeypatch) -> None:
    export = _export(tmp_path / "orders_export.csv", 23)
    whole = make_engine(f"sqlite:///{tmp_path / 'whole.db'}")
    upgrade(whole)
    with monkeypatch.context() as records_only:
        records_only.setattr(ShopifyOrdersCsv, "order_columns", lambda self, file, context: None)
        records = _import(whole, export)
    columnar = _import(engine, export)
    assert columnar.records == records.records
    assert columnar.records["order"] == {"created": 23, "updated": 0, "unchanged": 0}
    assert columnar.records["customer"]["created"] == 4
    assert columnar.money == records.money and columnar.warnings == records.warnings
    state = _state(engine)
    assert state == _state(whole)
    # buyer3's first order (#1004, near the end of a newest-first file) dates the customer.
    first_seen = {email: (name, seen, source) for email, name, seen, source, _, _ in state["customers"]}
    assert first_seen["buyer3@example.com"] == ("Buyer 3", START + timedelta(hours=21), "source3")
    again = _import(engine, export)
    assert again.records["order"] == {"created": 0, "updated": 0, "unchanged": 23}
    assert _state(engine) == state
    whole.dispose()


def test_a_duplicate_order_fails_the_whole_file(engine: Engine, tmp_path: Path) -> None:
    export = _export(tmp_path / "orders_export.csv", 11, duplicate_of=9)
    with pytest.raises(InputError, match="appears twice in the file"):
        _import(engine, export)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(m.Order)) == 0
        assert connection.scalar(select(func.count()).select_from(m.Customer)) == 0
