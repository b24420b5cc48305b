"""Raw source records: the file row or API object every derived row points back to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sasame.models.base import Base, UTCDateTime, pk


class SourceFile(Base):
    """An imported file, kept once (compressed) so any row can be shown again exactly as received."""

    __tablename__ = "source_file"

    id: Mapped[int] = pk()
    name: Mapped[str] = mapped_column(String(500))
    format: Mapped[str] = mapped_column(String(60))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 of the bytes: the same file imported twice is recognised."""
    size_bytes: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    """zlib-compressed bytes of the file."""
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)


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
    source_file_id: Mapped[int | None] = mapped_column(ForeignKey("source_file.id"), index=True, default=None)
    """The imported file the row was read from (its latest import when a file is re-exported)."""
    row_number: Mapped[int | None] = mapped_column(Integer, default=None)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
