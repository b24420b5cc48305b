"""The business itself: settings, sales channels and stock locations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from sasame.models.base import Base, UTCDateTime, pk

CHANNEL_KINDS = ("shopify", "amazon", "etsy", "woocommerce", "wholesale", "other")
LOCATION_KINDS = ("warehouse", "fba", "3pl")


class BusinessSetting(Base):
    """One row: the store's name, reporting currency and IANA timezone."""

    __tablename__ = "business_setting"

    id: Mapped[int] = pk()
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Channel(Base):
    """A place the store sells: a Shopify store, an Amazon marketplace, an Etsy shop, wholesale."""

    __tablename__ = "channel"

    id: Mapped[int] = pk()
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))


class Location(Base):
    """Where stock sits: the own warehouse, an Amazon FBA network, a 3PL."""

    __tablename__ = "location"

    id: Mapped[int] = pk()
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
