"""Migration 0009 creates exactly the planning tables the models describe; an empty store plans."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sasame.inventory.service import plan_step
from sasame.jobs.pipeline import STEPS
from sasame.models import Base

PLANNING_TABLES = {"inventory_plan", "inventory_forecast", "reorder_suggestion"}


def test_migration_matches_the_planning_models(engine: Engine):
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    mine = [d for d in differences if any(table in repr(d) for table in PLANNING_TABLES)]
    assert mine == []
    assert set(Base.metadata.tables) >= PLANNING_TABLES


def test_an_empty_store_gets_an_empty_plan_from_the_daily_step(engine: Engine):
    assert "inventory.plan" in [step.name for step in STEPS]
    with Session(engine) as session, session.begin():
        summary = plan_step(session, datetime(2025, 3, 12, 3, 30, tzinfo=UTC))
    assert summary["suggestions"] == 0 and summary["stockout_risks"] == 0
    assert summary["order_value"] == "0.00"
