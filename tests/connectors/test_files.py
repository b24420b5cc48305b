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


def test_amounts_and_counts_beyond_what_the_database_stores_are_refused_by_row_and_column() -> None:
    from datetime import date
    from zoneinfo import ZoneInfo

    from sasame.connectors.ad_reports import AdPath, AdSpendDays
    from sasame.connectors.base import ParseContext
    from sasame.connectors.files import Row
    from sasame.core.errors import InputError
    from sasame.core.money import MAX_AMOUNT, MAX_COUNT

    row = Row(
        "bank.csv",
        7,
        {"Amount": "99999999999999999999999999999", "Clicks": "2147483648", "Ok": "999999999999.99"},
    )
    with pytest.raises(InputError) as caught:
        row.money("Amount")
    assert str(caught.value) == (
        "bank.csv, row 7, column 'Amount': '99999999999999999999999999999' "
        "is more than an amount sasame can store"
    )
    with pytest.raises(InputError) as caught:
        row.integer("Clicks")
    assert (
        str(caught.value)
        == "bank.csv, row 7, column 'Clicks': '2147483648' is more than a count sasame can store"
    )
    assert row.money("Ok") == MAX_AMOUNT - Decimal("0.01")
    # Cells within bounds can still sum beyond them on one ad's day: refused by its first row.
    days = AdSpendDays("google", "google_ads.report", {"impressions": "Impr."})
    path = AdPath("c1", "Campaign", "s1", "Ad set", "a1", "Ad")
    for number in (3, 4):
        cell = Row("ads.csv", number, {"Impr.": str(MAX_COUNT)})
        days.add(
            cell,
            path,
            date(2026, 9, 1),
            currency="USD",
            spend=Decimal(1),
            impressions=MAX_COUNT,
            clicks=0,
            conversions=Decimal(0),
            conversion_value=Decimal(0),
        )
    with pytest.raises(InputError) as caught:
        days.records(ParseContext(timezone=ZoneInfo("UTC"), currency="USD"))
    assert (
        str(caught.value)
        == f"row 3, column 'Impr.': is {2 * MAX_COUNT}, more than an ad's day can hold ({MAX_COUNT})"
    )
