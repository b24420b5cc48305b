"""Exchange rates: the rate a payout actually applied where there is one, else the owner's table.

A rate converts one unit of ``from_currency`` into ``to_currency`` on a business day. The rate
for a day is the latest known on or before it (rates are published on business days, sales also
happen on weekends). A payout-applied rate beats an imported one for the same day because it is
what the money really became.
"""

from __future__ import annotations

import bisect
import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.business.service import store_settings
from sasame.core.errors import InputError, UserError
from sasame.core.money import round_money

SOURCE_PRIORITY = {"payout": 0, "imported": 1}
RATE_COLUMNS = ("date", "from", "to", "rate")


@dataclass
class RateBook:
    """Every known rate into one currency, in memory, for converting many amounts quickly."""

    to_currency: str
    _days: dict[str, list[date]] = field(default_factory=dict)
    _rates: dict[str, list[Decimal]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, to_currency: str | None = None) -> RateBook:
        """Read the rate table (payout rates first on a tie) into a book for the store currency."""
        target = (to_currency or store_settings(session).currency).upper()
        rows = session.execute(
            select(
                m.ExchangeRate.from_currency, m.ExchangeRate.day, m.ExchangeRate.rate, m.ExchangeRate.source
            )
            .where(m.ExchangeRate.to_currency == target)
            .order_by(m.ExchangeRate.from_currency, m.ExchangeRate.day)
        ).all()
        best: dict[tuple[str, date], tuple[int, Decimal]] = {}
        for currency, day, rate, source in rows:
            rank = SOURCE_PRIORITY.get(source, 9)
            known = best.get((currency, day))
            if known is None or rank < known[0]:
                best[(currency, day)] = (rank, rate)
        days: dict[str, list[date]] = defaultdict(list)
        rates: dict[str, list[Decimal]] = defaultdict(list)
        for (currency, day), (_, rate) in sorted(best.items()):
            days[currency].append(day)
            rates[currency].append(rate)
        return cls(target, dict(days), dict(rates))

    def rate(self, currency: str, day: date) -> Decimal:
        """Return the rate of one unit of ``currency`` on ``day``; a UserError when none is known."""
        code = currency.upper()
        if code == self.to_currency:
            return Decimal(1)
        known = self._days.get(code, [])
        position = bisect.bisect_right(known, day)
        if position == 0:
            raise UserError(
                f"no exchange rate {code}->{self.to_currency} on or before {day.isoformat()}: "
                "import one with `sasame rates import FILE.csv` (columns date,from,to,rate)"
            )
        return self._rates[code][position - 1]

    def convert(self, amount: Decimal, currency: str, day: date) -> Decimal:
        """Return ``amount`` in the book's currency, rounded to its minor unit (a posting point)."""
        if currency.upper() == self.to_currency:
            return amount
        return round_money(amount * self.rate(currency, day), self.to_currency)


def rate_for(session: Session, currency: str, day: date, to_currency: str | None = None) -> Decimal:
    """Return the rate converting one unit of ``currency`` into the store currency on ``day``.

    The ledger posting uses this (or ``RateBook`` for many amounts) to fill ``posting.store_amount``.
    """
    return RateBook.load(session, to_currency).rate(currency, day)


def record_payout_rate(
    session: Session, payout: m.Payout, deposited: Decimal, deposit_currency: str
) -> Decimal:
    """Keep the rate a payout really applied (deposit / payout amount) and return it."""
    if payout.amount == 0:
        raise UserError(f"payout {payout.external_id} is zero: it has no exchange rate")
    rate = (deposited / payout.amount).quantize(Decimal("0.0001"))
    session.execute(
        delete(m.ExchangeRate).where(
            m.ExchangeRate.day == payout.paid_on,
            m.ExchangeRate.from_currency == payout.currency,
            m.ExchangeRate.to_currency == deposit_currency,
            m.ExchangeRate.source == "payout",
        )
    )
    session.add(
        m.ExchangeRate(
            day=payout.paid_on,
            from_currency=payout.currency,
            to_currency=deposit_currency,
            rate=rate,
            source="payout",
            payout_id=payout.id,
        )
    )
    session.flush()
    return rate


@dataclass(frozen=True)
class ImportedRates:
    created: int
    updated: int
    unchanged: int


def parse_rates(text: str, file_name: str) -> list[tuple[date, str, str, Decimal]]:
    """Read a rate table CSV with the header date,from,to,rate; a bad row is an InputError."""
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [column for column in RATE_COLUMNS if column not in header]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; expected date,from,to,rate", file=file_name
        )
    rows = []
    for number, raw in enumerate(reader, start=2):
        row = {key.strip().lower(): (value or "").strip() for key, value in raw.items() if key}
        try:
            day = date.fromisoformat(row["date"])
        except ValueError as error:
            raise InputError(
                "not a date in the form YYYY-MM-DD", file=file_name, row=number, column="date"
            ) from error
        codes = []
        for column in ("from", "to"):
            code = row[column].upper()
            if len(code) != 3 or not code.isalpha():
                raise InputError(
                    "not a three-letter currency code", file=file_name, row=number, column=column
                )
            codes.append(code)
        try:
            rate = Decimal(row["rate"])
        except InvalidOperation as error:
            raise InputError("not a number", file=file_name, row=number, column="rate") from error
        if not rate.is_finite() or rate <= 0:
            raise InputError("a rate must be a positive number", file=file_name, row=number, column="rate")
        rows.append((day, codes[0], codes[1], rate))
    return rows


def import_rates(session: Session, text: str, file_name: str) -> ImportedRates:
    """Upsert the owner's rate table (source 'imported'); the whole file or nothing."""
    rows = parse_rates(text, file_name)
    existing = {
        (row.day, row.from_currency, row.to_currency): row
        for row in session.scalars(select(m.ExchangeRate).where(m.ExchangeRate.source == "imported"))
    }
    created = updated = unchanged = 0
    for day, source, target, rate in rows:
        stored_rate = rate.quantize(Decimal("0.0001"))
        row = existing.get((day, source, target))
        if row is None:
            row = m.ExchangeRate(
                day=day, from_currency=source, to_currency=target, rate=stored_rate, source="imported"
            )
            session.add(row)
            existing[(day, source, target)] = row
            created += 1
        elif row.rate != stored_rate:
            row.rate = stored_rate
            updated += 1
        else:
            unchanged += 1
    session.flush()
    return ImportedRates(created, updated, unchanged)
