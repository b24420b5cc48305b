"""Meta Ads Manager exports: golden files per variant, and the import path on both databases.

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

from sasame.connectors.base import ParseContext
from sasame.connectors.files import SourceFile
from sasame.connectors.meta_ads.report import MetaAdsReport
from sasame.connectors.records import AdSpendRecord, as_plain
from sasame.core.errors import InputError
from sasame.ingest.service import detect_format

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 5, 30, 12, tzinfo=UTC)
GOLDEN = ["ads_daily_en_bom.csv", "campaigns_by_day_es.csv", "adsets_zh.csv", "ads_fr_semicolon.csv"]


def parse(path: Path) -> tuple[list[AdSpendRecord], ParseContext]:
    context = ParseContext(timezone=ZoneInfo("America/New_York"), currency="USD")
    records = list(MetaAdsReport().parse(SourceFile.read(path), context))
    return records, context


@pytest.mark.parametrize("name", GOLDEN)
def test_golden_file(name: str) -> None:
    path = FIXTURES / name
    assert detect_format(SourceFile.read(path)).name == "meta_ads.report"
    records, context = parse(path)
    check_golden(document("meta_ads.report", records, context, as_plain), path)


def test_purchases_not_results_are_conversions() -> None:
    records, _ = parse(FIXTURES / "ads_daily_en_bom.csv")
    # The cart ad optimises for checkouts: 9 Results, but 3 Purchases worth 254.40.
    cart = next(r for r in records if r.ad_external_id == "120212345678901003")
    assert (cart.conversions, cart.conversion_value, cart.clicks) == (3, Decimal("254.40"), 77)
    assert sum(r.spend for r in records) == Decimal("196.17")


def test_results_count_only_when_the_indicator_is_purchases() -> None:
    records, context = parse(FIXTURES / "campaigns_by_day_es.csv")
    rows = [(r.campaign_name, str(r.spend_date), r.spend, r.conversions, r.conversion_value) for r in records]
    assert rows == [
        ("Prospección | Lino", "2026-05-20", Decimal("310500.50"), 3, Decimal("1260000.00")),
        ("Prospección | Lino", "2026-05-21", Decimal("298120.00"), 1, Decimal("420000.00")),
        ("Tráfico | Blog", "2026-05-20", Decimal("150000.00"), 0, Decimal("0")),
    ]
    assert {r.currency for r in records} == {"COP"}
    assert records[0].ad_set_external_id == records[0].ad_external_id == "(campaign total)"
    assert context.warnings == [
        "1 row(s) have Results for an event other than purchases (see Result indicator); "
        "they are not counted as conversions"
    ]


def test_french_semicolons_and_decimal_commas() -> None:
    records, _ = parse(FIXTURES / "ads_fr_semicolon.csv")
    assert [(r.spend, r.impressions, r.conversion_value, r.currency) for r in records] == [
        (Decimal("1204.56"), 12004, Decimal("1020.00"), "EUR"),
        (Decimal("45.10"), 4980, Decimal("89.90"), "EUR"),
    ]


def test_an_aggregate_export_over_several_days_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "aggregate.csv"
    path.write_text(
        "Reporting starts,Reporting ends,Campaign name,Impressions,Amount spent (USD)\n"
        "2026-05-01,2026-05-31,Prospecting,120000,1520.33\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        parse(path)
    assert str(caught.value) == (
        f"{path}, row 2, column 'Reporting starts': this row sums 2026-05-01 to 2026-05-31 into one "
        "figure; export the report broken down by day so each day gets its own row"
    )


# -- through the import path, on SQLite and PostgreSQL -------------------------------------------


def test_import_is_idempotent_and_overlapping_exports_do_not_duplicate(engine, tmp_path: Path) -> None:
    first = import_into(engine, FIXTURES / "ads_daily_en_bom.csv", NOW)
    assert first.format == "meta_ads.report"
    assert first.rows_read == 4
    assert first.records["ad_spend_day"] == {"created": 4, "updated": 0, "unchanged": 0}
    assert first.money == {"ad_spend": {"USD": Decimal("196.17")}}
    assert ad_totals(engine) == (2, 2, 3, 4, Decimal("196.17"))

    again = import_into(engine, FIXTURES / "ads_daily_en_bom.csv", NOW)
    assert again.records["ad_spend_day"] == {"created": 0, "updated": 0, "unchanged": 4}

    # May 21 again, with late-attributed purchases, and May 22 for the first time.
    overlapping = tmp_path / "overlap.csv"
    overlapping.write_text(
        "Reporting starts,Reporting ends,Campaign name,Campaign ID,Ad set name,Ad set ID,Ad name,Ad ID,"
        "Impressions,Amount spent (USD),Link clicks,Purchases,Purchases conversion value\n"
        "2026-05-21,2026-05-21,Prospecting | Linen | Advantage+,120212345678900001,Broad US 25-55,"
        "120212345678900101,UGC video - sleep better,120212345678901001,10679,70.12,118,1,99.00\n"
        "2026-05-22,2026-05-22,Prospecting | Linen | Advantage+,120212345678900001,Broad US 25-55,"
        "120212345678900101,UGC video - sleep better,120212345678901001,9870,66.40,101,2,180.00\n",
        encoding="utf-8",
    )
    third = import_into(engine, overlapping, NOW)
    assert third.records["ad_spend_day"] == {"created": 1, "updated": 1, "unchanged": 0}
    assert ad_totals(engine) == (2, 2, 3, 5, Decimal("262.57"))


def test_a_corrupted_cell_imports_nothing(engine, tmp_path: Path) -> None:
    import_into(engine, FIXTURES / "adsets_zh.csv", NOW)
    bad = tmp_path / "bad.csv"
    text = (FIXTURES / "ads_daily_en_bom.csv").read_text(encoding="utf-8-sig")
    bad.write_text(text.replace(",5340,", ",53x40,"), encoding="utf-8-sig")
    assert (
        refused_unchanged(engine, bad, NOW, ad_totals)
        == f"{bad}, row 3, column 'Impressions': '53x40' is not a whole number"
    )


def test_a_figure_the_database_cannot_hold_is_refused_by_row_and_column(engine, tmp_path: Path) -> None:
    # A 29-digit count used to reach SQLite, which raised OverflowError (a traceback, not an error).
    import_into(engine, FIXTURES / "adsets_zh.csv", NOW)
    bad = tmp_path / "bad.csv"
    text = (FIXTURES / "ads_daily_en_bom.csv").read_text(encoding="utf-8-sig")
    bad.write_text(text.replace(",5340,", ",12345678901234567890123456789,"), encoding="utf-8-sig")
    assert refused_unchanged(engine, bad, NOW, ad_totals) == (
        f"{bad}, row 3, column 'Impressions': "
        "'12345678901234567890123456789' is more than a count sasame can store"
    )
