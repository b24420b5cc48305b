"""Stock on hand per SKU and location, and every movement that changed it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sasame.models.base import Amount, Base, UTCDateTime, currency_column, pk, source_column

MOVEMENT_KINDS = ("receipt", "sale", "return", "adjustment", "transfer_out", "transfer_in", "write_off")


class StockLevel(Base):
    """Current units on hand and reserved for one SKU at one location."""

    __tablename__ = "stock_level"
    __table_args__ = (UniqueConstraint("variant_id", "location_id"),)

    id: Mapped[int] = pk()
    variant_id: Mapped[int] = mapped_column(ForeignKey("variant.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    on_hand: Mapped[int] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StockMovement(Base):
    """A signed change of units at a location (+ in, - out), with the unit cost it moved at."""

    __tablename__ = "stock_movement"
    __table_args__ = (Index("ix_stock_movement_variant_moved", "variant_id", "moved_at"),)

    id: Mapped[int] = pk()
    variant_id: Mapped[int] = mapped_column(ForeignKey("variant.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    kind: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_cost: Mapped[Decimal | None] = mapped_column(Amount, default=None)
    currency: Mapped[str] = currency_column()
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_line.id"), default=None)
    purchase_order_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchase_order_line.id"), default=None
    )
    return_line_id: Mapped[int | None] = mapped_column(ForeignKey("return_line.id"), default=None)
    note: Mapped[str | None] = mapped_column(String(300), default=None)
    source_record_id: Mapped[int | None] = source_column()
