"""Reading JSON payloads (API answers, webhook bodies, JSON exports) with the same care as files.

JSON is parsed with `parse_float=Decimal`, so a number like WooCommerce's `"price": 12.5` never
passes through a float. Every typed getter raises an InputError naming the file (or stream), the
object's position and the JSON path of the field, e.g. `orders.json, row 2, column 'line_items[0].total'`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sasame.connectors.files import parse_amount, parse_instant
from sasame.core.errors import InputError


def load_json(text: str | bytes, name: str) -> Any:
    """Parse JSON exactly (decimals stay Decimal); a syntax error names the file, line and column."""
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise InputError(
            f"is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})", file=name
        ) from None
    except UnicodeDecodeError:
        raise InputError("is not UTF-8 text", file=name) from None


class Node:
    """One JSON object inside a payload, with the path that locates it for error messages."""

    def __init__(self, value: Any, *, file: str, row: int | None, path: str = "") -> None:
        if not isinstance(value, dict):
            raise InputError(
                f"is {type(value).__name__}, expected an object", file=file, row=row, column=path or None
            )
        self.value: dict[str, Any] = value
        self.file, self.row, self.path = file, row, path

    def _where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str, message: str) -> InputError:
        return InputError(message, file=self.file, row=self.row, column=self._where(key))

    def raw(self, key: str) -> Any:
        return self.value.get(key)

    def child(self, key: str) -> Node | None:
        """The nested object at key; None when it is absent, null or empty."""
        value = self.value.get(key)
        if value is None or value == {} or value == []:
            return None
        return Node(value, file=self.file, row=self.row, path=self._where(key))

    def children(self, key: str) -> list[Node]:
        """The objects of the list at key (absent or null → empty)."""
        value = self.value.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(key, f"is {type(value).__name__}, expected a list")
        return [
            Node(item, file=self.file, row=self.row, path=f"{self._where(key)}[{i}]")
            for i, item in enumerate(value)
        ]

    def text(self, key: str, *, required: bool = False) -> str | None:
        """The value as stripped text (numbers as written); None when absent, null or empty."""
        value = self.value.get(key)
        if isinstance(value, bool):
            value = str(value).lower()
        if isinstance(value, (int, Decimal)):
            value = str(value)
        if value is not None and not isinstance(value, str):
            raise self.error(key, f"is {type(value).__name__}, expected text")
        value = value.strip() if value else None
        if not value:
            if required:
                raise self.error(key, "is missing but a value is required")
            return None
        return value

    def required_text(self, key: str) -> str:
        value = self.text(key, required=True)
        assert value is not None
        return value

    def money(self, key: str, *, required: bool = False) -> Decimal | None:
        """An amount written as a string ("29.35") or a JSON number (12, 12.5); never a float."""
        value = self.value.get(key)
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            return Decimal(value)
        text = self.text(key, required=required)
        if text is None:
            return None
        try:
            return parse_amount(text)
        except ValueError:
            raise self.error(key, f"{text!r} is not an amount") from None

    def required_money(self, key: str) -> Decimal:
        value = self.money(key, required=True)
        assert value is not None
        return value

    def money_or_zero(self, key: str) -> Decimal:
        return self.money(key) or Decimal(0)

    def integer(self, key: str, *, required: bool = False) -> int | None:
        value = self.money(key, required=required)
        if value is None:
            return None
        if value != value.to_integral_value():
            raise self.error(key, f"{self.value.get(key)!r} is not a whole number")
        return int(value)

    def instant(
        self, key: str, *, timezone: ZoneInfo | None = None, required: bool = False
    ) -> datetime | None:
        """An ISO 8601 instant; one without an offset is read in `timezone` (UTC for `_gmt` fields)."""
        text = self.text(key, required=required)
        if text is None:
            return None
        try:
            return parse_instant(text, timezone=timezone)
        except ValueError as error:
            raise self.error(key, f"{text!r} is not a date and time ({error})") from None

    def unix_instant(self, key: str, *, required: bool = False) -> datetime | None:
        """An instant written as Unix seconds (Stripe's `created`, `arrival_date`)."""
        seconds = self.integer(key, required=required)
        return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def as_received(value: Any) -> Any:
    """A payload fit for a JSON column: the numbers we parsed exactly go back to JSON numbers.

    Only lineage (drill-down to the raw object) reads this copy; every amount sasame computes with
    was taken from the exact Decimal before.
    """
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and "." not in str(value) else float(value)
    if isinstance(value, dict):
        return {key: as_received(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_received(item) for item in value]
    return value
