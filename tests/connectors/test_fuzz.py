"""Property tests over every fixture of every registered format: whatever happens to the file
(truncated, a row cut short, a wrong type or garbage in one cell, the wrong encoding, random bytes),
an import ends either in success or in an InputError naming the file, never in another exception,
and after an InputError the database is exactly as it was (table counts and a digest of every row).

Fixtures are found as described at the top of test_contract.py. Runs are derandomized so CI is
stable; set SASAME_FUZZ_EXAMPLES=500 SASAME_FUZZ_RANDOM=1 to explore further on a workstation.
The mutated imports run on SQLite and on PostgreSQL (which, unlike SQLite, refuses over-long text),
each on one database per module: a failed import must leave it untouched, a successful one may add.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from connector_fixtures import Fixture, all_fixtures
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from sasame import models as m
from sasame.connectors import REGISTRY
from sasame.connectors.files import SourceFile, decode, sniff_delimiter
from sasame.connectors.spreadsheet import is_workbook
from sasame.core.errors import InputError
from sasame.db import make_engine, transaction
from sasame.ingest.service import import_file

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
EXAMPLES = int(os.environ.get("SASAME_FUZZ_EXAMPLES", "12"))
POSTGRES_EXAMPLES = max(EXAMPLES // 3, 3)
"""Fewer on PostgreSQL: what it adds (length and type checks SQLite skips) shows up quickly."""

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("SASAME_FUZZ_RANDOM") != "1",
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

KNOWN = {f.name for f in REGISTRY}
FIXTURES = [f for f in all_fixtures() if f.valid and f.format_name in KNOWN]

WRONG_TYPED_VALUES = (
    "abc",
    "12.x5",
    "1,2,3",
    "-",
    "(",
    "$",
    "1e400",
    "99999999999999999999999999999",
    "2026-13-45",
    "31/02/2026",
    "0000-00-00 00:00:00",
    "NaN",
    "Infinity",
    "true",
    "'",
    '"',
    "",
    " ",
    "€€",
    "x" * 400,
)


# -- databases ----------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fuzz_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One migrated database per backend for the whole module (a fresh one per example is too slow)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        engine = make_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
        return
    server = request.getfixturevalue("postgres_server")
    schema = server.migrated()
    engine = make_engine(server.url(schema))
    yield engine
    engine.dispose()
    server.drop(schema)


def database_state(engine: Engine) -> tuple[dict[str, int], str]:
    """Row counts per table and a digest of every row, to prove a failed import changed nothing."""
    counts: dict[str, int] = {}
    digest = hashlib.sha256()
    with engine.connect() as connection:
        for table in m.Base.metadata.sorted_tables:
            counts[table.name] = connection.scalar(select(func.count()).select_from(table)) or 0
            for row in connection.execute(select(table).order_by(*table.primary_key.columns)):
                digest.update(repr(tuple(row)).encode())
    return counts, digest.hexdigest()


# -- mutations ----------------------------------------------------------------------------------


def _encode_like(original: bytes, content: str) -> bytes:
    """Encode text back the way the fixture was encoded (BOMs kept)."""
    if original.startswith(b"\xef\xbb\xbf"):
        return b"\xef\xbb\xbf" + content.encode("utf-8")
    if original.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.encode("utf-16")
    try:
        original.decode("utf-8")
    except UnicodeDecodeError:
        return content.encode("cp1252", errors="replace")
    return content.encode("utf-8")


def _leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaf_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaf_paths(item, (*path, index))
    else:
        yield path


def _replace_json_leaf(document: Any, path: tuple[Any, ...], value: Any, *, remove: bool) -> Any:
    if not path:
        return value
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if remove and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return document


def _wrong_json_value(original: Any, draw: Any) -> Any:
    """A value of another type than the original leaf's (or garbage of the same type)."""
    if isinstance(original, bool):
        return draw(st.sampled_from(["yes", 2, None, []]))
    if isinstance(original, int | float):
        return draw(st.sampled_from(["abc", "12.x5", None, {}, True, 10**30]))
    if isinstance(original, str):
        return draw(st.sampled_from([12345, None, [], {"a": 1}, True, *WRONG_TYPED_VALUES]))
    return draw(st.sampled_from(["abc", 0, [], {}]))


def _change_one_cell(data: bytes, draw: Any, new_value: Any) -> bytes:
    """Replace one value (CSV cell, JSON leaf, or text token) by `new_value` (a strategy)."""
    content = decode(data, "fixture")
    stripped = content.lstrip()
    if stripped[:1] in "{[":
        try:
            document = json.loads(content)
        except ValueError:
            document = None
        if document is not None:
            paths = list(_leaf_paths(document))
            if paths:
                path = draw(st.sampled_from(paths))
                leaf = document
                for step in path:
                    leaf = leaf[step]
                remove = draw(st.booleans()) and len(path) > 0
                value = draw(new_value) if new_value is not None else _wrong_json_value(leaf, draw)
                document = _replace_json_leaf(document, path, value, remove=remove)
                return _encode_like(data, json.dumps(document))
    if "<OFX>" in content.upper() or stripped.startswith("<"):
        tokens = list(re.finditer(r">([^<\r\n]+)", content))
        if tokens:
            token = draw(st.sampled_from(tokens))
            value = draw(new_value) if new_value is not None else draw(st.sampled_from(WRONG_TYPED_VALUES))
            return _encode_like(data, content[: token.start(1)] + str(value) + content[token.end(1) :])
    delimiter = sniff_delimiter(content)
    rows = list(csv.reader(io.StringIO(content, newline=""), delimiter=delimiter))
    cells = [(r, c) for r in range(1, len(rows)) for c in range(len(rows[r]))]
    if not cells:
        return data
    r, c = draw(st.sampled_from(cells))
    value = draw(new_value) if new_value is not None else draw(st.sampled_from(WRONG_TYPED_VALUES))
    rows[r][c] = str(value)
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n" if "\r\n" in content else "\n").writerows(rows)
    return _encode_like(data, out.getvalue())


def _change_one_workbook_cell(data: bytes, draw: Any, new_value: Any) -> bytes:
    """An XLSX fixture with one cell below the first row replaced (the workbook otherwise intact)."""
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    if cells:
        cell = draw(st.sampled_from(cells))
        value = draw(new_value) if new_value is not None else draw(st.sampled_from(WRONG_TYPED_VALUES))
        # XLSX cannot hold control characters, and text that looks like a formula would be stored
        # as one: the damage meant is a bad value.
        value = ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value
        cell.value = f"'{value}" if str(value).startswith("=") else value
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@st.composite
def mutated(draw: Any, data: bytes) -> tuple[str, bytes]:
    """One damaged version of a valid fixture, and the name of the damage."""
    workbook = is_workbook(data)
    kind = draw(
        st.sampled_from(
            [
                "truncated",
                "row cut short",
                "wrong type in a cell",
                "one corrupted cell",
                "UTF-16 without BOM",
                "re-encoded as cp1252",
                "random bytes",
                "random bytes inserted",
            ]
            if not workbook  # an XLSX workbook has no lines or text encoding to damage
            else [
                "truncated",
                "wrong type in a cell",
                "one corrupted cell",
                "random bytes",
                "random bytes inserted",
            ]
        )
    )
    if kind == "truncated":
        return kind, data[: draw(st.integers(0, max(len(data) - 1, 0)))]
    if kind == "random bytes":
        return kind, draw(st.binary(max_size=600))
    if kind == "random bytes inserted":
        at = draw(st.integers(0, len(data)))
        return kind, data[:at] + draw(st.binary(min_size=1, max_size=40)) + data[at:]
    garbage = st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
    )
    if workbook:
        return kind, _change_one_workbook_cell(
            data, draw, None if kind == "wrong type in a cell" else garbage
        )
    content = decode(data, "fixture")
    if kind == "UTF-16 without BOM":
        return kind, content.encode(draw(st.sampled_from(["utf-16-le", "utf-16-be"])))
    if kind == "re-encoded as cp1252":
        return kind, content.encode("cp1252", errors="replace")
    if kind == "row cut short":
        lines = content.split("\n")
        candidates = [i for i in range(1, len(lines)) if lines[i].strip()]
        if not candidates:
            return kind, data
        index = draw(st.sampled_from(candidates))
        lines[index] = lines[index][: draw(st.integers(0, max(len(lines[index]) - 1, 0)))]
        return kind, _encode_like(data, "\n".join(lines))
    if kind == "wrong type in a cell":
        return kind, _change_one_cell(data, draw, None)
    return kind, _change_one_cell(data, draw, garbage)


# -- the property ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.label for f in FIXTURES])
def test_damaged_files_import_or_fail_cleanly(
    fixture: Fixture, fuzz_engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("damaged")
    original = fixture.path.read_bytes()
    # The state is read again only after a successful import: one database read per example.
    state = {"before": database_state(fuzz_engine)}

    @settings(
        FUZZ_SETTINGS, max_examples=EXAMPLES if fuzz_engine.dialect.name == "sqlite" else POSTGRES_EXAMPLES
    )
    @given(damage=mutated(original), detect=st.booleans())
    def property_holds(damage: tuple[str, bytes], detect: bool) -> None:
        kind, data = damage
        path = folder / fixture.path.name
        path.write_bytes(data)
        # Every detector must answer (or refuse with an InputError) on any content.
        for file_format in REGISTRY:
            with contextlib.suppress(InputError):
                assert isinstance(file_format.detect(SourceFile(name=path.name, data=data)), bool)
        try:
            with transaction(fuzz_engine) as session:
                import_file(session, path, now=NOW, format_name=None if detect else fixture.format_name)
        except InputError as error:
            assert error.file, f"{kind}: the error does not name the file: {error}"
            after = database_state(fuzz_engine)
            assert after == state["before"], f"{kind}: a failed import changed the database"
        else:
            state["before"] = database_state(fuzz_engine)

    property_holds()


@pytest.mark.parametrize(
    "data",
    [b"\xef\xbb\xbfOrder,Total\n1,\xff\n", b"\xff\xfeO\x00r\x00d", b"\xfe\xff\x00O\x00"],
    ids=["utf-8 BOM, broken byte", "utf-16-le BOM, odd length", "utf-16-be BOM, odd length"],
)
def test_text_that_breaks_its_byte_order_mark_is_an_input_error(data: bytes) -> None:
    """Found by this suite: such bytes raised UnicodeDecodeError instead of naming the file."""
    with pytest.raises(InputError, match=r"^orders\.csv: is not valid UTF-(8|16-LE|16-BE) text although"):
        decode(data, "orders.csv")
