"""bank csv mappings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sasame.models.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bank_csv_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("account", sa.String(length=60), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("date_column", sa.String(length=100), nullable=False),
        sa.Column("date_format", sa.String(length=40), nullable=False),
        sa.Column("amount_column", sa.String(length=100), nullable=True),
        sa.Column("debit_column", sa.String(length=100), nullable=True),
        sa.Column("credit_column", sa.String(length=100), nullable=True),
        sa.Column("description_column", sa.String(length=100), nullable=False),
        sa.Column("id_column", sa.String(length=100), nullable=True),
        sa.Column("balance_column", sa.String(length=100), nullable=True),
        sa.Column("decimal_comma", sa.Boolean(), nullable=False),
        sa.Column("created_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_csv_mapping")),
        sa.UniqueConstraint("name", name=op.f("uq_bank_csv_mapping_name")),
    )


def downgrade() -> None:
    op.drop_table("bank_csv_mapping")
