"""Each Etsy fixture parses to exactly its expected records (see connector_support.check_golden)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from connector_support import check_golden, parse_file

from sasame.connectors.base import ParseContext
from sasame.connectors.etsy.orders import SoldOrderItems, SoldOrders
from sasame.connectors.etsy.statement import EtsyStatement

FIXTURES = Path(__file__).parent / "fixtures"
STORE_ZONE = ZoneInfo("America/Los_Angeles")
GOLDEN = [
    (SoldOrderItems(), "sold_order_items_us.csv"),
    (SoldOrderItems(), "sold_order_items_en_gb_spreadsheet.csv"),
    (SoldOrders(), "sold_orders_us.csv"),
    (SoldOrders(), "sold_orders_en_gb.csv"),
    (EtsyStatement(), "etsy_statement_eur_2022_01.csv"),
    (EtsyStatement(), "etsy_statement_usd_2026_09.csv"),
]


@pytest.mark.parametrize(("file_format", "name"), GOLDEN, ids=[name for _, name in GOLDEN])
def test_fixture_parses_to_its_expected_records(file_format, name):
    path = FIXTURES / name
    check_golden(
        parse_file(file_format, path, ParseContext(timezone=STORE_ZONE, currency="USD"), typed=True), path
    )
