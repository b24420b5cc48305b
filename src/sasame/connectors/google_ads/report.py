"""Google Ads UI report downloads (campaign, ad group, ad, keyword and search-term reports).

Shape (formats.md §6.1): a title line and a date-range line, then the header, the data, and
'Total: …' rows at the bottom, which are skipped (the account total is checked against the sum
of the rows). Columns are whatever the seller had in the table; headers may be French, German or
Spanish. 'CSV (Excel)' downloads are UTF-16LE and tab-separated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

from sasame.connectors.ad_reports import (
    AdPath,
    AdSpendDays,
    currency_code,
    currency_of,
    number_or_zero,
    single_day,
)
from sasame.connectors.base import FileFormat, ParseContext
from sasame.connectors.files import Row, SourceFile, header_index, uses_decimal_comma
from sasame.connectors.records import AdSpendRecord
from sasame.core.errors import InputError

ALIASES_BY_LANGUAGE: dict[str, dict[str, str]] = {
    # Localized header → the English name the parser reads. French is [CONVERGENT] in formats.md;
    # German and Spanish follow the names the Google Ads interface shows in those languages.
    "fr": {
        "Jour": "Day",
        "Campagne": "Campaign",
        "ID de la campagne": "Campaign ID",
        "Groupe d'annonces": "Ad group",
        "ID du groupe d'annonces": "Ad group ID",
        "Annonce": "Ad",
        "ID de l'annonce": "Ad ID",
        "Clics": "Clicks",
        "Coût": "Cost",
        "Valeur de conv.": "Conv. value",
        "Code de la devise": "Currency code",
    },
    "de": {
        "Tag": "Day",
        "Kampagne": "Campaign",
        "Kampagnen-ID": "Campaign ID",
        "Anzeigengruppe": "Ad group",
        "Anzeigengruppen-ID": "Ad group ID",
        "Anzeige": "Ad",
        "Anzeigen-ID": "Ad ID",
        "Klicks": "Clicks",
        "Kosten": "Cost",
        "Conv.-Wert": "Conv. value",
        "Währungscode": "Currency code",
    },
    "es": {
        "Día": "Day",
        "Campaña": "Campaign",
        "ID de campaña": "Campaign ID",
        "Grupo de anuncios": "Ad group",
        "ID del grupo de anuncios": "Ad group ID",
        "Anuncio": "Ad",
        "ID del anuncio": "Ad ID",
        "Coste": "Cost",
        "Costo": "Cost",
        "Conversiones": "Conversions",
        "Valor de conv.": "Conv. value",
        "Código de moneda": "Currency code",
    },
}
ENGLISH_ALIASES = {
    "Impressions": "Impr.",
    "Ad name": "Ad",
    "Conversion value": "Conv. value",
    "Currency": "Currency code",
}
DAY_FORMATS = {
    "en": ("%Y-%m-%d", "%b %d, %Y", "%a, %b %d, %Y", "%B %d, %Y", "%m/%d/%Y"),
    "fr": ("%Y-%m-%d", "%d/%m/%Y"),
    "de": ("%Y-%m-%d", "%d.%m.%Y"),
    "es": ("%Y-%m-%d", "%d/%m/%Y"),
}
TOTAL_ROW = re.compile(r"^\s*(total|gesamt|insgesamt)\b", re.IGNORECASE)
ACCOUNT_TOTAL = re.compile(r"account|compte|konto|cuenta", re.IGNORECASE)
RANGE_FORMATS = ("%Y-%m-%d", "%B %d, %Y", "%b %d, %Y")


def _language(header: list[str]) -> str:
    """The report's language: the one whose localized names the header uses most (else English)."""
    scores = {
        language: sum(name in aliases for name in header) for language, aliases in ALIASES_BY_LANGUAGE.items()
    }
    best = max(scores, key=lambda language: scores[language])
    return best if scores[best] else "en"


def _canonical(header: list[str]) -> list[str]:
    aliases = {**ENGLISH_ALIASES, **ALIASES_BY_LANGUAGE.get(_language(header), {})}
    return [aliases.get(name, name) for name in header]


def _is_header(cells: list[str]) -> bool:
    names = set(_canonical(cells))
    return {"Campaign", "Cost"} <= names and bool({"Impr.", "Clicks"} & names)


def _report_range(preamble: list[str]) -> tuple[date, date] | None:
    """The 'September 1, 2026 - September 30, 2026' line of the preamble, if it reads."""
    for line in preamble:
        text = line.strip().strip('"').strip()
        parts = re.split(r"\s+[-–]\s+", text)
        if len(parts) != 2:
            continue
        for pattern in RANGE_FORMATS:
            try:
                start, end = (datetime.strptime(part.strip(), pattern).date() for part in parts)
            except ValueError:
                continue
            return start, end
    return None


FIGURE_COLUMNS = {
    "impressions": "Impr.",
    "clicks": "Clicks",
    "conversions": "Conversions",
    "spend": "Cost",
    "conversion_value": "Conv. value",
}
"""The report's column of each figure an ad's day sums (named in errors)."""


class GoogleAdsReport(FileFormat):
    name = "google_ads.report"
    title = "Google Ads report download (CSV or CSV for Excel)"

    def detect(self, file: SourceFile) -> bool:
        return header_index(file.head(), _is_header) is not None

    def parse(self, file: SourceFile, context: ParseContext) -> Iterator[AdSpendRecord]:
        skip = header_index(file.text, _is_header)
        if skip is None:
            raise InputError("has no Google Ads report header (Campaign, Cost, Impr.)", file=file.name)
        preamble = file.text.split("\n")[:skip]
        table = file.table(skip_lines=skip)
        language = _language(table.header)
        table.rename({**ENGLISH_ALIASES, **ALIASES_BY_LANGUAGE.get(language, {})})
        data: list[Row] = []
        totals: list[Row] = []
        for row in table.rows:
            first = next((value for value in row.values.values() if value and value.strip()), "")
            (totals if TOTAL_ROW.match(first) else data).append(row)
        context.rows_read = len(data)
        decimal_comma = uses_decimal_comma((row.values.get("Cost") for row in data), default=language != "en")
        report_range = _report_range(preamble)
        days = AdSpendDays("google", self.name, FIGURE_COLUMNS)
        for row in data:
            days.add(
                row,
                AdPath.of(
                    row,
                    "Campaign",
                    campaign_id=row.text("Campaign ID"),
                    campaign_name=row.text("Campaign"),
                    ad_set_id=row.text("Ad group ID"),
                    ad_set_name=row.text("Ad group"),
                    ad_id=row.text("Ad ID"),
                    ad_name=row.text("Ad"),
                ),
                self._day(row, language, report_range),
                currency=currency_code(row, "Currency code", currency_of(row.text("Cost"), context.currency)),
                spend=row.money("Cost", decimal_comma=decimal_comma) or Decimal(0),
                impressions=row.integer("Impr.", decimal_comma=decimal_comma) or 0,
                clicks=row.integer("Clicks", decimal_comma=decimal_comma) or 0,
                conversions=number_or_zero(row, "Conversions", decimal_comma),
                conversion_value=row.money("Conv. value", decimal_comma=decimal_comma) or Decimal(0),
            )
        records = days.records(context)
        self._check_account_total(totals, records, decimal_comma, context)
        yield from records

    def _day(self, row: Row, language: str, report_range: tuple[date, date] | None) -> date:
        if "Day" in row.values:
            day = row.day("Day", formats=DAY_FORMATS[language], required=True)
            assert day is not None
            return day
        if report_range is None:
            raise row.error(
                "Day",
                "the report has no Day column and no date range line; "
                "download it segmented by day (Segment → Time → Day)",
            )
        return single_day(row, *report_range, "Day")

    @staticmethod
    def _check_account_total(
        totals: list[Row], records: list[AdSpendRecord], decimal_comma: bool, context: ParseContext
    ) -> None:
        """Warn when the file's own account total disagrees with its rows (a truncated copy-paste)."""
        summed = sum((record.spend for record in records), Decimal(0))
        for row in totals:
            label = next((value for value in row.values.values() if value and value.strip()), "")
            if not ACCOUNT_TOTAL.search(label):
                continue
            stated = row.money("Cost", decimal_comma=decimal_comma)
            if stated is not None and stated != summed:
                context.warn(
                    f"row {row.number}: the file's account total cost {stated} differs from the sum "
                    f"of its rows {summed}; rows may be missing from the file"
                )
