"""The shared file helpers: amounts as sellers' files write them, and what is refused."""

from decimal import Decimal

import pytest

from sasame.connectors.files import parse_amount


@pytest.mark.parametrize(
    ("text", "decimal_comma", "amount"),
    [
        ("1,234.56", False, "1234.56"),
        ("12,345,678", False, "12345678"),
        ("$ 16.22", False, "16.22"),
        ("-€ 0.04", False, "-0.04"),
        ("CA$76.00", False, "76.00"),
        ("(12.00)", False, "-12.00"),
        ("95,00", True, "95.00"),
        ("1.234,56", True, "1234.56"),
        ("-1.234.567,8", True, "-1234567.8"),
        ("1 234,56", True, "1234.56"),
        ("€-0.04", False, "-0.04"),
        ("£1,012.40", False, "1012.40"),
        ("USD 5.00", False, "5.00"),
        ("5.00 EUR", False, "5.00"),
    ],
)
def test_amounts_parse_exactly(text: str, decimal_comma: bool, amount: str) -> None:
    assert parse_amount(text, decimal_comma=decimal_comma) == Decimal(amount)


@pytest.mark.parametrize(
    ("text", "decimal_comma"),
    [
        ("2,7.8", False),
        ("1,23", False),
        ("12.x5", False),
        ("1.23,4.5", True),
        ("40$2.9", False),
        ("95.00", True),
    ],
)
def test_separators_that_do_not_group_by_three_are_refused(text: str, decimal_comma: bool) -> None:
    with pytest.raises(ValueError):
        parse_amount(text, decimal_comma=decimal_comma)
