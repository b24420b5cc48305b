"""Finance reports: the owner's operating expenses, exchange rates, payout-to-bank matches and the
daily P&L rollup the ledger posting keeps for fast reports."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sasame.models.base import Amount, Base, UTCDateTime, currency_column, pk

EXPENSE_RECURRENCES = ("none", "weekly", "monthly", "yearly")
RATE_SOURCES = ("payout", "imported")


class OperatingExpense(Base):
    """A cost the owner records: software, salaries, rent; one-off or recurring from starts_on."""

    __tablename__ = "operating_expense"

    id: Mapped[int] = pk()
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(60))
    """software, salaries, rent, insurance, professional_fees, other, ..."""
    amount: Mapped[Decimal] = mapped_column(Amount)
    """Per occurrence (per week, month or year when recurring), positive."""
    currency: Mapped[str] = currency_column()
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date, default=None)
    """Last day an occurrence may fall on (inclusive); None while it runs."""
    recurrence: Mapped[str] = mapped_column(String(10), default="none")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ExchangeRate(Base):
    """How many units of to_currency one unit of from_currency bought on a day."""

    __tablename__ = "exchange_rate"
    __table_args__ = (UniqueConstraint("day", "from_currency", "to_currency", "source"),)

    id: Mapped[int] = pk()
    day: Mapped[date] = mapped_column(Date, index=True)
    from_currency: Mapped[str] = mapped_column(String(3))
    to_currency: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column(Amount)
    """Four decimal places, as the Amount type keeps them."""
    source: Mapped[str] = mapped_column(String(10))
    """payout (the rate a processor applied to a deposit) or imported (the owner's rate table)."""
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payout.id"), default=None)


class ReconciliationException(Base):
    """A difference the reconciliation found and could not explain away, with a plain reason."""

    __tablename__ = "reconciliation_exception"
    __table_args__ = (UniqueConstraint("kind", "subject", "subject_id"),)

    id: Mapped[int] = pk()
    kind: Mapped[str] = mapped_column(String(40))
    """payout_lines_mismatch, deposit_unmatched, payout_missing, reserve_held, clearing_open, ..."""
    subject: Mapped[str] = mapped_column(String(40))
    """payout, bank_transaction or ledger_account."""
    subject_id: Mapped[int] = mapped_column()
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = currency_column()
    reason: Mapped[str] = mapped_column(String(500))
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PnlDay(Base):
    """The ledger's P&L accounts summed per business day, account and SKU: kept by the posting so
    a year of daily P&L over a million orders reads a few hundred thousand rows, not millions."""

    __tablename__ = "pnl_day"
    __table_args__ = (Index("ix_pnl_day_business_day_account_id", "business_day", "account_id"),)

    id: Mapped[int] = pk()
    business_day: Mapped[date] = mapped_column(Date)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id"), default=None)
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variant.id"), default=None)
    store_amount: Mapped[Decimal] = mapped_column(Amount)
    postings: Mapped[int] = mapped_column()
