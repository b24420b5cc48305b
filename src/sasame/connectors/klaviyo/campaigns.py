"""Klaviyo campaigns export (Analytics → Campaigns → Export): one row per campaign send.

The export sums each campaign over its whole life (opens and orders keep coming in for days), so a
campaign becomes one EmailPerformanceRecord dated on its send day in the store's timezone; a later
export of the same campaign updates that record.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from sasame.connectors.base import FileFormat, ParseContext, header_line
from sasame.connectors.files import SourceFile, derived_id
from sasame.connectors.klaviyo.counts import bounded, count
from sasame.connectors.records import EmailPerformanceRecord, SourceRef

SEND_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p")


class KlaviyoCampaigns(FileFormat):
    name = "klaviyo.campaigns"
    title = "Klaviyo campaigns export (CSV)"

    def detect(self, file: SourceFile) -> bool:
        header = set(header_line(file))
        return {"Campaign Name", "Send Time"} <= header and bool(
            {"Total Recipients", "Unique Opens", "Campaign ID"} & header
        )

    def parse(self, file: SourceFile, context: ParseContext) -> Iterator[EmailPerformanceRecord]:
        table = file.table()
        table.require("Campaign Name", "Send Time")
        context.rows_read = len(table.rows)
        seen: dict[str, int] = {}
        sms = 0
        for row in table.rows:
            name = bounded(row, "Campaign Name", row.required_text("Campaign Name"), 300)
            sent_at = row.instant(
                "Send Time", formats=SEND_TIME_FORMATS, timezone=context.timezone, required=True
            )
            assert sent_at is not None
            # Name-only exports: the name and send time identify a send (the same name is reused).
            external_id = bounded(
                row,
                "Campaign ID",
                row.text("Campaign ID") or derived_id(name, row.required_text("Send Time")),
                100,
            )
            if external_id in seen:
                raise row.error("Campaign ID", f"repeats campaign {external_id} of row {seen[external_id]}")
            seen[external_id] = row.number
            if (row.text("Campaign Channel") or "Email").lower() == "sms":
                sms += 1
            recipients = row.integer("Total Recipients") or 0
            delivered = (
                row.integer("Successful Deliveries")
                if row.text("Successful Deliveries") is not None
                else max(recipients - (row.integer("Bounces") or 0), 0)
            )
            assert delivered is not None
            yield EmailPerformanceRecord(
                platform="klaviyo",
                external_id=external_id,
                kind="campaign",
                name=name,
                performance_date=sent_at.astimezone(context.timezone).date(),
                recipients=recipients,
                delivered=delivered,
                opens=count(row, "Unique Opens", rate_column="Open Rate", base=delivered),
                clicks=count(row, "Unique Clicks", rate_column="Click Rate", base=delivered),
                unsubscribes=count(row, "Unsubscribes", rate_column="Unsubscribe Rate", base=delivered),
                conversions=count(
                    row, "Unique Placed Order", rate_column="Placed Order Rate", base=delivered
                ),
                revenue=row.money("Revenue") or Decimal(0),
                currency=context.currency,
                sent_at=sent_at,
                source=SourceRef(self.name, external_id, row.number, dict(row.values)),
            )
        if sms:
            context.warn(f"{sms} SMS campaign(s) are imported with the email ones (Campaign Channel SMS)")
