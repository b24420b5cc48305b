"""Operating expenses the owner records (software, salaries, rent): one-off or recurring.

A recurring expense occurs on its start day and then every week, month or year after it, up to
and including ``ends_on``. A monthly expense that starts on the 31st falls on the last day of
shorter months, so it never skips a month.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.business.service import store_settings
from sasame.core.errors import UserError
from sasame.core.money import MAX_AMOUNT, to_decimal
from sasame.models.finance_reports import EXPENSE_RECURRENCES


@dataclass(frozen=True)
class Occurrence:
    """One day an expense is incurred, with its amount."""

    expense_id: int
    day: date
    amount: Decimal
    currency: str
    name: str
    category: str


def _add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def occurrence_days(starts_on: date, ends_on: date | None, recurrence: str, last: date) -> Iterator[date]:
    """Yield the days an expense falls on, from its start up to ``last`` (inclusive) and ``ends_on``."""
    stop = min(last, ends_on) if ends_on else last
    if recurrence == "none":
        if starts_on <= stop:
            yield starts_on
        return
    step = 0
    while True:
        if recurrence == "weekly":
            day = starts_on + timedelta(weeks=step)
        elif recurrence == "monthly":
            day = _add_months(starts_on, step)
        elif recurrence == "yearly":
            day = _add_months(starts_on, 12 * step)
        else:
            raise UserError(f"recurrence: {recurrence!r} is not one of {', '.join(EXPENSE_RECURRENCES)}")
        if day > stop:
            return
        yield day
        step += 1


def occurrences(session: Session, first: date, last_exclusive: date) -> list[Occurrence]:
    """Return every expense occurrence in the half-open range of business days, ordered by day."""
    found = []
    for expense in session.scalars(select(m.OperatingExpense).order_by(m.OperatingExpense.id)):
        for day in occurrence_days(
            expense.starts_on, expense.ends_on, expense.recurrence, last_exclusive - timedelta(days=1)
        ):
            if day >= first:
                found.append(
                    Occurrence(
                        expense.id, day, expense.amount, expense.currency, expense.name, expense.category
                    )
                )
    return sorted(found, key=lambda o: (o.day, o.expense_id))


def add_expense(
    session: Session,
    *,
    name: str,
    category: str,
    amount: Decimal | str,
    starts_on: date,
    now: datetime,
    currency: str | None = None,
    recurrence: str = "none",
    ends_on: date | None = None,
) -> m.OperatingExpense:
    """Record an expense; bad values are a UserError naming the option."""
    if not name.strip():
        raise UserError("--name: an expense needs a name")
    try:
        value = to_decimal(amount)
    except (TypeError, ValueError) as error:
        raise UserError(f"--amount: {amount!r} is not an amount such as 79.00") from error
    if not value.is_finite() or value <= 0:
        raise UserError(f"--amount: {amount} must be a positive amount")
    if value >= MAX_AMOUNT:
        raise UserError(f"--amount: {amount} is more than an amount sasame can store")
    if recurrence not in EXPENSE_RECURRENCES:
        raise UserError(f"--recurrence: {recurrence!r} is not one of {', '.join(EXPENSE_RECURRENCES)}")
    if ends_on is not None and ends_on < starts_on:
        raise UserError(f"--ends-on: {ends_on} is before --starts-on {starts_on}")
    code = (currency or store_settings(session).currency).upper()
    if len(code) != 3 or not code.isalpha():
        raise UserError(f"--currency: {currency!r} is not a three-letter ISO 4217 code such as USD")
    expense = m.OperatingExpense(
        name=name.strip(),
        category=category.strip() or "other",
        amount=value,
        currency=code,
        starts_on=starts_on,
        ends_on=ends_on,
        recurrence=recurrence,
        created_at=now,
    )
    session.add(expense)
    session.flush()
    return expense


def list_expenses(session: Session) -> list[m.OperatingExpense]:
    """Return every recorded expense, oldest start first."""
    return list(
        session.scalars(
            select(m.OperatingExpense).order_by(m.OperatingExpense.starts_on, m.OperatingExpense.id)
        )
    )
