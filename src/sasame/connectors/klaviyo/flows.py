"""Klaviyo flow performance export: one row per flow message per day.

Each row becomes an EmailPerformanceRecord of kind 'flow' for that message and day, with the flow's
name in flow_name. The export gives deliveries, unique opens, clicks and orders as counts but
unsubscribes and bounces only as rates over deliveries (or recipients), so those counts are
computed back from the rates and rounded.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from sasame.connectors.base import FileFormat, ParseContext, header_line
from sasame.connectors.files import SourceFile, derived_id
from sasame.connectors.klaviyo.counts import bounded, count, recipients_from_bounces
from sasame.connectors.records import EmailPerformanceRecord, SourceRef

DAY_FORMATS = ("%m/%d/%Y", "%Y-%m-%d")


class KlaviyoFlows(FileFormat):
    name = "klaviyo.flows"
    title = "Klaviyo flow performance export, per day (CSV)"

    def detect(self, file: SourceFile) -> bool:
        header = set(header_line(file))
        return {"Day", "Flow Name", "Flow Message Name"} <= header

    def parse(self, file: SourceFile, context: ParseContext) -> Iterator[EmailPerformanceRecord]:
        table = file.table()
        table.require("Day", "Flow Name", "Flow Message Name")
        context.rows_read = len(table.rows)
        seen: dict[str, int] = {}
        for row in table.rows:
            flow_name = bounded(row, "Flow Name", row.required_text("Flow Name"), 200)
            message_name = bounded(row, "Flow Message Name", row.required_text("Flow Message Name"), 300)
            day = row.day("Day", formats=DAY_FORMATS, required=True)
            assert day is not None
            # Message ids are unique in the account; without them the flow and message names identify it.
            external_id = bounded(
                row,
                "Flow Message ID",
                row.text("Flow Message ID") or derived_id(flow_name, message_name),
                100,
            )
            key = f"{external_id}/{day.isoformat()}"
            if key in seen:
                raise row.error("Day", f"repeats message {external_id} on {day} of row {seen[key]}")
            seen[key] = row.number
            delivered = row.integer("Delivered") or 0
            recipients = (
                row.integer("Recipients") or 0
                if row.text("Recipients") is not None
                else recipients_from_bounces(row, delivered)
            )
            yield EmailPerformanceRecord(
                platform="klaviyo",
                external_id=external_id,
                kind="flow",
                name=message_name,
                flow_name=flow_name,
                performance_date=day,
                recipients=recipients,
                delivered=delivered,
                opens=count(row, "Unique Opens", rate_column="Open Rate", base=delivered),
                clicks=count(row, "Unique Clicks", rate_column="Click Rate", base=delivered),
                unsubscribes=count(row, "Unsubscribes", rate_column="Unsub Rate", base=delivered),
                conversions=count(row, "Placed Order", rate_column="Placed Order Rate", base=delivered),
                revenue=row.money("Revenue") or Decimal(0),
                currency=context.currency,
                source=SourceRef(self.name, key, row.number, dict(row.values)),
            )
