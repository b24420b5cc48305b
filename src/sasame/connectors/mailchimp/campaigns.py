"""Mailchimp all-campaigns report export (Reports → Download): one row per sent campaign.

Like Klaviyo's, the export sums each campaign over its life, so a campaign becomes one
EmailPerformanceRecord dated on its send day in the store's timezone, updated by later exports.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from sasame.connectors.base import FileFormat, ParseContext, header_line
from sasame.connectors.files import Row, SourceFile, derived_id
from sasame.connectors.records import EmailPerformanceRecord, SourceRef

SEND_DATE_FORMATS = ("%b %d, %Y %I:%M %p", "%B %d, %Y %I:%M %p", "%m/%d/%y %H:%M", "%m/%d/%Y %H:%M")


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
            title = _bounded(row, "Title", row.required_text("Title"), 300)
            sent_at = row.instant(
                "Send Date", formats=SEND_DATE_FORMATS, timezone=context.timezone, required=True
            )
            assert sent_at is not None
            # Without the 10-hex 'Unique Id', title and send time identify a send (titles repeat).
            external_id = _bounded(
                row,
                "Unique Id",
                row.text("Unique Id") or derived_id(title, row.required_text("Send Date")),
                100,
            )
            if external_id in seen:
                raise row.error("Unique Id", f"repeats campaign {external_id} of row {seen[external_id]}")
            seen[external_id] = row.number
            recipients = _count(row, "Total Recipients")
            delivered = (
                _count(row, "Successful Deliveries")
                if row.text("Successful Deliveries") is not None
                else max(recipients - _count(row, "Total Bounces"), 0)
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
                opens=_count(row, "Unique Opens"),
                clicks=_count(row, "Unique Clicks"),
                unsubscribes=_count(row, "Unsubscribes"),
                conversions=_count(row, "Total Orders"),
                revenue=row.money("Total Revenue") or Decimal(0),
                currency=context.currency,
                source=SourceRef(self.name, external_id, row.number, dict(row.values)),
            )


def _count(row: Row, column: str) -> int:
    return row.integer(column) or 0


def _bounded(row: Row, column: str, value: str, limit: int) -> str:
    """The value if it fits the schema's column; longer is a damaged cell, refused by name."""
    if len(value) > limit:
        raise row.error(column, f"is longer than {limit} characters")
    return value
