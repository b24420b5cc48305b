"""Operations use cases: raise alerts an owner must act on, once each, and resolve them when cleared."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.business.service import store_settings
from sasame.core.clock import business_day

UNFULFILLED_AFTER = timedelta(days=3)
"""An order still unshipped this long after it was placed is a fulfilment exception."""


@dataclass(frozen=True)
class AlertCandidate:
    kind: str
    severity: str
    subject: str
    detail: str
    entity_type: str
    entity_id: int


def late_purchase_orders(session: Session, now: datetime) -> list[AlertCandidate]:
    """Purchase orders past their expected date and not fully received: the supplier needs chasing."""
    today = business_day(now, store_settings(session).timezone)
    rows = session.execute(
        select(m.PurchaseOrder, m.Supplier.name)
        .join(m.Supplier, m.Supplier.id == m.PurchaseOrder.supplier_id)
        .where(m.PurchaseOrder.status.in_(("sent", "partial")), m.PurchaseOrder.expected_on < today)
        .order_by(m.PurchaseOrder.expected_on, m.PurchaseOrder.id)
    )
    return [
        AlertCandidate(
            kind="late_purchase_order",
            severity="warning",
            subject=f"PO {po.number} from {supplier} is {(today - po.expected_on).days} days late",
            detail=f"Expected {po.expected_on.isoformat()}, status {po.status}: ask {supplier} for a date.",
            entity_type="purchase_order",
            entity_id=po.id,
        )
        for po, supplier in rows
    ]


def stale_unfulfilled_orders(session: Session, now: datetime) -> list[AlertCandidate]:
    """Paid orders not shipped within UNFULFILLED_AFTER of being placed."""
    rows = session.execute(
        select(m.Order)
        .where(
            m.Order.fulfillment_status.in_(("unfulfilled", "partial")),
            m.Order.cancelled_at.is_(None),
            m.Order.ordered_at < now - UNFULFILLED_AFTER,
        )
        .order_by(m.Order.ordered_at, m.Order.id)
    )
    return [
        AlertCandidate(
            kind="fulfilment_exception",
            severity="critical" if now - order.ordered_at > 2 * UNFULFILLED_AFTER else "warning",
            subject=f"Order {order.number} not shipped after {(now - order.ordered_at).days} days",
            detail=f"Placed {order.ordered_at:%Y-%m-%d %H:%M} UTC, status {order.fulfillment_status}.",
            entity_type="order",
            entity_id=order.id,
        )
        for order in rows.scalars()
    ]


def refresh_alerts(session: Session, now: datetime) -> dict[str, int]:
    """Raise new alerts for current exceptions and resolve open ones whose cause has cleared."""
    candidates = late_purchase_orders(session, now) + stale_unfulfilled_orders(session, now)
    kinds = {"late_purchase_order", "fulfilment_exception"}
    open_alerts = {
        (alert.kind, alert.entity_type, alert.entity_id): alert
        for alert in session.scalars(
            select(m.Alert).where(m.Alert.kind.in_(kinds), m.Alert.resolved_at.is_(None))
        )
    }
    current: dict[tuple[str, str | None, int | None], AlertCandidate] = {
        (c.kind, c.entity_type, c.entity_id): c for c in candidates
    }
    raised = 0
    for key, candidate in current.items():
        if key in open_alerts:
            open_alerts[key].subject, open_alerts[key].severity = candidate.subject, candidate.severity
            continue
        session.add(
            m.Alert(
                kind=candidate.kind,
                severity=candidate.severity,
                subject=candidate.subject,
                detail=candidate.detail,
                entity_type=candidate.entity_type,
                entity_id=candidate.entity_id,
                raised_at=now,
            )
        )
        raised += 1
    resolved = 0
    for key, alert in open_alerts.items():
        if key not in current:
            alert.resolved_at = now
            resolved += 1
    session.flush()
    return {"raised": raised, "resolved": resolved, "open": len(current)}
