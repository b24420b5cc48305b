"""keep imported files for drill-down

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 22:45:47.423804
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sasame.models.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "source_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("format", sa.String(length=60), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("imported_at", sasame.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_file")),
        sa.UniqueConstraint("digest", name=op.f("uq_source_file_digest")),
    )
    with op.batch_alter_table("source_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_file_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_source_record_source_file_id"), ["source_file_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_source_record_source_file_id_source_file"),
            "source_file",
            ["source_file_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("source_record", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_source_record_source_file_id_source_file"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_source_record_source_file_id"))
        batch_op.drop_column("source_file_id")

    op.drop_table("source_file")
