"""`load_demo_store`, what `sasame demo` runs: lineage of what came through the import, the generator's
ids kept so that what no export carries refers to the imported orders, determinism, and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from sasame import models as m
from sasame.business.service import configure_business
from sasame.core.errors import UserError
from sasame.db import make_engine, transaction, upgrade
from sasame.demo.context import DemoScale
from sasame.demo.load import default_exports_folder, load_demo_store
from sasame.demo.service import generate_demo_store
from sasame.ingest.service import ImportSummary

END = date(2026, 2, 2)
NOW = datetime(2026, 2, 2, 15, 0, tzinfo=UTC)
SCALE = DemoScale(weeks=10, orders_per_week=40, skus=24)
COPIED_AS_GENERATED = (
    "shipment",
    "tracking_event",
    '"return"',
    "return_line",
    "refund",
    "chargeback",
    "stock_movement",
    "stock_level",
    "purchase_order",
    "purchase_order_line",
    "marketing_touchpoint",
    "support_ticket",
    "support_message",
    "customer",
    "variant",
)
"""Tables no export carries, copied row for row with the generator's ids: their order and order
line ids are right only because the imported orders took the generator's ids."""


def _load(folder: Path, seed: int = 5, summaries: list[ImportSummary] | None = None) -> Engine:
    engine = make_engine(f"sqlite:///{folder / 'demo.db'}")
    load_demo_store(engine, folder / "exports", seed=seed, scale=SCALE, end=END, now=NOW, summaries=summaries)
    return engine


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, Engine, list[ImportSummary]]:
    generated = make_engine(f"sqlite:///{tmp_path_factory.mktemp('generated') / 'generated.db'}")
    upgrade(generated)
    generate_demo_store(generated, seed=5, scale=SCALE, end=END, now=NOW)
    summaries: list[ImportSummary] = []
    loaded = _load(tmp_path_factory.mktemp("loaded"), summaries=summaries)
    return generated, loaded, summaries


def _table_digest(engine: Engine, table: str, *, skip_kinds: tuple[str, ...] = ()) -> str:
    digest = hashlib.sha256()
    query = f"SELECT * FROM {table} ORDER BY id"
    with engine.connect() as connection:
        for row in connection.exec_driver_sql(query):
            if table == "ground_truth" and row.kind in skip_kinds:
                continue
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_orders_came_through_the_import_with_lineage(stores) -> None:
    _, loaded, summaries = stores
    with loaded.connect() as connection:
        by_channel = dict(
            connection.execute(
                select(m.Channel.code, func.count(m.Order.id))
                .join(m.Order, m.Order.channel_id == m.Channel.id)
                .where(m.Order.source_record_id.is_not(None))
                .group_by(m.Channel.code)
            ).all()
        )
        all_orders = dict(
            connection.execute(
                select(m.Channel.code, func.count(m.Order.id))
                .join(m.Order, m.Order.channel_id == m.Channel.id)
                .group_by(m.Channel.code)
            ).all()
        )
        orphans = connection.scalar(
            select(func.count())
            .select_from(m.Order)
            .join(m.SourceRecord, m.SourceRecord.id == m.Order.source_record_id)
            .where(m.SourceRecord.source_file_id.is_(None))
        )
        files = connection.scalar(select(func.count()).select_from(m.SourceFile))
        paid_lines = connection.scalar(
            select(func.count()).select_from(m.PayoutLine).where(m.PayoutLine.source_record_id.is_not(None))
        )
        spend_days = connection.scalar(
            select(func.count()).select_from(m.AdSpendDay).where(m.AdSpendDay.source_record_id.is_not(None))
        )
    # Every Shopify, Amazon and Etsy order has a source record in a kept file; wholesale has no export.
    assert set(by_channel) == {"shopify", "amazon", "etsy"}
    assert {code: all_orders[code] for code in by_channel} == by_channel
    assert all_orders["wholesale"] > 0
    assert orphans == 0
    assert files == len(summaries) > 20
    assert {s.format for s in summaries} >= {
        "shopify.orders_csv",
        "shopify.payments_transactions_csv",
        "amazon.settlement_v2",
        "amazon.transaction_report",
        "etsy.sold_order_items",
        "etsy.statement",
        "meta_ads.report",
        "google_ads.report",
        "klaviyo.flows",
    }
    assert paid_lines > 0 and spend_days > 0


def test_imported_orders_keep_the_generators_ids_so_everything_else_refers_to_them(stores) -> None:
    generated, loaded, _ = stores

    def keys(engine: Engine) -> dict[int, tuple[str, str, int | None]]:
        # The customer too: Amazon and Etsy exports name no buyer, the generator's is kept.
        with engine.connect() as connection:
            return {
                row.id: (row.code, row.external_id, row.customer_id)
                for row in connection.execute(
                    select(m.Order.id, m.Channel.code, m.Order.external_id, m.Order.customer_id).join(
                        m.Channel, m.Channel.id == m.Order.channel_id
                    )
                )
            }

    assert keys(loaded) == keys(generated)
    for table in COPIED_AS_GENERATED:
        assert _table_digest(loaded, table) == _table_digest(generated, table), table
    # The ground truth is the generator's, except which payout each bank deposit pays: the loaded
    # store knows its payouts by the ids the exports give them.
    assert _table_digest(loaded, "ground_truth", skip_kinds=("bank_deposit_matches",)) == _table_digest(
        generated, "ground_truth", skip_kinds=("bank_deposit_matches",)
    )


def test_bank_deposit_truth_names_the_loaded_payouts(stores) -> None:
    _, loaded, _ = stores
    with loaded.connect() as connection:
        matches = connection.scalar(
            select(m.GroundTruth.value).where(m.GroundTruth.kind == "bank_deposit_matches")
        )
        payouts = dict(connection.execute(select(m.Payout.external_id, m.Payout.provider)).all())
        bank = {
            row.external_id: row.amount
            for row in connection.execute(select(m.BankTransaction.external_id, m.BankTransaction.amount))
        }
        amounts = dict(connection.execute(select(m.Payout.external_id, m.Payout.amount)).all())
    assert matches and set(matches) <= set(bank)
    assert {payouts[external_id] for external_id in matches.values()} >= {
        "shopify_payments",
        "amazon",
        "etsy",
    }
    for bank_line, external_id in matches.items():
        assert amounts[external_id] == bank[bank_line], bank_line


def test_the_same_seed_loads_the_same_store(stores, tmp_path: Path) -> None:
    _, loaded, _ = stores
    again = _load(tmp_path)
    tables = [table.name for table in m.Base.metadata.sorted_tables if "id" in table.c]
    assert [_table_digest(again, f'"{t}"') for t in tables] == [
        _table_digest(loaded, f'"{t}"') for t in tables
    ]


def test_refuses_a_store_that_holds_orders(stores, tmp_path: Path) -> None:
    _, loaded, _ = stores
    with pytest.raises(UserError, match="already holds orders"):
        load_demo_store(loaded, tmp_path / "exports", seed=5, scale=SCALE, end=END, now=NOW)


def test_default_exports_folder_is_next_to_the_sqlite_file(tmp_path: Path) -> None:
    assert default_exports_folder(f"sqlite:///{tmp_path / 'demo.db'}") == tmp_path / "demo-exports"
    assert default_exports_folder("postgresql+psycopg://u@localhost/shop") == Path("demo-exports")


@pytest.mark.slow
def test_loads_on_both_databases(engine: Engine, tmp_path: Path) -> None:
    scale = DemoScale(weeks=8, orders_per_week=20, skus=20)
    with transaction(engine) as session:  # as after `sasame init`: the settings row exists
        configure_business(session, name="Mine", currency="USD", timezone="America/Chicago", now=NOW)
    summary = load_demo_store(engine, tmp_path / "exports", seed=3, scale=scale, end=END, now=NOW)
    with engine.connect() as connection:
        orders = connection.scalar(select(func.count()).select_from(m.Order))
        total = connection.scalar(select(func.sum(m.Order.total)))
        lineage = connection.scalar(
            select(func.count()).select_from(m.Order).where(m.Order.source_record_id.is_not(None))
        )
        next_order = connection.scalar(select(func.max(m.Order.id)))
        settings = connection.execute(select(m.BusinessSetting.name, m.BusinessSetting.timezone)).all()
    reference = make_engine(f"sqlite:///{tmp_path / 'generated.db'}")
    upgrade(reference)
    generate_demo_store(reference, seed=3, scale=scale, end=END, now=NOW)
    with reference.connect() as connection:
        expected_total = connection.scalar(select(func.sum(m.Order.total)))
    reference.dispose()
    assert orders == summary["orders"] and 0 < lineage < orders
    assert total == expected_total
    assert next_order == orders
    assert settings == [("Sasame Goods Co.", "America/New_York")]
