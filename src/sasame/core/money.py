"""Money: an exact Decimal amount with its ISO 4217 currency; never a float.

Storage uses integers in a fixed scale of 1/10,000 (see ``SCALE``) so that SQL sums are exact on
SQLite and PostgreSQL alike. Rounding to the currency's minor unit happens only where a caller
asks for it (a posting, a report line), with banker's-free ROUND_HALF_UP as accountants expect.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

SCALE = 10_000
"""Stored units per currency unit: four decimal places, enough for per-unit costs and FX rates."""

_QUANTUM = Decimal(1) / SCALE

# Minor units per ISO 4217; currencies not listed have two.
_MINOR_UNITS = {
    "JPY": 0,
    "KRW": 0,
    "CLP": 0,
    "ISK": 0,
    "VND": 0,
    "BHD": 3,
    "KWD": 3,
    "JOD": 3,
    "OMR": 3,
    "TND": 3,
}


def minor_units(currency: str) -> int:
    """Return the number of decimal places the currency is settled in."""
    return _MINOR_UNITS.get(currency.upper(), 2)


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Convert an exact value to Decimal; floats are refused because they are already inexact."""
    if isinstance(value, (bool, float)):
        raise TypeError(f"money must not be a float or bool: {value!r}")
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(value)
    except InvalidOperation as error:
        raise ValueError(f"not an amount: {value!r}") from error


MAX_AMOUNT = Decimal(10) ** 12
"""The largest amount an input may carry: far above any small seller's figure, far inside what a
stored amount (a 64-bit count of 1/10,000ths) holds; a longer number in a file is damage."""

MAX_COUNT = 2**31 - 1
"""The largest count (units, clicks, recipients) an input may carry: counts are 32-bit columns."""


def to_units(value: Decimal | int | str) -> int:
    """Return the stored integer (1/10,000ths) for an amount, rounding half up beyond 4 places."""
    return int((to_decimal(value) * SCALE).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_units(units: int | Decimal) -> Decimal:
    """Return the Decimal amount for a stored integer (or an exact SQL sum of them)."""
    return (Decimal(units) / SCALE).quantize(_QUANTUM)


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round an amount to the currency's minor unit, half up."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Money:
    """An immutable amount in one currency; arithmetic across currencies is an error."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_decimal(self.amount))
        code = self.currency.upper()
        if len(code) != 3 or not code.isalpha():
            raise ValueError(f"not an ISO 4217 currency code: {self.currency!r}")
        object.__setattr__(self, "currency", code)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        return cls(to_decimal(amount), currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise ValueError(f"currency mismatch: {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(self.amount * to_decimal(factor), self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __bool__(self) -> bool:
        return bool(self.amount)

    def rounded(self) -> Money:
        """Return this amount rounded to the currency's minor unit."""
        return Money(round_money(self.amount, self.currency), self.currency)

    def allocate(self, weights: list[int] | list[Decimal]) -> list[Money]:
        """Split into parts proportional to weights, in minor units, losing no cent."""
        if not weights or sum(weights) <= 0:
            raise ValueError("allocate needs positive weights")
        step = Decimal(1).scaleb(-minor_units(self.currency))
        total_minor = int(round_money(self.amount, self.currency) / step)
        total_weight = sum(Decimal(w) for w in weights)
        shares = [int(Decimal(total_minor) * Decimal(w) / total_weight) for w in weights]
        remainder = total_minor - sum(shares)
        # Hand the leftover minor units to the largest weights first, deterministically.
        order = sorted(range(len(weights)), key=lambda i: (-Decimal(weights[i]), i))
        sign = 1 if remainder >= 0 else -1
        for i in order[: abs(remainder)]:
            shares[i] += sign
        return [Money(Decimal(s) * step, self.currency) for s in shares]

    def __str__(self) -> str:
        return f"{round_money(self.amount, self.currency):,} {self.currency}"
