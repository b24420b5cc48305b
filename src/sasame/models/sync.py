"""Where each live API stream left off, so the next sync asks only for what changed since."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from sasame.models.base import Base, UTCDateTime, pk


class SyncState(Base):
    """One API stream's cursor ('shopify.orders' → the newest updated_at seen)."""

    __tablename__ = "sync_state"

    id: Mapped[int] = pk()
    stream: Mapped[str] = mapped_column(String(100), unique=True)
    cursor: Mapped[str | None] = mapped_column(String(200), default=None)
    """The platform's own cursor value as text (an ISO instant, Unix seconds), None before the first sync."""
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """When the last successful sync of this stream finished."""
