"""Mailchimp campaigns export: golden files per variant, and the import path on both databases.

Regenerate the expected files after a deliberate change with SASAME_UPDATE_GOLDEN=1, then read
the diff: the golden files are the specification.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from connector_support import check_golden, document, email_totals, import_into, refused_unchanged

from sasame.connectors.base import ParseContext
from sasame.connectors.files import SourceFile
from sasame.connectors.mailchimp.campaigns import MailchimpCampaigns, campaign_id
from sasame.connectors.records import EmailPerformanceRecord, as_plain
from sasame.ingest.service import detect_format

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 6, 20, 12, tzinfo=UTC)
GOLDEN = ["campaigns_ecommerce.csv", "campaigns_ga_linked.csv"]


def parse(path: Path) -> tuple[list[EmailPerformanceRecord], ParseContext]:
    context = ParseContext(timezone=ZoneInfo("America/Los_Angeles"), currency="USD")
    records = list(MailchimpCampaigns().parse(SourceFile.read(path), context))
    return records, context


@pytest.mark.parametrize("name", GOLDEN)
def test_golden_file(name: str) -> None:
    path = FIXTURES / name
    assert detect_format(SourceFile.read(path)).name == "mailchimp.campaigns"
    records, context = parse(path)
    check_golden(document("mailchimp.campaigns", records, context, as_plain), path)


def test_counts_orders_revenue_and_the_send_day() -> None:
    records, _ = parse(FIXTURES / "campaigns_ecommerce.csv")
    sale = records[1]
    assert (sale.external_id, sale.recipients, sale.delivered, sale.opens, sale.clicks) == (
        campaign_id("Spring sale - last call", datetime(2026, 5, 13, 3, 5, tzinfo=UTC), 1802),
        1802,
        1790,
        498,
        75,
    )
    assert (sale.unsubscribes, sale.conversions, sale.revenue) == (6, 14, Decimal("1540.70"))
    # 8:05 pm in Los Angeles is 03:05 UTC the next day; the business day stays the 12th.
    assert sale.sent_at == datetime(2026, 5, 13, 3, 5, tzinfo=UTC)
    assert str(sale.performance_date) == "2026-05-12"


# -- through the import path, on SQLite and PostgreSQL -------------------------------------------


def test_import_is_idempotent_and_a_later_export_updates(engine, tmp_path: Path) -> None:
    first = import_into(engine, FIXTURES / "campaigns_ecommerce.csv", NOW)
    assert first.format == "mailchimp.campaigns"
    assert first.records["email_performance_day"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert first.money == {"email_revenue": {"USD": Decimal("2553.20")}}
    again = import_into(engine, FIXTURES / "campaigns_ecommerce.csv", NOW)
    assert again.records["email_performance_day"] == {"created": 0, "updated": 0, "unchanged": 2}

    lines = (FIXTURES / "campaigns_ecommerce.csv").read_text(encoding="utf-8").splitlines()
    later = tmp_path / "later.csv"
    later.write_text("\n".join([lines[0], lines[1].replace(",4,0,0,0,", ",5,0,0,0,"), lines[2]]) + "\n")
    third = import_into(engine, later, NOW)
    assert third.records["email_performance_day"] == {"created": 0, "updated": 1, "unchanged": 1}
    assert email_totals(engine) == (2, 2, Decimal("2553.20"))


def test_a_corrupted_cell_imports_nothing(engine, tmp_path: Path) -> None:
    import_into(engine, FIXTURES / "campaigns_ga_linked.csv", NOW)
    bad = tmp_path / "bad.csv"
    text = (FIXTURES / "campaigns_ecommerce.csv").read_text(encoding="utf-8")
    bad.write_text(text.replace('"May 12, 2026 08:05 pm"', '"May 12, 2026 20:05 pm"'), encoding="utf-8")
    assert refused_unchanged(engine, bad, NOW, email_totals).startswith(
        f"{bad}, row 3, column 'Send Date': 'May 12, 2026 20:05 pm' is not a date and time"
    )
