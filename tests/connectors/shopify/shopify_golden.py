"""Golden files: a fixture's parsed records, serialised with money as strings, compared exactly.

Run with SASAME_WRITE_GOLDEN=1 to (re)write the expected files after a deliberate change, then read
the diff before committing it.
"""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sasame.connectors.base import FileFormat, ParseContext
from sasame.connectors.files import SourceFile

FIXTURES = Path(__file__).parent / "fixtures"


def plain(value: Any) -> Any:
    """JSON-ready values: Decimal as its exact string, instants and days in ISO 8601."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # Fields left at their default are omitted, so a new optional field added to a record
        # class does not rewrite every golden file.
        return {
            field.name: plain(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if field.name != "payload"  # checked separately, not repeated here
            and not (field.default is not dataclasses.MISSING and getattr(value, field.name) == field.default)
        }
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def parse_fixture(
    file_format: FileFormat, name: str, *, timezone: str = "America/Toronto", currency: str = "CAD"
) -> dict[str, Any]:
    source = SourceFile(name=name, data=(FIXTURES / name).read_bytes())
    context = ParseContext(timezone=ZoneInfo(timezone), currency=currency)
    records = list(file_format.parse(source, context))
    return {
        "format": file_format.name,
        "rows_read": context.rows_read,
        "warnings": context.warnings,
        "records": plain(records),
    }


def assert_matches_golden(file_format: FileFormat, name: str, **store: str) -> None:
    parsed = parse_fixture(file_format, name, **store)
    expected_path = FIXTURES / f"{name}.expected.json"
    if os.environ.get("SASAME_WRITE_GOLDEN") == "1":
        expected_path.write_text(json.dumps(parsed, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert parsed == expected
