"""Draft purchase orders: the CSV parses back, the PDF is a PDF of the right length, the email reads."""

from __future__ import annotations

import csv
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from test_plan import fixed_forecaster
from tiny_store import NOW, build

from sasame import models as m
from sasame.core.errors import UserError
from sasame.inventory.plan import PlanSettings, Suggestion
from sasame.inventory.purchase_orders import Draft, write_pdf
from sasame.inventory.service import draft_purchase_orders, make_plan


def pdf_pages(path: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", path.read_bytes()))


def test_draft_per_supplier_as_csv_pdf_and_email(engine: Engine, tmp_path: Path):
    build(engine)
    with Session(engine) as session, session.begin():
        plan = make_plan(session, NOW, PlanSettings(service_level=0.9), fixed_forecaster({}))
        _, drafts = draft_purchase_orders(session, NOW, tmp_path, plan=plan)
    assert [(d.supplier, d.number, d.lines, d.units, d.total) for d in drafts] == [
        ("Acme", "DRAFT-20250311-ACME", 2, 72, Decimal("480.00"))
    ]
    draft = drafts[0]
    with draft.csv_path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["sku"], r["supplier_sku"], r["quantity"], r["unit_cost"], r["line_total"]) for r in rows] == [
        ("MUG", "AC-MUG", "48", "6.0000", "288.00"),
        ("TEE-S", "AC-TS", "24", "8.0000", "192.00"),
    ]
    # TEE-S: 40 units at 2 a day reach its reorder point 29.43 (the fill-rate ceiling) on the 6th day.
    assert [r["order_by"] for r in rows] == ["2025-03-11", "2025-03-16"]
    assert sum(Decimal(r["line_total"]) for r in rows) == draft.total
    assert draft.pdf_path.read_bytes().startswith(b"%PDF")
    assert pdf_pages(draft.pdf_path) == 1
    email = draft.email_path.read_text(encoding="utf-8")
    assert email.startswith(
        "To: orders@acme.example\nSubject: Purchase order DRAFT-20250311-ACME from Tiny\n"
    )
    assert "2 lines, 72 units, 480.00 USD" in email
    assert "      48 x MUG  Mug MUG" in email
    with Session(engine) as session:
        logged = session.scalars(select(m.AuditLog)).all()
    assert [(a.actor, a.action, a.entity_type, a.inputs["total"]) for a in logged] == [
        ("system:inventory", "draft_purchase_order", "purchase_order", "480.00")
    ]
    assert logged[0].inputs["files"] == [str(draft.csv_path), str(draft.pdf_path), str(draft.email_path)]


def test_only_one_supplier_and_an_unknown_one(engine: Engine, tmp_path: Path):
    build(engine)
    with Session(engine) as session:
        plan = make_plan(session, NOW, PlanSettings(service_level=0.9), fixed_forecaster({}))
        orders, files = draft_purchase_orders(session, NOW, tmp_path / "a", supplier="acme", plan=plan)
        assert [(o.supplier, o.lines) for o in orders] == [("Acme", 2)] and files[0].lines == 2
        assert draft_purchase_orders(session, NOW, tmp_path / "b", supplier="Slowboat", plan=plan) == ([], [])
        with pytest.raises(UserError, match="--supplier: no supplier is named 'Nobody'"):
            draft_purchase_orders(session, NOW, tmp_path / "c", supplier="Nobody", plan=plan)


def test_a_long_order_runs_onto_a_second_page(tmp_path: Path):
    line = Suggestion(
        sku="SKU",
        title="Long title — with a dash",
        variant_id=1,
        supplier_id=1,
        supplier="Acme",
        quantity=12,
        unit_cost=Decimal("1.50"),
        cost=Decimal("18.00"),
        currency="USD",
        order_by=date(2025, 3, 11),
        expected_on=date(2025, 3, 20),
        stockout_on=None,
        inventory_position=0,
        reorder_point=1.0,
        order_up_to=2.0,
        safety_stock=0.5,
        service_level=0.9,
        daily_demand=1.0,
        lead_time_days=9.0,
        minimum_order_quantity=1,
        case_pack=12,
        supplier_sku=None,
    )
    pages = {}
    for count in (30, 60):
        draft = Draft(
            "Acme",
            "DRAFT-X",
            count,
            12 * count,
            Decimal(18 * count),
            "USD",
            tmp_path / "x.csv",
            tmp_path / f"x{count}.pdf",
            tmp_path / "x.txt",
        )
        write_pdf(draft, [line] * count, store="Tiny", today=date(2025, 3, 11))
        pages[count] = pdf_pages(draft.pdf_path)
    assert pages == {30: 1, 60: 2}


def _draft_rows(session: Session) -> list[tuple]:
    """Every purchase order with its lines: (number, status, supplier, location, expected, lines)."""
    rows = []
    for po in session.scalars(select(m.PurchaseOrder).order_by(m.PurchaseOrder.id)):
        lines = session.execute(
            select(m.Variant.sku, m.PurchaseOrderLine.quantity_ordered, m.PurchaseOrderLine.unit_cost)
            .join(m.Variant, m.Variant.id == m.PurchaseOrderLine.variant_id)
            .where(m.PurchaseOrderLine.purchase_order_id == po.id)
            .order_by(m.Variant.sku)
        ).all()
        supplier = session.get(m.Supplier, po.supplier_id).name
        location = session.get(m.Location, po.location_id).code
        rows.append(
            (po.number, po.status, supplier, location, po.expected_on, [tuple(line) for line in lines])
        )
    return [row for row in rows if row[0].startswith("DRAFT")]


ACME_LINES = [("MUG", 48, Decimal("6.0000")), ("TEE-S", 24, Decimal("8.0000"))]


def test_drafts_are_purchase_order_rows_refreshed_not_duplicated(engine: Engine):
    build(engine)
    with Session(engine) as session, session.begin():
        plan = make_plan(session, NOW, PlanSettings(service_level=0.9), fixed_forecaster({}))
        orders, files = draft_purchase_orders(session, NOW, None, plan=plan)
    assert files == []  # no folder: rows only
    assert [(o.number, o.action, o.lines, o.units, o.total) for o in orders] == [
        ("DRAFT-20250311-ACME", "created", 2, 72, Decimal("480.00"))
    ]
    with Session(engine) as session:
        first = _draft_rows(session)
        draft_id = orders[0].id
    # Received at the warehouse; expected when the later line is (TEE-S, ordered by 03-16, 12 days).
    assert first == [("DRAFT-20250311-ACME", "draft", "Acme", "warehouse", date(2025, 3, 28), ACME_LINES)]

    # The same day again: the same draft, its lines replaced, nothing added.
    with Session(engine) as session, session.begin():
        orders, _ = draft_purchase_orders(session, NOW, None, plan=plan)
    assert [(o.id, o.action) for o in orders] == [(draft_id, "updated")]
    with Session(engine) as session:
        assert _draft_rows(session) == first
        assert session.scalar(select(func.count(m.PurchaseOrderLine.id))) == first_line_count(session)

    # The next day the open draft moves to that day's number; still one draft for Acme.
    with Session(engine) as session, session.begin():
        later = make_plan(
            session, NOW + timedelta(days=1), PlanSettings(service_level=0.9), fixed_forecaster({})
        )
        orders, _ = draft_purchase_orders(session, NOW + timedelta(days=1), None, plan=later)
    assert [(o.id, o.number, o.action) for o in orders] == [(draft_id, "DRAFT-20250312-ACME", "updated")]
    with Session(engine) as session:
        assert [row[0] for row in _draft_rows(session)] == ["DRAFT-20250312-ACME"]


def first_line_count(session: Session) -> int:
    """Lines on the tiny store's own (received) POs plus the draft's two."""
    history = session.scalar(
        select(func.count(m.PurchaseOrderLine.id))
        .join(m.PurchaseOrder, m.PurchaseOrder.id == m.PurchaseOrderLine.purchase_order_id)
        .where(m.PurchaseOrder.status != "draft")
    )
    return int(history) + 2


def test_a_sent_draft_is_left_alone_and_a_draft_no_longer_proposed_is_withdrawn(engine: Engine):
    build(engine)
    with Session(engine) as session, session.begin():
        # The owner's own draft for Acme, under their numbering: never refreshed nor withdrawn.
        acme = session.scalars(select(m.Supplier).where(m.Supplier.name == "Acme")).one()
        own = m.PurchaseOrder(
            number="OWN-1",
            supplier_id=acme.id,
            location_id=session.scalars(select(m.Location.id)).first(),
            status="draft",
            ordered_at=NOW,
            expected_on=date(2025, 4, 1),
            currency="USD",
        )
        session.add(own)
    with Session(engine) as session, session.begin():
        plan = make_plan(session, NOW, PlanSettings(service_level=0.9), fixed_forecaster({}))
        draft_purchase_orders(session, NOW, None, plan=plan)
    # Nothing funded (a budget of 0): the plan proposes no order, so the open draft is withdrawn.
    with Session(engine) as session, session.begin():
        broke = make_plan(
            session, NOW, PlanSettings(service_level=0.9, budget=Decimal(0)), fixed_forecaster({})
        )
        assert draft_purchase_orders(session, NOW, None, plan=broke) == ([], [])
    with Session(engine) as session:
        assert _draft_rows(session) == []
        assert session.scalars(
            select(m.PurchaseOrder.status).where(m.PurchaseOrder.number == "OWN-1")
        ).one() == ("draft")
        logged = session.scalars(select(m.AuditLog.outcome).order_by(m.AuditLog.id)).all()
    assert logged[-1] == "withdrew DRAFT-20250311-ACME"

    # Drafted again and sent by the owner: the plan now counts it as on order and drafts nothing.
    with Session(engine) as session, session.begin():
        draft_purchase_orders(session, NOW, None, plan=plan)
        po = session.scalars(
            select(m.PurchaseOrder).where(m.PurchaseOrder.number == "DRAFT-20250311-ACME")
        ).one()
        po.status = "sent"
    with Session(engine) as session, session.begin():
        fresh = make_plan(session, NOW, PlanSettings(service_level=0.9), fixed_forecaster({}))
        assert fresh.by_supplier() == {}
        assert draft_purchase_orders(session, NOW, None, plan=fresh) == ([], [])
    with Session(engine) as session:
        sent = _draft_rows(session)
    assert sent == [("DRAFT-20250311-ACME", "sent", "Acme", "warehouse", date(2025, 3, 28), ACME_LINES)]

    # A new draft the same day cannot take the sent order's number: it gets the next free one.
    with Session(engine) as session, session.begin():
        orders, _ = draft_purchase_orders(session, NOW, None, plan=plan)
    assert [o.number for o in orders] == ["DRAFT-20250311-ACME-2"]
