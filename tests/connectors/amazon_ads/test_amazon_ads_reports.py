"""Amazon Ads Sponsored Products reports: golden files per variant, and the import path on both databases.

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

from sasame.connectors.amazon_ads.sponsored_products import AmazonSponsoredProducts
from sasame.connectors.base import ParseContext
from sasame.connectors.files import SourceFile
from sasame.connectors.records import AdSpendRecord, as_plain
from sasame.core.errors import InputError
from sasame.ingest.service import detect_format

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 6, 10, 12, tzinfo=UTC)
GOLDEN = ["search_terms_daily.csv", "campaigns_single_day_gbp.csv", "advertised_products.csv"]


def parse(path: Path) -> tuple[list[AdSpendRecord], ParseContext]:
    context = ParseContext(timezone=ZoneInfo("America/New_York"), currency="USD")
    records = list(AmazonSponsoredProducts().parse(SourceFile.read(path), context))
    return records, context


@pytest.mark.parametrize("name", GOLDEN)
def test_golden_file(name: str) -> None:
    path = FIXTURES / name
    assert detect_format(SourceFile.read(path)).name == "amazon_ads.sponsored_products"
    records, context = parse(path)
    check_golden(document("amazon_ads.sponsored_products", records, context, as_plain), path)


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


def test_a_corrupted_cell_imports_nothing(engine, tmp_path: Path) -> None:
    import_into(engine, FIXTURES / "advertised_products.csv", NOW)
    bad = tmp_path / "bad.csv"
    text = (FIXTURES / "search_terms_daily.csv").read_text(encoding="utf-8")
    bad.write_text(text.replace('"Jun 02, 2026"', '"Jun 32, 2026"'), encoding="utf-8")
    assert (
        refused_unchanged(engine, bad, NOW, ad_totals)
        == f"{bad}, row 6, column 'Date': 'Jun 32, 2026' is not a date"
    )
