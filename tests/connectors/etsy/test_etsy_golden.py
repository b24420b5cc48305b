"""Each Etsy fixture parses to exactly its expected records (see etsy_golden.py)."""

from __future__ import annotations

import pytest
from etsy_golden import FIXTURES, check_golden

from sasame.connectors.etsy.orders import SoldOrderItems, SoldOrders
from sasame.connectors.etsy.statement import EtsyStatement

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
    check_golden(file_format, FIXTURES / name)
