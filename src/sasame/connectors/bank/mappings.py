"""Saved bank CSV mappings: save one per bank layout, list them, and hand them to detection.

Services take the caller's session and never commit (the CLI command commits once).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.connectors.bank.csv_statement import SAVED_LAYOUTS, BankCsvLayout
from sasame.core.errors import UserError

_TOKENS = (("YYYY", "%Y"), ("YY", "%y"), ("MM", "%m"), ("DD", "%d"), ("M", "%m"), ("D", "%d"))


def strptime_pattern(date_format: str) -> str:
    """Accept 'MM/DD/YYYY'-style tokens or a strptime pattern; return the strptime pattern."""
    if "%" in date_format:
        pattern = date_format
    else:
        pattern = re.sub(
            "|".join(token for token, _ in _TOKENS), lambda match: dict(_TOKENS)[match[0]], date_format
        )
    sample = datetime(2024, 12, 31)
    try:
        if datetime.strptime(sample.strftime(pattern), pattern).date() != sample.date():
            raise ValueError
    except ValueError:
        raise UserError(
            f"--date-format: {date_format!r} does not read a full date back (try MM/DD/YYYY or %d.%m.%Y)"
        ) from None
    return pattern


def save_bank_mapping(
    session: Session,
    *,
    name: str,
    date_column: str,
    date_format: str,
    description_column: str,
    now: datetime,
    account: str | None = None,
    currency: str = "USD",
    amount_column: str | None = None,
    debit_column: str | None = None,
    credit_column: str | None = None,
    id_column: str | None = None,
    balance_column: str | None = None,
    decimal_comma: bool = False,
) -> m.BankCsvMapping:
    """Create or replace the mapping called `name`; a mapping names one amount column or debit and credit."""
    if amount_column and (debit_column or credit_column):
        raise UserError("--amount: give either one signed amount column or --debit and --credit, not both")
    if not amount_column and not (debit_column and credit_column):
        raise UserError("--amount: give the signed amount column, or both --debit and --credit")
    currency = currency.upper()
    if len(currency) != 3 or not currency.isalpha():
        raise UserError(f"--currency: {currency!r} is not a three-letter ISO 4217 code such as USD")
    if not name.strip():
        raise UserError("NAME: a mapping needs a name")
    values = {
        "account": (account or name).strip(),
        "currency": currency,
        "date_column": date_column,
        "date_format": strptime_pattern(date_format),
        "amount_column": amount_column,
        "debit_column": debit_column,
        "credit_column": credit_column,
        "description_column": description_column,
        "id_column": id_column,
        "balance_column": balance_column,
        "decimal_comma": decimal_comma,
    }
    mapping = session.scalar(select(m.BankCsvMapping).where(m.BankCsvMapping.name == name))
    if mapping is None:
        mapping = m.BankCsvMapping(name=name, created_at=now, **values)
        session.add(mapping)
    else:
        for attribute, value in values.items():
            setattr(mapping, attribute, value)
    session.flush()
    use_saved_mappings(session)
    return mapping


def list_bank_mappings(session: Session) -> Sequence[m.BankCsvMapping]:
    return session.scalars(select(m.BankCsvMapping).order_by(m.BankCsvMapping.name)).all()


def layout_of(mapping: m.BankCsvMapping) -> BankCsvLayout:
    return BankCsvLayout(
        name=mapping.name,
        account=mapping.account,
        currency=mapping.currency,
        date_column=mapping.date_column,
        date_format=mapping.date_format,
        description_columns=(mapping.description_column,),
        amount_column=mapping.amount_column,
        debit_column=mapping.debit_column,
        credit_column=mapping.credit_column,
        id_column=mapping.id_column,
        balance_column=mapping.balance_column,
        decimal_comma=mapping.decimal_comma,
    )


def use_saved_mappings(session: Session) -> tuple[BankCsvLayout, ...]:
    """Make the database's saved mappings visible to bank CSV detection in this context."""
    layouts = tuple(layout_of(mapping) for mapping in list_bank_mappings(session))
    SAVED_LAYOUTS.set(layouts)
    return layouts
