"""finance: the chart of accounts, journal entries, postings and cost layers

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sasame.models.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("pnl_line", sa.String(length=40), nullable=True),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(length=40), nullable=True),
        sa.Column("is_clearing", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channel.id"], name=op.f("fk_ledger_account_channel_id_channel")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_account")),
        sa.UniqueConstraint("code", name=op.f("uq_ledger_account_code")),
    )
    op.create_table(
        "journal_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("occurred_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("cause", sa.String(length=40), nullable=False),
        sa.Column("cause_id", sa.Integer(), nullable=False),
        sa.Column("memo", sa.String(length=300), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channel.id"], name=op.f("fk_journal_entry_channel_id_channel")
        ),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_record.id"],
            name=op.f("fk_journal_entry_source_record_id_source_record"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entry")),
        sa.UniqueConstraint("cause", "cause_id", "kind", name=op.f("uq_journal_entry_cause_cause_id_kind")),
    )
    with op.batch_alter_table("journal_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_journal_entry_business_day"), ["business_day"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_journal_entry_source_record_id"), ["source_record_id"], unique=False
        )

    op.create_table(
        "posting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount", sasame.models.base.Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("store_amount", sasame.models.base.Amount(), nullable=False),
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("variant_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["ledger_account.id"], name=op.f("fk_posting_account_id_ledger_account")
        ),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], name=op.f("fk_posting_channel_id_channel")),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entry.id"], name=op.f("fk_posting_entry_id_journal_entry")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["order.id"], name=op.f("fk_posting_order_id_order")),
        sa.ForeignKeyConstraint(["variant_id"], ["variant.id"], name=op.f("fk_posting_variant_id_variant")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posting")),
    )
    with op.batch_alter_table("posting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_posting_account_id"), ["account_id"], unique=False)
        batch_op.create_index("ix_posting_business_day_account", ["business_day", "account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_posting_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_posting_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_posting_variant_id"), ["variant_id"], unique=False)

    op.create_table(
        "cost_layer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("remaining_value", sasame.models.base.Amount(), nullable=False),
        sa.Column("unit_cost", sasame.models.base.Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("purchase_order_line_id", sa.Integer(), nullable=True),
        sa.Column("stock_movement_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_cost_layer_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_line_id"],
            ["purchase_order_line.id"],
            name=op.f("fk_cost_layer_purchase_order_line_id_purchase_order_line"),
        ),
        sa.ForeignKeyConstraint(
            ["stock_movement_id"],
            ["stock_movement.id"],
            name=op.f("fk_cost_layer_stock_movement_id_stock_movement"),
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["variant.id"], name=op.f("fk_cost_layer_variant_id_variant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cost_layer")),
    )
    with op.batch_alter_table("cost_layer", schema=None) as batch_op:
        batch_op.create_index("ix_cost_layer_variant_opened", ["variant_id", "opened_at"], unique=False)


def downgrade() -> None:
    op.drop_table("cost_layer")
    op.drop_table("posting")
    op.drop_table("journal_entry")
    op.drop_table("ledger_account")
