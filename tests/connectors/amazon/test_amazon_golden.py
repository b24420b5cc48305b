"""Each Amazon fixture parses to exactly its expected records (see connector_support.check_golden)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from connector_support import check_golden, parse_file

from sasame.connectors.amazon.settlement import SettlementV1, SettlementV2
from sasame.connectors.amazon.transactions import TransactionReport
from sasame.connectors.base import ParseContext

FIXTURES = Path(__file__).parent / "fixtures"
STORE_ZONE = ZoneInfo("America/Los_Angeles")
GOLDEN = [
    (SettlementV2(), "settlement_v2_us.txt"),
    (SettlementV2(), "settlement_v2_de.txt"),
    (SettlementV1(), "settlement_v1_ca_36.txt"),
    (SettlementV1(), "settlement_v1_ca_33.txt"),
    (TransactionReport(), "transaction_report_us_2026.csv"),
    (TransactionReport(), "transaction_report_us_2017.csv"),
]


@pytest.mark.parametrize(("file_format", "name"), GOLDEN, ids=[name for _, name in GOLDEN])
def test_fixture_parses_to_its_expected_records(file_format, name):
    path = FIXTURES / name
    check_golden(
        parse_file(file_format, path, ParseContext(timezone=STORE_ZONE, currency="USD"), typed=True), path
    )
