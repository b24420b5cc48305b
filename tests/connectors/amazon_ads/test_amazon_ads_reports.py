"""Amazon Ads console reports (Sponsored Products, Brands and Display; CSV and XLSX): golden files
per variant, and the import path on both databases.

Regenerate the expected files after a deliberate change with SASAME_UPDATE_GOLDEN=1, then read
the diff: the golden files are the specification.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from build_xlsx_fixtures import display_campaigns, search_terms, workbook_bytes
from connector_support import ad_totals, check_golden, document, import_into, refused_unchanged

from sasame.connectors.amazon_ads.reports import (
    AmazonAdsReport,
    AmazonSponsoredBrands,
    AmazonSponsoredDisplay,
    AmazonSponsoredProducts,
)
from sasame.connectors.base import ParseContext
from sasame.connectors.files import SourceFile, derived_id
from sasame.connectors.records import AdSpendRecord, as_plain
from sasame.core.errors import InputError
from sasame.ingest.service import detect_format

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 6, 10, 12, tzinfo=UTC)
GOLDEN = {
    "search_terms_daily.csv": AmazonSponsoredProducts(),
    "campaigns_single_day_gbp.csv": AmazonSponsoredProducts(),
    "advertised_products.csv": AmazonSponsoredProducts(),
    "sponsored_products_search_terms.xlsx": AmazonSponsoredProducts(),
    "sponsored_brands_campaigns.csv": AmazonSponsoredBrands(),
    "sponsored_display_targeting_eur.csv": AmazonSponsoredDisplay(),
    "sponsored_display_campaigns.xlsx": AmazonSponsoredDisplay(),
}


def parse(path: Path, report: AmazonAdsReport | None = None) -> tuple[list[AdSpendRecord], ParseContext]:
    context = ParseContext(timezone=ZoneInfo("America/New_York"), currency="USD")
    records = list((report or AmazonSponsoredProducts()).parse(SourceFile.read(path), context))
    return records, context


@pytest.mark.parametrize("name", GOLDEN)
def test_golden_file(name: str) -> None:
    path, report = FIXTURES / name, GOLDEN[name]
    assert detect_format(SourceFile.read(path)).name == report.name
    records, context = parse(path, report)
    check_golden(document(report.name, records, context, as_plain), path)


def test_the_xlsx_download_reads_as_its_csv() -> None:
    """Numbers stored as floats come back as the decimals the sheet shows (0.1 + 0.2 included),
    dates as days, percentages as text; June 1 and 2 match the CSV of the same report."""
    records, context = parse(FIXTURES / "sponsored_products_search_terms.xlsx")
    from_csv, _ = parse(FIXTURES / "search_terms_daily.csv")
    assert context.rows_read == 3
    keyed = {(r.campaign_external_id, r.ad_set_external_id, r.spend_date): r for r in from_csv}
    for record in records:
        same = keyed[(record.campaign_external_id, record.ad_set_external_id, record.spend_date)]
        assert (record.spend, record.impressions, record.clicks, record.conversions) == (
            same.spend,
            same.impressions,
            same.clicks,
            same.conversions,
        )
        assert record.conversion_value == same.conversion_value
    assert [str(r.spend) for r in records] == ["19.88", "15.37"]
    assert records[0].source.payload["rows"][0]["Click-Thru Rate (CTR)"] == "2.57%"
    assert records[1].source.payload["Spend"] == "15.37"


def test_brands_and_display_read_14_day_attribution_and_keep_their_campaigns_apart() -> None:
    brands, _ = parse(FIXTURES / "sponsored_brands_campaigns.csv", AmazonSponsoredBrands())
    display, _ = parse(FIXTURES / "sponsored_display_targeting_eur.csv", AmazonSponsoredDisplay())
    assert (brands[0].campaign_name, brands[0].spend, brands[0].conversions, brands[0].conversion_value) == (
        "Linen sheets",
        Decimal("38.88"),
        6,
        Decimal("1134.00"),
    )
    # Two targets of one ad group on June 1, in euros with decimal commas: € 9,46 + € 2,94.
    assert (display[0].spend, display[0].currency, display[0].conversions, display[0].conversion_value) == (
        Decimal("12.40"),
        "EUR",
        1,
        Decimal("89.00"),
    )
    # One name, three ad products: three campaigns (Sponsored Products keeps its name-only id).
    assert brands[0].campaign_external_id == derived_id("sponsored_brands", "Linen sheets")
    assert display[0].campaign_external_id == derived_id("sponsored_display", "Linen sheets")
    assert derived_id("Linen sheets") not in {brands[0].campaign_external_id, display[0].campaign_external_id}


def test_a_14_day_report_that_names_no_ad_product_asks_which_one(tmp_path: Path) -> None:
    lines = (FIXTURES / "sponsored_brands_campaigns.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "report.csv"
    path.write_text("\n".join(lines[1:]) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        detect_format(SourceFile.read(path))
    assert str(caught.value) == (
        f"{path}: matches several formats (amazon_ads.sponsored_brands, "
        "amazon_ads.sponsored_display); choose one with --format"
    )
    assert [r.spend for r in parse(path, AmazonSponsoredBrands())[0]] == [
        Decimal("38.88"),
        Decimal("32.39"),
        Decimal("0.00"),
    ]


def test_search_terms_sum_into_their_ad_group_with_symbols_and_trailing_spaces() -> None:
    records, context = parse(FIXTURES / "search_terms_daily.csv")
    assert context.rows_read == 4
    queen = records[0]
    assert (queen.ad_set_name, queen.ad_external_id, str(queen.spend_date)) == (
        "Queen sheets",
        "(ad set total)",
        "2026-06-01",
    )
    # Two search terms on June 1: $ 16.22 + $ 3.66, 2 + 0 orders worth $ 189.00.
    assert (queen.spend, queen.impressions, queen.clicks, queen.conversions, queen.conversion_value) == (
        Decimal("19.88"),
        1514,
        37,
        2,
        Decimal("189.00"),
    )
    assert records[1].conversion_value == Decimal("1020.00")
    assert {r.currency for r in records} == {"USD"}


def test_advertised_products_are_the_ads() -> None:
    records, _ = parse(FIXTURES / "advertised_products.csv")
    assert [(r.ad_external_id, r.ad_name, r.spend) for r in records] == [
        ("asin:B0C1ABC123", "LIN-Q-WHT", Decimal("10.00")),
        ("asin:B0C1ABC124", "LIN-Q-SND", Decimal("5.37")),  # the apostrophe protection is removed
    ]


def test_a_summary_over_several_days_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "summary.csv"
    path.write_text(
        "Start Date,End Date,Campaign Name,Impressions,Clicks,Spend,7 Day Total Sales \n"
        '"Jun 01, 2026","Jun 30, 2026",SP | Linen sheets | Exact,40000,800,$ 420.00,"$ 2,310.00"\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        parse(path)
    assert str(caught.value) == (
        f"{path}, row 2, column 'Start Date': this row sums 2026-06-01 to 2026-06-30 into one figure; "
        "export the report broken down by day so each day gets its own row"
    )


# -- through the import path, on SQLite and PostgreSQL -------------------------------------------


def test_import_is_idempotent_and_overlapping_reports_do_not_duplicate(engine, tmp_path: Path) -> None:
    first = import_into(engine, FIXTURES / "search_terms_daily.csv", NOW)
    assert first.format == "amazon_ads.sponsored_products"
    assert first.rows_read == 4
    assert first.records["ad_spend_day"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert first.money == {"ad_spend": {"USD": Decimal("36.15")}}
    assert ad_totals(engine) == (2, 2, 2, 3, Decimal("36.15"))

    again = import_into(engine, FIXTURES / "search_terms_daily.csv", NOW)
    assert again.records["ad_spend_day"] == {"created": 0, "updated": 0, "unchanged": 3}

    # June 2 again (one more search term) and June 3 for the first time.
    lines = (FIXTURES / "search_terms_daily.csv").read_text(encoding="utf-8").splitlines()
    overlap = tmp_path / "overlap.csv"
    overlap.write_text(
        "\n".join(
            [
                *lines[:2],
                lines[5],
                lines[5].replace("Jun 02", "Jun 03"),
                '"Jun 02, 2026",Bedding,USD,SP | Linen sheets | Exact,Queen sheets,linen sheets queen,EXACT,'
                "linen sheet,40,1,2.50%,$ 0.50,$ 0.50,$ 0.00,,0.00,0,0,0.00%,0,0,$ 0.00,$ 0.00",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    third = import_into(engine, overlap, NOW)
    assert third.records["ad_spend_day"] == {"created": 1, "updated": 1, "unchanged": 0}
    assert ad_totals(engine) == (2, 2, 2, 4, Decimal("36.15") + Decimal("0.50") + Decimal("15.37"))


def test_brands_display_and_products_import_side_by_side(engine) -> None:
    import_into(engine, FIXTURES / "search_terms_daily.csv", NOW)
    import_into(engine, FIXTURES / "sponsored_brands_campaigns.csv", NOW)
    summary = import_into(engine, FIXTURES / "sponsored_display_campaigns.xlsx", NOW)
    assert summary.format == "amazon_ads.sponsored_display"
    assert summary.rows_read == 2
    assert summary.records["ad_spend_day"] == {"created": 2, "updated": 0, "unchanged": 0}
    # SP: 2 campaigns, 3 days, $36.15; SB: 2 campaigns, 3 days, $71.27; SD: 1 campaign, 2 days, $26.85.
    assert ad_totals(engine) == (5, 5, 5, 8, Decimal("36.15") + Decimal("71.27") + Decimal("26.85"))


def test_the_xlsx_of_a_report_already_imported_as_csv_changes_no_figure(engine) -> None:
    import_into(engine, FIXTURES / "search_terms_daily.csv", NOW)
    before = ad_totals(engine)
    summary = import_into(engine, FIXTURES / "sponsored_products_search_terms.xlsx", NOW)
    assert summary.format == "amazon_ads.sponsored_products"
    assert summary.records["ad_spend_day"]["created"] == 0
    assert ad_totals(engine) == before


def test_a_bad_cell_in_a_workbook_is_named_by_its_sheet_row(engine, tmp_path: Path) -> None:
    import_into(engine, FIXTURES / "advertised_products.csv", NOW)
    bad = tmp_path / "report.xlsx"
    header = ["Date", "Campaign Name", "Impressions", "Clicks", "Spend", "7 Day Total Sales "]
    bad.write_bytes(
        workbook_bytes(
            "Sponsored Product Campaign Rep",
            [
                ["Sponsored Products Campaign Report"],
                header,
                ["2026-06-01", "SP | Towels", 100, 2, 1.5, 0],
                [None],
                ["2026-06-02", "SP | Towels", 120, 3, "12.x5", 0],
            ],
            {},
        )
    )
    assert (
        refused_unchanged(engine, bad, NOW, ad_totals)
        == f"{bad}, row 5, column 'Spend': '12.x5' is not an amount"
    )


@pytest.mark.parametrize("cut", [0.3, 0.9])
def test_a_truncated_workbook_imports_nothing(engine, tmp_path: Path, cut: float) -> None:
    import_into(engine, FIXTURES / "advertised_products.csv", NOW)
    data = display_campaigns()
    bad = tmp_path / "report.xlsx"
    bad.write_bytes(data[: int(len(data) * cut)])
    message = refused_unchanged(engine, bad, NOW, ad_totals)
    assert message.startswith(f"{bad}: is not a readable XLSX workbook (")
    assert message.endswith("it may be damaged or cut short: download it again")


def test_the_committed_workbooks_are_what_the_builder_writes() -> None:
    assert (FIXTURES / "sponsored_products_search_terms.xlsx").read_bytes() == search_terms()
    assert (FIXTURES / "sponsored_display_campaigns.xlsx").read_bytes() == display_campaigns()


def test_a_corrupted_cell_imports_nothing(engine, tmp_path: Path) -> None:
    import_into(engine, FIXTURES / "advertised_products.csv", NOW)
    bad = tmp_path / "bad.csv"
    text = (FIXTURES / "search_terms_daily.csv").read_text(encoding="utf-8")
    bad.write_text(text.replace('"Jun 02, 2026"', '"Jun 32, 2026"'), encoding="utf-8")
    assert (
        refused_unchanged(engine, bad, NOW, ad_totals)
        == f"{bad}, row 6, column 'Date': 'Jun 32, 2026' is not a date"
    )


def test_a_count_the_database_cannot_hold_is_refused_by_row_and_column(engine, tmp_path: Path) -> None:
    """Found by the fuzz suite: SQLite raised OverflowError on a 29-digit impressions cell."""
    import_into(engine, FIXTURES / "advertised_products.csv", NOW)
    bad = tmp_path / "bad.csv"
    text = (FIXTURES / "sponsored_brands_campaigns.csv").read_text(encoding="utf-8")
    bad.write_text(text.replace(",4980,", ",99999999999999999999999999999,"), encoding="utf-8")
    assert refused_unchanged(engine, bad, NOW, ad_totals) == (
        f"{bad}, row 4, column 'Impressions': "
        "'99999999999999999999999999999' is more than a count sasame can store"
    )
