from decimal import Decimal

import pytest

from sasame.core.money import Money, from_units, minor_units, round_money, to_units


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        Money(0.1, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money.of("1.00", "USD") * 1.5  # type: ignore[operator]


def test_money_adds_exactly_where_floats_drift():
    total = sum((Money.of("0.10", "USD") for _ in range(10)), Money.zero("USD"))
    assert total == Money.of("1.00", "USD")
    assert sum(0.1 for _ in range(10)) != 1.0  # the reason money is never a float


def test_money_refuses_mixing_currencies():
    with pytest.raises(ValueError, match="currency mismatch: USD and CAD"):
        Money.of("1", "USD") + Money.of("1", "CAD")


def test_rounding_is_half_up_at_the_currency_minor_unit():
    assert round_money(Decimal("2.345"), "USD") == Decimal("2.35")
    assert round_money(Decimal("2.5"), "JPY") == Decimal("3")
    assert round_money(Decimal("1.2345"), "KWD") == Decimal("1.235")
    assert minor_units("usd") == 2


def test_allocate_loses_no_cent():
    parts = Money.of("100.00", "USD").allocate([1, 1, 1])
    assert [p.amount for p in parts] == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert sum(p.amount for p in parts) == Decimal("100.00")
    refund = Money.of("-10.00", "USD").allocate([2, 1])
    assert [p.amount for p in refund] == [Decimal("-6.67"), Decimal("-3.33")]


def test_storage_units_round_trip_at_four_places():
    assert to_units("19.99") == 199_900
    assert to_units(Decimal("0.00005")) == 1  # half up beyond the fourth place
    assert from_units(199_900) == Decimal("19.9900")
    assert from_units(to_units("-1234567.8912")) == Decimal("-1234567.8912")


def test_money_str_shows_currency_precision():
    assert str(Money.of("1234.5", "USD")) == "1,234.50 USD"
