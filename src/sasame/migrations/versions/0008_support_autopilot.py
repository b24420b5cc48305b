"""support: the owner's policy and human review of the engine's answers

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sasame.models.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "support_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_policy")),
        sa.UniqueConstraint("key", name=op.f("uq_support_policy_key")),
    )
    with op.batch_alter_table("support_ticket") as batch:
        batch.add_column(sa.Column("review_outcome", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("reviewed_intent", sa.String(length=30), nullable=True))
        batch.add_column(
            sa.Column("reviewed_at", sasame.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("reviewed_by", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("support_ticket") as batch:
        batch.drop_column("reviewed_by")
        batch.drop_column("reviewed_at")
        batch.drop_column("reviewed_intent")
        batch.drop_column("review_outcome")
    op.drop_table("support_policy")
