"""Mailchimp all-campaigns report export (Reports → Download): one row per sent campaign.

Like Klaviyo's, the export sums each campaign over its life, so a campaign becomes one
EmailPerformanceRecord dated on its send day in the store's timezone, updated by later exports.

A campaign's id is derived from its title, send minute and recipients (`campaign_id`), not from the
export's
`Unique Id`: the single-campaign report (campaign_report.py) has no id, only the title, the
delivery time and the counts, and both exports of one campaign must land on the same record.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

from sasame.connectors.base import FileFormat, ParseContext, header_line
from sasame.connectors.files import Row, SourceFile, derived_id
from sasame.connectors.records import EmailPerformanceRecord, SourceRef

SEND_DATE_FORMATS = ("%b %d, %Y %I:%M %p", "%B %d, %Y %I:%M %p", "%m/%d/%y %H:%M", "%m/%d/%Y %H:%M")
TITLE_LENGTH = 300
"""email_campaign.name; longer is a damaged cell."""


def campaign_id(title: str, sent_at: datetime, recipients: int) -> str:
    """The id both Mailchimp exports give a campaign: its title, the UTC minute it was sent and its
    recipients, the three facts both write and that never change after the send.

    Both exports write the send time to the minute in the account's timezone (read in the store's),
    so they agree. The recipients tell apart one title sent to two audiences at the same minute.
    """
    minute = sent_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
    return derived_id("mailchimp campaign", title, minute, str(recipients))


class MailchimpCampaigns(FileFormat):
    name = "mailchimp.campaigns"
    title = "Mailchimp campaigns report export (CSV)"

    def detect(self, file: SourceFile) -> bool:
        header = set(header_line(file))
        return {"Title", "Send Date", "Total Recipients"} <= header and bool(
            {"Unique Id", "Successful Deliveries"} & header
        )

    def parse(self, file: SourceFile, context: ParseContext) -> Iterator[EmailPerformanceRecord]:
        table = file.table()
        table.require("Title", "Send Date", "Total Recipients")
        context.rows_read = len(table.rows)
        seen: dict[str, int] = {}
        for row in table.rows:
            title = bounded(row, "Title", row.required_text("Title"), TITLE_LENGTH)
            sent_at = row.instant(
                "Send Date", formats=SEND_DATE_FORMATS, timezone=context.timezone, required=True
            )
            assert sent_at is not None
            recipients = count(row, "Total Recipients")
            external_id = campaign_id(title, sent_at, recipients)
            if external_id in seen:
                raise row.error(
                    "Send Date",
                    f"repeats the campaign of row {seen[external_id]} (same title, minute and recipients)",
                )
            seen[external_id] = row.number
            delivered = (
                count(row, "Successful Deliveries")
                if row.text("Successful Deliveries") is not None
                else max(recipients - count(row, "Total Bounces"), 0)
            )
            yield EmailPerformanceRecord(
                platform="mailchimp",
                external_id=external_id,
                kind="campaign",
                name=title,
                performance_date=sent_at.astimezone(context.timezone).date(),
                sent_at=sent_at,
                recipients=recipients,
                delivered=delivered,
                opens=count(row, "Unique Opens"),
                clicks=count(row, "Unique Clicks"),
                unsubscribes=count(row, "Unsubscribes"),
                conversions=count(row, "Total Orders"),
                revenue=amount(row, "Total Revenue"),
                currency=context.currency,
                source=SourceRef(self.name, external_id, row.number, dict(row.values)),
            )


def count(row: Row, column: str) -> int:
    """A count cell (empty is 0), refused by row and column when negative (`Row.integer` refuses
    one beyond what the schema holds)."""
    value = row.integer(column) or 0
    if value < 0:
        raise row.error(column, f"{value} is not a count of emails")
    return value


def amount(row: Row, column: str) -> Decimal:
    """A money cell (empty is 0; `Row.money` refuses one beyond what the schema holds)."""
    return row.money(column) or Decimal(0)


def bounded(row: Row, column: str, value: str, limit: int) -> str:
    """The value if it fits the schema's column; longer is a damaged cell, refused by name."""
    if len(value) > limit:
        raise row.error(column, f"is longer than {limit} characters")
    return value
