"""Money and time survive a round trip through both databases exactly, and SQL sums stay exact."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from sasame import models as m
from sasame.db import transaction


def _variant(session, sku: str, price: str) -> m.Variant:
    product = session.scalar(select(m.Product).where(m.Product.handle == "tee"))
    if product is None:
        product = m.Product(handle="tee", title="Tee", category="apparel")
        session.add(product)
        session.flush()
    variant = m.Variant(product_id=product.id, sku=sku, title=sku, price=Decimal(price), currency="USD")
    session.add(variant)
    return variant


def test_amounts_sum_exactly_in_sql(engine):
    prices = ["0.10"] * 10 + ["19.99", "1234567.8912", "-0.0001"]
    with transaction(engine) as session:
        for i, price in enumerate(prices):
            _variant(session, f"SKU-{i}", price)
    with transaction(engine) as session:
        total = session.scalar(select(func.sum(m.Variant.price)))
        stored = session.scalar(select(m.Variant.price).where(m.Variant.sku == "SKU-11"))
    assert total == Decimal("1234588.8811")
    assert isinstance(total, Decimal)
    assert stored == Decimal("1234567.8912")


def test_instants_come_back_aware_utc(engine):
    placed = datetime(2026, 3, 1, 3, 30, 15, 123456, tzinfo=timezone(timedelta(hours=-5)))
    with transaction(engine) as session:
        session.add(m.BusinessSetting(name="Shop", currency="USD", timezone="UTC", created_at=placed))
    with transaction(engine) as session:
        back = session.scalar(select(m.BusinessSetting.created_at))
    assert back == datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)
    assert back.tzinfo == UTC


def test_naive_instants_are_refused_at_the_boundary(engine):
    with pytest.raises(Exception, match="naive datetime"), transaction(engine) as session:
        session.add(
            m.BusinessSetting(name="S", currency="USD", timezone="UTC", created_at=datetime(2026, 1, 1))
        )
        session.flush()


def test_float_money_is_refused_at_the_boundary(engine):
    with pytest.raises(Exception, match="float"), transaction(engine) as session:
        _variant(session, "FLOAT", "1")
        session.flush()
        variant = session.scalar(select(m.Variant).where(m.Variant.sku == "FLOAT"))
        variant.price = 1.1  # type: ignore[assignment]
        session.flush()


def test_business_days_are_dates(engine):
    with transaction(engine) as session:
        session.add(m.Channel(code="shopify", name="Shopify", kind="shopify", currency="USD"))
        session.flush()
        customer = m.Customer(email="a@example.com", first_seen_at=datetime(2026, 1, 1, tzinfo=UTC))
        session.add(customer)
        session.flush()
        session.add(
            m.Order(
                channel_id=session.scalar(select(m.Channel.id)),
                external_id="1",
                number="#1001",
                customer_id=customer.id,
                ordered_at=datetime(2026, 1, 2, 4, tzinfo=UTC),
                order_date=date(2026, 1, 1),
                currency="USD",
                subtotal=Decimal("10"),
                total=Decimal("10"),
                financial_status="paid",
                fulfillment_status="unfulfilled",
            )
        )
    with transaction(engine) as session:
        assert session.scalar(select(m.Order.order_date)) == date(2026, 1, 1)
