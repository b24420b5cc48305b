"""Golden files for Etsy's formats: each fixture's parsed records, serialised with money as
strings, are compared exactly with <fixture>.expected.json. SASAME_UPDATE_GOLDEN=1 rewrites them
(review the diff before committing: the expected files are the specification)."""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sasame.connectors.base import FileFormat, ParseContext
from sasame.connectors.files import SourceFile

FIXTURES = Path(__file__).parent / "fixtures"
STORE_ZONE = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
"""The import clock of the import tests."""


def plain(value: Any) -> Any:
    """A record as JSON-able data: Decimal and instants as strings, the raw payload left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [f.name for f in dataclasses.fields(value) if f.name != "payload"]
        return {"type": type(value).__name__, **{name: plain(getattr(value, name)) for name in fields}}
    if isinstance(value, tuple | list):
        return [plain(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def parsed(file_format: FileFormat, fixture: Path) -> dict[str, Any]:
    context = ParseContext(timezone=STORE_ZONE, currency="USD")
    source = SourceFile(name=fixture.name, data=fixture.read_bytes())
    records = [plain(record) for record in file_format.parse(source, context)]
    return {
        "format": file_format.name,
        "rows_read": context.rows_read,
        "warnings": context.warnings,
        "records": records,
    }


def check_golden(file_format: FileFormat, fixture: Path) -> None:
    expected_path = fixture.with_name(fixture.name + ".expected.json")
    actual = parsed(file_format, fixture)
    if os.environ.get("SASAME_UPDATE_GOLDEN") == "1":
        expected_path.write_text(json.dumps(actual, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert actual == expected
