"""Amazon Ads console reports of the three sponsored ad products, as CSV or as the XLSX download:
Sponsored Products (campaign, ad group, advertised product, search term reports), Sponsored Brands
and Sponsored Display. One parser reads the family; each ad product is a format of its own so that
its records name it (in their lineage, and in the ids of campaigns known only by name).

Shape (formats.md §3.5): an optional title row (`Sponsored Products Search Term Report`), then
the header, whose names drift in case and spelling (`ACoS`/`ACOS`) and several of which end with a
space; a `Date` column, or `Start Date`/`End Date` for a summary; money with symbols (`$ 16.22`);
attributed orders and sales over the ad product's window: 7 days for Sponsored Products
(`7 Day Total Sales`), 14 days for Sponsored Brands and Display (`14 Day Total Sales`).

The 14-day header does not say whether a report is Brands or Display: its title row does, or the
XLSX download's sheet name. A 14-day report with neither matches both formats and the import asks
for --format rather than guessing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import ClassVar

from sasame.connectors.ad_reports import (
    AdPath,
    AdSpendDays,
    currency_code,
    currency_of,
    number_or_zero,
    row_day,
)
from sasame.connectors.base import FileFormat, ParseContext
from sasame.connectors.files import Row, SourceFile, derived_id, header_index, uses_decimal_comma
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
}
DAY_FORMATS = ("%b %d, %Y", "%Y-%m-%d", "%m/%d/%Y", "%B %d, %Y")
HEADER_SEARCH_LINES = 5
AD_PRODUCT_NAMES = ("Sponsored Products", "Sponsored Brands", "Sponsored Display")


def _stem(ad_product: str) -> str:
    """'sponsored product' for 'Sponsored Products': sheet names write it singular
    ('Sponsored Product Search Term R', cut at Excel's 31 characters)."""
    return ad_product.lower().removesuffix("s")


def _spaced(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().lower()


class AmazonAdsReport(FileFormat):
    """A console report of one ad product; subclasses name the product and its attribution window."""

    ad_product: ClassVar[str]
    """As the console writes it in title rows and sheet names: 'Sponsored Brands'."""
    attribution_days: ClassVar[int]
    campaign_id_scope: ClassVar[str | None]
    """Mixed into the ids derived from campaign names, so that a Brands and a Display campaign of
    the same name stay two campaigns; None for Sponsored Products, whose derived ids predate the
    other products and must not change."""

    @property
    def sales_column(self) -> str:
        return f"{self.attribution_days} Day Total Sales"

    @property
    def orders_column(self) -> str:
        return f"{self.attribution_days} Day Total Orders (#)"

    def _canonical(self, name: str) -> str:
        spaced = _spaced(name)
        if spaced == _spaced(self.sales_column):
            return self.sales_column
        if spaced in (_spaced(self.orders_column), _spaced(self.orders_column.removesuffix(" (#)"))):
            return self.orders_column
        return COLUMNS.get(spaced, name)

    def _is_header(self, cells: list[str]) -> bool:
        names = {self._canonical(cell) for cell in cells}
        return {"Campaign Name", "Impressions", "Spend"} <= names and bool(
            {self.sales_column, self.orders_column} & names
        )

    def _names_another_product(self, file: SourceFile, header_at: int) -> bool:
        """True when the title rows above the header, or the workbook's sheet name, name another
        ad product than this one (a Display report has the same 14-day header as a Brands one)."""
        sheet = file.sheet
        labels = " ".join([*file.head().split("\n")[:header_at], sheet.title if sheet is not None else ""])
        named = {product for product in AD_PRODUCT_NAMES if _stem(product) in labels.lower()}
        return bool(named) and self.ad_product not in named

    def detect(self, file: SourceFile) -> bool:
        header_at = header_index(file.head(), self._is_header, max_lines=HEADER_SEARCH_LINES)
        return header_at is not None and not self._names_another_product(file, header_at)

    def parse(self, file: SourceFile, context: ParseContext) -> Iterator[AdSpendRecord]:
        skip = header_index(file.text, self._is_header, max_lines=HEADER_SEARCH_LINES)
        if skip is None:
            raise InputError(
                f"has no {self.ad_product} header (Campaign Name, Impressions, Spend, {self.sales_column})",
                file=file.name,
            )
        table = file.table(skip_lines=skip)
        table.rename({name: self._canonical(name) for name in table.header})
        context.rows_read = len(table.rows)
        decimal_comma = uses_decimal_comma(row.values.get("Spend") for row in table.rows)
        days = AdSpendDays(
            "amazon_ads",
            self.name,
            {
                "impressions": "Impressions",
                "clicks": "Clicks",
                "conversions": self.orders_column,
                "spend": "Spend",
                "conversion_value": self.sales_column,
            },
        )
        for row in table.rows:
            spend_cell = row.text("Spend")
            days.add(
                row,
                AdPath.of(
                    row,
                    "Campaign Name",
                    campaign_id=self._campaign_id(row),
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
                conversions=number_or_zero(row, self.orders_column, decimal_comma),
                conversion_value=row.money(self.sales_column, decimal_comma=decimal_comma) or Decimal(0),
            )
        yield from days.records(context)

    def _campaign_id(self, row: Row) -> str | None:
        """The report's campaign id (unique across ad products); else, outside Sponsored Products,
        an id derived from the ad product and the name (AdPath derives SP's from the name alone)."""
        campaign_id = row.text("Campaign Id")
        if campaign_id or self.campaign_id_scope is None:
            return campaign_id
        name = row.text("Campaign Name")
        return derived_id(self.campaign_id_scope, name) if name else None

    @staticmethod
    def _advertised_product(row: Row) -> dict[str, str | None]:
        """A product ad is its ASIN (or SKU) within the ad group; other reports name no ad."""
        asin, sku = row.text("Advertised ASIN"), row.text("Advertised SKU")
        if asin:
            return {"ad_id": f"asin:{asin}", "ad_name": sku or asin}
        if sku:
            return {"ad_id": f"sku:{sku}", "ad_name": sku}
        return {}


class AmazonSponsoredProducts(AmazonAdsReport):
    name = "amazon_ads.sponsored_products"
    title = "Amazon Ads Sponsored Products report (CSV or XLSX)"
    ad_product = "Sponsored Products"
    attribution_days = 7
    campaign_id_scope = None


class AmazonSponsoredBrands(AmazonAdsReport):
    name = "amazon_ads.sponsored_brands"
    title = "Amazon Ads Sponsored Brands report (CSV or XLSX)"
    ad_product = "Sponsored Brands"
    attribution_days = 14
    campaign_id_scope = "sponsored_brands"


class AmazonSponsoredDisplay(AmazonAdsReport):
    name = "amazon_ads.sponsored_display"
    title = "Amazon Ads Sponsored Display report (CSV or XLSX)"
    ad_product = "Sponsored Display"
    attribution_days = 14
    campaign_id_scope = "sponsored_display"
