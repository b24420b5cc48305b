"""The contract every file format in sasame.connectors.REGISTRY keeps; new formats are picked up by
themselves.

Fixture convention (how this suite and test_fuzz.py find each format's files)
-------------------------------------------------------------------------------
* Fixtures are the files under ``tests/connectors/<platform>/fixtures/`` (subfolders included),
  where ``<platform>`` is the connector package (``sasame.connectors.<platform>``). Files whose
  names contain ``.expected.``, start with ``.`` or ``_``, README files and ``formats.json`` are not
  fixtures.
* A fixture's format is, in this order:
  1. its entry in ``formats.json`` beside it: ``{"orders_en.csv": "shopify.orders_csv"}``; an entry
     ``{"format": "shopify.orders_csv", "valid": false}`` marks a file broken on purpose (it must be
     detected but must not parse), and ``null`` marks a file that is no import file at all (an API
     payload served by a test server);
  2. the ``"format"`` key of its expected-records file ``<fixture>.expected.json`` (or
     ``<stem>.expected.json``) when that file is a JSON object;
  3. the only format of its platform;
  4. the one format of its platform whose ``detect`` is True (a file no format claims is skipped
     here, with a message asking for a ``formats.json`` entry).
  An explicit ``formats.json`` is the robust choice when a platform has several formats.

What is checked, per format: a unique name 'platform.export' and a title; at least one fixture;
detection True on its own fixtures and False on every other format's (no ambiguity, and no
exception on any file); parsing is deterministic; records carry a SourceRef whose origin is the
format's name and whose natural key is non-empty, fits the column and is unique within the file;
money is never a float and instants are aware UTC; rows_read is set.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from connector_fixtures import Fixture, all_fixtures, fixtures_of, format_by_name

from sasame.connectors import REGISTRY, FileFormat
from sasame.connectors.base import ParseContext
from sasame.connectors.records import SourceRef
from sasame.core.errors import InputError

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_.]*$")
NATURAL_KEY_LENGTH = 300  # source_record.natural_key
ORIGIN_LENGTH = 60  # source_record.origin and source_file.format

FORMATS = {f.name: f for f in REGISTRY}
RESOLVED = [f for f in all_fixtures() if f.format_name is not None]


def context() -> ParseContext:
    # A store far from UTC, so a parser that ignores the store's zone shows it.
    return ParseContext(timezone=ZoneInfo("America/Los_Angeles"), currency="USD")


def by_format() -> Any:
    return pytest.mark.parametrize("file_format", REGISTRY, ids=[f.name for f in REGISTRY])


def by_fixture(fixtures: list[Fixture]) -> Any:
    return pytest.mark.parametrize("fixture", fixtures, ids=[f.label for f in fixtures])


def source_refs(value: Any) -> Iterator[SourceRef]:
    """Every SourceRef in a record, nested lines included."""
    if isinstance(value, SourceRef):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from source_refs(getattr(value, field.name))
    elif isinstance(value, tuple | list):
        for item in value:
            yield from source_refs(item)


def value_problems(value: Any, where: str) -> Iterator[str]:
    """Floats where money belongs, naive or non-UTC instants (raw payloads are left as received)."""
    if isinstance(value, float):
        yield f"{where} is a float ({value!r}); money and quantities must be Decimal or int"
    elif isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() != timedelta(0):
            yield f"{where} is {value.isoformat()}, not an aware UTC instant"
    elif isinstance(value, SourceRef | date | Decimal | str | int | bool) or value is None:
        return
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from value_problems(getattr(value, field.name), f"{where}.{field.name}")
    elif isinstance(value, tuple | list):
        for index, item in enumerate(value):
            yield from value_problems(item, f"{where}[{index}]")


def test_format_names_are_unique() -> None:
    duplicates = [name for name, n in Counter(f.name for f in REGISTRY).items() if n > 1]
    assert not duplicates, f"format names used twice: {duplicates}"


@by_format()
def test_format_is_named_and_titled(file_format: FileFormat) -> None:
    assert NAME_PATTERN.match(file_format.name), f"{file_format.name!r} is not 'platform.export'"
    assert len(file_format.name) <= ORIGIN_LENGTH
    assert isinstance(file_format.title, str) and file_format.title.strip()


@by_format()
def test_format_has_fixtures(file_format: FileFormat) -> None:
    assert fixtures_of(file_format.name), (
        f"{file_format.name} has no fixture under tests/connectors/<platform>/fixtures/ "
        "(see the convention at the top of this file)"
    )


@by_fixture(list(all_fixtures()))
def test_fixture_names_a_registered_format(fixture: Fixture) -> None:
    if fixture.format_name is None:
        if fixture.how == "unresolved":
            pytest.skip(f"no format claims {fixture.label}; name it (or null) in formats.json")
        return
    assert fixture.format_name in FORMATS, (
        f"{fixture.label} names {fixture.format_name!r} ({fixture.how}), which is not in REGISTRY"
    )


@by_format()
def test_detection_is_unambiguous(file_format: FileFormat) -> None:
    """True on the format's own fixtures, False on every other format's, never an exception."""
    wrong = []
    for fixture in RESOLVED:
        own = fixture.format_name == file_format.name
        try:
            detected = file_format.detect(fixture.source())
        except InputError as error:
            if fixture.valid:
                wrong.append(f"raised on {fixture.label}: {error}")
            continue
        if not isinstance(detected, bool):
            wrong.append(f"returned {detected!r}, not a bool, on {fixture.label}")
        elif detected != own:
            wrong.append(f"{'misses its own' if own else 'also claims'} {fixture.label}")
    assert not wrong, f"{file_format.name} detection: " + "; ".join(wrong)


@by_fixture([f for f in RESOLVED if f.format_name in FORMATS and f.valid])
def test_parsing_keeps_the_contract(fixture: Fixture) -> None:
    file_format = format_by_name(fixture.format_name or "")
    first_context, second_context = context(), context()
    records = list(file_format.parse(fixture.source(), first_context))
    again = list(file_format.parse(fixture.source(), second_context))
    assert records == again, "parsing the same file twice gave different records"
    assert first_context.warnings == second_context.warnings
    assert records, f"{fixture.label} yielded no records"
    assert first_context.rows_read > 0, "the parser did not set context.rows_read"

    keys: Counter[tuple[str, str]] = Counter()
    for number, record in enumerate(records):
        refs = list(source_refs(record))
        assert refs, f"record {number} ({type(record).__name__}) has no SourceRef"
        for ref in refs:
            assert ref.origin == file_format.name, f"record {number}: origin {ref.origin!r}"
            assert ref.natural_key and ref.natural_key.strip(), f"record {number}: empty natural key"
            assert len(ref.natural_key) <= NATURAL_KEY_LENGTH, f"record {number}: natural key too long"
            keys[(ref.origin, ref.natural_key)] += 1
        problems = list(value_problems(record, f"record {number}"))
        assert not problems, "; ".join(problems)
    repeated = [key for key, n in keys.items() if n > 1]
    assert not repeated, f"natural keys repeated within the file: {repeated[:5]}"


@by_fixture([f for f in RESOLVED if f.format_name in FORMATS and not f.valid])
def test_broken_fixtures_fail_with_an_input_error(fixture: Fixture) -> None:
    file_format = format_by_name(fixture.format_name or "")
    with pytest.raises(InputError) as caught:
        list(file_format.parse(fixture.source(), context()))
    assert caught.value.file == fixture.path.name, "the error must name the file"
