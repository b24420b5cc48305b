"""Mailchimp single-campaign report: golden files, the same record as the all-campaigns export's
row for the campaign, and the import path on both databases.

Regenerate the expected files after a deliberate change with SASAME_UPDATE_GOLDEN=1, then read
the diff: the golden files are the specification.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from connector_support import check_golden, document, email_totals, import_into, refused_unchanged
from sqlalchemy import select

from sasame import models as m
from sasame.connectors.base import ParseContext
from sasame.connectors.files import SourceFile
from sasame.connectors.mailchimp.campaign_report import MailchimpCampaignReport
from sasame.connectors.mailchimp.campaigns import MailchimpCampaigns
from sasame.connectors.records import EmailPerformanceRecord, as_plain
from sasame.core.errors import InputError
from sasame.ingest.service import detect_format

FIXTURES = Path(__file__).parent / "fixtures"
DAY = m.EmailPerformanceDay
WHOLESALE_DAY = (
    select(DAY.opens, DAY.conversions, DAY.revenue)
    .join(m.EmailCampaign)
    .where(m.EmailCampaign.name == "Wholesale catalogue 2026")
)
NOW = datetime(2026, 6, 20, 12, tzinfo=UTC)
GOLDEN = ["campaign_report_spring_sale.csv", "campaign_report_no_ecommerce.csv"]


def context() -> ParseContext:
    return ParseContext(timezone=ZoneInfo("America/Los_Angeles"), currency="USD")


def parse(path: Path) -> tuple[list[EmailPerformanceRecord], ParseContext]:
    parsed = context()
    return list(MailchimpCampaignReport().parse(SourceFile.read(path), parsed)), parsed


@pytest.mark.parametrize("name", GOLDEN)
def test_golden_file(name: str) -> None:
    path = FIXTURES / name
    assert detect_format(SourceFile.read(path)).name == "mailchimp.campaign_report"
    records, parsed = parse(path)
    check_golden(document("mailchimp.campaign_report", records, parsed, as_plain), path)


def test_the_report_is_the_campaigns_row_of_the_all_campaigns_export() -> None:
    """Same id and figures: 8:05 pm in Los Angeles on May 12 is 03:05 UTC on the 13th."""
    (report,), parsed = parse(FIXTURES / "campaign_report_spring_sale.csv")
    rows = list(MailchimpCampaigns().parse(SourceFile.read(FIXTURES / "campaigns_ecommerce.csv"), context()))
    row = next(r for r in rows if r.name == "Spring sale - last call")
    assert parsed.rows_read == 25
    assert parsed.warnings == []
    assert (report.sent_at, str(report.performance_date)) == (
        datetime(2026, 5, 13, 3, 5, tzinfo=UTC),
        "2026-05-12",
    )
    assert (report.recipients, report.delivered, report.opens, report.clicks, report.unsubscribes) == (
        1802,
        1790,
        498,
        75,
        6,
    )
    assert (report.conversions, report.revenue) == (14, Decimal("1540.70"))
    assert dataclasses.replace(report, source=row.source) == row


def test_a_report_without_ecommerce_warns_that_orders_and_revenue_are_unknown() -> None:
    (report,), parsed = parse(FIXTURES / "campaign_report_no_ecommerce.csv")
    assert (report.conversions, report.revenue, report.opens, report.sales_unknown) == (
        0,
        Decimal(0),
        141,
        True,
    )
    assert parsed.warnings == [
        "campaign 'Wholesale catalogue 2026': the report has no orders or revenue: recorded as 0 for a new "
        "campaign, and left as they are for one another export already gave them"
    ]


def test_a_report_without_ecommerce_leaves_the_orders_and_revenue_another_export_gave(
    engine, tmp_path
) -> None:
    export = tmp_path / "campaigns.csv"
    lines = (FIXTURES / "campaigns_ga_linked.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    # The wholesale campaign's Total Orders, Gross Sales and Revenue: 3 orders, 99.50.
    lines[1] = lines[1].replace("0d9e8f7a6b,0,0.00,0.00,", "0d9e8f7a6b,3,99.50,99.50,")
    export.write_text("".join(lines), encoding="utf-8")
    import_into(engine, export, NOW)
    with engine.connect() as connection:
        before = connection.execute(
            select(
                m.EmailPerformanceDay.opens, m.EmailPerformanceDay.conversions, m.EmailPerformanceDay.revenue
            )
            .join(m.EmailCampaign)
            .where(m.EmailCampaign.name == "Wholesale catalogue 2026")
        ).one()
    assert tuple(before) == (140, 3, Decimal("99.50"))
    report = import_into(engine, FIXTURES / "campaign_report_no_ecommerce.csv", NOW)
    assert report.records["email_performance_day"] == {"created": 0, "updated": 1, "unchanged": 0}
    with engine.connect() as connection:
        after = connection.execute(
            select(
                m.EmailPerformanceDay.opens, m.EmailPerformanceDay.conversions, m.EmailPerformanceDay.revenue
            )
            .join(m.EmailCampaign)
            .where(m.EmailCampaign.name == "Wholesale catalogue 2026")
        ).one()
    assert tuple(after) == (141, 3, Decimal("99.50"))  # the report's one more open, the export's sales


def test_an_ab_test_report_is_refused_by_its_repeated_line(tmp_path: Path) -> None:
    path = tmp_path / "ab.csv"
    path.write_text(
        "Campaign Report\n"
        '"Title:","Spring promo"\n'
        '"Delivery Date/Time:","Sat, May 1, 2021 10:15"\n'
        "\n"
        '"Combination 1 Stats"\n'
        '"Total Recipients:","1,751"\n'
        '"Recipients Who Opened:","141 (8.1%)"\n'
        "\n"
        '"Combination 2 Stats"\n'
        '"Total Recipients:","1,750"\n'
        '"Recipients Who Opened:","125 (7.2%)"\n',
        encoding="utf-8",
    )
    assert detect_format(SourceFile.read(path)).name == "mailchimp.campaign_report"
    with pytest.raises(InputError) as caught:
        parse(path)
    assert str(caught.value) == (
        f"{path}, row 10, column 'Total Recipients:': repeats 'Total Recipients:' of row 6: an A/B test "
        "report (one block per combination) is not read; import the all-campaigns export for this campaign"
    )


# -- through the import path, on SQLite and PostgreSQL -------------------------------------------


def test_the_report_and_the_all_campaigns_export_count_a_campaign_once(engine) -> None:
    import_into(engine, FIXTURES / "campaigns_ecommerce.csv", NOW)
    assert email_totals(engine) == (2, 2, Decimal("2553.20"))
    summary = import_into(engine, FIXTURES / "campaign_report_spring_sale.csv", NOW)
    assert summary.format == "mailchimp.campaign_report"
    assert summary.records["email_performance_day"]["created"] == 0
    assert email_totals(engine) == (2, 2, Decimal("2553.20"))
    again = import_into(engine, FIXTURES / "campaign_report_spring_sale.csv", NOW)
    assert again.records["email_performance_day"] == {"created": 0, "updated": 0, "unchanged": 1}

    import_into(engine, FIXTURES / "campaigns_ga_linked.csv", NOW)
    before = email_totals(engine)
    later = import_into(engine, FIXTURES / "campaign_report_no_ecommerce.csv", NOW)
    # One more open since the export: the same campaign is updated, none is added.
    assert later.records["email_performance_day"] == {"created": 0, "updated": 1, "unchanged": 0}
    assert email_totals(engine) == before


def test_a_corrupted_count_imports_nothing(engine, tmp_path: Path) -> None:
    import_into(engine, FIXTURES / "campaigns_ecommerce.csv", NOW)
    bad = tmp_path / "bad.csv"
    text = (FIXTURES / "campaign_report_spring_sale.csv").read_text(encoding="utf-8")
    bad.write_text(text.replace('"498 (27.8%)"', '"49x8 (27.8%)"'), encoding="utf-8")
    assert refused_unchanged(engine, bad, NOW, email_totals) == (
        f"{bad}, row 12, column 'Recipients Who Opened:': '49x8' is not a whole number"
    )
