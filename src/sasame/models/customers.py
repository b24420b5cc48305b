"""The people who buy."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from sasame.models.base import Base, UTCDateTime, pk, source_column


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[int] = pk()
    email: Mapped[str | None] = mapped_column(String(254), unique=True, default=None)
    """Lower-cased; marketplaces that mask buyers (Amazon) leave it empty."""
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acquisition_channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id"), default=None)
    acquisition_source: Mapped[str | None] = mapped_column(String(60), default=None)
    """The marketing source of the first order: google, meta, email, organic, direct, referral, ..."""
    accepts_marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    is_vip: Mapped[bool] = mapped_column(Boolean, default=False)
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    source_record_id: Mapped[int | None] = source_column()
