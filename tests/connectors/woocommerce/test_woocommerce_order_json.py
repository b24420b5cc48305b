"""WooCommerce REST v3 order JSON: golden records for every shape, and the whole import path.

Set SASAME_UPDATE_GOLDEN=1 to rewrite the .expected.json files after a deliberate change (then
read the diff: it is the review).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from sasame import models as m
from sasame.connectors.base import ParseContext
from sasame.connectors.files import SourceFile
from sasame.connectors.woocommerce.order_json import WooCommerceOrderJson
from sasame.core.errors import InputError
from sasame.db import transaction
from sasame.ingest.service import detect_format, import_file

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 3, 4, 12, tzinfo=UTC)
GOLDEN = ["order_webhook_modern.json", "orders_list_v3.json", "orders_wrapped_site_local.json"]


def serialise(value: Any) -> Any:
    """Records as plain JSON: money as strings, instants as ISO 8601, raw payloads left out.

    Optional fields still at their default are left out too, so that a field another connector
    adds to the records later (with a default) does not change these golden files.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {"record": type(value).__name__}
        for field in dataclasses.fields(value):
            item = getattr(value, field.name)
            if field.name == "payload":
                continue
            if (
                field.default is not dataclasses.MISSING
                and item == field.default
                and field.name not in ("lines",)
            ):
                continue
            out[field.name] = serialise(item)
        return out
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [serialise(item) for item in value]
    return value


def parse(name: str) -> tuple[list[Any], ParseContext]:
    context = ParseContext(timezone=ZoneInfo("America/New_York"), currency="USD")
    source = SourceFile(name=name, data=(FIXTURES / name).read_bytes())
    return list(WooCommerceOrderJson().parse(source, context)), context


@pytest.mark.parametrize("name", GOLDEN)
def test_golden_records(name: str) -> None:
    records, context = parse(name)
    actual = {
        "format": "woocommerce.order_json",
        "rows_read": context.rows_read,
        "warnings": context.warnings,
        "records": serialise(records),
    }
    expected_path = FIXTURES / f"{name}.expected.json"
    if os.environ.get("SASAME_UPDATE_GOLDEN") == "1":
        expected_path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert actual == json.loads(expected_path.read_text(encoding="utf-8"))


def test_detected_by_content_whatever_the_name(tmp_path: Path) -> None:
    for name in GOLDEN:
        renamed = tmp_path / "download.txt"
        shutil.copy(FIXTURES / name, renamed)
        assert detect_format(SourceFile.read(renamed)).name == "woocommerce.order_json"
    assert not WooCommerceOrderJson().detect(SourceFile("x.json", b'{"id": 1, "line_items": []}'))


def test_modern_order_maps_money_attribution_refund_and_tracking() -> None:
    records, context = parse("order_webhook_modern.json")
    order, refund, shipment = records
    assert order.ordered_at == datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # the _gmt field, not site time
    assert (order.subtotal, order.discount_total, order.shipping_total, order.tax_total, order.total) == (
        Decimal("71.00"),
        Decimal("6.80"),
        Decimal("5.00"),
        Decimal("5.54"),
        Decimal("74.74"),
    )
    assert order.lines[0].unit_price == Decimal("25.00") and order.lines[0].discount == Decimal("5.00")
    assert order.lines[1].sku is None  # "" in the payload
    assert order.lines[2].title == "Fee: Gift wrap"
    assert (order.utm_source, order.utm_medium, order.utm_campaign, order.utm_content) == (
        "instagram",
        "paid_social",
        "spring_linen",
        None,  # '(none)'
    )
    assert order.financial_status == "partially_refunded"
    assert refund.amount == Decimal("16.20") and refund.reason == "Tote arrived damaged"
    assert shipment.tracking_number == "9400111899223344556677" and shipment.carrier == "usps"
    assert shipment.shipped_at == datetime(2026, 3, 3, tzinfo=UTC)
    assert context.warnings == []


def test_variants_custom_status_zero_decimal_negative_fee_and_local_times() -> None:
    records, context = parse("orders_list_v3.json")
    by_number = {r.number: r for r in records if type(r).__name__ == "OrderRecord"}
    assert by_number["9001"].total == Decimal("17000000") and by_number["9001"].currency == "JPY"
    assert by_number["9001"].financial_status == "paid"  # 'printed' with a date_paid
    assert by_number["9001"].email is None and by_number["9001"].utm_source == "(direct)"
    assert by_number["9002"].discount_total == Decimal("2.00")  # the negative fee
    assert by_number["9002"].fulfillment_status == "cancelled"
    assert by_number["9002"].cancelled_at == datetime(2025, 1, 11, 14, 30, tzinfo=UTC)
    assert by_number["9002"].ship_country == "DE"  # billing address when shipping is empty
    assert context.warnings == ["orders_list_v3.json, order 9001: unknown status 'printed' read as paid"]
    wrapped, wrapped_context = parse("orders_wrapped_site_local.json")
    assert wrapped[0].ordered_at == datetime(2025, 6, 14, 16, tzinfo=UTC)  # New York time, warned
    assert wrapped[1].refunded_at == datetime(2025, 6, 20, 15, 44, tzinfo=UTC)
    assert len(wrapped_context.warnings) == 2


def test_corrupted_cell_names_file_order_and_field() -> None:
    with pytest.raises(InputError) as caught:
        parse("orders_corrupted_cell.json")
    assert str(caught.value) == (
        "orders_corrupted_cell.json, row 2, column 'line_items[0].total': '17,000,OOO' is not an amount"
    )
    with pytest.raises(InputError, match="is not valid JSON"):
        WooCommerceOrderJson().parse(
            SourceFile("cut.json", b'[{"order_key": "x", "line_items": ['),
            ParseContext(ZoneInfo("UTC"), "USD"),
        ).__next__()


def counts(engine) -> dict[str, Any]:
    with transaction(engine) as session:
        return {
            "orders": session.scalar(select(func.count()).select_from(m.Order)),
            "lines": session.scalar(select(func.count()).select_from(m.OrderLine)),
            "refunds": session.scalar(select(func.count()).select_from(m.Refund)),
            "shipments": session.scalar(select(func.count()).select_from(m.Shipment)),
            "order_total": session.scalar(select(func.coalesce(func.sum(m.Order.total), 0))),
        }


def copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copy(FIXTURES / name, target)
    return target


def test_import_is_exact_idempotent_and_overlap_free(engine, tmp_path: Path) -> None:
    with transaction(engine) as session:
        first = import_file(session, copy(tmp_path, "orders_list_v3.json"), now=NOW)
    assert first.format == "woocommerce.order_json" and first.rows_read == 3
    assert first.records["order"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert first.records["refund"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert first.money["order_total"] == {"JPY": Decimal("17000000"), "USD": Decimal("47.35")}
    assert first.money["refunds"] == {"USD": Decimal("10.00")}

    with transaction(engine) as session:
        again = import_file(session, copy(tmp_path, "orders_list_v3.json"), now=NOW)
    assert again.records["order"] == {"created": 0, "updated": 0, "unchanged": 3}
    assert again.records["refund"] == {"created": 0, "updated": 0, "unchanged": 1}

    # A later download overlapping the first: order 727 fully refunded since, plus a new order.
    overlap = json.loads((FIXTURES / "orders_list_v3.json").read_text())[:1]
    overlap[0]["status"] = "refunded"
    overlap.append(json.loads((FIXTURES / "order_webhook_modern.json").read_text()))
    path = tmp_path / "orders_later.json"
    path.write_text(json.dumps(overlap))
    with transaction(engine) as session:
        later = import_file(session, path, now=NOW)
    assert later.records["order"] == {"created": 1, "updated": 1, "unchanged": 0}
    assert later.records["shipment"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert counts(engine) == {
        "orders": 4,
        "lines": 2 + 1 + 1 + 3,
        "refunds": 2,
        "shipments": 1,
        "order_total": Decimal("17000000") + Decimal("47.35") + Decimal("74.74"),
    }


def test_a_corrupted_cell_leaves_the_database_unchanged(engine, tmp_path: Path) -> None:
    with transaction(engine) as session:
        import_file(session, copy(tmp_path, "order_webhook_modern.json"), now=NOW)
    before = counts(engine)
    bad = copy(tmp_path, "orders_corrupted_cell.json")
    with pytest.raises(InputError) as caught, transaction(engine) as session:
        import_file(session, bad, now=NOW)
    assert (caught.value.file, caught.value.row, caught.value.column) == (str(bad), 2, "line_items[0].total")
    assert counts(engine) == before
