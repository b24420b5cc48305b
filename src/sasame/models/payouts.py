"""Money that reaches the bank: payouts/settlements, their component lines, and bank statement lines."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sasame.models.base import Amount, Base, UTCDateTime, currency_column, pk, source_column

PAYOUT_LINE_KINDS = (
    "principal",
    "shipping",
    "tax",
    "fee",
    "refund",
    "chargeback",
    "adjustment",
    "reserve",
    "other",
)


class Payout(Base):
    """One deposit a payment processor or marketplace sends: a Shopify payout, an Amazon settlement."""

    __tablename__ = "payout"
    __table_args__ = (UniqueConstraint("provider", "external_id"),)

    id: Mapped[int] = pk()
    provider: Mapped[str] = mapped_column(String(40))
    """shopify_payments, amazon, etsy, paypal, stripe, wholesale."""
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id"), default=None)
    external_id: Mapped[str] = mapped_column(String(100))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_on: Mapped[date] = mapped_column(Date, index=True)
    amount: Mapped[Decimal] = mapped_column(Amount)
    """Net deposit: the sum of the payout's lines."""
    currency: Mapped[str] = currency_column()
    status: Mapped[str] = mapped_column(String(20))
    source_record_id: Mapped[int | None] = source_column()


class PayoutLine(Base):
    """A component of a payout: sale principal, a fee by type, a refund, an adjustment, a reserve."""

    __tablename__ = "payout_line"

    id: Mapped[int] = pk()
    payout_id: Mapped[int] = mapped_column(ForeignKey("payout.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    fee_type: Mapped[str | None] = mapped_column(String(60), default=None)
    """For fees: commission, fba_fulfilment, transaction, processing, listing, offsite_ads, ..."""
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"), index=True, default=None)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    amount: Mapped[Decimal] = mapped_column(Amount)
    """Signed: money to the seller is positive, fees and refunds are negative."""
    currency: Mapped[str] = currency_column()
    description: Mapped[str | None] = mapped_column(String(300), default=None)
    source_record_id: Mapped[int | None] = source_column()


class BankTransaction(Base):
    """A line of the bank statement (OFX FITID or CSV row)."""

    __tablename__ = "bank_transaction"
    __table_args__ = (UniqueConstraint("account", "external_id"),)

    id: Mapped[int] = pk()
    account: Mapped[str] = mapped_column(String(60))
    external_id: Mapped[str] = mapped_column(String(100))
    posted_on: Mapped[date] = mapped_column(Date, index=True)
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = currency_column()
    description: Mapped[str] = mapped_column(String(300))
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payout.id"), default=None)
    """The payout this deposit was matched to, once reconciled."""
    source_record_id: Mapped[int | None] = source_column()
