"""The Shopify orders export through the real import path, on SQLite and PostgreSQL: exact counts
and money, idempotence, overlapping exports, and a corrupted cell that changes nothing."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from shopify_golden import FIXTURES
from sqlalchemy import func, select

from sasame import models as m
from sasame.core.errors import InputError
from sasame.db import transaction
from sasame.ingest.service import import_file

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
EXPORT = FIXTURES / "orders_2025_79_columns.csv"


def state(engine) -> tuple[int, int, int, Decimal, list[str]]:
    with transaction(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(m.Order)),
            session.scalar(select(func.count()).select_from(m.OrderLine)),
            session.scalar(select(func.count()).select_from(m.Customer)),
            session.scalar(select(func.coalesce(func.sum(m.Order.total), 0))),
            list(session.scalars(select(m.Order.financial_status).order_by(m.Order.number))),
        )


def overlapping_export(path: Path) -> Path:
    """A later export: #1087 fully refunded since, #1090 again, and a new order #1091."""
    rows = list(csv.DictReader(io.StringIO(EXPORT.read_text(encoding="utf-8"))))
    kept = [row for row in rows if row["Name"] in ("#1087", "#1090")]
    for row in kept:
        if row["Name"] == "#1087" and row["Financial Status"]:
            row["Financial Status"] = "refunded"
    new = {**kept[-1], "Name": "#1091", "Id": "6315176231172", "Email": "new@example.com"}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows([*kept, new])
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_import_is_exact_idempotent_and_overlap_safe(engine, tmp_path):
    with transaction(engine) as session:
        session.add(m.BusinessSetting(name="S", currency="CAD", timezone="America/Toronto", created_at=NOW))
    with transaction(engine) as session:
        first = import_file(session, EXPORT, now=NOW)
    assert first.format == "shopify.orders_csv"
    assert first.rows_read == 6
    assert first.records["order"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert first.records["customer"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert first.money == {"order_total": {"CAD": Decimal("304.94")}}
    assert state(engine) == (3, 6, 2, Decimal("304.94"), ["paid", "partially_refunded", "voided"])

    with transaction(engine) as session:
        again = import_file(session, EXPORT, now=NOW)
    assert again.records["order"] == {"created": 0, "updated": 0, "unchanged": 3}
    assert state(engine) == (3, 6, 2, Decimal("304.94"), ["paid", "partially_refunded", "voided"])

    later = overlapping_export(tmp_path / "orders_export_1.csv")
    with transaction(engine) as session:
        third = import_file(session, later, now=NOW)
    assert third.records["order"] == {"created": 1, "updated": 1, "unchanged": 1}
    assert state(engine) == (4, 7, 3, Decimal("344.94"), ["paid", "refunded", "voided", "voided"])

    with transaction(engine) as session:
        order = session.scalar(select(m.Order).where(m.Order.number == "#1087"))
        source = session.get(m.SourceRecord, order.source_record_id)
        assert (order.external_id, order.order_date.isoformat(), order.ship_postal_code) == (
            "6314087776515",
            "2025-04-01",
            "P1B 6E9",
        )
        assert (order.utm_source, order.utm_campaign, order.discount_codes) == (
            "facebook",
            "spring-sale",
            "SPRING10",
        )
        assert (source.origin, source.natural_key, source.row_number) == (
            "shopify.orders_csv",
            "6314087776515",
            2,
        )
        assert source.payload == {"pricing": "tax_exclusive", "rows": [2, 8]}  # quoted newlines


def test_a_corrupted_cell_imports_nothing(engine):
    with transaction(engine) as session:
        import_file(session, FIXTURES / "orders_2021_75_columns.csv", now=NOW)
    before = state(engine)
    bad = FIXTURES / "orders_corrupted_total.csv"
    with pytest.raises(InputError) as caught, transaction(engine) as session:
        import_file(session, bad, now=NOW)
    assert str(caught.value) == f"{bad}, row 5, column 'Total': '109.2x3' is not an amount"
    assert state(engine) == before
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(m.SourceFile)) == 1
