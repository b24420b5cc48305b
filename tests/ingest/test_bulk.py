"""Rows written by the bulk writer read back through the ORM exactly, on SQLite and PostgreSQL."""

from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy import func, select

from sasame import models as m
from sasame.db import transaction
from sasame.ingest.bulk import next_id, reset_sequences, units_from_cents, write_rows


def _catalog(connection) -> None:
    write_rows(
        connection,
        m.Product,
        {
            "id": np.array([1]),
            "handle": ["tee"],
            "title": ["Tee"],
            "category": ["apparel"],
            "launched_on": np.array(["2025-03-01"], dtype="datetime64[D]"),
            "is_active": np.array([True]),
        },
    )
    write_rows(
        connection,
        m.Variant,
        {
            "id": np.arange(1, 4),
            "product_id": np.ones(3, dtype=np.int64),
            "sku": ["TEE-S", "TEE-M", "TEE-L"],
            "title": ["Tee S", "Tee M", "Tee L"],
            "price": np.array([199_900, 1, -12_345_678_912], dtype=np.int64),
            "currency": ["USD"] * 3,
            "is_bundle": np.array([False, True, False]),
            "is_active": np.array([True, True, False]),
            "discontinued_on": [None, date(2026, 1, 31), None],
            "weight_grams": np.ma.masked_array([180, 0, 200], mask=[False, True, False]),
        },
    )


def test_money_dates_and_flags_round_trip(engine):
    with engine.begin() as connection:
        _catalog(connection)
    with transaction(engine) as session:
        variants = session.scalars(select(m.Variant).order_by(m.Variant.id)).all()
        total = session.scalar(select(func.sum(m.Variant.price)))
        product = session.get(m.Product, 1)
    assert [v.price for v in variants] == [Decimal("19.99"), Decimal("0.0001"), Decimal("-1234567.8912")]
    assert total == Decimal("-1234547.9011")
    assert [v.is_bundle for v in variants] == [False, True, False]
    assert [v.discontinued_on for v in variants] == [None, date(2026, 1, 31), None]
    assert [v.weight_grams for v in variants] == [180, None, 200]
    assert product is not None and product.launched_on == date(2025, 3, 1)


def test_instants_round_trip_aware_utc_and_compare_with_orm_binds(engine):
    moments = np.array(
        ["2026-03-08 06:59:59.999999", "2026-03-08 07:00:00", "2026-11-01 05:30:15.123456"],
        dtype="datetime64[us]",
    )
    with engine.begin() as connection:
        write_rows(
            connection,
            m.BusinessSetting,
            {
                "id": np.arange(1, 4),
                "name": ["a", "b", "c"],
                "currency": ["USD"] * 3,
                "timezone": ["America/New_York"] * 3,
                "created_at": moments,
            },
        )
        write_rows(
            connection,
            m.Alert,
            {
                "id": np.array([1, 2]),
                "kind": ["k", "k"],
                "severity": ["info", "info"],
                "subject": ["s", "s"],
                "detail": ["d", "d"],
                "raised_at": [datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)],
                "resolved_at": np.array(["NaT", "2026-01-03T00:00:00"], dtype="datetime64[s]"),
            },
        )
        reset_sequences(connection, [m.BusinessSetting, m.Alert])
    with transaction(engine) as session:
        back = session.scalars(select(m.BusinessSetting.created_at).order_by(m.BusinessSetting.id)).all()
        later = session.scalars(
            select(m.BusinessSetting.name)
            .where(m.BusinessSetting.created_at >= datetime(2026, 3, 8, 7, tzinfo=UTC))
            .order_by(m.BusinessSetting.name)
        ).all()
        alerts = session.scalars(select(m.Alert).order_by(m.Alert.id)).all()
        # The sequence moved past the explicit ids, so an ORM insert takes the next one.
        session.add(
            m.BusinessSetting(
                name="d", currency="USD", timezone="UTC", created_at=datetime(2026, 1, 1, tzinfo=UTC)
            )
        )
        session.flush()
        fresh = session.scalar(select(func.max(m.BusinessSetting.id)))
    assert back == [
        datetime(2026, 3, 8, 6, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
        datetime(2026, 11, 1, 5, 30, 15, 123456, tzinfo=UTC),
    ]
    assert all(value.tzinfo == UTC for value in back)
    assert later == ["b", "c"]
    assert alerts[0].raised_at == datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert alerts[0].resolved_at is None
    assert alerts[1].resolved_at == datetime(2026, 1, 3, tzinfo=UTC)
    assert fresh == 4


def test_json_and_reserved_table_names(engine):
    with engine.begin() as connection:
        write_rows(
            connection,
            m.GroundTruth,
            {
                "id": np.array([1]),
                "kind": ["sku_demand"],
                "key": ["TEE-S"],
                "value": [{"rate": 1.5, "days": ["2026-01-01"]}],
            },
        )
        assert next_id(connection, m.GroundTruth) == 2
    with transaction(engine) as session:
        value = session.scalar(select(m.GroundTruth.value))
    assert value == {"rate": 1.5, "days": ["2026-01-01"]}


def test_float_money_is_refused(sqlite_engine):
    with pytest.raises(TypeError, match="float"), sqlite_engine.begin() as connection:
        write_rows(connection, m.Variant, {"price": np.array([1.5])})


def test_large_batches_are_chunked(engine):
    count = 2_345
    with engine.begin() as connection:
        write_rows(
            connection,
            m.Product,
            {
                "id": np.arange(1, count + 1),
                "handle": [f"p{i}" for i in range(count)],
                "title": ["t"] * count,
                "category": ["c"] * count,
                "is_active": np.ones(count, dtype=bool),
            },
            chunk_rows=1_000,
        )
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(m.Product)) == count


def test_cents_become_units():
    assert units_from_cents(np.array([1999, -5])).tolist() == [1_999_00, -500]
