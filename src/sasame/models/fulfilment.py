"""Shipments of orders, carrier tracking numbers, and the tracking events carriers report."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from sasame.models.base import Amount, Base, UTCDateTime, currency_column, pk, source_column

TRACKING_STATUSES = (
    "label_created",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "available_for_pickup",
    "exception",
    "returned_to_sender",
    "unknown",
)
"""The one status vocabulary every carrier's events map to."""


class Shipment(Base):
    __tablename__ = "shipment"

    id: Mapped[int] = pk()
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"), default=None)
    carrier: Mapped[str] = mapped_column(String(40))
    service: Mapped[str | None] = mapped_column(String(60), default=None)
    tracking_number: Mapped[str | None] = mapped_column(String(60), index=True, default=None)
    status: Mapped[str] = mapped_column(String(30))
    shipped_at: Mapped[datetime] = mapped_column(UTCDateTime)
    estimated_delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    label_cost: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    currency: Mapped[str] = currency_column()
    source_record_id: Mapped[int | None] = source_column()


class TrackingEvent(Base):
    __tablename__ = "tracking_event"

    id: Mapped[int] = pk()
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipment.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(100), default=None)
    source_record_id: Mapped[int | None] = source_column()
