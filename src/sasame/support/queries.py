"""Reads the support engine needs: orders as they stand now, stock, incoming POs, customers, tickets.

Every read takes ``now`` where the answer depends on it: a shipment recorded as delivered later
than ``now`` is still on the road, a tracking event after ``now`` has not happened. That keeps
answers honest when the database holds a carrier's schedule and lets tests run on any day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sasame import models as m


def aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class LineFacts:
    id: int
    variant_id: int | None
    sku: str | None
    title: str
    product_id: int | None
    product: str
    size: str | None
    colour: str | None
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class ReturnFacts:
    id: int
    rma_number: str
    status: str
    requested_at: datetime
    received_at: datetime | None
    return_tracking_number: str | None
    label_cost: Decimal


@dataclass(frozen=True)
class RefundFacts:
    id: int
    refunded_at: datetime
    amount: Decimal


@dataclass
class OrderFacts:
    """One order as it stands at ``now``: what every answer about it may say."""

    id: int
    number: str
    channel_kind: str
    customer_id: int | None
    email: str | None
    customer_name: str | None
    ordered_at: datetime
    currency: str
    total: Decimal
    financial_status: str
    fulfillment_status: str
    cancelled_at: datetime | None
    discount_codes: str | None
    ship_city: str | None
    lines: list[LineFacts] = field(default_factory=list)
    shipment_id: int | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_status: str | None = None
    shipped_at: datetime | None = None
    estimated_delivery_at: datetime | None = None
    delivered_at: datetime | None = None
    last_event: str | None = None
    last_event_at: datetime | None = None
    returns: list[ReturnFacts] = field(default_factory=list)
    refunds: list[RefundFacts] = field(default_factory=list)

    @property
    def is_shipped(self) -> bool:
        return self.shipped_at is not None

    @property
    def is_delivered(self) -> bool:
        return self.delivered_at is not None

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None or self.fulfillment_status == "cancelled"


def _digits(text: str) -> str:
    return re.sub(r"[^0-9-]", "", text)


def find_orders_by_reference(session: Session, reference: str) -> list[int]:
    """Return the ids of orders whose customer-facing number matches what the customer wrote."""
    text = reference.strip()
    bare = text.lstrip("#").strip()
    if not bare:
        return []
    candidates = {text, bare, f"#{bare}", _digits(bare)}
    candidates.discard("")
    return list(
        session.scalars(select(m.Order.id).where(m.Order.number.in_(candidates)).order_by(m.Order.id))
    )


def customer_id_by_email(session: Session, address: str) -> int | None:
    """The customer with this (lower-cased) address: customer emails are stored lower-case and unique."""
    address = address.strip().lower()
    if not address:
        return None
    found = session.scalar(select(m.Customer.id).where(m.Customer.email == address))
    return int(found) if found is not None else None


def orders_of_sender(session: Session, address: str, customer_id: int | None, since: datetime) -> list[int]:
    """Return the ids of the sender's orders placed since ``since``, newest first.

    By customer when the address is a known customer (indexed); by the order's own email otherwise
    (guest checkouts).
    """
    address = address.strip().lower()
    if customer_id is not None:
        who = m.Order.customer_id == customer_id
    elif address:
        who = m.Order.email == address
    else:
        return []
    return list(
        session.scalars(
            select(m.Order.id)
            .where(who, m.Order.ordered_at >= since)
            .order_by(m.Order.ordered_at.desc(), m.Order.id.desc())
        )
    )


def address_has_orders(session: Session, address: str) -> bool:
    """Whether any order (a guest checkout too) was placed with this e-mail address."""
    address = address.strip().lower()
    return (
        bool(address)
        and session.scalar(select(m.Order.id).where(m.Order.email == address).limit(1)) is not None
    )


def order_facts(session: Session, order_id: int, now: datetime) -> OrderFacts:
    """Return the order with its lines, latest shipment and tracking, returns and refunds at ``now``."""
    row = session.execute(
        select(m.Order, m.Channel.kind, m.Customer.email, m.Customer.name)
        .join(m.Channel, m.Channel.id == m.Order.channel_id)
        .outerjoin(m.Customer, m.Customer.id == m.Order.customer_id)
        .where(m.Order.id == order_id)
    ).one()
    order, kind, customer_email, customer_name = row
    facts = OrderFacts(
        id=order.id,
        number=order.number,
        channel_kind=kind,
        customer_id=order.customer_id,
        email=(order.email or customer_email),
        customer_name=customer_name,
        ordered_at=aware(order.ordered_at) or now,
        currency=order.currency,
        total=order.total,
        financial_status=order.financial_status,
        fulfillment_status=order.fulfillment_status,
        cancelled_at=aware(order.cancelled_at),
        discount_codes=order.discount_codes,
        ship_city=order.ship_city,
    )
    for line, product_id, product_title, size, colour in session.execute(
        select(m.OrderLine, m.Product.id, m.Product.title, m.Variant.size, m.Variant.colour)
        .outerjoin(m.Variant, m.Variant.id == m.OrderLine.variant_id)
        .outerjoin(m.Product, m.Product.id == m.Variant.product_id)
        .where(m.OrderLine.order_id == order_id)
        .order_by(m.OrderLine.id)
    ):
        facts.lines.append(
            LineFacts(
                line.id,
                line.variant_id,
                line.sku,
                line.title,
                product_id,
                product_title or line.title,
                size,
                colour,
                line.quantity,
                line.unit_price,
            )
        )
    shipments = session.scalars(
        select(m.Shipment)
        .where(m.Shipment.order_id == order_id, m.Shipment.shipped_at <= now)
        .order_by(m.Shipment.shipped_at, m.Shipment.id)
    ).all()
    for shipment in shipments:
        delivered = aware(shipment.delivered_at)
        facts.shipment_id = shipment.id
        facts.carrier, facts.tracking_number = shipment.carrier, shipment.tracking_number
        facts.shipped_at = aware(shipment.shipped_at)
        facts.estimated_delivery_at = aware(shipment.estimated_delivery_at)
        # A delivery recorded for later than now has not happened yet.
        facts.delivered_at = delivered if delivered is not None and delivered <= now else None
        facts.tracking_status = shipment.status
        if facts.delivered_at is None and shipment.status == "delivered":
            facts.tracking_status = "in_transit"
        facts.last_event, facts.last_event_at = None, None
        for event in session.scalars(
            select(m.TrackingEvent)
            .where(m.TrackingEvent.shipment_id == shipment.id, m.TrackingEvent.occurred_at <= now)
            .order_by(m.TrackingEvent.occurred_at, m.TrackingEvent.id)
        ):
            facts.tracking_status, facts.last_event = event.status, event.description
            facts.last_event_at = aware(event.occurred_at)
            if event.status == "delivered" and facts.delivered_at is None:
                facts.delivered_at = aware(event.occurred_at)
    for ret in session.scalars(
        select(m.Return)
        .where(m.Return.order_id == order_id, m.Return.requested_at <= now)
        .order_by(m.Return.id)
    ):
        facts.returns.append(
            ReturnFacts(
                ret.id,
                ret.rma_number,
                ret.status,
                aware(ret.requested_at) or now,
                aware(ret.received_at),
                ret.return_tracking_number,
                ret.label_cost,
            )
        )
    for refund in session.scalars(
        select(m.Refund)
        .where(m.Refund.order_id == order_id, m.Refund.refunded_at <= now)
        .order_by(m.Refund.id)
    ):
        facts.refunds.append(RefundFacts(refund.id, aware(refund.refunded_at) or now, refund.amount))
    return facts


@dataclass(frozen=True)
class VariantFacts:
    variant_id: int
    sku: str
    product_id: int
    product: str
    size: str | None
    colour: str | None
    on_hand: int
    next_arrival_on: date | None


def variants_of_product(session: Session, product_id: int, today: date) -> list[VariantFacts]:
    """Return the product's active variants with units on hand and the next PO's expected day."""
    rows = session.execute(
        select(m.Variant.id, m.Variant.sku, m.Product.id, m.Product.title, m.Variant.size, m.Variant.colour)
        .join(m.Product, m.Product.id == m.Variant.product_id)
        .where(
            m.Variant.product_id == product_id, m.Variant.is_active.is_(True), m.Variant.is_bundle.is_(False)
        )
        .order_by(m.Variant.id)
    ).all()
    ids = [row[0] for row in rows]
    on_hand = stock_on_hand(session, ids)
    arrival = next_arrivals(session, ids, today)
    return [
        VariantFacts(vid, sku, pid, title, size, colour, on_hand.get(vid, 0), arrival.get(vid))
        for vid, sku, pid, title, size, colour in rows
    ]


def variant_by_id(session: Session, variant_id: int) -> tuple[int, str] | None:
    row = session.execute(
        select(m.Variant.product_id, m.Variant.sku).where(m.Variant.id == variant_id)
    ).first()
    return (int(row[0]), str(row[1])) if row else None


def fit_returns(session: Session, product_id: int, since: datetime) -> tuple[int, int, int]:
    """(units sold, units returned as too small, as too large) of a product's variants since ``since``."""
    sold = session.scalar(
        select(func.coalesce(func.sum(m.OrderLine.quantity), 0))
        .join(m.Variant, m.Variant.id == m.OrderLine.variant_id)
        .join(m.Order, m.Order.id == m.OrderLine.order_id)
        .where(
            m.Variant.product_id == product_id, m.Order.ordered_at >= since, m.Order.cancelled_at.is_(None)
        )
    )
    returned = dict(
        session.execute(
            select(m.Return.reason, func.coalesce(func.sum(m.ReturnLine.quantity), 0))
            .join(m.ReturnLine, m.ReturnLine.return_id == m.Return.id)
            .join(m.OrderLine, m.OrderLine.id == m.ReturnLine.order_line_id)
            .join(m.Variant, m.Variant.id == m.OrderLine.variant_id)
            .where(
                m.Variant.product_id == product_id,
                m.Return.requested_at >= since,
                m.Return.reason.in_(("too_small", "too_large")),
            )
            .group_by(m.Return.reason)
        ).all()
    )
    return int(sold or 0), int(returned.get("too_small", 0)), int(returned.get("too_large", 0))


def product_handle_and_category(session: Session, product_id: int) -> tuple[str, str | None]:
    query = select(m.Product.handle, m.Product.category).where(m.Product.id == product_id)
    row = session.execute(query).first()
    return (str(row[0]), row[1]) if row is not None else ("", None)


def product_title(session: Session, product_id: int) -> str:
    return str(session.scalar(select(m.Product.title).where(m.Product.id == product_id)) or "")


def variant_by_sku(session: Session, sku: str) -> int | None:
    found = session.scalar(select(m.Variant.id).where(m.Variant.sku == sku))
    return int(found) if found is not None else None


def stock_on_hand(session: Session, variant_ids: list[int]) -> dict[int, int]:
    if not variant_ids:
        return {}
    return {
        int(vid): int(units or 0)
        for vid, units in session.execute(
            select(m.StockLevel.variant_id, func.sum(m.StockLevel.on_hand))
            .where(m.StockLevel.variant_id.in_(variant_ids))
            .group_by(m.StockLevel.variant_id)
        )
    }


def next_arrivals(session: Session, variant_ids: list[int], today: date) -> dict[int, date]:
    """Return, per variant, the expected day of the earliest open purchase order still to deliver it."""
    if not variant_ids:
        return {}
    arrivals: dict[int, date] = {}
    for vid, expected in session.execute(
        select(m.PurchaseOrderLine.variant_id, m.PurchaseOrder.expected_on)
        .join(m.PurchaseOrder, m.PurchaseOrder.id == m.PurchaseOrderLine.purchase_order_id)
        .where(
            m.PurchaseOrderLine.variant_id.in_(variant_ids),
            m.PurchaseOrder.status.in_(("sent", "partial")),
            m.PurchaseOrder.expected_on >= today,
            m.PurchaseOrderLine.quantity_received < m.PurchaseOrderLine.quantity_ordered,
        )
        .order_by(m.PurchaseOrder.expected_on, m.PurchaseOrderLine.id)
    ):
        arrivals.setdefault(int(vid), expected)
    return arrivals


@dataclass(frozen=True)
class CustomerContext:
    customer_id: int | None
    email: str | None
    name: str | None
    is_vip: bool
    orders: int
    lifetime_value: Decimal
    currency: str | None
    earlier_tickets: list[dict[str, Any]]


def customer_context(
    session: Session, customer_id: int | None, address: str, exclude_ticket: int | None = None
) -> CustomerContext:
    """Return who wrote: their orders, lifetime value (paid minus refunded) and earlier tickets."""
    name = email = None
    is_vip = False
    orders, value, currency = 0, Decimal(0), None
    if customer_id is not None:
        customer = session.get(m.Customer, customer_id)
        if customer is not None:
            name, email, is_vip = customer.name, customer.email, customer.is_vip
        count, total, currency = session.execute(
            select(func.count(), func.coalesce(func.sum(m.Order.total), 0), func.max(m.Order.currency)).where(
                m.Order.customer_id == customer_id, m.Order.cancelled_at.is_(None)
            )
        ).one()
        refunded = session.scalar(
            select(func.coalesce(func.sum(m.Refund.amount), 0))
            .join(m.Order, m.Order.id == m.Refund.order_id)
            .where(m.Order.customer_id == customer_id)
        )
        orders, value = int(count), Decimal(total) - Decimal(refunded or 0)
    tickets_query = select(m.SupportTicket).order_by(m.SupportTicket.opened_at.desc()).limit(10)
    if customer_id is not None:
        tickets_query = tickets_query.where(m.SupportTicket.customer_id == customer_id)
    else:
        tickets_query = tickets_query.where(
            m.SupportTicket.id.in_(
                select(m.SupportMessage.ticket_id).where(
                    func.lower(m.SupportMessage.from_address) == address.lower()
                )
            )
        )
    earlier = [
        {
            "id": t.id,
            "subject": t.subject,
            "status": t.status,
            "intent": t.intent,
            "opened_at": aware(t.opened_at),
        }
        for t in session.scalars(tickets_query)
        if t.id != exclude_ticket
    ]
    return CustomerContext(customer_id, email or address, name, is_vip, orders, value, currency, earlier)


# --------------------------------------------------------------------------------------------
# The dashboard's reads
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    ticket_id: int
    subject: str
    sender: str
    intent: str | None
    confidence: float | None
    decision: str | None
    status: str
    opened_at: datetime
    order_number: str | None
    reasons: list[str]
    snippet: str


def queue(session: Session, statuses: tuple[str, ...], limit: int = 100) -> list[QueueRow]:
    """Tickets waiting for a person (escalated) or for approval (pending), oldest first."""
    rows = session.execute(
        select(m.SupportTicket, m.Order.number)
        .outerjoin(m.Order, m.Order.id == m.SupportTicket.order_id)
        .where(m.SupportTicket.status.in_(statuses))
        .order_by(m.SupportTicket.opened_at, m.SupportTicket.id)
        .limit(limit)
    ).all()
    ids = [ticket.id for ticket, _ in rows]
    senders: dict[int, str] = {}
    snippets: dict[int, str] = {}
    for ticket_id, sender, body in session.execute(
        select(m.SupportMessage.ticket_id, m.SupportMessage.from_address, m.SupportMessage.body)
        .where(m.SupportMessage.ticket_id.in_(ids), m.SupportMessage.direction == "inbound")
        .order_by(m.SupportMessage.sent_at)
    ):
        senders.setdefault(ticket_id, sender)
        snippets.setdefault(ticket_id, " ".join(body.split())[:160])
    reasons: dict[int, list[str]] = {}
    for ticket_id, payload in session.execute(
        select(m.SupportAction.ticket_id, m.SupportAction.payload)
        .where(m.SupportAction.ticket_id.in_(ids), m.SupportAction.kind.in_(("reply", "escalate")))
        .order_by(m.SupportAction.id)
    ):
        found = payload.get("reasons") if isinstance(payload, dict) else None
        if isinstance(found, list):
            reasons[ticket_id] = [str(r) for r in found]
    return [
        QueueRow(
            ticket.id,
            ticket.subject,
            senders.get(ticket.id, ""),
            ticket.intent,
            ticket.intent_confidence,
            ticket.decision,
            ticket.status,
            aware(ticket.opened_at) or datetime.min.replace(tzinfo=UTC),
            number,
            reasons.get(ticket.id, []),
            snippets.get(ticket.id, ""),
        )
        for ticket, number in rows
    ]


@dataclass
class TicketDetail:
    ticket: m.SupportTicket
    messages: list[m.SupportMessage]
    proposed_reply: dict[str, Any] | None
    proposed_actions: list[dict[str, Any]]
    done_actions: list[dict[str, Any]]
    order: OrderFacts | None
    customer: CustomerContext


def ticket_detail(session: Session, ticket_id: int, now: datetime) -> TicketDetail | None:
    ticket = session.get(m.SupportTicket, ticket_id)
    if ticket is None:
        return None
    messages = list(
        session.scalars(
            select(m.SupportMessage)
            .where(m.SupportMessage.ticket_id == ticket_id)
            .order_by(m.SupportMessage.sent_at)
        )
    )
    proposed_reply = None
    proposed, done = [], []
    for action in session.scalars(
        select(m.SupportAction).where(m.SupportAction.ticket_id == ticket_id).order_by(m.SupportAction.id)
    ):
        entry = {"id": action.id, "kind": action.kind, "status": action.status, "payload": action.payload}
        if action.kind == "reply" and action.status == "proposed":
            proposed_reply = action.payload
        elif action.status == "proposed":
            proposed.append(entry)
        else:
            done.append(entry)
    order = order_facts(session, ticket.order_id, now) if ticket.order_id is not None else None
    first = next((msg for msg in messages if msg.direction == "inbound"), None)
    customer = customer_context(session, ticket.customer_id, first.from_address if first else "", ticket.id)
    return TicketDetail(ticket, messages, proposed_reply, proposed, done, order, customer)


def support_audit(session: Session, limit: int = 50) -> list[m.AuditLog]:
    return list(
        session.scalars(
            select(m.AuditLog)
            .where(m.AuditLog.action.like("support.%"))
            .order_by(m.AuditLog.occurred_at.desc(), m.AuditLog.id.desc())
            .limit(limit)
        )
    )
