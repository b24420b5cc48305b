"""Raw source records: the file row or API object every derived row points back to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sasame.models.base import Base, UTCDateTime, pk


class SourceRecord(Base):
    """One raw input: a row of an exported file, an API object, a webhook body, or a demo batch."""

    __tablename__ = "source_record"
    __table_args__ = (UniqueConstraint("origin", "natural_key"),)

    id: Mapped[int] = pk()
    origin: Mapped[str] = mapped_column(String(60))
    """The format or stream it came from, e.g. 'shopify.orders_csv', 'shopify.graphql.orders', 'demo'."""
    natural_key: Mapped[str] = mapped_column(String(300))
    """Platform id of the object, or 'file digest:row' for file rows; unique per origin."""
    file_name: Mapped[str | None] = mapped_column(String(500), default=None)
    row_number: Mapped[int | None] = mapped_column(Integer, default=None)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
