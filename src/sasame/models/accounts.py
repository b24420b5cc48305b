"""People who may log in to the dashboard."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from sasame.models.base import Base, UTCDateTime, pk


class User(Base):
    __tablename__ = "user"

    id: Mapped[int] = pk()
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    """Argon2id hash; the password itself is never stored."""
    role: Mapped[str] = mapped_column(String(20), default="owner")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
