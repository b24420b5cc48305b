"""Money and goods coming back: returns (RMAs) and their lines, refunds, chargebacks."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sasame.models.base import Amount, Base, UTCDateTime, currency_column, pk, source_column

RETURN_REASONS = (
    "too_small",
    "too_large",
    "not_as_described",
    "changed_mind",
    "defective",
    "damaged",
    "wrong_item",
)
RETURN_CONDITIONS = ("restockable", "damaged", "lost")


class Return(Base):
    __tablename__ = "return"

    id: Mapped[int] = pk()
    rma_number: Mapped[str] = mapped_column(String(40), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    """requested, approved, in_transit, received, refunded, rejected."""
    reason: Mapped[str] = mapped_column(String(40))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    return_tracking_number: Mapped[str | None] = mapped_column(String(60), default=None)
    label_cost: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    currency: Mapped[str] = currency_column()
    source_record_id: Mapped[int | None] = source_column()


class ReturnLine(Base):
    __tablename__ = "return_line"

    id: Mapped[int] = pk()
    return_id: Mapped[int] = mapped_column(ForeignKey("return.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    condition: Mapped[str | None] = mapped_column(String(20), default=None)


class Refund(Base):
    __tablename__ = "refund"

    id: Mapped[int] = pk()
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    return_id: Mapped[int | None] = mapped_column(ForeignKey("return.id"), default=None)
    external_id: Mapped[str | None] = mapped_column(String(100), default=None)
    refunded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    amount: Mapped[Decimal] = mapped_column(Amount)
    """Total given back, positive: merchandise + shipping + tax."""
    shipping_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    tax_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    currency: Mapped[str] = currency_column()
    reason: Mapped[str | None] = mapped_column(String(100), default=None)
    source_record_id: Mapped[int | None] = source_column()


class Chargeback(Base):
    __tablename__ = "chargeback"

    id: Mapped[int] = pk()
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(100), default=None)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    status: Mapped[str] = mapped_column(String(20))
    """open, won, lost."""
    reason: Mapped[str] = mapped_column(String(60))
    amount: Mapped[Decimal] = mapped_column(Amount)
    fee: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    currency: Mapped[str] = currency_column()
    source_record_id: Mapped[int | None] = source_column()
