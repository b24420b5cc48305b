"""variant unit cost: the platform's cost per item (Shopify 'Cost per item')

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sasame.models.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("variant") as batch:
        batch.add_column(sa.Column("unit_cost", sasame.models.base.Amount(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("variant") as batch:
        batch.drop_column("unit_cost")
