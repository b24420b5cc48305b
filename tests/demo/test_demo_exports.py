"""The demo itself: `load_demo_store` (what `sasame demo` runs) writes the store as platform export
files and loads it through `import_file` (one transaction per file, as `sasame import` does). The
loaded store holds every order, line, unit and cent the generator made for the exported channels,
their payouts, ad spend and email performance; the generator's own store (the same seed written
directly) is the truth it is compared with.

Fields a format cannot carry are left out of a comparison by name, with the format's reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from sasame import models as m
from sasame.db import make_engine, transaction, upgrade
from sasame.demo.context import DemoScale
from sasame.demo.exports.amazon import settlement_id
from sasame.demo.exports.shopify_payments import transaction_part
from sasame.demo.load import load_demo_store
from sasame.demo.service import generate_demo_store
from sasame.ingest.service import ImportSummary, import_file

END = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
SCALE = DemoScale(weeks=16, orders_per_week=70, skus=40)
EXPORTED_CHANNELS = ("shopify", "amazon", "etsy")
"""Wholesale has no platform export (its invoices are paid by bank transfer)."""


class RoundTrip:
    def __init__(self, store: Engine, imported: Engine, files: list[Path]) -> None:
        self.store, self.imported, self.files = store, imported, files
        self.first: list[ImportSummary] = []
        self.second: list[ImportSummary] = []


def _import_all(engine: Engine, files: list[Path]) -> list[ImportSummary]:
    summaries = []
    for path in files:
        with transaction(engine) as session:
            summaries.append(import_file(session, path, now=NOW))
    return summaries


@pytest.fixture(scope="module")
def trip(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RoundTrip]:
    folder = tmp_path_factory.mktemp("demo")
    store = make_engine(f"sqlite:///{folder / 'generated.db'}")
    upgrade(store)
    generate_demo_store(store, seed=11, scale=SCALE, end=END, now=NOW)
    loaded = make_engine(f"sqlite:///{folder / 'demo.db'}")
    summaries: list[ImportSummary] = []
    load_demo_store(loaded, folder / "exports", seed=11, scale=SCALE, end=END, now=NOW, summaries=summaries)
    files = [Path(summary.file) for summary in summaries]
    assert files and all(folder / "exports" in file.parents for file in files)
    result = RoundTrip(store, loaded, files)
    result.first = summaries
    result.second = _import_all(loaded, files)
    yield result
    store.dispose()
    loaded.dispose()


def _orders(engine: Engine) -> dict[tuple[str, str], Any]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                m.Channel.code,
                m.Order.id,
                m.Order.external_id,
                m.Order.number,
                m.Order.order_date,
                m.Order.subtotal,
                m.Order.discount_total,
                m.Order.shipping_total,
                m.Order.tax_total,
                m.Order.total,
                m.Order.financial_status,
            )
            .join(m.Channel, m.Channel.id == m.Order.channel_id)
            .where(m.Channel.code.in_(EXPORTED_CHANNELS))
        ).all()
        lines: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for line in connection.execute(
            select(
                m.OrderLine.order_id, m.OrderLine.sku, m.OrderLine.quantity, m.OrderLine.unit_price,
                m.OrderLine.discount,
            ).order_by(m.OrderLine.order_id, m.OrderLine.id)
        ):  # fmt: skip
            lines[line.order_id].append((line.sku, line.quantity, line.unit_price, line.discount))
    return {(row.code, row.external_id): (row, lines[row.id]) for row in rows}


def test_every_order_line_unit_and_cent_comes_back(trip: RoundTrip) -> None:
    generated, imported = _orders(trip.store), _orders(trip.imported)
    assert set(imported) == set(generated)
    assert {code for code, _ in generated} == set(EXPORTED_CHANNELS)
    for key, (order, lines) in generated.items():
        back, back_lines = imported[key]
        fields = (
            "number",
            "order_date",
            "subtotal",
            "discount_total",
            "shipping_total",
            "tax_total",
            "total",
        )
        assert [getattr(back, f) for f in fields] == [getattr(order, f) for f in fields], key
        if key[0] != "amazon":
            # Amazon's transaction report has Order rows only (refunds are left to the settlement,
            # which names no order status), so the importer marks every Amazon order paid.
            assert back.financial_status == order.financial_status, key
        # Line tax is left out: the Shopify CSV, Etsy and Amazon exports carry tax per order only.
        assert back_lines == lines, key


def test_units_and_money_totals_per_channel(trip: RoundTrip) -> None:
    def totals(engine: Engine) -> dict[str, tuple[int, Decimal]]:
        result: dict[str, tuple[int, Decimal]] = {}
        for (code, _), (order, lines) in _orders(engine).items():
            count, money = result.get(code, (0, Decimal(0)))
            result[code] = (count + sum(q for _, q, _, _ in lines), money + order.total)
        return result

    assert totals(trip.imported) == totals(trip.store)


def _payouts(engine: Engine, provider: str) -> list[Any]:
    with engine.connect() as connection:
        payouts = connection.execute(
            select(m.Payout.id, m.Payout.external_id, m.Payout.paid_on, m.Payout.amount, m.Payout.status)
            .where(m.Payout.provider == provider)
            .order_by(m.Payout.paid_on, m.Payout.id)
        ).all()
        lines: dict[int, list[Any]] = defaultdict(list)
        for line in connection.execute(
            select(m.PayoutLine.payout_id, m.PayoutLine.kind, m.PayoutLine.fee_type, m.PayoutLine.amount)
            .join(m.Payout, m.Payout.id == m.PayoutLine.payout_id)
            .where(m.Payout.provider == provider)
        ):
            lines[line.payout_id].append(line)
    return [(payout, lines[payout.id]) for payout in payouts]


def _by_kind(lines: list[Any], merge: dict[str, str] | None = None) -> dict[tuple[str, str | None], Decimal]:
    sums: dict[tuple[str, str | None], Decimal] = defaultdict(Decimal)
    for line in lines:
        kind = (merge or {}).get(line.kind, line.kind)
        sums[(kind, line.fee_type)] += line.amount
    return dict(sums)


def test_amazon_settlements_come_back_line_kind_by_line_kind(trip: RoundTrip) -> None:
    generated = _payouts(trip.store, "amazon")
    imported = {payout.external_id: (payout, lines) for payout, lines in _payouts(trip.imported, "amazon")}
    assert len(imported) == len(generated) > 0
    for payout, lines in generated:
        back, back_lines = imported[settlement_id(payout.external_id)]
        assert (back.paid_on, back.amount) == (payout.paid_on, payout.amount)
        assert sum(line.amount for line in back_lines) == back.amount
        assert _by_kind(back_lines) == _by_kind(lines)


# The Shopify Payments transactions export has one row per payment: a charge's Amount is the whole
# payment (the demo's principal, shipping and tax lines) and its Fee the processing fee. The
# chargeback fee is the chargeback row's Fee, which the export cannot tell from a processing fee.
SHOPIFY_CHARGE = {"shipping": "principal", "tax": "principal"}
SHOPIFY_FEE_TYPES = {"chargeback": "processing"}
SHOPIFY_KINDS = ("principal", "shipping", "tax", "fee", "refund", "chargeback")


def _shopify_by_kind(lines: list[Any]) -> dict[tuple[str, str | None], Decimal]:
    sums: dict[tuple[str, str | None], Decimal] = defaultdict(Decimal)
    for line in lines:
        fee_type = SHOPIFY_FEE_TYPES.get(line.fee_type, line.fee_type) if line.fee_type else None
        sums[(SHOPIFY_CHARGE.get(line.kind, line.kind), fee_type)] += line.amount
    return dict(sums)


def test_shopify_payments_payouts_come_back_line_kind_by_line_kind(trip: RoundTrip) -> None:
    generated = _payouts(trip.store, "shopify_payments")
    # Every kind of line the demo gives a Shopify payout has a transaction type (it holds no
    # reserves on Shopify); this small store may have no chargeback.
    kinds = {line.kind for _, lines in generated for line in lines}
    assert {"principal", "shipping", "tax", "fee", "refund"} <= kinds <= {*SHOPIFY_KINDS}
    # A payout is known by its payout date and currency (the 2025 export has no payout id).
    imported = {
        payout.paid_on: (payout, lines) for payout, lines in _payouts(trip.imported, "shopify_payments")
    }
    assert len(imported) == len(generated) > 0
    assert {payout.status for payout, _ in generated} == {"paid", "in_transit"}
    for payout, lines in generated:
        back, back_lines = imported[payout.paid_on]
        assert back.external_id == f"{payout.paid_on.isoformat()} USD"
        assert (back.paid_on, back.amount, back.status) == (payout.paid_on, payout.amount, payout.status)
        assert sum(line.amount for line in back_lines) == back.amount
        assert _shopify_by_kind(back_lines) == _shopify_by_kind(lines), payout.paid_on


def test_the_payments_exports_refund_rows_are_the_generators_shopify_refunds(trip: RoundTrip) -> None:
    # What the import made of the refund rows (before the load swapped in the generator's own
    # refunds, which also name their return and their tax): one refund per Shopify refund, to the cent.
    with trip.store.connect() as connection:
        generated = connection.execute(
            select(m.Refund.amount)
            .join(m.Order, m.Order.id == m.Refund.order_id)
            .join(m.Channel, m.Channel.id == m.Order.channel_id)
            .where(m.Channel.code == "shopify")
        ).all()
    payments = [s for s in trip.first if s.format == "shopify.payments_transactions_csv"]
    assert sum(s.records.get("refund", {}).get("created", 0) for s in payments) == len(generated) > 0
    assert sum(s.money["refunds"]["USD"] for s in payments if "refunds" in s.money) == sum(
        amount for (amount,) in generated
    )
    assert not [w for s in payments for w in s.warnings if "not imported yet" in w]
    # Imported again into the loaded store, each is known already (same order, amount and moment).
    again = [s for s in trip.second if s.format == "shopify.payments_transactions_csv"]
    assert sum(s.records.get("refund", {}).get("created", 0) for s in again) == 0
    with trip.imported.connect() as loaded, trip.store.connect() as store:
        assert sorted(loaded.execute(select(m.Refund.amount)).scalars()) == sorted(
            store.execute(select(m.Refund.amount)).scalars()
        )


def test_every_shopify_payments_line_kind_has_a_transaction_row() -> None:
    # The round-trip store is too small for chargebacks; their rows are checked here.
    assert [transaction_part(kind, fee_type, amount) for kind, fee_type, amount in (
        ("principal", None, 1), ("shipping", None, 1), ("tax", None, 1), ("fee", "processing", -1),
        ("refund", None, -1), ("chargeback", None, -1), ("fee", "chargeback", -1), ("chargeback", None, 1),
    )] == [
        ("charge", "amount"), ("charge", "amount"), ("charge", "amount"), ("charge", "fee"),
        ("refund", "amount"), ("chargeback", "amount"), ("chargeback", "fee"), ("chargeback_won", "amount"),
    ]  # fmt: skip
    with pytest.raises(ValueError, match="reserve"):
        transaction_part("reserve", None, -1)


# The Etsy statement's Sale row is the whole payment (items, shipping and the sales tax Etsy
# collects) and a Tax row takes the tax out again: the demo's principal + shipping lines are the
# statement's principal + tax lines.
ETSY_SALES = {"principal": "sales", "shipping": "sales", "tax": "sales"}


def test_etsy_deposits_come_back_and_every_statement_line_is_counted_once(trip: RoundTrip) -> None:
    generated = _payouts(trip.store, "etsy")
    imported = _payouts(trip.imported, "etsy")
    paid = [(payout, lines) for payout, lines in generated if payout.status == "paid"]
    deposits = [(payout, lines) for payout, lines in imported if payout.status == "paid"]
    # A deposit is known by its day and amount (the statement has no payout id).
    assert [(p.paid_on, p.amount) for p, _ in deposits] == [(p.paid_on, p.amount) for p, _ in paid]
    exact = 0
    for (payout, lines), (back, back_lines) in zip(paid, deposits, strict=True):
        assert sum(line.amount for line in back_lines) == back.amount == payout.amount
        # Statements are monthly, so a week that crosses a month's end is split between two
        # deposits by 'reserve' lines that carry the Etsy balance; the other weeks come back whole.
        if not any(line.kind == "reserve" for line in back_lines):
            assert _by_kind(back_lines, ETSY_SALES) == _by_kind(lines, ETSY_SALES)
            exact += 1
    assert exact >= len(paid) // 3
    everything = [line for _, lines in generated for line in lines]
    statement = [line for _, lines in imported for line in lines if line.kind != "reserve"]
    assert _by_kind(statement, ETSY_SALES) == _by_kind(everything, ETSY_SALES)
    # What the statement shows after the last deposit is carried forward: the payouts not sent yet.
    carried = sum(line.amount for _, lines in imported for line in lines if line.kind == "reserve")
    assert carried == -sum((p.amount for p, _ in generated if p.status != "paid"), Decimal(0))


def _ad_days(engine: Engine) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    with engine.connect() as connection:
        return {
            (row.platform, row.campaign, row.ad_set, row.ad, row.spend_date): (
                row.spend, row.currency, row.impressions, row.clicks, row.conversions, row.conversion_value,
            )
            for row in connection.execute(
                select(
                    m.AdCampaign.platform,
                    m.AdCampaign.external_id.label("campaign"),
                    m.AdSet.external_id.label("ad_set"),
                    m.Ad.external_id.label("ad"),
                    m.AdSpendDay.spend_date,
                    m.AdSpendDay.spend,
                    m.AdSpendDay.currency,
                    m.AdSpendDay.impressions,
                    m.AdSpendDay.clicks,
                    m.AdSpendDay.conversions,
                    m.AdSpendDay.conversion_value,
                )
                .join(m.Ad, m.Ad.id == m.AdSpendDay.ad_id)
                .join(m.AdSet, m.AdSet.id == m.Ad.ad_set_id)
                .join(m.AdCampaign, m.AdCampaign.id == m.AdSet.campaign_id)
                .where(m.AdCampaign.platform.in_(("google", "meta")))
            )
        }  # fmt: skip


def test_every_ad_spend_day_comes_back(trip: RoundTrip) -> None:
    generated = _ad_days(trip.store)
    assert {key[0] for key in generated} == {"google", "meta"}
    assert _ad_days(trip.imported) == generated


def _email_days(engine: Engine) -> dict[tuple[Any, ...], Any]:
    with engine.connect() as connection:
        return {
            (row.kind, row.external_id, row.performance_date): row
            for row in connection.execute(
                select(
                    m.EmailCampaign.kind,
                    m.EmailCampaign.external_id,
                    m.EmailPerformanceDay.performance_date,
                    m.EmailPerformanceDay.recipients,
                    m.EmailPerformanceDay.delivered,
                    m.EmailPerformanceDay.opens,
                    m.EmailPerformanceDay.clicks,
                    m.EmailPerformanceDay.unsubscribes,
                    m.EmailPerformanceDay.conversions,
                    m.EmailPerformanceDay.revenue,
                )
                .join(m.EmailCampaign, m.EmailCampaign.id == m.EmailPerformanceDay.email_campaign_id)
                .where(m.EmailCampaign.platform == "klaviyo")
            )
        }


COUNTS = ("delivered", "opens", "clicks", "unsubscribes", "conversions", "revenue")


def test_every_email_performance_day_comes_back(trip: RoundTrip) -> None:
    generated, imported = _email_days(trip.store), _email_days(trip.imported)
    flows = {key: row for key, row in generated.items() if key[0] == "flow"}
    assert flows and {key for key in imported if key[0] == "flow"} == set(flows)
    for key, row in flows.items():
        back = imported[key]
        assert [getattr(back, c) for c in COUNTS] == [getattr(row, c) for c in COUNTS], key
        # The flow export has no recipients column: they come back from Bounce Rate over
        # deliveries, which cannot say how many were sent on a day when nothing was delivered.
        if row.delivered:
            assert back.recipients == row.recipients, key
    # Klaviyo's campaigns export sums each campaign over its life into one row, which sasame
    # dates on the send day: per campaign, every count and cent comes back.
    campaign_totals: dict[str, list[Any]] = defaultdict(lambda: [0] * (len(COUNTS) + 1))
    for (kind, external_id, _), row in generated.items():
        if kind == "campaign":
            for i, c in enumerate(("recipients", *COUNTS)):
                campaign_totals[external_id][i] += getattr(row, c)
    back_campaigns = {
        key[1]: [getattr(row, c) for c in ("recipients", *COUNTS)]
        for key, row in imported.items()
        if key[0] == "campaign"
    }
    assert back_campaigns == dict(campaign_totals)


def test_importing_the_same_files_again_changes_nothing(trip: RoundTrip) -> None:
    assert len(trip.second) == len(trip.files)
    for summary in trip.second:
        for entity, counts in summary.records.items():
            assert counts["created"] == counts["updated"] == 0, (summary.file, entity, counts)


def test_import_summaries_add_up_to_the_stores_sql_sums(trip: RoundTrip) -> None:
    summed: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for summary in trip.first:
        for label, by_currency in summary.money.items():
            summed[(summary.format, label)] += by_currency.get("USD", Decimal(0))
    with trip.store.connect() as connection:

        def order_total(code: str) -> Decimal:
            return _decimal(
                select(_sum(m.Order.total))
                .join(m.Channel, m.Channel.id == m.Order.channel_id)
                .where(m.Channel.code == code)
            )

        def payouts(provider: str, *, paid_only: bool = False) -> Decimal:
            query = select(_sum(m.Payout.amount)).where(m.Payout.provider == provider)
            if paid_only:
                query = query.where(m.Payout.status == "paid")
            return _decimal(query)

        def spend(platform: str) -> Decimal:
            return _decimal(
                select(_sum(m.AdSpendDay.spend))
                .join(m.Ad, m.Ad.id == m.AdSpendDay.ad_id)
                .join(m.AdSet, m.AdSet.id == m.Ad.ad_set_id)
                .join(m.AdCampaign, m.AdCampaign.id == m.AdSet.campaign_id)
                .where(m.AdCampaign.platform == platform)
            )

        def _decimal(query: Any) -> Decimal:
            value = connection.scalar(query)
            assert isinstance(value, Decimal)
            return value

        email = _decimal(select(_sum(m.EmailPerformanceDay.revenue)))
        expected = {
            ("shopify.orders_csv", "order_total"): order_total("shopify"),
            ("amazon.transaction_report", "order_total"): order_total("amazon"),
            ("etsy.sold_orders", "order_total"): order_total("etsy"),
            ("etsy.sold_order_items", "order_total"): order_total("etsy"),
            ("amazon.settlement_v2", "payouts"): payouts("amazon"),
            # Transactions of payouts still in transit are in the export too (Payout Status 'in transit').
            ("shopify.payments_transactions_csv", "payouts"): payouts("shopify_payments"),
            # The statement shows deposits sent; a payout still in transit is not one yet.
            ("etsy.statement", "payouts"): payouts("etsy", paid_only=True),
            ("google_ads.report", "ad_spend"): spend("google"),
            ("meta_ads.report", "ad_spend"): spend("meta"),
            ("klaviyo.campaigns", "email_revenue"): Decimal(0),
            ("klaviyo.flows", "email_revenue"): Decimal(0),
        }
        campaign_revenue = _decimal(
            select(_sum(m.EmailPerformanceDay.revenue))
            .join(m.EmailCampaign, m.EmailCampaign.id == m.EmailPerformanceDay.email_campaign_id)
            .where(m.EmailCampaign.kind == "campaign")
        )
        expected[("klaviyo.campaigns", "email_revenue")] = campaign_revenue
        expected[("klaviyo.flows", "email_revenue")] = email - campaign_revenue
    assert {key: summed[key] for key in expected} == expected
    assert all(value > 0 for value in expected.values())


def _sum(column: Any) -> Any:
    from sqlalchemy import func

    return func.coalesce(func.sum(column), 0).label("total")
