"""Counts from Klaviyo exports, which write some metrics only as rates (fractions or percent strings)."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from sasame.connectors.files import Row, parse_rate


def count(row: Row, column: str, *, rate_column: str | None = None, base: int = 0) -> int:
    """The count in `column`; else the rate in `rate_column` times `base`, rounded; else 0.

    Klaviyo's rates are counts over deliveries, so a rate-only export gives the count back exactly
    up to rounding.
    """
    if row.text(column) is not None:
        return row.integer(column) or 0
    if rate_column is None:
        return 0
    rate = _rate(row, rate_column)
    if rate is None:
        return 0
    return int((rate * base).to_integral_value(rounding=ROUND_HALF_EVEN))


def recipients_from_bounces(row: Row, delivered: int, rate_column: str = "Bounce Rate") -> int:
    """Recipients when an export gives only deliveries and the bounce rate (bounces over recipients)."""
    rate = _rate(row, rate_column)
    if not rate or rate >= 1:
        return delivered
    return int((Decimal(delivered) / (1 - rate)).to_integral_value(rounding=ROUND_HALF_EVEN))


def _rate(row: Row, column: str) -> Decimal | None:
    value = row.text(column)
    if value is None:
        return None
    try:
        return parse_rate(value)
    except ValueError:
        raise row.error(column, f"{value!r} is not a rate") from None


def bounded(row: Row, column: str, value: str, limit: int) -> str:
    """The value if it fits the schema's column; longer is a damaged cell, refused by name."""
    if len(value) > limit:
        raise row.error(column, f"is longer than {limit} characters")
    return value
