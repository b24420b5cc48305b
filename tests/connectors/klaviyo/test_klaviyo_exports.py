"""Klaviyo campaign and flow exports: golden files per variant, and the import path on both databases.

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

from sasame.connectors.base import FileFormat, ParseContext
from sasame.connectors.files import SourceFile
from sasame.connectors.klaviyo.campaigns import KlaviyoCampaigns
from sasame.connectors.klaviyo.flows import KlaviyoFlows
from sasame.connectors.records import EmailPerformanceRecord, as_plain
from sasame.ingest.service import detect_format

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)
GOLDEN = [
    ("campaigns.csv", KlaviyoCampaigns()),
    ("campaigns_tab_fractions.csv", KlaviyoCampaigns()),
    ("flows_daily.csv", KlaviyoFlows()),
]


def parse(path: Path, file_format: FileFormat) -> tuple[list[EmailPerformanceRecord], ParseContext]:
    context = ParseContext(timezone=ZoneInfo("America/Los_Angeles"), currency="USD")
    records = list(file_format.parse(SourceFile.read(path), context))
    return records, context  # type: ignore[return-value]


@pytest.mark.parametrize(("name", "file_format"), GOLDEN, ids=[name for name, _ in GOLDEN])
def test_golden_file(name: str, file_format: FileFormat) -> None:
    path = FIXTURES / name
    assert detect_format(SourceFile.read(path)).name == file_format.name
    records, context = parse(path, file_format)
    check_golden(document(file_format.name, records, context, as_plain), path)


def test_campaign_counts_and_send_day_in_the_store_timezone() -> None:
    records, context = parse(FIXTURES / "campaigns.csv", KlaviyoCampaigns())
    first = records[0]
    assert (first.external_id, first.recipients, first.delivered, first.opens, first.clicks) == (
        "01JQYYRSHTMVBX2ZQ19RWKH2JW",
        12140,
        12020,
        5821,
        402,
    )
    assert (first.unsubscribes, first.conversions, first.revenue) == (28, 41, Decimal("6204.50"))
    # 19:30 in Los Angeles is 02:30 UTC the next day; the business day stays the 21st.
    assert records[1].sent_at == datetime(2026, 5, 22, 2, 30, tzinfo=UTC)
    assert records[1].performance_date.isoformat() == "2026-05-21"
    assert context.warnings == ["1 SMS campaign(s) are imported with the email ones (Campaign Channel SMS)"]


def test_rates_stand_in_for_missing_counts() -> None:
    records, _ = parse(FIXTURES / "campaigns_tab_fractions.csv", KlaviyoCampaigns())
    assert [(r.clicks, r.opens) for r in records] == [(401, 5821), (25, 4100)]  # 0.0334 x 12020, ...
    assert records[0].external_id.startswith("name:")  # no Campaign ID column: name + send time


def test_flow_messages_per_day_with_counts_from_rates() -> None:
    records, _ = parse(FIXTURES / "flows_daily.csv", KlaviyoFlows())
    welcome = records[0]
    assert (welcome.kind, welcome.flow_name, welcome.name, welcome.external_id) == (
        "flow",
        "ec-welcome_flow",
        "ec-welcome_flow-email1",
        "UtqWST",
    )
    # 48 delivered at a 4 % bounce rate: 50 recipients; 2.08 % unsubscribed: 1.
    assert (welcome.recipients, welcome.delivered, welcome.unsubscribes) == (50, 48, 1)
    assert [r.performance_date.isoformat() for r in records] == ["2026-05-20"] * 3 + ["2026-05-21"] * 2


# -- through the import path, on SQLite and PostgreSQL -------------------------------------------


def test_campaign_import_is_idempotent_and_a_later_export_updates(engine, tmp_path: Path) -> None:
    first = import_into(engine, FIXTURES / "campaigns.csv", NOW)
    assert first.format == "klaviyo.campaigns"
    assert first.records["email_performance_day"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert first.money == {"email_revenue": {"USD": Decimal("9096.50")}}
    again = import_into(engine, FIXTURES / "campaigns.csv", NOW)
    assert again.records["email_performance_day"] == {"created": 0, "updated": 0, "unchanged": 3}

    # A week later the first campaign has more orders; a new campaign has been sent.
    text = (FIXTURES / "campaigns.csv").read_text(encoding="utf-8").splitlines()
    later = tmp_path / "later.csv"
    later.write_text(
        "\n".join(
            [
                text[0],
                text[1].replace(",41.0,0.34%,6204.50,", ",44.0,0.37%,6650.50,"),
                text[2],
                "Summer sale,Promo,Summer sale starts,Newsletter,2026-05-26 10:00:00,Tuesday,12000.0,20.0,"
                "0.17%,2500.00,5000.0,42.0%,7000.0,300.0,2.5%,400.0,20.0,0.0,0.0%,11900.0,100.0,0.83%,"
                "01JR9Z2ABCDEF3GH4JK5MN6PQR,Email",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    third = import_into(engine, later, NOW)
    assert third.records["email_performance_day"] == {"created": 1, "updated": 1, "unchanged": 1}
    assert email_totals(engine) == (4, 4, Decimal("9096.50") + Decimal("446.00") + Decimal("2500.00"))


def test_flow_import_and_overlapping_days(engine, tmp_path: Path) -> None:
    first = import_into(engine, FIXTURES / "flows_daily.csv", NOW)
    assert first.format == "klaviyo.flows"
    assert first.records["email_performance_day"] == {"created": 5, "updated": 0, "unchanged": 0}
    assert email_totals(engine) == (4, 5, Decimal("677.90"))
    lines = (FIXTURES / "flows_daily.csv").read_text(encoding="utf-8").splitlines()
    overlap = tmp_path / "overlap.csv"
    overlap.write_text(
        "\n".join(
            [
                lines[0],
                lines[4],  # May 21 again, unchanged
                "05/22/2026,Sz4yWQ,ec-welcome_flow,UtqWST,ec-welcome_flow-email1,Email,live,40.0,20.0,0.5,"
                "5.0,0.125,1.0,0.025,55.0,1.375,0.0,0.0,0.0,Welcome",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    second = import_into(engine, overlap, NOW)
    assert second.records["email_performance_day"] == {"created": 1, "updated": 0, "unchanged": 1}
    assert email_totals(engine) == (4, 6, Decimal("732.90"))


def test_a_corrupted_cell_imports_nothing(engine, tmp_path: Path) -> None:
    import_into(engine, FIXTURES / "campaigns.csv", NOW)
    bad = tmp_path / "bad.csv"
    text = (FIXTURES / "flows_daily.csv").read_text(encoding="utf-8")
    bad.write_text(text.replace("402.9", "4O2.9"), encoding="utf-8")
    assert (
        refused_unchanged(engine, bad, NOW, email_totals)
        == f"{bad}, row 4, column 'Revenue': '4O2.9' is not an amount"
    )
