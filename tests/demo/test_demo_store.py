"""The demo store is deterministic, internally consistent to the cent, and realistic where it matters."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select, text

from sasame import models as m
from sasame.core.errors import UserError
from sasame.db import make_engine, transaction, upgrade
from sasame.demo.context import DemoScale
from sasame.demo.service import generate_demo_store

END = date(2026, 11, 2)
NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
SCALE = DemoScale(weeks=60, orders_per_week=120, skus=60)


def _generate(engine: Engine, seed: int = 7, scale: DemoScale = SCALE) -> dict:
    return generate_demo_store(engine, seed=seed, scale=scale, end=END, now=NOW)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, dict]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'store.db'}")
    upgrade(engine)
    summary = _generate(engine)
    yield engine, summary
    engine.dispose()


def _scalar(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


def _rows(engine: Engine, sql: str, **params: object) -> list:
    with engine.connect() as connection:
        return connection.execute(text(sql), params).all()


DIGEST_TABLES = (
    "variant",
    "customer",
    '"order"',
    "order_line",
    "shipment",
    "stock_movement",
    "purchase_order_line",
    "payout",
    "payout_line",
    '"return"',
    "refund",
    "chargeback",
    "bank_transaction",
)


def _digest(engine: Engine) -> str:
    digest = hashlib.sha256()
    with engine.connect() as connection:
        for table in DIGEST_TABLES:
            for row in connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY id"):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_same_seed_gives_the_same_store_and_another_seed_another(tmp_path):
    small = DemoScale(weeks=20, orders_per_week=60, skus=30)
    digests = []
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        engine = make_engine(f"sqlite:///{tmp_path / name}.db")
        upgrade(engine)
        _generate(engine, seed=seed, scale=small)
        digests.append(_digest(engine))
        engine.dispose()
    assert digests[0] == digests[1]
    assert digests[0] != digests[2]


def test_summary_and_setting(store):
    engine, summary = store
    assert summary["first_day"] == "2025-09-08"
    assert summary["last_day"] == "2026-11-01"
    assert summary["skus"] == 60
    assert summary["orders"] == _scalar(engine, 'SELECT COUNT(*) FROM "order"')
    assert _rows(engine, "SELECT name, currency, timezone FROM business_setting") == [
        ("Sasame Goods Co.", "USD", "America/New_York")
    ]
    assert [r[0] for r in _rows(engine, "SELECT code FROM channel ORDER BY id")] == [
        "shopify",
        "amazon",
        "etsy",
        "wholesale",
    ]
    assert [r[0] for r in _rows(engine, "SELECT kind FROM location ORDER BY id")] == ["warehouse", "fba"]


def test_refuses_a_database_that_holds_orders(store):
    engine, _ = store
    with pytest.raises(UserError, match="already holds orders"):
        _generate(engine)


def test_every_commerce_entity_group_is_populated(store):
    engine, _ = store
    for table in (
        "product",
        "variant",
        "bundle_component",
        "supplier",
        "supplier_term",
        "purchase_order",
        "purchase_order_line",
        "stock_level",
        "stock_movement",
        "customer",
        '"order"',
        "order_line",
        "shipment",
        "tracking_event",
        '"return"',
        "return_line",
        "refund",
        "chargeback",
        "payout",
        "payout_line",
        "bank_transaction",
        "ground_truth",
        "source_record",
    ):
        assert _scalar(engine, f"SELECT COUNT(*) FROM {table}") > 0, table


def test_catalogue_has_exactly_the_active_skus_bundles_and_dying_ones(store):
    engine, _ = store
    assert _scalar(engine, "SELECT COUNT(*) FROM variant WHERE is_active") == 60
    assert (
        _scalar(engine, "SELECT COUNT(*) FROM variant WHERE NOT is_active AND discontinued_on IS NOT NULL")
        >= 3
    )
    assert _scalar(engine, "SELECT COUNT(*) FROM variant WHERE is_bundle") >= 3
    assert _scalar(engine, "SELECT COUNT(DISTINCT bundle_variant_id) FROM bundle_component") >= 3
    assert _scalar(engine, "SELECT COUNT(*) FROM variant WHERE size IN ('S','M','L','XL')") > 20
    assert _scalar(engine, "SELECT COUNT(*) FROM variant WHERE barcode IS NULL OR length(barcode) != 12") == 0
    # Selling a bundle moves its components' stock, never the bundle's own.
    assert (
        _scalar(
            engine,
            "SELECT COUNT(*) FROM stock_movement s JOIN variant v ON v.id = s.variant_id WHERE v.is_bundle",
        )
        == 0
    )
    assert (
        _scalar(
            engine,
            "SELECT COUNT(*) FROM stock_movement s JOIN order_line l ON l.id = s.order_line_id "
            "JOIN variant v ON v.id = l.variant_id WHERE v.is_bundle",
        )
        > 0
    )


def test_order_totals_add_up_to_the_cent(store):
    engine, _ = store
    assert (
        _scalar(
            engine,
            'SELECT COUNT(*) FROM "order" '
            "WHERE total != subtotal - discount_total + shipping_total + tax_total",
        )
        == 0
    )
    assert (
        _scalar(
            engine,
            """
        SELECT COUNT(*) FROM "order" o JOIN (
            SELECT order_id, SUM(unit_price * quantity) AS gross, SUM(discount) AS discount, SUM(tax) AS tax
            FROM order_line GROUP BY order_id) l ON l.order_id = o.id
        WHERE l.gross != o.subtotal * 1 OR l.discount != o.discount_total OR l.tax != o.tax_total
    """,
        )
        == 0
    )
    assert _scalar(engine, "SELECT MIN(n) FROM (SELECT COUNT(*) AS n FROM order_line GROUP BY order_id)") == 1
    assert _scalar(engine, "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM order_line GROUP BY order_id)") == 4


def test_every_payout_is_the_exact_sum_of_its_lines(store):
    engine, _ = store
    mismatched = _scalar(
        engine,
        """
        SELECT COUNT(*) FROM payout p
        JOIN (SELECT payout_id, SUM(amount) AS total FROM payout_line GROUP BY payout_id) l
        ON l.payout_id = p.id WHERE l.total != p.amount
    """,
    )
    assert mismatched == 0
    kinds = {r[0] for r in _rows(engine, "SELECT DISTINCT kind FROM payout_line")}
    assert {"principal", "shipping", "tax", "fee", "refund", "chargeback", "reserve"} <= kinds
    paid = _rows(engine, "SELECT external_id, paid_on, amount FROM payout WHERE status = 'paid' ORDER BY id")
    with transaction(engine) as session:
        matches = session.scalar(
            select(m.GroundTruth.value).where(m.GroundTruth.kind == "bank_deposit_matches")
        )
        bank = {t.external_id: t for t in session.scalars(select(m.BankTransaction))}
    assert sorted(matches.values()) == sorted(row[0] for row in paid)
    by_payout = {payout: bank[fit] for fit, payout in matches.items()}
    for external_id, paid_on, amount in paid:
        assert str(by_payout[external_id].posted_on) == str(paid_on)
        assert by_payout[external_id].amount == Decimal(amount) / 10_000


def test_fees_follow_each_channels_rates(store):
    engine, _ = store
    with transaction(engine) as session:

        def fees(code: str) -> tuple[m.Order, dict[str, Decimal]]:
            order = session.scalars(
                select(m.Order)
                .join(m.Channel, m.Channel.id == m.Order.channel_id)
                .where(m.Channel.code == code, m.Order.financial_status == "paid")
                .order_by(m.Order.id)
                .limit(1)
            ).one()
            lines = session.execute(
                select(m.PayoutLine.fee_type, m.PayoutLine.amount).where(
                    m.PayoutLine.order_id == order.id, m.PayoutLine.kind == "fee"
                )
            ).all()
            return order, {fee_type: amount for fee_type, amount in lines}

        cent = Decimal("0.01")
        order, shopify = fees("shopify")
        assert shopify == {
            "processing": -(
                (order.total * Decimal("0.029")).quantize(cent, "ROUND_HALF_UP") + Decimal("0.30")
            )
        }
        order, etsy = fees("etsy")
        units = sum(
            line.quantity
            for line in session.scalars(select(m.OrderLine).where(m.OrderLine.order_id == order.id))
        )
        base = order.subtotal - order.discount_total + order.shipping_total
        assert etsy == {
            "transaction": -(base * Decimal("0.065")).quantize(cent, "ROUND_HALF_UP"),
            "processing": -(
                (order.total * Decimal("0.03")).quantize(cent, "ROUND_HALF_UP") + Decimal("0.25")
            ),
            "listing": -Decimal("0.20") * units,
        }
        order, amazon = fees("amazon")
        base = order.subtotal - order.discount_total + order.shipping_total
        assert amazon["commission"] == -max(
            (base * Decimal("0.15")).quantize(cent, "ROUND_HALF_UP"), Decimal("0.30")
        )
        assert amazon["fba_fulfilment"] < 0


def test_stock_levels_equal_the_sum_of_movements(store):
    engine, _ = store
    assert (
        _scalar(
            engine,
            """
        SELECT COUNT(*) FROM stock_level s LEFT JOIN (
            SELECT variant_id, location_id, SUM(quantity) AS units
            FROM stock_movement GROUP BY variant_id, location_id
        ) m ON m.variant_id = s.variant_id AND m.location_id = s.location_id
        WHERE COALESCE(m.units, 0) != s.on_hand
    """,
        )
        == 0
    )
    assert _scalar(engine, "SELECT COUNT(*) FROM stock_level WHERE on_hand < 0 OR reserved < 0") == 0
    kinds = {r[0] for r in _rows(engine, "SELECT DISTINCT kind FROM stock_movement")}
    assert kinds == {"receipt", "sale", "return", "adjustment", "transfer_out", "transfer_in", "write_off"}
    assert _scalar(engine, "SELECT COUNT(*) FROM stock_movement WHERE unit_cost IS NULL") == 0


def test_stockouts_happen_and_are_in_the_ground_truth(store):
    engine, _ = store
    with transaction(engine) as session:
        summary = session.scalar(select(m.GroundTruth.value).where(m.GroundTruth.kind == "demand_summary"))
        stockouts = session.scalars(select(m.GroundTruth.value).where(m.GroundTruth.kind == "stockout")).all()
        sku = session.scalars(select(m.GroundTruth.value).where(m.GroundTruth.kind == "sku_demand")).all()
    assert summary["lost_units"] > 0
    assert 0.02 < summary["lost_units"] / summary["demanded_units"] < 0.2
    assert sum(s["total_lost_units"] for s in stockouts) == summary["lost_units"]
    assert len(stockouts) >= 10
    assert len(sku) == _scalar(engine, "SELECT COUNT(*) FROM variant")
    # Sold + lost = demanded, per SKU and day.
    for value in sku[:5]:
        assert len(value["daily_demand_units"]) == 7 * 60


def test_suppliers_differ_in_real_lead_times_and_some_pos_are_late(store):
    engine, _ = store
    assert _scalar(engine, "SELECT COUNT(*) FROM supplier") >= 5
    rows = _rows(
        engine,
        "SELECT supplier_id, ordered_at, received_on, expected_on FROM purchase_order "
        "WHERE received_on IS NOT NULL",
    )
    leads: dict[int, list[int]] = {}
    late = 0
    for supplier, ordered_at, received_on, expected_on in rows:
        ordered = date.fromisoformat(str(ordered_at)[:10])
        leads.setdefault(supplier, []).append((date.fromisoformat(str(received_on)) - ordered).days)
        late += date.fromisoformat(str(received_on)) > date.fromisoformat(str(expected_on))
    means = sorted(sum(v) / len(v) for v in leads.values())
    assert len(means) >= 5 and means[-1] - means[0] > 20
    assert late > 0
    assert (
        _scalar(engine, "SELECT COUNT(*) FROM purchase_order_line WHERE quantity_received < quantity_ordered")
        > 0
    )


def test_q4_peak_and_weekly_cycle(store):
    engine, _ = store
    q4 = _scalar(
        engine,
        """SELECT SUM(subtotal) / COUNT(DISTINCT order_date) FROM "order"
        WHERE order_date >= '2025-10-01' AND order_date < '2026-01-01'""",
    )
    q2 = _scalar(
        engine,
        """SELECT SUM(subtotal) / COUNT(DISTINCT order_date) FROM "order"
        WHERE order_date >= '2026-04-01' AND order_date < '2026-07-01'""",
    )
    assert q4 > 1.15 * q2
    by_weekday = dict(
        _rows(engine, """SELECT strftime('%w', order_date), COUNT(*) FROM "order" GROUP BY 1""")
    )
    assert by_weekday["1"] > 1.1 * by_weekday["6"]  # Monday busier than Saturday


def test_channel_mix_by_revenue(store):
    engine, _ = store
    rows = dict(
        _rows(
            engine,
            'SELECT c.code, SUM(o.subtotal) FROM "order" o '
            "JOIN channel c ON c.id = o.channel_id GROUP BY c.code",
        )
    )
    total = sum(rows.values())
    share = {code: value / total for code, value in rows.items()}
    assert 0.40 < share["shopify"] < 0.60
    assert 0.20 < share["amazon"] < 0.40
    assert 0.06 < share["etsy"] < 0.20
    assert 0.02 < share["wholesale"] < 0.15


def test_repeat_buying_and_acquisition_sources(store):
    engine, _ = store
    repeat = _scalar(
        engine,
        """
        SELECT AVG(CASE WHEN n >= 2 THEN 1.0 ELSE 0.0 END) FROM (
            SELECT o.customer_id, COUNT(*) AS n FROM "order" o JOIN channel c ON c.id = o.channel_id
            WHERE c.code = 'shopify' GROUP BY o.customer_id)
    """,
    )
    assert 0.20 <= repeat <= 0.40
    sources = {r[0] for r in _rows(engine, "SELECT DISTINCT acquisition_source FROM customer")}
    assert sources == {"google", "meta", "email", "organic", "direct", "amazon", "etsy", "wholesale"}
    masked = _scalar(
        engine,
        "SELECT AVG(CASE WHEN email IS NULL THEN 1.0 ELSE 0.0 END) FROM customer "
        "WHERE acquisition_source = 'amazon'",
    )
    assert masked > 0.8
    utm = {
        tuple(r)
        for r in _rows(
            engine,
            """
        SELECT DISTINCT o.utm_source, o.utm_medium FROM "order" o
        JOIN channel c ON c.id = o.channel_id WHERE c.code = 'shopify'
    """,
        )
    }
    assert utm == {
        ("google", "cpc"),
        ("facebook", "paid_social"),
        ("instagram", "paid_social"),
        ("klaviyo", "email"),
        (None, None),
    }


def test_returns_are_size_driven_and_recent_orders_are_still_moving(store):
    engine, _ = store
    reasons = dict(
        _rows(
            engine,
            """
        SELECT r.reason, COUNT(*) FROM "return" r JOIN return_line l ON l.return_id = r.id
        JOIN order_line ol ON ol.id = l.order_line_id JOIN variant v ON v.id = ol.variant_id
        WHERE v.size IS NOT NULL GROUP BY r.reason
    """,
        )
    )
    fit = reasons.get("too_small", 0) + reasons.get("too_large", 0)
    assert fit > 0.5 * sum(reasons.values())
    assert _scalar(engine, """SELECT COUNT(*) FROM "order" WHERE fulfillment_status = 'unfulfilled'""") > 0
    assert _scalar(engine, "SELECT COUNT(*) FROM shipment WHERE status = 'in_transit'") > 0
    oldest_event = _scalar(engine, "SELECT MIN(occurred_at) FROM tracking_event")
    assert str(oldest_event) >= "2026-08-01"
    cutoff = "2026-11-02 05:00:00"  # midnight in New York, in UTC
    for table, column in (
        ('"order"', "ordered_at"),
        ("shipment", "shipped_at"),
        ("tracking_event", "occurred_at"),
        ("refund", "refunded_at"),
    ):
        assert str(_scalar(engine, f"SELECT MAX({column}) FROM {table}")) < cutoff, table


@pytest.mark.slow
def test_generates_on_both_databases_and_reads_back_exactly(engine):
    summary = generate_demo_store(
        engine, seed=3, scale=DemoScale(weeks=12, orders_per_week=50, skus=24), end=END, now=NOW
    )
    with transaction(engine) as session:
        order = session.scalars(select(m.Order).order_by(m.Order.id).limit(1)).one()
        mismatched = session.scalar(
            select(func.count()).select_from(
                select(m.Payout.id)
                .join(m.PayoutLine, m.PayoutLine.payout_id == m.Payout.id)
                .group_by(m.Payout.id, m.Payout.amount)
                .having(func.sum(m.PayoutLine.amount) != m.Payout.amount)
                .subquery()
            )
        )
        total = session.scalar(select(func.sum(m.Order.total)))
        count = session.scalar(select(func.count()).select_from(m.Order))
    assert summary["orders"] == count > 0
    assert (
        isinstance(order.total, Decimal)
        and order.total == order.subtotal - order.discount_total + order.shipping_total + order.tax_total
    )
    assert order.ordered_at.tzinfo == UTC
    assert isinstance(total, Decimal)
    assert mismatched == 0
