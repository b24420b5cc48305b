"""A draft purchase order sent (a real number, on order, out of the draft refresh) and received (receipt
movements, stock levels, landed-cost layers), on the tiny store."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from test_plan import fixed_forecaster
from tiny_store import NOW, build

from sasame import models as m
from sasame.core.errors import UserError
from sasame.finance.service import post_ledger
from sasame.inventory.lead_times import lead_times
from sasame.inventory.plan import PlanSettings
from sasame.inventory.po_lifecycle import next_number, receive_purchase_order, send_purchase_order
from sasame.inventory.service import draft_purchase_orders, make_plan, purchase_orders_with_lines

OWNER = "owner@tiny.example"
DRAFT = "DRAFT-20250311-ACME"


def _draft(engine: Engine) -> None:
    """The tiny store's plan drafts Acme: MUG 48 and TEE-S 24 at $6 and $8, expected 03-28."""
    build(engine)
    with Session(engine) as session, session.begin():
        plan = make_plan(session, NOW, PlanSettings(service_level=0.9), fixed_forecaster({}))
        draft_purchase_orders(session, NOW, None, plan=plan)


def _on_hand(session: Session, sku: str) -> int:
    return session.scalars(
        select(m.StockLevel.on_hand)
        .join(m.Variant, m.Variant.id == m.StockLevel.variant_id)
        .join(m.Location, m.Location.id == m.StockLevel.location_id)
        .where(m.Variant.sku == sku, m.Location.code == "warehouse")
    ).one()


def test_a_sent_draft_gets_the_next_number_is_on_order_and_is_no_longer_refreshed(engine: Engine):
    _draft(engine)
    sent_at = NOW + timedelta(days=2)  # the owner sends it two days after the draft
    with Session(engine) as session, session.begin():
        assert next_number(session) == "PO-1001"  # the tiny store's PO-1..PO-4 are below the sequence
        po = send_purchase_order(session, DRAFT, sent_at, by=OWNER)
        assert (po.number, po.status, po.expected_on) == ("PO-1001", "sent", date(2025, 3, 30))
        assert po.ordered_at.replace(tzinfo=sent_at.tzinfo) == sent_at
        logged = session.scalars(select(m.AuditLog).order_by(m.AuditLog.id.desc())).first()
        assert (logged.actor, logged.action, logged.outcome) == (
            OWNER,
            "send_purchase_order",
            f"sent {DRAFT} as PO-1001, expected 2025-03-30",
        )
    with Session(engine) as session, session.begin():
        # On order for the plan now: nothing is proposed, nothing drafted, the sent order untouched.
        plan = make_plan(session, sent_at, PlanSettings(service_level=0.9), fixed_forecaster({}))
        assert plan.by_supplier() == {}
        assert draft_purchase_orders(session, sent_at, None, plan=plan) == ([], [])
        assert purchase_orders_with_lines(session) == []
        [sent] = purchase_orders_with_lines(session, ("sent", "partial"))
        assert (sent["number"], sent["status"], sent["units"], sent["total"]) == (
            "PO-1001",
            "sent",
            72,
            Decimal("480.00"),
        )
        assert next_number(session) == "PO-1002"
    with Session(engine) as session, session.begin():
        with pytest.raises(UserError, match="PO-1001 is sent, not a draft: only a draft can be sent"):
            send_purchase_order(session, "PO-1001", sent_at, by=OWNER)
        with pytest.raises(UserError, match="no purchase order is numbered 'DRAFT-NOPE'"):
            send_purchase_order(session, "DRAFT-NOPE", sent_at, by=OWNER)


def test_the_owner_can_give_a_sent_order_its_own_number_but_not_a_taken_one(engine: Engine):
    _draft(engine)
    with Session(engine) as session, session.begin():
        with pytest.raises(UserError, match="--number: purchase order number 'PO-2' is already taken"):
            send_purchase_order(session, DRAFT, NOW, by=OWNER, new_number="PO-2")
        po = send_purchase_order(session, DRAFT, NOW, by=OWNER, new_number="ACME-7731")
        # Sent the day it was drafted: the expected day stays.
        assert (po.number, po.status, po.expected_on) == ("ACME-7731", "sent", date(2025, 3, 28))


def test_receiving_in_two_deliveries_books_receipts_stock_and_landed_cost_layers(engine: Engine):
    _draft(engine)
    with Session(engine) as session, session.begin():
        po = send_purchase_order(session, DRAFT, NOW, by=OWNER)
        po.freight_cost = Decimal("48.00")  # 10 % of the order's $480: landed costs $6.60 and $8.80
        po_id = po.id
        before = {sku: _on_hand(session, sku) for sku in ("MUG", "TEE-S")}
    first_at, second_at = NOW + timedelta(days=12), NOW + timedelta(days=15)
    with Session(engine) as session, session.begin():
        delivery = receive_purchase_order(session, "PO-1001", first_at, by=OWNER, quantities={"MUG": 20})
        assert delivery.status == "partial"
        assert [(r.sku, r.quantity, r.received, r.ordered) for r in delivery.lines] == [("MUG", 20, 20, 48)]
        assert _on_hand(session, "MUG") == before["MUG"] + 20
        assert (
            session.scalars(select(m.PurchaseOrder.received_on).where(m.PurchaseOrder.id == po_id)).one()
            is None
        )
    with Session(engine) as session, session.begin():
        with pytest.raises(UserError, match="--line MUG: 29 units is more than the 28 still outstanding"):
            receive_purchase_order(session, "PO-1001", second_at, by=OWNER, quantities={"MUG": 29})
        with pytest.raises(UserError, match="--line TEE-M: SKU TEE-M is not on purchase order PO-1001"):
            receive_purchase_order(session, "PO-1001", second_at, by=OWNER, quantities={"TEE-M": 1})
        with pytest.raises(
            UserError, match="--line MUG: the quantity must be a positive whole number, got 0"
        ):
            receive_purchase_order(session, "PO-1001", second_at, by=OWNER, quantities={"MUG": 0})
        # The rest: everything still outstanding.
        delivery = receive_purchase_order(session, "PO-1001", second_at, by=OWNER)
        assert delivery.status == "received"
        assert [(r.sku, r.quantity, r.received) for r in delivery.lines] == [
            ("MUG", 28, 48),
            ("TEE-S", 24, 24),
        ]
        assert {sku: _on_hand(session, sku) for sku in before} == {
            "MUG": before["MUG"] + 48,
            "TEE-S": before["TEE-S"] + 24,
        }
        received = session.get(m.PurchaseOrder, po_id)
        assert (received.status, received.received_on) == ("received", date(2025, 3, 26))
    with Session(engine) as session, session.begin():
        with pytest.raises(
            UserError, match="PO-1001 is received: only a sent or partial order can be received"
        ):
            receive_purchase_order(session, "PO-1001", second_at, by=OWNER)
        receipts = session.execute(
            select(m.Variant.sku, m.StockMovement.quantity, m.StockMovement.unit_cost, m.Location.code)
            .join(m.Variant, m.Variant.id == m.StockMovement.variant_id)
            .join(m.Location, m.Location.id == m.StockMovement.location_id)
            .join(m.PurchaseOrderLine, m.PurchaseOrderLine.id == m.StockMovement.purchase_order_line_id)
            .where(m.PurchaseOrderLine.purchase_order_id == po_id, m.StockMovement.kind == "receipt")
            .order_by(m.StockMovement.id)
        ).all()
        assert [tuple(r) for r in receipts] == [
            ("MUG", 20, Decimal("6.0000"), "warehouse"),
            ("MUG", 28, Decimal("6.0000"), "warehouse"),
            ("TEE-S", 24, Decimal("8.0000"), "warehouse"),
        ]
        # Lead time learned from the first receipt: ordered 03-11, first goods 03-23 (12 days).
        [acme] = [lead for lead in lead_times(session).values() if lead.supplier == "Acme"]
        assert (acme.observations, acme.mean_days) == (4, 12.0)  # 10, 14, 12 and now 12 days
        # The books: each delivery opens a cost layer at the landed unit cost.
        post_ledger(session, second_at)
        layers = session.execute(
            select(m.Variant.sku, m.CostLayer.quantity, m.CostLayer.unit_cost)
            .join(m.Variant, m.Variant.id == m.CostLayer.variant_id)
            .join(m.PurchaseOrderLine, m.PurchaseOrderLine.id == m.CostLayer.purchase_order_line_id)
            .where(m.PurchaseOrderLine.purchase_order_id == po_id)
            .order_by(m.CostLayer.id)
        ).all()
        assert [tuple(layer) for layer in layers] == [
            ("MUG", 20, Decimal("6.6000")),
            ("MUG", 28, Decimal("6.6000")),
            ("TEE-S", 24, Decimal("8.8000")),
        ]


def test_a_draft_cannot_be_received(engine: Engine):
    _draft(engine)
    with (
        Session(engine) as session,
        session.begin(),
        pytest.raises(UserError, match=f"{DRAFT} is draft: only a sent or partial order can be received"),
    ):
        receive_purchase_order(session, DRAFT, NOW, by=OWNER)
