"""Shopify products, payment transactions and payouts exports: every variant against its golden
file, detection by content, and the arithmetic of payouts (lines sum to the deposit)."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from shopify_golden import FIXTURES, assert_matches_golden

from sasame.connectors import REGISTRY
from sasame.connectors.base import FileFormat, ParseContext
from sasame.connectors.files import SourceFile
from sasame.connectors.records import PayoutRecord, RefundRecord
from sasame.connectors.shopify.payments import ShopifyPaymentsTransactionsCsv, ShopifyPayoutsCsv
from sasame.connectors.shopify.products_csv import ShopifyProductsCsv
from sasame.core.errors import InputError

PRODUCTS, TRANSACTIONS, PAYOUTS = ShopifyProductsCsv(), ShopifyPaymentsTransactionsCsv(), ShopifyPayoutsCsv()
VARIANTS: list[tuple[FileFormat, str]] = [
    (PRODUCTS, "products_2025_63_columns.csv"),
    (PRODUCTS, "products_2025_54_columns_german_options.csv"),
    (PRODUCTS, "products_2019_older_columns.csv"),
    (TRANSACTIONS, "payment_transactions_2025_16_columns.csv"),
    (TRANSACTIONS, "payment_transactions_2025_first_half.csv"),
    (TRANSACTIONS, "payment_transactions_2025_second_half.csv"),
    (TRANSACTIONS, "payment_transactions_17_columns_payout_id.csv"),
    (TRANSACTIONS, "payment_transactions_18_columns_eu_vat.csv"),
    (PAYOUTS, "payouts_2025.csv"),
    (PAYOUTS, "payouts_newer_columns.csv"),
]
BROKEN = [
    (PRODUCTS, "products_corrupted_price.csv", "row 5, column 'Variant Price': '1O28.00' is not an amount"),
    (
        TRANSACTIONS,
        "payment_transactions_corrupted_amount.csv",
        "row 3, column 'Amount': '5x9.00' is not an amount",
    ),
]


@pytest.mark.parametrize(("file_format", "name"), VARIANTS, ids=[name for _, name in VARIANTS])
def test_variant_parses_to_its_golden_records(file_format, name):
    assert_matches_golden(file_format, name)


@pytest.mark.parametrize(
    ("file_format", "name"),
    [*VARIANTS, *((f, n) for f, n, _ in BROKEN)],
    ids=[name for _, name in VARIANTS] + [name for _, name, _ in BROKEN],
)
def test_detected_by_content_as_the_only_format(file_format, name):
    source = SourceFile(name="export.txt", data=(FIXTURES / name).read_bytes())
    assert [f.name for f in REGISTRY if f.detect(source)] == [file_format.name]


@pytest.mark.parametrize(("file_format", "name", "message"), BROKEN, ids=[n for _, n, _ in BROKEN])
def test_a_corrupted_cell_names_file_row_and_column(file_format, name, message):
    context = ParseContext(timezone=ZoneInfo("America/Toronto"), currency="USD")
    with pytest.raises(InputError) as caught:
        list(file_format.parse(SourceFile(name=name, data=(FIXTURES / name).read_bytes()), context))
    assert str(caught.value) == f"{name}, {message}"


def parse(file_format: FileFormat, name: str) -> list:
    context = ParseContext(timezone=ZoneInfo("America/Toronto"), currency="USD")
    return list(file_format.parse(SourceFile(name=name, data=(FIXTURES / name).read_bytes()), context))


@pytest.mark.parametrize("name", [n for f, n in VARIANTS if f is TRANSACTIONS])
def test_payout_lines_sum_to_the_net_of_its_transactions(name):
    for payout in payouts(name):
        assert payout.amount == sum(line.amount for line in payout.lines)
        assert not payout.lines_are_complete and not payout.amount_is_deposit
        assert all(line.amount < 0 for line in payout.lines if line.kind == "fee")


def test_both_exports_name_a_payout_alike_and_agree_on_its_deposit():
    transactions = {p.external_id: p for p in payouts("payment_transactions_2025_16_columns.csv")}
    deposits = {p.external_id: p for p in parse(PAYOUTS, "payouts_2025.csv")}
    assert set(transactions) < set(deposits)
    for key, payout in transactions.items():
        assert (payout.amount, payout.status) == (deposits[key].amount, deposits[key].status)


def payouts(name: str) -> list[PayoutRecord]:
    return [record for record in parse(TRANSACTIONS, name) if isinstance(record, PayoutRecord)]


def test_refunds_stay_negative_though_the_presentment_amount_is_unsigned():
    payout = payouts("payment_transactions_2025_16_columns.csv")[0]
    refunds = [line for line in payout.lines if line.kind == "refund"]
    assert [(line.amount, line.order_number) for line in refunds] == [(Decimal("-25.00"), "#998")]


def test_a_refund_transaction_is_also_the_orders_refund_known_by_its_total():
    # The orders export has no refund dates: a CSV-only store learns its refunds from this export.
    refunds = [
        r
        for r in parse(TRANSACTIONS, "payment_transactions_2025_16_columns.csv")
        if isinstance(r, RefundRecord)
    ]
    assert [(r.order_number, r.amount, r.refunded_at.isoformat(), r.parts_from_order) for r in refunds] == [
        ("#998", Decimal("25.00"), "2025-06-29T13:11:00+00:00", True)
    ]
    assert refunds[0].order_may_be_missing and refunds[0].shipping_amount == refunds[0].tax_amount == 0
