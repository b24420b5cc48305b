"""Grounded actions: the writes behind an answer (an RMA, a return label, a cancellation, a restock).

Each function takes a Session, writes the rows of the business's own tables that the action
means, and returns a small JSON-able outcome for the audit log; none commits. The finance ledger
posts from stock movements and refund rows, so a received return writes exactly those: a
``stock_movement`` of kind ``return`` at the unit cost the goods left with, and a ``refund``.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.connectors.carriers.labels import Address, LabelService, Parcel
from sasame.core.errors import UserError
from sasame.core.money import round_money
from sasame.inventory.stock import add_on_hand
from sasame.support.policy import Policy

ADDRESS_LINE = re.compile(
    r"^\s*(?P<street>.+?),\s*(?P<city>[^,]+?),\s*(?P<state>[A-Z]{2})\s+(?P<zip>\d{5}(?:-\d{4})?)\s*$"
)


def parse_address(line: str, *, name: str = "", email: str = "") -> Address:
    """'1 Dock Road, Columbus, OH 43004' -> Address; anything else is a UserError naming the setting."""
    match = ADDRESS_LINE.match(line or "")
    if match is None:
        raise UserError(
            f"support policy return_address: {line!r} is not 'street, city, ST zip' (e.g. '1 Dock Road, "
            "Columbus, OH 43004')"
        )
    return Address(name, match["street"], match["city"].strip(), match["state"], match["zip"], email=email)


def _order(session: Session, order_id: int) -> m.Order:
    order = session.get(m.Order, order_id)
    if order is None:
        raise UserError(f"order id {order_id} does not exist")
    return order


def create_return(
    session: Session,
    *,
    order_id: int,
    rma_number: str,
    reason: str,
    lines: list[dict[str, Any]],
    now: datetime,
) -> dict[str, Any]:
    """Open an RMA (a ``return`` row, approved) with its lines."""
    order = _order(session, order_id)
    if session.scalar(select(m.Return.id).where(m.Return.rma_number == rma_number)) is not None:
        raise UserError(f"return {rma_number} already exists")
    ret = m.Return(
        rma_number=rma_number,
        order_id=order.id,
        status="approved",
        reason=reason if reason in m.returns.RETURN_REASONS else "changed_mind",
        requested_at=now,
        currency=order.currency,
    )
    session.add(ret)
    session.flush()
    for line in lines:
        order_line = session.get(m.OrderLine, int(line["order_line_id"]))
        if order_line is None or order_line.order_id != order.id:
            raise UserError(f"order line {line['order_line_id']} is not part of order {order.number}")
        session.add(
            m.ReturnLine(return_id=ret.id, order_line_id=order_line.id, quantity=int(line["quantity"]))
        )
    session.flush()
    return {"return_id": ret.id, "rma_number": rma_number, "order": order.number}


def buy_return_label(
    session: Session, *, return_id: int, labels: LabelService, policy: Policy
) -> dict[str, Any]:
    """Buy a prepaid return label for the RMA and keep its tracking number and cost on the return."""
    ret = session.get(m.Return, return_id)
    if ret is None:
        raise UserError(f"return id {return_id} does not exist")
    order = _order(session, ret.order_id)
    customer = session.get(m.Customer, order.customer_id) if order.customer_id else None
    warehouse = parse_address(
        policy.return_address, name=policy.signature.replace("{store}", "").strip() or "Returns"
    )
    sender = Address(
        name=(customer.name if customer and customer.name else "Customer"),
        street1="(address on the order)",
        city=order.ship_city or "",
        state=order.ship_region or "",
        zip=order.ship_postal_code or "",
        country=order.ship_country or "US",
        email=order.email or (customer.email if customer and customer.email else ""),
    )
    grams = session.scalar(
        select(func.coalesce(func.sum(m.Variant.weight_grams * m.ReturnLine.quantity), 0))
        .select_from(m.ReturnLine)
        .join(m.OrderLine, m.OrderLine.id == m.ReturnLine.order_line_id)
        .join(m.Variant, m.Variant.id == m.OrderLine.variant_id)
        .where(m.ReturnLine.return_id == ret.id)
    )
    label = labels.return_label(sender, warehouse, Parcel(weight_grams=int(grams or 0) or 500))
    ret.return_tracking_number = label.tracking_number
    ret.label_cost = label.cost
    session.flush()
    return {
        "rma_number": ret.rma_number,
        "tracking_number": label.tracking_number,
        "label_url": label.label_url,
        "carrier": label.carrier,
        "cost": str(label.cost),
        "currency": label.currency,
        "service": label.service,
    }


def _unit_cost_it_left_with(session: Session, order_line: m.OrderLine) -> tuple[Decimal | None, int | None]:
    """The unit cost (and location) of the sale movement that shipped this line, else the variant's cost."""
    row = session.execute(
        select(m.StockMovement.unit_cost, m.StockMovement.location_id)
        .where(m.StockMovement.order_line_id == order_line.id, m.StockMovement.kind == "sale")
        .order_by(m.StockMovement.moved_at.desc(), m.StockMovement.id.desc())
        .limit(1)
    ).first()
    if row is not None and row[0] is not None:
        return row[0], row[1]
    cost = session.scalar(select(m.Variant.unit_cost).where(m.Variant.id == order_line.variant_id))
    return cost, row[1] if row is not None else None


def receive_return(
    session: Session, *, return_id: int, now: datetime, condition: str = "restockable"
) -> dict[str, Any]:
    """Record the parcel's arrival: restock what can be sold again and refund what was paid for it."""
    if condition not in m.returns.RETURN_CONDITIONS:
        raise UserError(
            f"return condition {condition!r} is not one of {', '.join(m.returns.RETURN_CONDITIONS)}"
        )
    ret = session.get(m.Return, return_id)
    if ret is None:
        raise UserError(f"return id {return_id} does not exist")
    if ret.received_at is not None:
        raise UserError(f"return {ret.rma_number} was already received")
    order = _order(session, ret.order_id)
    fallback_location = session.scalar(select(m.Location.id).order_by(m.Location.id).limit(1))
    merchandise = tax = Decimal(0)
    restocked: list[dict[str, Any]] = []
    for return_line in session.scalars(select(m.ReturnLine).where(m.ReturnLine.return_id == ret.id)):
        line = session.get(m.OrderLine, return_line.order_line_id)
        assert line is not None
        return_line.condition = condition
        share = Decimal(return_line.quantity) / Decimal(line.quantity)
        merchandise += line.unit_price * return_line.quantity - line.discount * share
        tax += line.tax * share
        if condition != "restockable" or line.variant_id is None:
            continue
        unit_cost, location_id = _unit_cost_it_left_with(session, line)
        location_id = location_id or fallback_location
        if location_id is None:
            raise UserError("no stock location exists to restock the return into")
        session.add(
            m.StockMovement(
                variant_id=line.variant_id,
                location_id=location_id,
                kind="return",
                quantity=return_line.quantity,
                unit_cost=unit_cost,
                currency=order.currency,
                moved_at=now,
                order_line_id=line.id,
                return_line_id=return_line.id,
                note=f"return {ret.rma_number}",
            )
        )
        add_on_hand(session, line.variant_id, location_id, return_line.quantity, now)
        restocked.append(
            {
                "sku": line.sku,
                "quantity": return_line.quantity,
                "unit_cost": str(unit_cost) if unit_cost is not None else None,
            }
        )
    amount = round_money(merchandise + tax, order.currency)
    ret.status, ret.received_at = "refunded", now
    refund = m.Refund(
        order_id=order.id,
        return_id=ret.id,
        refunded_at=now,
        amount=amount,
        tax_amount=round_money(tax, order.currency),
        currency=order.currency,
        reason=f"return {ret.rma_number}: {ret.reason}",
    )
    session.add(refund)
    session.flush()
    refunded = session.scalar(
        select(func.coalesce(func.sum(m.Refund.amount), 0)).where(m.Refund.order_id == order.id)
    )
    order.financial_status = "refunded" if Decimal(refunded or 0) >= order.total else "partially_refunded"
    session.flush()
    return {
        "rma_number": ret.rma_number,
        "restocked": restocked,
        "refund": str(amount),
        "currency": order.currency,
    }


def cancel_order(session: Session, *, order_id: int, now: datetime) -> dict[str, Any]:
    """Cancel an order that has not shipped, refunding what was paid."""
    order = _order(session, order_id)
    shipped = session.scalar(
        select(func.count()).select_from(m.Shipment).where(m.Shipment.order_id == order.id)
    )
    if shipped or order.fulfillment_status != "unfulfilled" or order.cancelled_at is not None:
        raise UserError(f"order {order.number} can no longer be cancelled ({order.fulfillment_status})")
    order.cancelled_at, order.fulfillment_status = now, "cancelled"
    refunded = None
    if order.financial_status in ("paid", "partially_refunded"):
        session.add(
            m.Refund(
                order_id=order.id,
                refunded_at=now,
                amount=order.total,
                shipping_amount=order.shipping_total,
                tax_amount=order.tax_total,
                currency=order.currency,
                reason="cancelled by the customer",
            )
        )
        order.financial_status = "refunded"
        refunded = str(order.total)
    session.flush()
    return {"order": order.number, "refund": refunded, "currency": order.currency}


def change_address(session: Session, *, order_id: int, address: str) -> dict[str, Any]:
    """Point an unshipped order at a new address (city, region and postal code are the stored parts)."""
    order = _order(session, order_id)
    if order.fulfillment_status != "unfulfilled" or order.cancelled_at is not None:
        raise UserError(f"order {order.number} can no longer be changed ({order.fulfillment_status})")
    parsed = ADDRESS_LINE.match(address)
    before = {"city": order.ship_city, "region": order.ship_region, "postal_code": order.ship_postal_code}
    if parsed:
        order.ship_city, order.ship_region, order.ship_postal_code = (
            parsed["city"].strip(),
            parsed["state"],
            parsed["zip"],
        )
    session.flush()
    return {"order": order.number, "address": address, "before": before}


def change_item(session: Session, *, order_id: int, order_line_id: int, to_variant_id: int) -> dict[str, Any]:
    """Swap an unshipped order line to another variant of the same product at the same price."""
    order = _order(session, order_id)
    if order.fulfillment_status != "unfulfilled" or order.cancelled_at is not None:
        raise UserError(f"order {order.number} can no longer be changed ({order.fulfillment_status})")
    line = session.get(m.OrderLine, order_line_id)
    variant = session.get(m.Variant, to_variant_id)
    if line is None or line.order_id != order.id or variant is None:
        raise UserError(f"order {order.number}: the line or the new variant does not exist")
    before = line.sku
    line.variant_id, line.sku, line.title = variant.id, variant.sku, variant.title
    session.flush()
    return {"order": order.number, "from_sku": before, "to_sku": variant.sku}


def unsubscribe(session: Session, *, customer_id: int) -> dict[str, Any]:
    customer = session.get(m.Customer, customer_id)
    if customer is None:
        raise UserError(f"customer id {customer_id} does not exist")
    customer.accepts_marketing = False
    session.flush()
    return {"customer_id": customer_id, "accepts_marketing": False}
