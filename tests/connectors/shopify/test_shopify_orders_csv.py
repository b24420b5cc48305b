"""Shopify orders export: every variant against its golden file, detection by content, and the
arithmetic of tax-inclusive and tax-exclusive stores."""

from __future__ import annotations

import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from shopify_golden import FIXTURES, assert_matches_golden

from sasame.connectors import REGISTRY
from sasame.connectors.base import ParseContext
from sasame.connectors.files import SourceFile
from sasame.connectors.records import OrderRecord
from sasame.connectors.shopify.orders_csv import ShopifyOrdersCsv, note_attributes
from sasame.core.errors import InputError

FORMAT = ShopifyOrdersCsv()
VARIANTS = [
    "orders_2025_79_columns.csv",
    "orders_2024_75_columns_eu_tax_included.csv",
    "orders_2021_75_columns.csv",
    "orders_2012_47_columns.csv",
    "orders_resaved_by_spreadsheet.csv",
]


@pytest.mark.parametrize("name", VARIANTS)
def test_variant_parses_to_its_golden_records(name):
    assert_matches_golden(FORMAT, name)


@pytest.mark.parametrize("name", [*VARIANTS, "orders_corrupted_total.csv"])
def test_detected_by_content_as_the_only_format(name):
    source = SourceFile(name="export.txt", data=(FIXTURES / name).read_bytes())
    assert [f.name for f in REGISTRY if f.detect(source)] == ["shopify.orders_csv"]


def parse(name: str) -> tuple[list[OrderRecord], ParseContext]:
    context = ParseContext(timezone=ZoneInfo("America/Toronto"), currency="CAD")
    source = SourceFile(name=name, data=(FIXTURES / name).read_bytes())
    return list(FORMAT.parse(source, context)), context


@pytest.mark.parametrize("name", VARIANTS)
def test_totals_add_up_and_are_never_summed_across_rows(name):
    records, _ = parse(name)
    for order in records:
        assert order.subtotal - order.discount_total + order.shipping_total + order.tax_total == order.total
        assert order.subtotal == sum(line.unit_price * line.quantity for line in order.lines or ()) or (
            order.source.payload and order.source.payload["pricing"] == "tax_inclusive"
        )


def test_tax_inclusive_store_keeps_the_total_and_takes_tax_out_of_the_subtotal():
    records, _ = parse("orders_2024_75_columns_eu_tax_included.csv")
    order = records[0]
    assert (order.total, order.tax_total, order.subtotal) == (
        Decimal("101.44"),
        Decimal("18.29"),
        Decimal("83.15"),
    )
    assert order.source.payload is not None and order.source.payload["pricing"] == "tax_inclusive"


def test_lineage_names_every_row_of_the_order():
    records, _ = parse("orders_2025_79_columns.csv")
    # #1087's first row spans lines 5-10 (quoted newlines in Notes and Note Attributes).
    assert [(r.source.row_number, r.source.payload) for r in records] == [
        (2, {"pricing": "tax_exclusive", "rows": [2, 3, 4]}),
        (5, {"pricing": "tax_exclusive", "rows": [5, 11]}),
        (12, {"pricing": "tax_exclusive", "rows": [12]}),
    ]
    json.dumps(records[0].source.payload)  # stored as JSON


def test_a_corrupted_cell_names_file_row_and_column():
    with pytest.raises(InputError) as caught:
        parse("orders_corrupted_total.csv")
    assert (
        str(caught.value) == "orders_corrupted_total.csv, row 5, column 'Total': '109.2x3' is not an amount"
    )


def test_a_quantity_no_order_line_can_hold_names_its_row_and_column(tmp_path):
    text = (FIXTURES / "orders_2025_79_columns.csv").read_text(encoding="utf-8-sig")
    rows = text.splitlines(keepends=True)
    header = rows[0].rstrip("\r\n").split(",")
    cells = rows[1].split(",")
    cells[header.index("Lineitem quantity")] = "9" * 29
    rows[1] = ",".join(cells)
    source = SourceFile(name="orders.csv", data="".join(rows).encode("utf-8"))
    with pytest.raises(InputError) as caught:
        list(FORMAT.parse(source, ParseContext(timezone=ZoneInfo("America/Toronto"), currency="CAD")))
    assert str(caught.value) == (
        f"orders.csv, row 2, column 'Lineitem quantity': {'9' * 29} is more units than an order line can hold"
    )


def test_note_attributes_give_utm_fields_whatever_the_spelling():
    text = "First name: Ann\nUTM Source: google\nutm-medium: cpc\nutm_campaign: brand: exact\nUTM term:"
    assert note_attributes(text) == {
        "utm_source": "google",
        "utm_medium": "cpc",
        "utm_campaign": "brand: exact",
    }
