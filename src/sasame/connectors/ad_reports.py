"""What the ad-platform exports (Google Ads, Meta Ads, Amazon Ads) share: rows onto the
campaign → ad set → ad hierarchy, one AdSpendRecord per ad per day.

Reports come at any level. A row that names no ad (a campaign or ad group report) lands on a
synthetic ad that stands for the whole level, with a stable external id, so that the same report
imported again, or over an overlapping date range, updates the same rows:

    campaign report   → ad set '(campaign total)', ad '(campaign total)'
    ad group report   → the ad set,                ad '(ad set total)'
    ad report         → the ad set,                the ad

Finer breakdowns (keywords, search terms, devices, placements) are summed into the ad (or
synthetic ad) they belong to, so a keyword report and an ad group report of the same days land
on the same rows instead of counting the spend twice. Reports at two different levels of the
same campaign would still count it twice; each connector's README says to import one level.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from sasame.connectors.base import ParseContext
from sasame.connectors.files import Row, derived_id, parse_amount
from sasame.connectors.records import AdSpendRecord, SourceRef
from sasame.core.errors import InputError
from sasame.core.money import MAX_AMOUNT, MAX_COUNT

CAMPAIGN_TOTAL = "(campaign total)"
ID_LENGTH, NAME_LENGTH = 100, 300
"""The schema's limits (ad_campaign, ad_set, ad): longer values are damaged cells, not names."""
AD_SET_TOTAL = "(ad set total)"


@dataclass(frozen=True)
class AdPath:
    """Where a report row sits in the campaign → ad set → ad hierarchy (external ids and names)."""

    campaign_id: str
    campaign_name: str
    ad_set_id: str
    ad_set_name: str
    ad_id: str
    ad_name: str

    @classmethod
    def of(
        cls,
        row: Row,
        campaign_column: str,
        *,
        campaign_id: str | None,
        campaign_name: str | None,
        ad_set_id: str | None = None,
        ad_set_name: str | None = None,
        ad_id: str | None = None,
        ad_name: str | None = None,
    ) -> AdPath:
        """Build the path from what the row has; ids missing from the export are derived from names."""
        if not campaign_id and not campaign_name:
            raise row.error(campaign_column, "is empty but a campaign is required")
        campaign = campaign_id or derived_id(campaign_name or "")
        if ad_set_id or ad_set_name:
            ad_set = ad_set_id or derived_id(ad_set_name or "")
            ad_set_label = ad_set_name or ad_set_id or ""
        else:
            ad_set = ad_set_label = CAMPAIGN_TOTAL
        if ad_id or ad_name:
            ad = ad_id or derived_id(ad_name or "")
            ad_label = ad_name or ad_id or ""
        else:
            ad = ad_label = AD_SET_TOTAL if ad_set != CAMPAIGN_TOTAL else CAMPAIGN_TOTAL
        path = cls(campaign, campaign_name or campaign_id or "", ad_set, ad_set_label, ad, ad_label)
        for value, limit in (
            (path.campaign_id, ID_LENGTH),
            (path.ad_set_id, ID_LENGTH),
            (path.ad_id, ID_LENGTH),
            (path.campaign_name, NAME_LENGTH),
            (path.ad_set_name, NAME_LENGTH),
            (path.ad_name, NAME_LENGTH),
        ):
            if len(value) > limit:
                column = next((name for name, cell in row.values.items() if cell and value in cell), None)
                raise row.error(column or campaign_column, f"is longer than {limit} characters")
        return path


@dataclass
class _Day:
    path: AdPath
    day: date
    currency: str
    first_row: Row
    rows: list[Row] = field(default_factory=list)
    spend: Decimal = Decimal(0)
    impressions: int = 0
    clicks: int = 0
    conversions: Decimal = Decimal(0)
    conversion_value: Decimal = Decimal(0)
    creative: str | None = None


class AdSpendDays:
    """Sums a report's rows into one record per ad per day, in the order the days first appear.

    `columns` names, for errors, the report's column of each figure: impressions, clicks,
    conversions, spend and conversion_value. A day whose sum the database cannot hold is a damaged
    cell, refused by its first row and that column."""

    def __init__(self, platform: str, origin: str, columns: Mapping[str, str]) -> None:
        self.platform, self.origin, self.columns = platform, origin, columns
        self._days: dict[tuple[str, str, str, date], _Day] = {}

    def add(
        self,
        row: Row,
        path: AdPath,
        day: date,
        *,
        currency: str,
        spend: Decimal,
        impressions: int,
        clicks: int,
        conversions: Decimal,
        conversion_value: Decimal,
        creative: str | None = None,
    ) -> None:
        key = (path.campaign_id, path.ad_set_id, path.ad_id, day)
        current = self._days.get(key)
        if current is None:
            current = self._days[key] = _Day(path, day, currency, row, creative=creative)
        elif current.currency != currency:
            raise InputError(
                f"is in {currency} but row {current.first_row.number} of the same ad and day is in "
                f"{current.currency}",
                file=row.file,
                row=row.number,
            )
        current.rows.append(row)
        current.spend += spend
        current.impressions += impressions
        current.clicks += clicks
        current.conversions += conversions
        current.conversion_value += conversion_value

    def records(self, context: ParseContext) -> list[AdSpendRecord]:
        """The summed days; fractional conversions (data-driven attribution) are rounded, with a warning."""
        records = []
        fractional = 0
        for (campaign, ad_set, ad, day), summed in self._days.items():
            conversions = summed.conversions.to_integral_value(rounding=ROUND_HALF_EVEN)
            if conversions != summed.conversions:
                fractional += 1
            payload = (
                dict(summed.rows[0].values)
                if len(summed.rows) == 1
                else {"rows": [dict(row.values) for row in summed.rows]}
            )
            path = summed.path
            records.append(
                AdSpendRecord(
                    platform=self.platform,
                    campaign_external_id=path.campaign_id,
                    campaign_name=path.campaign_name,
                    ad_set_external_id=path.ad_set_id,
                    ad_set_name=path.ad_set_name,
                    ad_external_id=path.ad_id,
                    ad_name=path.ad_name,
                    spend_date=day,
                    spend=summed.spend,
                    currency=summed.currency,
                    impressions=summed.impressions,
                    clicks=summed.clicks,
                    conversions=int(conversions),
                    conversion_value=summed.conversion_value,
                    creative=summed.creative,
                    source=SourceRef(
                        self.origin,
                        f"{campaign}/{ad_set}/{ad}/{day.isoformat()}",
                        summed.first_row.number,
                        payload,
                    ),
                )
            )
        if fractional:
            context.warn(
                f"{fractional} ad day(s) report fractional conversions (data-driven attribution); "
                "they are rounded to whole conversions, the conversion value is kept exact"
            )
        for record in records:
            self._check_fits(record)
        return records

    def _check_fits(self, record: AdSpendRecord) -> None:
        count_limit = Decimal(MAX_COUNT)
        figures = (
            ("impressions", Decimal(record.impressions), count_limit),
            ("clicks", Decimal(record.clicks), count_limit),
            ("conversions", Decimal(record.conversions), count_limit),
            ("spend", record.spend, MAX_AMOUNT),
            ("conversion_value", record.conversion_value, MAX_AMOUNT),
        )
        for figure, value, limit in figures:
            if abs(value) > limit:
                raise InputError(
                    f"is {value}, more than an ad's day can hold ({limit})",
                    row=record.source.row_number,
                    column=self.columns.get(figure, figure),
                )


def number_or_zero(row: Row, column: str, decimal_comma: bool) -> Decimal:
    """A report's count or amount cell, exactly; an empty cell (or '--') counts as zero."""
    value = row.text(column)
    if value is None:
        return Decimal(0)
    try:
        return parse_amount(value, decimal_comma=decimal_comma)
    except ValueError:
        raise row.error(column, f"{value!r} is not a number") from None


def row_day(row: Row, day_column: str, start_column: str, end_column: str, formats: tuple[str, ...]) -> date:
    """The row's day: its day column when the report is broken down by day, else a one-day range."""
    if row.text(day_column) is not None:
        day = row.day(day_column, formats=formats, required=True)
        assert day is not None
        return day
    starts = row.day(start_column, formats=formats, required=True)
    ends = row.day(end_column, formats=formats, required=True)
    assert starts is not None and ends is not None
    return single_day(row, starts, ends, start_column)


def single_day(row: Row, starts: date, ends: date, start_column: str) -> date:
    """The day of a row whose report covers [starts, ends]; a multi-day sum cannot be split into days."""
    if starts != ends:
        raise row.error(
            start_column,
            f"this row sums {starts.isoformat()} to {ends.isoformat()} into one figure; "
            "export the report broken down by day so each day gets its own row",
        )
    return starts


CURRENCY_SYMBOLS = {"£": "GBP", "€": "EUR", "¥": "JPY", "₹": "INR"}


def currency_code(row: Row, column: str, default: str) -> str:
    """The ISO 4217 code in a currency column ('usd' reads as USD); the default where it is empty."""
    value = row.text(column)
    if value is None:
        return default
    if not re.fullmatch(r"[A-Za-z]{3}", value):
        raise row.error(column, f"{value!r} is not a currency code")
    return value.upper()


def currency_of(cell: str | None, default: str) -> str:
    """The currency a money cell's symbol names ('£1,012.40' is GBP); '$' and bare numbers: the default."""
    for symbol, code in CURRENCY_SYMBOLS.items():
        if cell and symbol in cell:
            return code
    return default
