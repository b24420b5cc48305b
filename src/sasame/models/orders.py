"""Orders from every channel, their lines, and where the buyer came from."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from sasame.models.base import Amount, Base, UTCDateTime, currency_column, pk, source_column

FINANCIAL_STATUSES = ("pending", "paid", "partially_refunded", "refunded", "voided")
FULFILLMENT_STATUSES = ("unfulfilled", "partial", "fulfilled", "cancelled")


class Order(Base):
    __tablename__ = "order"
    __table_args__ = (
        UniqueConstraint("channel_id", "external_id"),
        # Covers the sales chart's sum per day, channel and currency of the orders not cancelled,
        # so it reads this index alone (migration 0011); ranges of order_date use it as well.
        Index("ix_order_sales_day", "order_date", "channel_id", "currency", "cancelled_at", "total"),
        # The orders with discount codes, per day and channel: what judging promotion days reads
        # (migration 0013). Partial, so it holds only them: 16,000 of 560,000 orders in the 120 days
        # a 10,000-SKU store's forecast chart judges.
        Index(
            "ix_order_discount_day",
            "order_date",
            "channel_id",
            "discount_codes",
            sqlite_where=text("discount_codes IS NOT NULL"),
            postgresql_where=text("discount_codes IS NOT NULL"),
        ),
    )

    id: Mapped[int] = pk()
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id"))
    external_id: Mapped[str] = mapped_column(String(100))
    """The platform's id of the order (Shopify id, Amazon order id, Etsy receipt id)."""
    number: Mapped[str] = mapped_column(String(100), index=True)
    """What the customer sees: '#1001', '112-1234567-1234567', an Etsy receipt number."""
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True, default=None)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    order_date: Mapped[date] = mapped_column(Date)
    """Business day of ordered_at in the store's timezone."""
    currency: Mapped[str] = currency_column()
    subtotal: Mapped[Decimal] = mapped_column(Amount)
    """Sum of line prices times quantities, before discounts."""
    discount_total: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    shipping_total: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    tax_total: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Amount)
    """subtotal - discount_total + shipping_total + tax_total: what the buyer paid."""
    financial_status: Mapped[str] = mapped_column(String(30))
    fulfillment_status: Mapped[str] = mapped_column(String(30))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    discount_codes: Mapped[str | None] = mapped_column(String(200), default=None)
    ship_country: Mapped[str | None] = mapped_column(String(2), default=None)
    ship_region: Mapped[str | None] = mapped_column(String(100), default=None)
    ship_city: Mapped[str | None] = mapped_column(String(100), default=None)
    ship_postal_code: Mapped[str | None] = mapped_column(String(20), default=None)
    utm_source: Mapped[str | None] = mapped_column(String(100), default=None)
    utm_medium: Mapped[str | None] = mapped_column(String(100), default=None)
    utm_campaign: Mapped[str | None] = mapped_column(String(200), default=None)
    utm_content: Mapped[str | None] = mapped_column(String(200), default=None)
    utm_term: Mapped[str | None] = mapped_column(String(200), default=None)
    referrer: Mapped[str | None] = mapped_column(String(500), default=None)
    landing_page: Mapped[str | None] = mapped_column(String(500), default=None)
    source_record_id: Mapped[int | None] = source_column()


class OrderLine(Base):
    __tablename__ = "order_line"

    id: Mapped[int] = pk()
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variant.id"), index=True, default=None)
    sku: Mapped[str | None] = mapped_column(String(100), default=None)
    title: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Amount)
    discount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    """Discount allocated to this line in total (not per unit)."""
    tax: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    source_record_id: Mapped[int | None] = source_column()
