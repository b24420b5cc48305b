"""A purchase order's life after the draft: sent to the supplier, then received, in one or more deliveries.

- **Sent**: a draft gets a real number (the store's next `PO-<n>`, or the owner's own), its ordering
  instant becomes the moment it was sent (lead times run from there) and its expected day moves by
  as many days as the draft waited. From then on it is on order for the plan
  (`OPEN_PURCHASE_ORDER_STATUSES`) and the draft refresh never touches it again.
- **Received**: each delivered line becomes a `receipt` stock movement at the order's location, linked
  to its purchase order line, so the finance posting values it at the line's landed cost (freight and
  duty spread over the lines) and opens a cost layer, and lead times learn from its first receipt.
  The stock level goes up by the same units. The order is `partial` until every line is complete,
  then `received` with its `received_on` day.

Services never commit; every change is in the audit log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.business.service import store_settings
from sasame.core.clock import business_day
from sasame.core.errors import UserError
from sasame.inventory.stock import add_on_hand
from sasame.models.supply import OPEN_PURCHASE_ORDER_STATUSES

# The store's own numbering; the demo and most spreadsheets count PO-1001, PO-1002, ...
_REAL_NUMBER = re.compile(r"PO-(\d+)")
FIRST_NUMBER = 1001
RECEIVABLE_STATUSES = OPEN_PURCHASE_ORDER_STATUSES


@dataclass(frozen=True)
class ReceivedLine:
    sku: str
    quantity: int
    received: int
    """Units received on this line so far, this delivery included."""
    ordered: int


@dataclass(frozen=True)
class Delivery:
    number: str
    status: str
    """'partial' or 'received' after this delivery."""
    lines: list[ReceivedLine]


def _order(session: Session, number: str) -> m.PurchaseOrder:
    po = session.scalars(select(m.PurchaseOrder).where(m.PurchaseOrder.number == number)).first()
    if po is None:
        raise UserError(f"no purchase order is numbered {number!r}")
    return po


def next_number(session: Session) -> str:
    """The next free number of the store's sequence `PO-<n>` (the highest so far plus one)."""
    highest = FIRST_NUMBER - 1
    for (number,) in session.execute(
        select(m.PurchaseOrder.number).where(m.PurchaseOrder.number.like("PO-%"))
    ):
        matched = _REAL_NUMBER.fullmatch(number)
        if matched:
            highest = max(highest, int(matched.group(1)))
    return f"PO-{highest + 1}"


def send_purchase_order(
    session: Session, number: str, now: datetime, *, by: str, new_number: str | None = None
) -> m.PurchaseOrder:
    """Mark the draft `number` sent: it takes `new_number` (else the next `PO-<n>`), is ordered `now`,
    and is expected as many days later than drafted as it waited."""
    po = _order(session, number)
    if po.status != "draft":
        raise UserError(f"purchase order {number} is {po.status}, not a draft: only a draft can be sent")
    lines = session.scalar(
        select(func.count(m.PurchaseOrderLine.id)).where(m.PurchaseOrderLine.purchase_order_id == po.id)
    )
    if not lines:
        raise UserError(f"purchase order {number} has no lines: nothing to send")
    real = (new_number or "").strip() or next_number(session)
    if len(real) > 60:
        raise UserError(f"--number: {real!r} is longer than 60 characters")
    holder = session.scalar(select(m.PurchaseOrder.id).where(m.PurchaseOrder.number == real))
    if holder is not None and holder != po.id:
        raise UserError(f"--number: purchase order number {real!r} is already taken")
    timezone = store_settings(session).timezone
    waited = (business_day(now, timezone) - business_day(po.ordered_at, timezone)).days
    drafted = po.number
    po.number, po.status, po.ordered_at = real, "sent", now
    po.expected_on = po.expected_on + timedelta(days=max(waited, 0))
    session.add(
        m.AuditLog(
            occurred_at=now,
            actor=by,
            action="send_purchase_order",
            rule="the owner sent the draft to the supplier",
            entity_type="purchase_order",
            entity_id=po.id,
            inputs={"draft": drafted, "number": real, "expected_on": po.expected_on.isoformat()},
            outcome=f"sent {drafted} as {real}, expected {po.expected_on.isoformat()}",
            is_reversible=False,
        )
    )
    session.flush()
    return po


def receive_purchase_order(
    session: Session, number: str, now: datetime, *, by: str, quantities: Mapping[str, int] | None = None
) -> Delivery:
    """Book a delivery against the sent order `number`: `quantities` per SKU (default: everything
    still outstanding). Refuses a SKU not on the order, a non-positive quantity and more than is
    outstanding, before changing anything."""
    po = _order(session, number)
    if po.status not in RECEIVABLE_STATUSES:
        allowed = " or ".join(RECEIVABLE_STATUSES)
        raise UserError(f"purchase order {number} is {po.status}: only a {allowed} order can be received")
    rows = session.execute(
        select(m.PurchaseOrderLine, m.Variant.sku)
        .join(m.Variant, m.Variant.id == m.PurchaseOrderLine.variant_id)
        .where(m.PurchaseOrderLine.purchase_order_id == po.id)
        .order_by(m.PurchaseOrderLine.id)
    ).all()
    outstanding = {sku: line.quantity_ordered - line.quantity_received for line, sku in rows}
    if quantities is None:
        wanted = {sku: units for sku, units in outstanding.items() if units > 0}
    else:
        wanted = dict(quantities)
        for sku, units in wanted.items():
            if sku not in outstanding:
                raise UserError(f"--line {sku}: SKU {sku} is not on purchase order {number}")
            if units <= 0:
                raise UserError(f"--line {sku}: the quantity must be a positive whole number, got {units}")
            if units > outstanding[sku]:
                raise UserError(
                    f"--line {sku}: {units} units is more than the {outstanding[sku]} still outstanding"
                )
    if not wanted:
        raise UserError(f"purchase order {number} has nothing outstanding to receive")
    received: list[ReceivedLine] = []
    for line, sku in rows:
        units = wanted.get(sku, 0)
        if units == 0:
            continue
        session.add(
            m.StockMovement(
                variant_id=line.variant_id,
                location_id=po.location_id,
                kind="receipt",
                quantity=units,
                unit_cost=line.unit_cost,
                currency=po.currency,
                moved_at=now,
                purchase_order_line_id=line.id,
                note=f"received on {po.number}",
            )
        )
        add_on_hand(session, line.variant_id, po.location_id, units, now)
        line.quantity_received += units
        received.append(ReceivedLine(sku, units, line.quantity_received, line.quantity_ordered))
    complete = all(line.quantity_received >= line.quantity_ordered for line, _ in rows)
    po.status = "received" if complete else "partial"
    if complete:
        po.received_on = business_day(now, store_settings(session).timezone)
    units_now = sum(line.quantity for line in received)
    session.add(
        m.AuditLog(
            occurred_at=now,
            actor=by,
            action="receive_purchase_order",
            rule="goods delivered against a sent purchase order",
            entity_type="purchase_order",
            entity_id=po.id,
            inputs={"number": po.number, "lines": {line.sku: line.quantity for line in received}},
            outcome=f"received {units_now} units on {po.number}: {po.status}",
            is_reversible=False,
        )
    )
    session.flush()
    return Delivery(po.number, po.status, received)
