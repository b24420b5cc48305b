"""Saved column mappings for bank CSV files that no preset knows (one per bank layout)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from sasame.models.base import Base, UTCDateTime, currency_column, pk


class BankCsvMapping(Base):
    """Which columns of a bank's CSV hold the date, amount, description, and how to read them."""

    __tablename__ = "bank_csv_mapping"

    id: Mapped[int] = pk()
    name: Mapped[str] = mapped_column(String(60), unique=True)
    account: Mapped[str] = mapped_column(String(60))
    """The account the file's lines belong to (bank CSVs rarely name it)."""
    currency: Mapped[str] = currency_column()
    date_column: Mapped[str] = mapped_column(String(100))
    date_format: Mapped[str] = mapped_column(String(40))
    """A strptime pattern, e.g. %m/%d/%Y."""
    amount_column: Mapped[str | None] = mapped_column(String(100), default=None)
    """A signed amount; otherwise debit_column and credit_column (both unsigned)."""
    debit_column: Mapped[str | None] = mapped_column(String(100), default=None)
    credit_column: Mapped[str | None] = mapped_column(String(100), default=None)
    description_column: Mapped[str] = mapped_column(String(100))
    id_column: Mapped[str | None] = mapped_column(String(100), default=None)
    """The bank's own transaction id, when the file has one: then it is the natural key."""
    balance_column: Mapped[str | None] = mapped_column(String(100), default=None)
    decimal_comma: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
