"""Webhooks from Shopify, WooCommerce and Stripe: verify the signature, then apply the body through
the same upsert path as an import, in the caller's transaction.

A request whose signature does not verify is never parsed, let alone applied: the caller records
it with `record_rejection` (an audit_log row) and answers 401. Secrets are compared in constant
time and never written anywhere (not in the audit row, not in an error message).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.business.service import store_settings
from sasame.connectors.base import ParseContext
from sasame.connectors.payloads import Node, load_json
from sasame.connectors.records import Record
from sasame.connectors.shopify.rest_order import (
    rest_order_records,
    rest_refund_record,
    rest_shipment_records,
)
from sasame.connectors.stripe.api_records import payout_record
from sasame.connectors.woocommerce.order_json import order_records
from sasame.core.clock import zone
from sasame.core.errors import InputError
from sasame.ingest.service import refusals_as_input_errors, write
from sasame.ingest.upsert import Upserter

log = logging.getLogger(__name__)

SECRET_SETTINGS = {
    "shopify": "SASAME_SHOPIFY_WEBHOOK_SECRET",
    "woocommerce": "SASAME_WOOCOMMERCE_WEBHOOK_SECRET",
    "stripe": "SASAME_STRIPE_WEBHOOK_SECRET",
}
STRIPE_TOLERANCE = timedelta(minutes=5)
"""Stripe's own default: an older signed timestamp is a replay."""

SHOPIFY_ORDER_TOPICS = frozenset(
    {
        "orders/create",
        "orders/updated",
        "orders/paid",
        "orders/cancelled",
        "orders/fulfilled",
        "orders/partially_fulfilled",
        "orders/edited",
    }
)
WOOCOMMERCE_ORDER_TOPICS = frozenset({"order.created", "order.updated", "order.restored"})
STRIPE_PAYOUT_EVENTS = frozenset(
    {"payout.created", "payout.updated", "payout.paid", "payout.failed", "payout.canceled"}
)


# -- signatures ------------------------------------------------------------------------------


def base64_hmac(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify_base64_hmac(body: bytes, signature: str | None, secret: str) -> bool:
    """Shopify's X-Shopify-Hmac-Sha256 and WooCommerce's X-WC-Webhook-Signature: base64 HMAC-SHA256."""
    if not signature:
        return False
    return hmac.compare_digest(base64_hmac(body, secret).encode(), signature.strip().encode())


def stripe_signature(body: bytes, secret: str, timestamp: int) -> str:
    """The v1 signature Stripe computes: hex HMAC-SHA256 of '<timestamp>.<body>'."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify_stripe(body: bytes, header: str | None, secret: str, now: datetime) -> str | None:
    """Check a Stripe-Signature header ('t=…,v1=…[,v1=…]'); return why it fails, or None if it holds."""
    if not header:
        return "no Stripe-Signature header"
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        return "malformed Stripe-Signature header"
    expected = stripe_signature(body, secret, timestamp).encode()
    # Compare against every v1 (Stripe sends two while a secret is being rolled), all in constant time.
    matches = [hmac.compare_digest(expected, candidate.encode()) for candidate in signatures]
    if not any(matches):
        return "signature does not match"
    if abs(now.timestamp() - timestamp) > STRIPE_TOLERANCE.total_seconds():
        return "signed timestamp is outside the 5-minute tolerance"
    return None


# -- rejections ------------------------------------------------------------------------------


def record_rejection(
    session: Session, *, platform: str, reason: str, now: datetime, details: dict[str, Any]
) -> None:
    """Keep a refused webhook in the audit log: what came, from where, why it was refused (never the body)."""
    log.warning("refused %s webhook: %s", platform, reason)
    session.add(
        m.AuditLog(
            occurred_at=now,
            actor=f"webhook:{platform}",
            action="webhook_rejected",
            rule="signature verification",
            inputs=details,
            outcome=f"rejected: {reason}"[:300],
            is_reversible=False,
        )
    )


def body_facts(body: bytes, topic: str | None, remote: str | None) -> dict[str, Any]:
    return {
        "topic": topic,
        "remote_address": remote,
        "body_bytes": len(body),
        "body_sha256": hashlib.sha256(body).hexdigest(),
    }


# -- applying verified bodies -----------------------------------------------------------------


@dataclass
class WebhookOutcome:
    platform: str
    topic: str
    applied: bool
    records: dict[str, dict[str, int]] = field(default_factory=dict)
    note: str | None = None
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "topic": self.topic,
            "applied": self.applied,
            "records": self.records,
            "note": self.note,
            "warnings": self.warnings,
        }


def apply_webhook(
    session: Session, *, platform: str, topic: str, body: bytes, now: datetime
) -> WebhookOutcome:
    """Apply a verified body in the caller's transaction; topics sasame has no use for are acknowledged."""
    settings = store_settings(session)
    context = ParseContext(timezone=zone(settings.timezone), currency=settings.currency)
    name = f"{platform} webhook {topic}"
    origin = f"{platform}.webhook"
    records: list[Record] | None
    if platform == "woocommerce" and body.lstrip().startswith(b"webhook_id="):
        return WebhookOutcome(platform, topic or "ping", applied=False, note="ping acknowledged")
    document = load_json(body, name)
    if platform == "shopify":
        records = _shopify_records(session, topic, Node(document, file=name, row=None), context, origin)
    elif platform == "woocommerce":
        records = (
            order_records(Node(document, file=name, row=None), context, origin=origin)
            if topic in WOOCOMMERCE_ORDER_TOPICS
            else None
        )
    elif platform == "stripe":
        records = _stripe_records(session, Node(document, file=name, row=None), context, origin)
        topic = str(document.get("type", topic)) if isinstance(document, dict) else topic
    else:  # pragma: no cover - the router only knows the three
        raise ValueError(platform)
    if records is None:
        return WebhookOutcome(platform, topic, applied=False, note="topic not used by sasame; acknowledged")
    upserter = Upserter(session, now=now, timezone=context.timezone, source_file=None)
    with refusals_as_input_errors(name):
        write(upserter, records)
    return WebhookOutcome(
        platform, topic, applied=True, records=upserter.outcome.as_json(), warnings=context.warnings
    )


def _order_number(session: Session, channel: str, external_id: str, name: str) -> str:
    number = session.scalar(
        select(m.Order.number)
        .join(m.Channel, m.Channel.id == m.Order.channel_id)
        .where(m.Channel.code == channel, m.Order.external_id == external_id)
    )
    if number is None:
        raise InputError(f"order {external_id} is not imported yet; the platform will retry", file=name)
    return number


def _shopify_records(
    session: Session, topic: str, body: Node, context: ParseContext, origin: str
) -> list[Record] | None:
    if topic in SHOPIFY_ORDER_TOPICS:
        return rest_order_records(body, context, origin=origin)
    if topic == "refunds/create":
        order_id = body.required_text("order_id")
        number = _order_number(session, "shopify", order_id, body.file)
        currency = (
            session.scalar(select(m.Order.currency).where(m.Order.number == number)) or context.currency
        )
        return [rest_refund_record(body, number, currency, origin=origin)]
    if topic in ("fulfillments/create", "fulfillments/update"):
        number = _order_number(session, "shopify", body.required_text("order_id"), body.file)
        return list(rest_shipment_records(body, number, context.currency, origin=origin))
    return None


def _stripe_records(session: Session, event: Node, context: ParseContext, origin: str) -> list[Record] | None:
    if event.text("type") not in STRIPE_PAYOUT_EVENTS:
        return None
    data = event.child("data")
    payout = data.child("object") if data else None
    if payout is None:
        raise event.error("data.object", "is missing from the payout event")
    # The event carries the payout, not its balance transactions: keep the lines and period a sync
    # already stored, and let the event bring the status and amount up to date.
    known = session.scalar(
        select(m.Payout).where(
            m.Payout.provider == "stripe", m.Payout.external_id == payout.required_text("id")
        )
    )
    period = (known.period_start, known.period_end) if known else None
    return [payout_record(payout, [], context, origin=origin, period=period)]
