"""Mailchimp campaigns export: golden files per variant, and the import path on both databases.

Regenerate the expected files after a deliberate change with SASAME_UPDATE_GOLDEN=1, then read
the diff: the golden files are the specification.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from sasame import models as m
from sasame.connectors.base import ParseContext
from sasame.connectors.files import SourceFile
from sasame.connectors.mailchimp.campaigns import MailchimpCampaigns
from sasame.connectors.records import EmailPerformanceRecord, as_plain
from sasame.core.errors import InputError
from sasame.db import transaction
from sasame.ingest.service import detect_format, import_file

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
    actual = {
        "format": "mailchimp.campaigns",
        "rows_read": context.rows_read,
        "warnings": context.warnings,
        "records": [as_plain(record) for record in records],
    }
    expected_path = FIXTURES / f"{name}.expected.json"
    if os.environ.get("SASAME_UPDATE_GOLDEN") == "1":
        expected_path.write_text(json.dumps(actual, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert actual == json.loads(expected_path.read_text(encoding="utf-8"))


def test_counts_orders_revenue_and_the_send_day() -> None:
    records, _ = parse(FIXTURES / "campaigns_ecommerce.csv")
    sale = records[1]
    assert (sale.external_id, sale.recipients, sale.delivered, sale.opens, sale.clicks) == (
        "f6e5d4c3b2",
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


def totals(engine) -> tuple[int, int, Decimal]:
    with transaction(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(m.EmailCampaign)),
            session.scalar(select(func.count()).select_from(m.EmailPerformanceDay)),
            session.scalar(select(func.coalesce(func.sum(m.EmailPerformanceDay.revenue), 0))),
        )


def test_import_is_idempotent_and_a_later_export_updates(engine, tmp_path: Path) -> None:
    with transaction(engine) as session:
        first = import_file(session, FIXTURES / "campaigns_ecommerce.csv", now=NOW)
    assert first.format == "mailchimp.campaigns"
    assert first.records["email_performance_day"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert first.money == {"email_revenue": {"USD": Decimal("2553.20")}}
    with transaction(engine) as session:
        again = import_file(session, FIXTURES / "campaigns_ecommerce.csv", now=NOW)
    assert again.records["email_performance_day"] == {"created": 0, "updated": 0, "unchanged": 2}

    lines = (FIXTURES / "campaigns_ecommerce.csv").read_text(encoding="utf-8").splitlines()
    later = tmp_path / "later.csv"
    later.write_text("\n".join([lines[0], lines[1].replace(",4,0,0,0,", ",5,0,0,0,"), lines[2]]) + "\n")
    with transaction(engine) as session:
        third = import_file(session, later, now=NOW)
    assert third.records["email_performance_day"] == {"created": 0, "updated": 1, "unchanged": 1}
    assert totals(engine) == (2, 2, Decimal("2553.20"))


def test_a_corrupted_cell_imports_nothing(engine, tmp_path: Path) -> None:
    with transaction(engine) as session:
        import_file(session, FIXTURES / "campaigns_ga_linked.csv", now=NOW)
    before = totals(engine)
    bad = tmp_path / "bad.csv"
    text = (FIXTURES / "campaigns_ecommerce.csv").read_text(encoding="utf-8")
    bad.write_text(text.replace('"May 12, 2026 08:05 pm"', '"May 12, 2026 20:05 pm"'), encoding="utf-8")
    with pytest.raises(InputError) as caught, transaction(engine) as session:
        import_file(session, bad, now=NOW)
    assert str(caught.value).startswith(
        f"{bad}, row 3, column 'Send Date': 'May 12, 2026 20:05 pm' is not a date and time"
    )
    assert totals(engine) == before
