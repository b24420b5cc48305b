"""Helpers the connectors' test suites share: golden files of parsed records, and the checks run
through the import path (what the database holds, and that a refused file changes none of it)."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Select, func, select

from sasame import models as m
from sasame.connectors.base import FileFormat, ParseContext
from sasame.connectors.files import SourceFile
from sasame.core.errors import InputError
from sasame.db import transaction
from sasame.ingest.service import ImportSummary, import_file

# -- golden files ----------------------------------------------------------------------------


def plain(value: Any, *, typed: bool = False) -> Any:
    """A record as JSON-able data: Decimal and instants as strings, the raw payload left out (it is
    the input). With typed, each record also names its class under "type"."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [f.name for f in dataclasses.fields(value) if f.name != "payload"]
        named = {"type": type(value).__name__} if typed else {}
        return {**named, **{name: plain(getattr(value, name), typed=typed) for name in fields}}
    if isinstance(value, tuple | list):
        return [plain(item, typed=typed) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def document(
    format_name: str, records: Sequence[Any], context: ParseContext, serialise: Callable[[Any], Any] = plain
) -> dict[str, Any]:
    """What a golden file holds: the format, rows read, warnings and the records, serialised."""
    return {
        "format": format_name,
        "rows_read": context.rows_read,
        "warnings": context.warnings,
        "records": [serialise(record) for record in records],
    }


def parse_file(
    file_format: FileFormat, path: Path, context: ParseContext, *, typed: bool = False
) -> dict[str, Any]:
    """The golden document of a file, parsed as a source named by the file's name."""
    records = list(file_format.parse(SourceFile(name=path.name, data=path.read_bytes()), context))
    return document(file_format.name, records, context, lambda record: plain(record, typed=typed))


def check_golden(actual: dict[str, Any], fixture: Path) -> None:
    """actual is exactly <fixture>.expected.json. SASAME_UPDATE_GOLDEN=1 rewrites that file first
    (review the diff before committing: the expected files are the specification)."""
    expected_path = fixture.with_name(fixture.name + ".expected.json")
    if os.environ.get("SASAME_UPDATE_GOLDEN") == "1":
        expected_path.write_text(json.dumps(actual, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert actual == json.loads(expected_path.read_text(encoding="utf-8"))


# -- through the import path -----------------------------------------------------------------


def import_into(engine: Engine, path: Path, now: datetime) -> ImportSummary:
    """Import one file in a transaction of its own."""
    with transaction(engine) as session:
        return import_file(session, path, now=now)


def refused_unchanged(engine: Engine, bad: Path, now: datetime, state: Callable[[Engine], object]) -> str:
    """Import bad, which must be refused with an InputError and leave state(engine) exactly as it
    was; the error's message, for the caller to compare."""
    before = state(engine)
    with pytest.raises(InputError) as caught, transaction(engine) as session:
        import_file(session, bad, now=now)
    assert state(engine) == before
    return str(caught.value)


def count(model: type[Any]) -> Select[Any]:
    return select(func.count()).select_from(model)


def total(column: Any) -> Select[Any]:
    return select(func.coalesce(func.sum(column), 0))


def scalars(engine: Engine, *queries: Select[Any]) -> tuple[Any, ...]:
    """One value per query, read in one transaction."""
    with transaction(engine) as session:
        return tuple(session.scalar(query) for query in queries)


def ad_totals(engine: Engine) -> tuple[int, int, int, int, Decimal]:
    """Campaigns, ad sets, ads, ad days and the spend of all days."""
    return scalars(  # type: ignore[return-value]
        engine,
        count(m.AdCampaign),
        count(m.AdSet),
        count(m.Ad),
        count(m.AdSpendDay),
        total(m.AdSpendDay.spend),
    )


def email_totals(engine: Engine) -> tuple[int, int, Decimal]:
    """Email campaigns, their days and the revenue of all days."""
    return scalars(  # type: ignore[return-value]
        engine, count(m.EmailCampaign), count(m.EmailPerformanceDay), total(m.EmailPerformanceDay.revenue)
    )


def payout_totals(engine: Engine) -> tuple[int, int, Decimal, Decimal]:
    """Payouts, payout lines, the sum of the payouts and the sum of the lines."""
    return scalars(  # type: ignore[return-value]
        engine, count(m.Payout), count(m.PayoutLine), total(m.Payout.amount), total(m.PayoutLine.amount)
    )
