"""Google Ads report downloads: golden files per variant, and the import path on both databases.

Regenerate the expected files after a deliberate change with SASAME_UPDATE_GOLDEN=1, then read
the diff: the golden files are the specification.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from connector_support import ad_totals, check_golden, document, import_into, refused_unchanged
from sqlalchemy import select

from sasame import models as m
from sasame.connectors.base import ParseContext
from sasame.connectors.files import SourceFile
from sasame.connectors.google_ads.report import GoogleAdsReport
from sasame.connectors.records import AdSpendRecord, as_plain
from sasame.core.errors import InputError
from sasame.db import transaction
from sasame.ingest.service import detect_format

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 9, 10, 12, tzinfo=UTC)
GOLDEN = [
    "campaign_daily.csv",
    "ad_group_excel_utf16.csv",
    "ad_level.csv",
    "keywords_fr.csv",
    "campaign_single_day_gbp.csv",
]


def parse(path: Path) -> tuple[list[AdSpendRecord], ParseContext]:
    context = ParseContext(timezone=ZoneInfo("America/New_York"), currency="USD")
    records = list(GoogleAdsReport().parse(SourceFile.read(path), context))
    return records, context


@pytest.mark.parametrize("name", GOLDEN)
def test_golden_file(name: str) -> None:
    path = FIXTURES / name
    assert detect_format(SourceFile.read(path)).name == "google_ads.report"
    records, context = parse(path)
    check_golden(document("google_ads.report", records, context, as_plain), path)


def test_totals_rows_are_skipped_and_money_is_exact() -> None:
    records, context = parse(FIXTURES / "campaign_daily.csv")
    assert context.rows_read == 6 and len(records) == 6
    assert sum(r.spend for r in records) == Decimal("1366.69")  # the file's own 'Total: Account'
    assert context.warnings == [
        "2 ad day(s) report fractional conversions (data-driven attribution); "
        "they are rounded to whole conversions, the conversion value is kept exact"
    ]
    brand = records[0]
    assert (brand.campaign_external_id, brand.ad_set_external_id, brand.ad_external_id) == (
        "20145678901",
        "(campaign total)",
        "(campaign total)",
    )
    assert (brand.impressions, brand.clicks, brand.conversion_value) == (12034, 611, Decimal("1020.50"))


def test_french_keywords_sum_into_their_ad_group_with_decimal_commas() -> None:
    records, _ = parse(FIXTURES / "keywords_fr.csv")
    assert [(r.spend_date.isoformat(), r.spend, r.impressions, r.currency) for r in records] == [
        ("2026-09-02", Decimal("61.05"), 2006, "EUR"),
        ("2026-09-01", Decimal("40.05"), 1190, "EUR"),
    ]
    assert records[0].ad_external_id == "(ad set total)"
    assert records[0].ad_set_external_id.startswith("name:")  # no ids in the export: derived from names
    assert records[0].source.payload is not None and len(records[0].source.payload["rows"]) == 2


def test_pound_amounts_without_a_currency_column_are_gbp() -> None:
    records, _ = parse(FIXTURES / "campaign_single_day_gbp.csv")
    assert {r.currency for r in records} == {"GBP"}
    assert [r.spend for r in records] == [Decimal("1012.40"), Decimal("201.07")]


def test_a_multi_day_sum_without_a_day_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text(
        'Campaign report\n"September 1, 2026 - September 30, 2026"\n'
        "Campaign,Impr.,Clicks,Cost\nSearch | Brand,100,10,12.00\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        parse(path)
    assert str(caught.value) == (
        f"{path}, row 4, column 'Day': this row sums 2026-09-01 to 2026-09-30 into one figure; "
        "export the report broken down by day so each day gets its own row"
    )


def test_a_mismatching_account_total_is_reported(tmp_path: Path) -> None:
    text = (FIXTURES / "ad_level.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    path = tmp_path / "truncated.csv"
    path.write_text("\n".join(lines[:4] + lines[5:]) + "\n", encoding="utf-8")
    _, context = parse(path)
    assert context.warnings == [
        "row 5: the file's account total cost 181.16 differs from the sum of its rows 118.40; "
        "rows may be missing from the file"
    ]


# -- through the import path, on SQLite and PostgreSQL -------------------------------------------


def test_import_is_idempotent_and_overlapping_ranges_do_not_duplicate(engine, tmp_path: Path) -> None:
    first = import_into(engine, FIXTURES / "campaign_daily.csv", NOW)
    assert first.format == "google_ads.report"
    assert first.rows_read == 6
    assert first.records["ad_spend_day"] == {"created": 6, "updated": 0, "unchanged": 0}
    assert first.money == {"ad_spend": {"USD": Decimal("1366.69")}}
    assert ad_totals(engine) == (3, 3, 3, 6, Decimal("1366.69"))

    again = import_into(engine, FIXTURES / "campaign_daily.csv", NOW)
    assert again.records["ad_spend_day"] == {"created": 0, "updated": 0, "unchanged": 6}

    # September 3 again (Brand corrected by Google's late adjustments) and September 4 for the first time.
    overlapping = tmp_path / "overlap.csv"
    overlapping.write_text(
        'Campaign report\n"September 3, 2026 - September 4, 2026"\n'
        "Day,Campaign,Campaign ID,Currency code,Impr.,Clicks,Cost,Conversions,Conv. value\n"
        '2026-09-03,Search | Brand,20145678901,USD,"10,402",540,238.00,11.00,902.40\n'
        "2026-09-03,Display | Remarketing,20145679013,USD,0,0,0.00,0.00,0.00\n"
        '2026-09-04,Search | Brand,20145678901,USD,"9,950",521,230.25,10.00,870.00\n'
        'Total: Account,--,--,USD,"20,352","1,061",468.25,21.00,"1,772.40"\n',
        encoding="utf-8",
    )
    third = import_into(engine, overlapping, NOW)
    assert third.records["ad_spend_day"] == {"created": 1, "updated": 1, "unchanged": 1}
    assert ad_totals(engine) == (3, 3, 3, 7, Decimal("1366.69") + Decimal("0.40") + Decimal("230.25"))


def test_a_corrupted_cell_imports_nothing(engine, tmp_path: Path) -> None:
    import_into(engine, FIXTURES / "ad_level.csv", NOW)
    text = (FIXTURES / "campaign_daily.csv").read_text(encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(text.replace("313.55", "31x3.55"), encoding="utf-8")
    assert (
        refused_unchanged(engine, bad, NOW, ad_totals)
        == f"{bad}, row 5, column 'Cost': '31x3.55' is not an amount"
    )


def test_a_figure_the_database_cannot_hold_is_refused_by_row_and_column(engine, tmp_path: Path) -> None:
    # A 29-digit count used to reach SQLite, which raised OverflowError (a traceback, not an error).
    import_into(engine, FIXTURES / "ad_level.csv", NOW)
    text = (FIXTURES / "campaign_daily.csv").read_text(encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(text.replace('"12,034"', "12345678901234567890123456789"), encoding="utf-8")
    assert refused_unchanged(engine, bad, NOW, ad_totals) == (
        f"{bad}, row 4, column 'Impr.': '12345678901234567890123456789' is more than a count sasame can store"
    )


def test_ad_level_rows_keep_the_hierarchy(engine) -> None:
    summary = import_into(engine, FIXTURES / "ad_level.csv", NOW)
    assert summary.records["ad_spend_day"] == {"created": 2, "updated": 0, "unchanged": 0}
    with transaction(engine) as session:
        rows = session.execute(
            select(m.AdCampaign.external_id, m.AdSet.external_id, m.Ad.external_id, m.Ad.name)
            .join(m.AdSet, m.AdSet.campaign_id == m.AdCampaign.id)
            .join(m.Ad, m.Ad.ad_set_id == m.AdSet.id)
            .order_by(m.Ad.external_id)
        ).all()
    assert [tuple(row) for row in rows] == [
        ("20145678901", "151234567890", "689012345671", "Linen sheets made to last"),
        ("20145678901", "151234567890", "689012345672", "Free shipping over $75"),
    ]
