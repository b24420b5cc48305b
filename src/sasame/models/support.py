"""Customer conversations: tickets, the messages in them, and the actions taken on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sasame.models.base import Base, UTCDateTime, pk, source_column

INTENTS = (
    "order_status",
    "return_request",
    "exchange_request",
    "change_order",
    "cancel_order",
    "change_address",
    "product_question",
    "wrong_item",
    "damaged_item",
    "refund_status",
    "payment_issue",
    "discount_question",
    "shipping_question",
    "account",
    "complaint",
    "praise",
    "spam",
    "other",
)
DECISIONS = ("auto", "draft", "escalate")
REVIEW_OUTCOMES = ("approved", "edited", "rejected")


class SupportTicket(Base):
    __tablename__ = "support_ticket"

    id: Mapped[int] = pk()
    thread_key: Mapped[str] = mapped_column(String(300), unique=True)
    """The Message-ID of the first message of the thread."""
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True, default=None)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"), default=None)
    subject: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20))
    """open, pending, answered, escalated, closed."""
    intent: Mapped[str | None] = mapped_column(String(30), default=None)
    intent_confidence: Mapped[float | None] = mapped_column(Float, default=None)
    decision: Mapped[str | None] = mapped_column(String(10), default=None)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    review_outcome: Mapped[str | None] = mapped_column(String(20), default=None)
    """What a human made of the engine's answer: approved (as is), edited, or rejected."""
    reviewed_intent: Mapped[str | None] = mapped_column(String(30), default=None)
    """The intent a human says is right, when it differs from ``intent``."""
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    reviewed_by: Mapped[str | None] = mapped_column(String(100), default=None)


class SupportMessage(Base):
    __tablename__ = "support_message"

    id: Mapped[int] = pk()
    ticket_id: Mapped[int] = mapped_column(ForeignKey("support_ticket.id"), index=True)
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(300), default=None)
    direction: Mapped[str] = mapped_column(String(10))
    """inbound or outbound."""
    from_address: Mapped[str] = mapped_column(String(254))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source_record_id: Mapped[int | None] = source_column()


class SupportAction(Base):
    """Something done on a ticket: a reply drafted or sent, an RMA opened, an order cancelled."""

    __tablename__ = "support_action"

    id: Mapped[int] = pk()
    ticket_id: Mapped[int] = mapped_column(ForeignKey("support_ticket.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(10))
    """off, draft or auto: what the owner's policy allowed."""
    status: Mapped[str] = mapped_column(String(20))
    """proposed, approved, done, rejected, reverted."""
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    taken_by: Mapped[str] = mapped_column(String(100))


class SupportPolicySetting(Base):
    """One setting of the owner's support policy (return window, per-intent mode, ...), as JSON."""

    __tablename__ = "support_policy"

    id: Mapped[int] = pk()
    key: Mapped[str] = mapped_column(String(60), unique=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(100))
