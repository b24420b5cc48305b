"""Amazon Ads Sponsored Products console reports: campaign, ad group, advertised product and
search term reports, downloaded as CSV.

Shape (formats.md §3.5): an optional title row (`Sponsored Products Search Term Report`), then
the header, whose names drift in case and spelling (`ACoS`/`ACOS`) and several of which end with a
space; a `Date` column, or `Start Date`/`End Date` for a summary; money with symbols (`$ 16.22`);
7-day attributed orders and sales.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from sasame.connectors.ad_reports import (
    AdPath,
    AdSpendDays,
    currency_code,
    currency_of,
    number_or_zero,
    row_day,
)
from sasame.connectors.base import FileFormat, ParseContext
from sasame.connectors.files import Row, SourceFile, header_index, uses_decimal_comma
from sasame.connectors.records import AdSpendRecord
from sasame.core.errors import InputError

COLUMNS = {
    # lower-cased, single-spaced header → the name the parser reads
    "date": "Date",
    "start date": "Start Date",
    "end date": "End Date",
    "currency": "Currency",
    "campaign name": "Campaign Name",
    "campaign id": "Campaign Id",
    "ad group name": "Ad Group Name",
    "ad group id": "Ad Group Id",
    "advertised sku": "Advertised SKU",
    "advertised asin": "Advertised ASIN",
    "impressions": "Impressions",
    "clicks": "Clicks",
    "spend": "Spend",
    "7 day total sales": "7 Day Total Sales",
    "7 day total orders (#)": "7 Day Total Orders (#)",
    "7 day total orders": "7 Day Total Orders (#)",
}
DAY_FORMATS = ("%b %d, %Y", "%Y-%m-%d", "%m/%d/%Y", "%B %d, %Y")


def _canonical(name: str) -> str:
    return COLUMNS.get(re.sub(r"\s+", " ", name).strip().lower(), name)


def _is_header(cells: list[str]) -> bool:
    names = {_canonical(cell) for cell in cells}
    return {"Campaign Name", "Impressions", "Spend"} <= names and (
        "7 Day Total Sales" in names or "7 Day Total Orders (#)" in names
    )


class AmazonSponsoredProducts(FileFormat):
    name = "amazon_ads.sponsored_products"
    title = "Amazon Ads Sponsored Products report (CSV)"

    def detect(self, file: SourceFile) -> bool:
        return header_index(file.head(), _is_header, max_lines=5) is not None

    def parse(self, file: SourceFile, context: ParseContext) -> Iterator[AdSpendRecord]:
        skip = header_index(file.text, _is_header, max_lines=5)
        if skip is None:
            raise InputError(
                "has no Sponsored Products header (Campaign Name, Impressions, Spend, 7 Day Total Sales)",
                file=file.name,
            )
        table = file.table(skip_lines=skip)
        table.rename({name: _canonical(name) for name in table.header})
        context.rows_read = len(table.rows)
        decimal_comma = uses_decimal_comma(row.values.get("Spend") for row in table.rows)
        days = AdSpendDays("amazon_ads", self.name)
        for row in table.rows:
            spend_cell = row.text("Spend")
            days.add(
                row,
                AdPath.of(
                    row,
                    "Campaign Name",
                    campaign_id=row.text("Campaign Id"),
                    campaign_name=row.text("Campaign Name"),
                    ad_set_id=row.text("Ad Group Id"),
                    ad_set_name=row.text("Ad Group Name"),
                    **self._advertised_product(row),
                ),
                row_day(row, "Date", "Start Date", "End Date", DAY_FORMATS),
                currency=currency_code(row, "Currency", currency_of(spend_cell, context.currency)),
                spend=row.money("Spend", decimal_comma=decimal_comma) or Decimal(0),
                impressions=row.integer("Impressions", decimal_comma=decimal_comma) or 0,
                clicks=row.integer("Clicks", decimal_comma=decimal_comma) or 0,
                conversions=number_or_zero(row, "7 Day Total Orders (#)", decimal_comma),
                conversion_value=row.money("7 Day Total Sales", decimal_comma=decimal_comma) or Decimal(0),
            )
        yield from days.records(context)

    @staticmethod
    def _advertised_product(row: Row) -> dict[str, str | None]:
        """A product ad is its ASIN (or SKU) within the ad group; other reports name no ad."""
        asin, sku = row.text("Advertised ASIN"), row.text("Advertised SKU")
        if asin:
            return {"ad_id": f"asin:{asin}", "ad_name": sku or asin}
        if sku:
            return {"ad_id": f"sku:{sku}", "ad_name": sku}
        return {}
