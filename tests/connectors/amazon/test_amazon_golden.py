"""Each Amazon fixture parses to exactly its expected records (see amazon_golden.py)."""

from __future__ import annotations

import pytest
from amazon_golden import FIXTURES, check_golden

from sasame.connectors.amazon.settlement import SettlementV1, SettlementV2
from sasame.connectors.amazon.transactions import TransactionReport

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
    check_golden(file_format, FIXTURES / name)
