"""Stock levels from the Shopify products export (`Variant Inventory Qty` of tracked variants), on
SQLite and PostgreSQL: exact counts, idempotence, a recount, and a damaged count that changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from shopify_golden import FIXTURES
from sqlalchemy import select

from sasame import models as m
from sasame.connectors.base import ParseContext
from sasame.connectors.files import SourceFile
from sasame.connectors.records import StockLevelRecord
from sasame.connectors.shopify.products_csv import ShopifyProductsCsv
from sasame.core.errors import InputError
from sasame.db import transaction
from sasame.ingest.service import import_file

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
LATER = datetime(2026, 11, 28, 9, tzinfo=UTC)
EXPORT = FIXTURES / "products_2025_63_columns.csv"


def _levels(engine) -> dict[str, tuple[int, int, datetime]]:
    with transaction(engine) as session:
        return {
            sku: (on_hand, reserved, counted_at)
            for sku, on_hand, reserved, counted_at in session.execute(
                select(m.Variant.sku, m.StockLevel.on_hand, m.StockLevel.reserved, m.StockLevel.counted_at)
                .join(m.StockLevel, m.StockLevel.variant_id == m.Variant.id)
                .join(m.Location, m.Location.id == m.StockLevel.location_id)
                .where(m.Location.code == "shopify-export")
            )
        }


def _import(engine, path: Path, now: datetime = NOW):
    with transaction(engine) as session:
        session.merge(
            m.BusinessSetting(id=1, name="S", currency="USD", timezone="America/Toronto", created_at=NOW)
        )
    with transaction(engine) as session:
        return import_file(session, path, now=now)


def test_tracked_variants_counts_are_parsed_only_with_the_imports_time() -> None:
    source = SourceFile(name=EXPORT.name, data=EXPORT.read_bytes())
    without = list(ShopifyProductsCsv().parse(source, ParseContext(ZoneInfo("UTC"), "USD")))
    assert not [r for r in without if isinstance(r, StockLevelRecord)]
    levels = [
        (r.sku, r.on_hand, r.reserved, r.counted_at, r.source.row_number)
        for r in ShopifyProductsCsv().parse(source, ParseContext(ZoneInfo("UTC"), "USD", now=NOW))
        if isinstance(r, StockLevelRecord)
    ]
    # The variant without a SKU is not tracked (empty Inventory Tracker): no count for it.
    assert levels == [
        ("TEE-S-GRN", 14, 0, NOW, 2),  # the file's line numbers: row 2's description spans two lines
        ("TEE-M-GRN", 0, 0, NOW, 4),
        ("TEE-M-SND", -2, 0, NOW, 5),
        ("WHL-C-700", 3, 0, NOW, 7),
        ("CAP-W", 0, 0, NOW, 8),
    ]


def test_stock_levels_import_and_a_recount_updates_them(engine) -> None:
    first = _import(engine, EXPORT)
    assert first.records["stock_level"] == {"created": 5, "updated": 0, "unchanged": 0}
    assert _levels(engine) == {
        "TEE-S-GRN": (14, 0, NOW),
        "TEE-M-GRN": (0, 0, NOW),
        "TEE-M-SND": (-2, 0, NOW),
        "WHL-C-700": (3, 0, NOW),
        "CAP-W": (0, 0, NOW),
    }
    again = _import(engine, EXPORT, LATER)
    assert again.records["stock_level"] == {"created": 0, "updated": 0, "unchanged": 5}
    assert _levels(engine)["TEE-S-GRN"] == (14, 0, NOW)  # same numbers: still the first count


def test_a_recount_updates_only_what_moved(engine, tmp_path: Path) -> None:
    _import(engine, EXPORT)
    recount = tmp_path / "products_export.csv"
    recount.write_bytes(EXPORT.read_bytes().replace(b",shopify,14,", b",shopify,9,"))
    summary = _import(engine, recount, LATER)
    assert summary.records["stock_level"] == {"created": 0, "updated": 1, "unchanged": 4}
    assert _levels(engine)["TEE-S-GRN"] == (9, 0, LATER)
    assert _levels(engine)["WHL-C-700"] == (3, 0, NOW)


def test_a_damaged_count_names_row_and_column_and_changes_nothing(engine, tmp_path: Path) -> None:
    damaged = tmp_path / "products_export.csv"
    damaged.write_bytes(EXPORT.read_bytes().replace(b",shopify,3,", b",shopify,3 units,"))
    with pytest.raises(InputError, match=r"row 7.*Variant Inventory Qty.*'3 units'"):
        _import(engine, damaged)
    with transaction(engine) as session:
        assert session.scalars(select(m.Product)).first() is None
        assert session.scalars(select(m.StockLevel)).first() is None
