"""finance: operating expenses, exchange rates, reconciliation exceptions and the daily P&L rollup

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sasame.models.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "operating_expense",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("amount", sasame.models.base.Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("recurrence", sa.String(length=10), nullable=False),
        sa.Column("created_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operating_expense")),
    )
    op.create_table(
        "exchange_rate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("from_currency", sa.String(length=3), nullable=False),
        sa.Column("to_currency", sa.String(length=3), nullable=False),
        sa.Column("rate", sasame.models.base.Amount(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("payout_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["payout_id"], ["payout.id"], name=op.f("fk_exchange_rate_payout_id_payout")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_rate")),
        sa.UniqueConstraint(
            "day",
            "from_currency",
            "to_currency",
            "source",
            name=op.f("uq_exchange_rate_day_from_currency_to_currency_source"),
        ),
    )
    op.create_index(op.f("ix_exchange_rate_day"), "exchange_rate", ["day"], unique=False)
    op.create_table(
        "reconciliation_exception",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("amount", sasame.models.base.Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("found_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_exception")),
        sa.UniqueConstraint(
            "kind", "subject", "subject_id", name=op.f("uq_reconciliation_exception_kind_subject_subject_id")
        ),
    )
    op.create_table(
        "pnl_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("variant_id", sa.Integer(), nullable=True),
        sa.Column("store_amount", sasame.models.base.Amount(), nullable=False),
        sa.Column("postings", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["ledger_account.id"], name=op.f("fk_pnl_day_account_id_ledger_account")
        ),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], name=op.f("fk_pnl_day_channel_id_channel")),
        sa.ForeignKeyConstraint(["variant_id"], ["variant.id"], name=op.f("fk_pnl_day_variant_id_variant")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pnl_day")),
    )
    op.create_index(
        "ix_pnl_day_business_day_account_id", "pnl_day", ["business_day", "account_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_pnl_day_business_day_account_id", table_name="pnl_day")
    op.drop_table("pnl_day")
    op.drop_table("reconciliation_exception")
    op.drop_index(op.f("ix_exchange_rate_day"), table_name="exchange_rate")
    op.drop_table("exchange_rate")
    op.drop_table("operating_expense")
