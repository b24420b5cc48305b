"""record_factory builds the same frozen records as the dataclass constructors, only cheaper."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from sasame.connectors.records import OrderLineRecord, OrderRecord, SourceRef, as_plain, record_factory


def test_a_factory_record_equals_the_constructor_s() -> None:
    make = record_factory(OrderLineRecord)
    made = make(title="Mug", quantity=2, unit_price=Decimal("12.50"), sku="MUG-1")
    built = OrderLineRecord(title="Mug", quantity=2, unit_price=Decimal("12.50"), sku="MUG-1")
    assert made == built
    assert hash(made) == hash(built)
    assert repr(made) == repr(built)
    assert as_plain(made) == as_plain(built)
    assert made.discount == Decimal(0) and made.tax == Decimal(0) and made.external_id is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.title = "Cup"  # type: ignore[misc]


def test_a_factory_order_with_every_default_equals_the_constructor_s() -> None:
    values = {
        "channel": "shopify",
        "external_id": "1",
        "number": "#1001",
        "ordered_at": datetime(2026, 1, 2, 3, tzinfo=UTC),
        "currency": "CAD",
        "subtotal": Decimal("10.00"),
        "total": Decimal("11.30"),
        "financial_status": "paid",
        "fulfillment_status": "fulfilled",
        "source": SourceRef("shopify.orders_csv", "1", 2, {"rows": [2]}),
    }
    assert record_factory(OrderRecord)(**values) == OrderRecord(**values)  # type: ignore[arg-type]


def test_missing_and_unknown_fields_are_refused() -> None:
    make = record_factory(OrderLineRecord)
    with pytest.raises(TypeError, match=r"missing field\(s\) \['quantity'\]"):
        make(title="Mug", unit_price=Decimal(1))
    with pytest.raises(TypeError, match=r"unknown field\(s\) \['colour'\]"):
        make(title="Mug", quantity=1, unit_price=Decimal(1), colour="red")
