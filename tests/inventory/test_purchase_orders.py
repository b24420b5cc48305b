"""Draft purchase orders: the CSV parses back, the PDF is a PDF of the right length, the email reads."""

from __future__ import annotations

import csv
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
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
        drafts = draft_purchase_orders(session, NOW, tmp_path, plan=plan)
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
    assert [(a.actor, a.action, a.inputs["total"]) for a in logged] == [
        ("system:inventory", "draft_purchase_order", "480.00")
    ]


def test_only_one_supplier_and_an_unknown_one(engine: Engine, tmp_path: Path):
    build(engine)
    with Session(engine) as session:
        plan = make_plan(session, NOW, PlanSettings(service_level=0.9), fixed_forecaster({}))
        assert draft_purchase_orders(session, NOW, tmp_path / "a", supplier="acme", plan=plan)[0].lines == 2
        assert draft_purchase_orders(session, NOW, tmp_path / "b", supplier="Slowboat", plan=plan) == []
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
