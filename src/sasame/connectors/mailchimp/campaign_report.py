"""Mailchimp single-campaign report (a campaign's report → Export as CSV): a vertical key/value
file, not a table (formats.md §7.2):

    Email Campaign Report
    "Title:","May Newsletter"
    "Subject Line:","New linen, old friends"
    "Delivery Date/Time:","Tue, May 5, 2026 9:30 am"

    "Overall Stats"
    "Total Recipients:","1,750"
    "Successful Deliveries:","1,731"
    "Bounces:","19 (1.1%)"
    "Recipients Who Opened:","525 (30.3%)"
    ...
    "Clicks by URL"
    "URL","Total Clicks","Unique Clicks"
    ...

It yields the same EmailPerformanceRecord as the campaign's row in the all-campaigns export, with
the same id (campaigns.campaign_id: title, send minute, recipients), so importing both updates one
record instead of counting the campaign twice. Counts written with their rate ('125 (7.2%)') are
read as the count. The report's keys are the columns of its errors: "row 9, column 'Total
Recipients:'".
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from decimal import Decimal

from sasame.connectors.base import FileFormat, ParseContext
from sasame.connectors.files import Row, SourceFile
from sasame.connectors.mailchimp.campaigns import TITLE_LENGTH, amount, bounded, campaign_id, count
from sasame.connectors.records import EmailPerformanceRecord, SourceRef
from sasame.core.errors import InputError

TITLE, DELIVERED_AT, RECIPIENTS = "Title:", "Delivery Date/Time:", "Total Recipients:"
OPENED, CLICKED = "Recipients Who Opened:", "Recipients Who Clicked:"
DELIVERIES, BOUNCES, UNSUBSCRIBES = "Successful Deliveries:", "Bounces:", "Total Unsubs:"
ORDERS, REVENUE = "Total Orders:", "Total Revenue:"
DELIVERY_FORMATS = (
    "%a, %b %d, %Y %I:%M %p",
    "%a, %b %d, %Y %H:%M",
    "%a, %B %d, %Y %I:%M %p",
    "%a, %B %d, %Y %H:%M",
    "%b %d, %Y %I:%M %p",
)
DETECTION_LINES = 40
_WITH_RATE = re.compile(r"^(?P<count>[^()]*?)\s*\(\s*[\d.,]+\s*%\s*\)$")
"""'125 (7.2%)': the count, then its rate in parentheses."""


class MailchimpCampaignReport(FileFormat):
    name = "mailchimp.campaign_report"
    title = "Mailchimp single-campaign report (CSV)"

    def detect(self, file: SourceFile) -> bool:
        keys = set()
        for line in file.head(16_384).split("\n")[:DETECTION_LINES]:
            first = line.split(",", 1)[0].strip().strip('"').strip()
            keys.add(first)
        return {TITLE, RECIPIENTS, OPENED} <= keys

    def parse(self, file: SourceFile, context: ParseContext) -> Iterator[EmailPerformanceRecord]:
        summary, lines = _summary(file)
        context.rows_read = lines
        title_row = _required(summary, TITLE, file.name)
        title = bounded(title_row, TITLE, title_row.required_text(TITLE), TITLE_LENGTH)
        sent_row = _required(summary, DELIVERED_AT, file.name)
        sent_at = sent_row.instant(
            DELIVERED_AT, formats=DELIVERY_FORMATS, timezone=context.timezone, required=True
        )
        assert sent_at is not None
        recipients = count(_required(summary, RECIPIENTS, file.name), RECIPIENTS)
        delivered = (
            count(summary[DELIVERIES], DELIVERIES)
            if DELIVERIES in summary
            else max(recipients - _count_of(summary, BOUNCES), 0)
        )
        sales_unknown = ORDERS not in summary and REVENUE not in summary
        if sales_unknown:
            context.warn(
                f"campaign '{title}': the report has no orders or revenue: recorded as 0 for a new "
                "campaign, and left as they are for one another export already gave them"
            )
        external_id = campaign_id(title, sent_at, recipients)
        yield EmailPerformanceRecord(
            platform="mailchimp",
            external_id=external_id,
            kind="campaign",
            name=title,
            performance_date=sent_at.astimezone(context.timezone).date(),
            sent_at=sent_at,
            recipients=recipients,
            delivered=delivered,
            opens=_count_of(summary, OPENED),
            clicks=_count_of(summary, CLICKED),
            unsubscribes=_count_of(summary, UNSUBSCRIBES),
            conversions=_count_of(summary, ORDERS),
            revenue=amount(summary[REVENUE], REVENUE) if REVENUE in summary else Decimal(0),
            currency=context.currency,
            sales_unknown=sales_unknown,
            source=SourceRef(
                self.name,
                external_id,
                title_row.number,
                {key: row.values[key] for key, row in summary.items()},
            ),
        )


def _summary(file: SourceFile) -> tuple[dict[str, Row], int]:
    """The report's 'Key:','value' rows above its first table (Clicks by URL), each as a one-cell
    Row numbered by its line; and how many non-blank lines the file has."""
    summary: dict[str, Row] = {}
    in_tables = False
    lines = 0
    reader = csv.reader(io.StringIO(file.text, newline=""))
    line_number = 1
    try:
        for cells in reader:
            line_number = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            lines += 1
            first = cells[0].strip()
            if first.lower().endswith("clicks by url"):
                in_tables = True  # URL rows and later sections are tables, not the campaign's stats
            if in_tables or not first.endswith(":"):
                continue
            if first in summary:
                raise InputError(
                    f"repeats {first!r} of row {summary[first].number}: an A/B test report (one block "
                    "per combination) is not read; import the all-campaigns export for this campaign",
                    file=file.name,
                    row=line_number,
                    column=first,
                )
            value = cells[1] if len(cells) > 1 else ""
            summary[first] = Row(file.name, line_number, {first: value})
    except csv.Error as error:
        raise InputError(f"is not a readable CSV file ({error})", file=file.name, row=line_number) from error
    return summary, lines


def _required(summary: dict[str, Row], key: str, file: str) -> Row:
    if key not in summary:
        raise InputError(f"has no {key!r} line, which a campaign report needs", file=file)
    return summary[key]


def _count_of(summary: dict[str, Row], key: str) -> int:
    """A count line's number, without the rate some are written with; 0 when the line is absent."""
    row = summary.get(key)
    if row is None:
        return 0
    match = _WITH_RATE.match((row.values[key] or "").strip())
    if match:
        row = Row(row.file, row.number, {key: match.group("count")})
    return count(row, key)
