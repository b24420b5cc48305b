"""PayPal activity download: golden files for every variant (US, EU decimal commas, Japanese
headers, a custom column subset), and the import path on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from connector_support import check_golden, import_into, parse_file, payout_totals, refused_unchanged

from sasame import models as m
from sasame.connectors import REGISTRY
from sasame.connectors.base import ParseContext
from sasame.connectors.files import SourceFile
from sasame.connectors.paypal.activity import PayPalActivity, zone_of
from sasame.core.errors import InputError
from sasame.db import transaction

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
FORMAT = PayPalActivity()
VALID = sorted(p.name for p in FIXTURES.glob("*.csv") if "corrupt" not in p.name)


def parsed(name: str) -> dict[str, Any]:
    # A store in Los Angeles: business days are Pacific days whatever zone the account writes.
    return parse_file(
        FORMAT, FIXTURES / name, ParseContext(timezone=ZoneInfo("America/Los_Angeles"), currency="USD")
    )


@pytest.mark.parametrize("name", VALID)
def test_golden_file(name: str) -> None:
    check_golden(parsed(name), FIXTURES / name)


@pytest.mark.parametrize("name", VALID)
def test_detected_by_content_as_this_format_only(name: str) -> None:
    file = SourceFile(name="download.csv", data=(FIXTURES / name).read_bytes())
    assert [f.name for f in REGISTRY if f.detect(file)] == [FORMAT.name]


@pytest.mark.parametrize(
    ("cell", "offset_hours"),
    [("PST", -8), ("PDT", -7), ("CET", 1), ("CEST", 2), ("JST", 9), ("GMT+01:00", 1), ("-0330", -3.5)],
)
def test_time_zone_cells(cell: str, offset_hours: float) -> None:
    offset = zone_of(cell).utcoffset(datetime(2024, 1, 1))
    assert offset is not None and offset.total_seconds() == offset_hours * 3600


def test_withdrawals_are_what_the_bank_receives() -> None:
    records = parsed("activity_us_2018.csv")["records"]
    paid = [(r["external_id"], r["amount"], r["paid_on"]) for r in records if r["status"] == "paid"]
    assert paid == [("0JK12345LM6789012", "1188.21", "2018-01-05")]
    usd_activity = sum(
        Decimal(r["amount"]) for r in records if r["status"] == "activity" and r["currency"] == "USD"
    )
    assert usd_activity == Decimal("1188.21")  # the balance the withdrawal emptied


def test_import_is_exact_idempotent_and_overlaps_without_duplicates(engine, tmp_path) -> None:
    path = FIXTURES / "activity_us_2018.csv"
    with transaction(engine) as session:
        session.add(
            m.BusinessSetting(name="S", currency="USD", timezone="America/Los_Angeles", created_at=NOW)
        )
    first = import_into(engine, path, NOW)
    assert (first.format, first.rows_read) == (FORMAT.name, 10)
    assert first.records["payout"] == {"created": 5, "updated": 0, "unchanged": 0}
    assert first.money == {"payouts": {"EUR": Decimal("41.50"), "USD": Decimal("2376.42")}}
    assert len(first.warnings) == 2
    expected = (5, 11, Decimal("2417.92"), Decimal("1229.71"))
    assert payout_totals(engine) == expected
    again = import_into(engine, path, NOW)
    assert again.records["payout"] == {"created": 0, "updated": 0, "unchanged": 5}
    lines = path.read_text(encoding="utf-8").splitlines()
    overlapping = tmp_path / "january_4_5.csv"  # the last two days again, one partner tax corrected
    overlapping.write_text(
        "\n".join([lines[0], *lines[6:]]).replace('"-3.10","0.00","-3.10"', '"-3.00","0.00","-3.00"')
    )
    third = import_into(engine, overlapping, NOW)
    assert third.records["payout"] == {"created": 0, "updated": 1, "unchanged": 2}
    assert payout_totals(engine) == (5, 11, Decimal("2418.02"), Decimal("1229.81"))


def test_a_corrupted_cell_names_file_row_column_and_changes_nothing(engine) -> None:
    import_into(engine, FIXTURES / "activity_eu_decimal_comma.csv", NOW)
    bad = FIXTURES / "activity_us_2018_corrupt.csv"
    assert (
        refused_unchanged(engine, bad, NOW, payout_totals)
        == f"{bad}, row 3, column 'Net': '1,213.4S' is not an amount"
    )


@pytest.mark.parametrize("name", ["America", "x" * 300])
def test_a_folder_or_an_overlong_name_is_not_a_time_zone(name: str) -> None:
    # Found by a random fuzz run: ZoneInfo raised OSError (IsADirectoryError, name too long).
    with pytest.raises(ValueError, match="is not a time zone sasame knows"):
        zone_of(name)


def test_an_unknown_time_zone_is_named() -> None:
    data = (FIXTURES / "activity_custom_subset.csv").read_bytes().replace(b'"CET","Ann', b'"XYZ","Ann')
    with pytest.raises(InputError, match=r"row 2, column 'TimeZone': 'XYZ' is not a time zone sasame knows"):
        list(FORMAT.parse(SourceFile("x.csv", data), ParseContext(ZoneInfo("UTC"), "USD")))
