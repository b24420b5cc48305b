"""Buying stock: suppliers, their terms per SKU, purchase orders and their lines."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sasame.models.base import Amount, Base, UTCDateTime, currency_column, pk, source_column

PURCHASE_ORDER_STATUSES = ("draft", "sent", "partial", "received", "cancelled")
OPEN_PURCHASE_ORDER_STATUSES = ("sent", "partial")
"""Orders whose unreceived units are on their way; a draft is a proposal nobody has sent, so not on order."""


class Supplier(Base):
    __tablename__ = "supplier"

    id: Mapped[int] = pk()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    email: Mapped[str | None] = mapped_column(String(200), default=None)
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    currency: Mapped[str] = currency_column()
    quoted_lead_time_days: Mapped[int] = mapped_column(Integer)


class SupplierTerm(Base):
    """What one supplier charges for one SKU and how it sells it (MOQ, case pack, lead time)."""

    __tablename__ = "supplier_term"
    __table_args__ = (UniqueConstraint("supplier_id", "variant_id"),)

    id: Mapped[int] = pk()
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variant.id"), index=True)
    supplier_sku: Mapped[str | None] = mapped_column(String(100), default=None)
    unit_cost: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = currency_column()
    minimum_order_quantity: Mapped[int] = mapped_column(Integer, default=1)
    case_pack: Mapped[int] = mapped_column(Integer, default=1)
    quoted_lead_time_days: Mapped[int] = mapped_column(Integer)
    is_preferred: Mapped[bool] = mapped_column(default=True)


class PurchaseOrder(Base):
    __tablename__ = "purchase_order"

    id: Mapped[int] = pk()
    number: Mapped[str] = mapped_column(String(60), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    status: Mapped[str] = mapped_column(String(20))
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expected_on: Mapped[date] = mapped_column(Date)
    received_on: Mapped[date | None] = mapped_column(Date, default=None)
    currency: Mapped[str] = currency_column()
    freight_cost: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    duty_cost: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    exchange_rate: Mapped[Decimal | None] = mapped_column(Amount, default=None)
    """Store-currency units per unit of the PO currency, where the supplier bills in another one."""
    source_record_id: Mapped[int | None] = source_column()


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_line"

    id: Mapped[int] = pk()
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variant.id"), index=True)
    quantity_ordered: Mapped[int] = mapped_column(Integer)
    quantity_received: Mapped[int] = mapped_column(Integer, default=0)
    unit_cost: Mapped[Decimal] = mapped_column(Amount)
