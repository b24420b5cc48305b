"""inventory: plan runs, their per-SKU forecasts and reorder suggestions

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sasame.models.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inventory_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("made_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("plan_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("history_days", sa.Integer(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("lists", sa.JSON(), nullable=False),
        sa.Column("backtest", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_plan")),
    )
    op.create_index(op.f("ix_inventory_plan_made_at"), "inventory_plan", ["made_at"], unique=False)
    op.create_table(
        "inventory_forecast",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("forecast_date", sa.Date(), nullable=False),
        sa.Column("mean_units", sa.Float(), nullable=False),
        sa.Column("low_units", sa.Float(), nullable=False),
        sa.Column("high_units", sa.Float(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=40), nullable=False),
        sa.Column("demand_class", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["inventory_plan.id"],
            name=op.f("fk_inventory_forecast_plan_id_inventory_plan"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["variant.id"], name=op.f("fk_inventory_forecast_variant_id_variant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_forecast")),
    )
    op.create_index(
        "ix_inventory_forecast_plan_variant", "inventory_forecast", ["plan_id", "variant_id"], unique=False
    )
    op.create_index(
        op.f("ix_inventory_forecast_variant_id"), "inventory_forecast", ["variant_id"], unique=False
    )
    op.create_table(
        "reorder_suggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_cost", sasame.models.base.Amount(), nullable=False),
        sa.Column("cost", sasame.models.base.Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("order_by", sa.Date(), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=False),
        sa.Column("stockout_on", sa.Date(), nullable=True),
        sa.Column("inventory_position", sa.Integer(), nullable=False),
        sa.Column("reorder_point", sa.Float(), nullable=False),
        sa.Column("order_up_to", sa.Float(), nullable=False),
        sa.Column("safety_stock", sa.Float(), nullable=False),
        sa.Column("service_level", sa.Float(), nullable=False),
        sa.Column("daily_demand", sa.Float(), nullable=False),
        sa.Column("lead_time_days", sa.Float(), nullable=False),
        sa.Column("is_funded", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["inventory_plan.id"],
            name=op.f("fk_reorder_suggestion_plan_id_inventory_plan"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["supplier.id"], name=op.f("fk_reorder_suggestion_supplier_id_supplier")
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["variant.id"], name=op.f("fk_reorder_suggestion_variant_id_variant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reorder_suggestion")),
    )
    op.create_index(op.f("ix_reorder_suggestion_plan_id"), "reorder_suggestion", ["plan_id"], unique=False)
    op.create_index(
        op.f("ix_reorder_suggestion_supplier_id"), "reorder_suggestion", ["supplier_id"], unique=False
    )
    op.create_index(
        op.f("ix_reorder_suggestion_variant_id"), "reorder_suggestion", ["variant_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("reorder_suggestion")
    op.drop_table("inventory_forecast")
    op.drop_table("inventory_plan")
