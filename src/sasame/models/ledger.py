"""The books: a chart of accounts, balanced journal entries and their postings, and FIFO cost layers.

Only `sasame.finance.ledger` writes journal entries and postings; it refuses an entry whose
postings do not sum to zero per currency, so an unbalanced entry cannot reach these tables.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sasame.models.base import Amount, Base, UTCDateTime, currency_column, pk, source_column

ACCOUNT_KINDS = ("asset", "liability", "equity", "income", "expense")
PNL_LINES = (
    "gross_sales",
    "discounts",
    "shipping_income",
    "returns",
    "chargebacks",
    "cogs",
    "marketplace_fees",
    "payment_processing",
    "shipping",
    "advertising",
    "operating_expenses",
    "fx",
    "other",
)
"""The P&L layer an income or expense account reports in, in the order the P&L reads."""


class LedgerAccount(Base):
    """An account of the chart: '4000.shopify' (sales on Shopify), '1100.amazon' (Amazon clearing)."""

    __tablename__ = "ledger_account"

    id: Mapped[int] = pk()
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    """asset, liability, equity, income or expense."""
    pnl_line: Mapped[str | None] = mapped_column(String(40), default=None)
    """The P&L layer this account reports in (see PNL_LINES); None for balance-sheet accounts."""
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id"), default=None)
    platform: Mapped[str | None] = mapped_column(String(40), default=None)
    """Ad platform (google, meta, amazon_ads) or payout source (shopify_payments, amazon, ...)."""
    is_clearing: Mapped[bool] = mapped_column(Boolean, default=False)
    """Money owed to the store by a payout source until the payout reaches the bank."""


class JournalEntry(Base):
    """One business event in the books; its postings sum to zero per currency."""

    __tablename__ = "journal_entry"
    __table_args__ = (UniqueConstraint("cause", "cause_id", "kind"),)

    id: Mapped[int] = pk()
    kind: Mapped[str] = mapped_column(String(30))
    """sale, refund, return, chargeback, payout, fee, ad_spend, cogs, write_off, receipt, ..."""
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    business_day: Mapped[date] = mapped_column(Date, index=True)
    """Business day of occurred_at in the store's timezone."""
    cause: Mapped[str] = mapped_column(String(40))
    """The table of the row that caused the entry: order, refund, payout_line, stock_movement, ..."""
    cause_id: Mapped[int] = mapped_column(Integer)
    memo: Mapped[str | None] = mapped_column(String(300), default=None)
    currency: Mapped[str] = currency_column()
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id"), default=None)
    fingerprint: Mapped[str | None] = mapped_column(String(64), default=None)
    """Digest of the facts the entry was built from; a changed cause re-posts when it differs."""
    source_record_id: Mapped[int | None] = source_column()


class Posting(Base):
    """One leg of a journal entry: a signed amount on one account (debit positive, credit negative)."""

    __tablename__ = "posting"
    __table_args__ = (Index("ix_posting_business_day_account", "business_day", "account_id"),)

    id: Mapped[int] = pk()
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = currency_column()
    store_amount: Mapped[Decimal] = mapped_column(Amount)
    """amount converted to the store currency (equal to amount when it is the store's currency)."""
    business_day: Mapped[date] = mapped_column(Date)
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id"), default=None)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"), index=True, default=None)
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variant.id"), index=True, default=None)


class CostLayer(Base):
    """Units of one SKU received together at one landed unit cost, consumed first-in first-out."""

    __tablename__ = "cost_layer"
    __table_args__ = (Index("ix_cost_layer_variant_opened", "variant_id", "opened_at"),)

    id: Mapped[int] = pk()
    variant_id: Mapped[int] = mapped_column(ForeignKey("variant.id"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"), default=None)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    quantity: Mapped[int] = mapped_column(Integer)
    remaining: Mapped[int] = mapped_column(Integer)
    """Units still on the shelf; negative for a shortfall sold before its receipt arrived."""
    remaining_value: Mapped[Decimal] = mapped_column(Amount)
    """Exact cost of the remaining units; the inventory account's balance is the sum of these."""
    unit_cost: Mapped[Decimal] = mapped_column(Amount)
    """Landed cost of one unit (price + allocated freight and duty), in the store currency."""
    currency: Mapped[str] = currency_column()
    purchase_order_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchase_order_line.id"), default=None
    )
    stock_movement_id: Mapped[int | None] = mapped_column(ForeignKey("stock_movement.id"), default=None)
