"""What the system tells the owner and what it did on its own: alerts and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sasame.models.base import Base, UTCDateTime, pk


class Alert(Base):
    __tablename__ = "alert"

    id: Mapped[int] = pk()
    kind: Mapped[str] = mapped_column(String(60))
    """stockout_risk, late_purchase_order, payout_mismatch, fulfilment_exception, ..."""
    severity: Mapped[str] = mapped_column(String(10))
    """info, warning, critical."""
    subject: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(Text)
    entity_type: Mapped[str | None] = mapped_column(String(60), default=None)
    entity_id: Mapped[int | None] = mapped_column(default=None)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class AuditLog(Base):
    """One automated (or owner) action: who, what, the rule that allowed it, inputs and outcome."""

    __tablename__ = "audit_log"

    id: Mapped[int] = pk()
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    """'system:support', 'system:inventory', or the owner's email."""
    action: Mapped[str] = mapped_column(String(100))
    rule: Mapped[str | None] = mapped_column(String(200), default=None)
    entity_type: Mapped[str | None] = mapped_column(String(60), default=None)
    entity_id: Mapped[int | None] = mapped_column(default=None)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(300))
    is_reversible: Mapped[bool] = mapped_column(default=False)
