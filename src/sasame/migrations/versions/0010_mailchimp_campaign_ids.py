"""Mailchimp campaigns stored under the export's Unique Id move to the id both exports share

Before the single-campaign report was read, the all-campaigns export keyed a campaign by its
10-hex-digit `Unique Id`. Both exports now key it by its title, send minute (UTC) and recipients
(`connectors.mailchimp.campaigns.campaign_id`), so without this a re-import of the same export
would store each old campaign a second time. A campaign already stored under both ids (the new
export imported before this migration) keeps the new record, which the later import wrote; the old
one and its performance row are removed.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 12:10:00
"""

import hashlib
import re
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNIQUE_ID = re.compile(r"[0-9a-f]{10}")
CAMPAIGNS_FORMAT = "mailchimp.campaigns"

campaign = sa.table(
    "email_campaign",
    sa.column("id", sa.Integer),
    sa.column("platform", sa.String),
    sa.column("external_id", sa.String),
    sa.column("name", sa.String),
    sa.column("sent_at", sa.DateTime),
)
performance = sa.table(
    "email_performance_day",
    sa.column("email_campaign_id", sa.Integer),
    sa.column("recipients", sa.Integer),
)
source_record = sa.table(
    "source_record",
    sa.column("id", sa.Integer),
    sa.column("origin", sa.String),
    sa.column("natural_key", sa.String),
)


def shared_id(title: str, sent_at: datetime, recipients: int) -> str:
    """`campaign_id` as of this revision, copied so that the migration never changes with the code."""
    if sent_at.tzinfo is None:  # SQLite hands back the stored UTC instant without its zone
        sent_at = sent_at.replace(tzinfo=UTC)
    minute = sent_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
    names = ("mailchimp campaign", title, minute, str(recipients))
    return "name:" + hashlib.sha256("\x1f".join(names).encode("utf-8")).hexdigest()[:16]


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            campaign.c.id,
            campaign.c.external_id,
            campaign.c.name,
            campaign.c.sent_at,
            performance.c.recipients,
        )
        .join(performance, performance.c.email_campaign_id == campaign.c.id)
        .where(campaign.c.platform == "mailchimp", campaign.c.sent_at.is_not(None))
    ).all()
    stored = set(
        bind.execute(sa.select(campaign.c.external_id).where(campaign.c.platform == "mailchimp")).scalars()
    )
    for row in rows:
        if not UNIQUE_ID.fullmatch(row.external_id):
            continue
        new_id = shared_id(row.name, row.sent_at, row.recipients)
        if new_id in stored:
            bind.execute(sa.delete(performance).where(performance.c.email_campaign_id == row.id))
            bind.execute(sa.delete(campaign).where(campaign.c.id == row.id))
            continue
        bind.execute(sa.update(campaign).where(campaign.c.id == row.id).values(external_id=new_id))
        # The raw row keeps its key in step, so that the next import of the export updates it.
        bind.execute(
            sa.update(source_record)
            .where(source_record.c.origin == CAMPAIGNS_FORMAT, source_record.c.natural_key == row.external_id)
            .values(natural_key=new_id)
        )
        stored.add(new_id)


def downgrade() -> None:
    # The Unique Id is still in each raw row, but nothing reads campaigns by it any more.
    pass
