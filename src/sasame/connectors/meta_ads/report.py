"""Meta (Facebook/Instagram) Ads Manager exports at campaign, ad set or ad level.

Shape (formats.md §6.2): `Reporting starts`, `Reporting ends`, then whatever columns the seller
chose. Money columns carry the account currency in their name (`Amount spent (EUR)`). `Results`
counts the campaign's optimisation event, which differs between rows, so conversions come from
`Purchases` (or from `Results` only where `Result indicator` says purchase).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from sasame.connectors.ad_reports import AdPath, AdSpendDays, number_or_zero, row_day
from sasame.connectors.base import FileFormat, ParseContext, header_line
from sasame.connectors.files import CsvTable, Row, SourceFile, uses_decimal_comma
from sasame.connectors.records import AdSpendRecord
from sasame.core.errors import InputError

ALIASES_BY_LANGUAGE: dict[str, dict[str, str]] = {
    # Spanish and Chinese starts/ends/campaign/results/spend names are [CONVERGENT] in formats.md;
    # the other names are the ones Ads Manager shows in those languages.
    "es": {
        "Inicio del informe": "Reporting starts",
        "Fin del informe": "Reporting ends",
        "Día": "Day",
        "Nombre de la campaña": "Campaign name",
        "Identificador de la campaña": "Campaign ID",
        "Nombre del conjunto de anuncios": "Ad set name",
        "Identificador del conjunto de anuncios": "Ad set ID",
        "Nombre del anuncio": "Ad name",
        "Identificador del anuncio": "Ad ID",
        "Resultados": "Results",
        "Indicador de resultado": "Result indicator",
        "Valor de los resultados": "Results value",
        "Indicador del valor de resultado": "Result value indicator",
        "Impresiones": "Impressions",
        "Clics en el enlace": "Link clicks",
        "Clics (todos)": "Clicks (all)",
        "Compras": "Purchases",
        "Valor de conversión de compras": "Purchases conversion value",
    },
    "zh": {
        "报告开始日期": "Reporting starts",
        "报告结束日期": "Reporting ends",
        "天": "Day",
        "广告系列名称": "Campaign name",
        "广告系列编号": "Campaign ID",
        "广告组名称": "Ad set name",
        "广告组编号": "Ad set ID",
        "广告名称": "Ad name",
        "广告编号": "Ad ID",
        "成效": "Results",
        "成效指标": "Result indicator",
        "成效价值": "Results value",
        "成效价值指标": "Result value indicator",
        "展示次数": "Impressions",
        "链接点击量": "Link clicks",
        "点击量（全部）": "Clicks (all)",
        "购物次数": "Purchases",
        "购物转化价值": "Purchases conversion value",
    },
    "fr": {
        "Début des rapports": "Reporting starts",
        "Fin des rapports": "Reporting ends",
        "Jour": "Day",
        "Nom de la campagne": "Campaign name",
        "Identifiant de la campagne": "Campaign ID",
        "Nom de l’ensemble de publicités": "Ad set name",
        "Nom de l'ensemble de publicités": "Ad set name",
        "Identifiant de l’ensemble de publicités": "Ad set ID",
        "Identifiant de l'ensemble de publicités": "Ad set ID",
        "Nom de la publicité": "Ad name",
        "Identifiant de la publicité": "Ad ID",
        "Résultats": "Results",
        "Indicateur de résultats": "Result indicator",
        "Valeur des résultats": "Results value",
        "Indicateur de valeur de résultat": "Result value indicator",
        "Clics sur un lien": "Link clicks",
        "Clics (tous)": "Clicks (all)",
        "Achats": "Purchases",
        "Valeur de conversion des achats": "Purchases conversion value",
    },
}
ENGLISH_ALIASES = {
    "Website purchases": "Purchases",
    "Website purchases conversion value": "Purchases conversion value",
    "Purchase conversion value": "Purchases conversion value",
    "Ad Set Name": "Ad set name",
    "Campaign Name": "Campaign name",
    "Ad Name": "Ad name",
}
DECIMAL_COMMA_LANGUAGES = {"es", "fr"}
SPEND = re.compile(
    r"^(Amount spent|Importe gastado|已花费金额|Montant dépensé)\s*[(（]\s*([A-Z]{3})\s*[)）]$"
)
"""The spend column, matched by prefix: its name carries the account currency."""
DAY_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


def _language(header: list[str]) -> str:
    scores = {
        language: sum(name in aliases for name in header) for language, aliases in ALIASES_BY_LANGUAGE.items()
    }
    best = max(scores, key=lambda language: scores[language])
    return best if scores[best] else "en"


def _aliases(header: list[str]) -> dict[str, str]:
    return {**ENGLISH_ALIASES, **ALIASES_BY_LANGUAGE.get(_language(header), {})}


def _is_purchase(indicator: str | None) -> bool:
    """Whether a Result indicator names purchases ('actions:offsite_conversion.fb_pixel_purchase')."""
    return indicator is not None and "purchase" in indicator.lower()


class MetaAdsReport(FileFormat):
    name = "meta_ads.report"
    title = "Meta Ads Manager export (CSV)"

    def detect(self, file: SourceFile) -> bool:
        header = header_line(file)
        names = {_aliases(header).get(name, name) for name in header}
        return {"Reporting starts", "Reporting ends"} <= names and any(SPEND.match(n) for n in header)

    def parse(self, file: SourceFile, context: ParseContext) -> Iterator[AdSpendRecord]:
        table = file.table()
        language = _language(table.header)
        table.rename(_aliases(table.header))
        spend_column, currency = self._spend_column(table)
        table.require("Reporting starts", "Reporting ends")
        if "Campaign name" not in table.header and "Campaign ID" not in table.header:
            table.require("Campaign name")
        context.rows_read = len(table.rows)
        decimal_comma = uses_decimal_comma(
            (row.values.get(spend_column) for row in table.rows),
            default=language in DECIMAL_COMMA_LANGUAGES,
        )
        purchases = "Purchases" in table.header
        days = AdSpendDays(
            "meta",
            self.name,
            {
                "impressions": "Impressions",
                "clicks": "Link clicks" if "Link clicks" in table.header else "Clicks (all)",
                "conversions": "Purchases" if purchases else "Results",
                "spend": spend_column,
                "conversion_value": "Purchases conversion value" if purchases else "Results value",
            },
        )
        other_results = 0
        for row in table.rows:
            conversions, value, counted_other = self._conversions(row, decimal_comma)
            other_results += counted_other
            days.add(
                row,
                AdPath.of(
                    row,
                    "Campaign name",
                    campaign_id=row.text("Campaign ID"),
                    campaign_name=row.text("Campaign name"),
                    ad_set_id=row.text("Ad set ID"),
                    ad_set_name=row.text("Ad set name"),
                    ad_id=row.text("Ad ID"),
                    ad_name=row.text("Ad name"),
                ),
                row_day(row, "Day", "Reporting starts", "Reporting ends", DAY_FORMATS),
                currency=currency,
                spend=row.money(spend_column, decimal_comma=decimal_comma) or Decimal(0),
                impressions=row.integer("Impressions", decimal_comma=decimal_comma) or 0,
                clicks=self._clicks(row, decimal_comma),
                conversions=conversions,
                conversion_value=value,
            )
        if other_results:
            context.warn(
                f"{other_results} row(s) have Results for an event other than purchases "
                "(see Result indicator); they are not counted as conversions"
            )
        yield from days.records(context)

    @staticmethod
    def _spend_column(table: CsvTable) -> tuple[str, str]:
        """The 'Amount spent (XXX)' column and the account currency its name carries."""
        for name in table.header:
            match = SPEND.match(name)
            if match:
                return name, match.group(2)
        raise InputError(
            "has no 'Amount spent (currency)' column, which this format needs", file=table.file, row=1
        )

    @staticmethod
    def _clicks(row: Row, decimal_comma: bool) -> int:
        """Link clicks (what a visit to the shop needs); 'Clicks (all)' when the export lacks them."""
        column = "Link clicks" if "Link clicks" in row.values else "Clicks (all)"
        return row.integer(column, decimal_comma=decimal_comma) or 0

    def _conversions(self, row: Row, decimal_comma: bool) -> tuple[Decimal, Decimal, int]:
        """Purchases and their value; Results only where the indicator says they are purchases."""
        if "Purchases" in row.values:
            purchases = number_or_zero(row, "Purchases", decimal_comma)
            value = row.money("Purchases conversion value", decimal_comma=decimal_comma) or Decimal(0)
            return purchases, value, 0
        results = number_or_zero(row, "Results", decimal_comma)
        if not results:
            return Decimal(0), Decimal(0), 0
        if not _is_purchase(row.text("Result indicator")):
            return Decimal(0), Decimal(0), 1
        value = Decimal(0)
        if _is_purchase(row.text("Result value indicator")) or "Result value indicator" not in row.values:
            value = row.money("Results value", decimal_comma=decimal_comma) or Decimal(0)
        return results, value, 0
