"""What Shopify's CSV exports share: header matching by name whatever its case, and fast readers for
the store-local instants and plain amounts that fill hundreds of thousands of cells."""

from __future__ import annotations

import csv
import gc
import io
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal

from sasame.connectors.base import ParseContext
from sasame.connectors.files import EMPTY_MARKERS, Row, SourceFile, parse_instant, sniff_delimiter
from sasame.core.errors import InputError
from sasame.core.money import MAX_AMOUNT

SPREADSHEET_INSTANT_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
)
"""What a spreadsheet makes of Shopify's 'YYYY-MM-DD HH:MM:SS -0700' when it re-saves the file:
the offset is gone, so the store's timezone is assumed (and the user is told)."""


def fold(header: str) -> str:
    """A header as compared: case and runs of spaces do not matter."""
    return " ".join(header.split()).casefold()


@contextmanager
def paused_garbage_collector() -> Iterator[None]:
    """Pause the cyclic garbage collector while a big export becomes records.

    Reading 300k rows allocates millions of acyclic objects (cells, rows, records); every few
    thousand allocations the collector would walk all of them again, which more than doubles the
    parse time. Reference counting still frees everything; the collector resumes afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Cells:
    """One data row as the reader gave it: cells looked up by column name without building a dict
    per row (exports run to hundreds of thousands of rows); a full Row only for the rare slow path."""

    __slots__ = ("cells", "file", "number", "positions")

    def __init__(self, file: str, number: int, cells: list[str], positions: dict[str, int]) -> None:
        self.file, self.number, self.cells, self.positions = file, number, cells, positions

    def get(self, column: str) -> str:
        # The hot path of a 300k-row export: one dict and one list look-up; a column the export
        # lacks, or a short row, is the rare exception.
        try:
            return self.cells[self.positions[column]]
        except (KeyError, IndexError):
            return ""

    def text(self, column: str, *, required: bool = False) -> str | None:
        """Like Row.text: stripped, apostrophe protection removed, empty markers as None."""
        try:
            value = self.cells[self.positions[column]].strip()
        except (KeyError, IndexError):
            value = ""
        if value[:1] == "'":
            value = value[1:]
        if value in EMPTY_MARKERS:
            if required:
                raise self.error(column, "is empty but a value is required")
            return None
        return value

    def integer(self, column: str, *, required: bool = False) -> int | None:
        raw = self.get(column)
        if raw.isdigit():
            return int(raw)
        return self.row().integer(column, required=required)

    def row(self) -> Row:
        return Row(self.file, self.number, {name: self.get(name) for name in self.positions})

    def error(self, column: str, message: str) -> InputError:
        return InputError(message, file=self.file, row=self.number, column=column)


def read_table(
    file: SourceFile,
    known: Iterable[str],
    *,
    aliases: Mapping[str, str] | None = None,
    required: Iterable[str] = (),
) -> tuple[list[str], list[Cells]]:
    """The header (in Shopify's spelling where it differs only by case, spacing or an older name)
    and the non-blank data rows, each numbered by the file line it starts on (1 = the header)."""
    header, positions, numbers, rows = read_cells(file, known, aliases=aliases, required=required)
    name = file.name
    return header, [
        Cells(name, number, cells, positions) for number, cells in zip(numbers, rows, strict=True)
    ]


def read_cells(
    file: SourceFile,
    known: Iterable[str],
    *,
    aliases: Mapping[str, str] | None = None,
    required: Iterable[str] = (),
) -> tuple[list[str], dict[str, int], list[int], list[list[str]]]:
    """Like read_table, without a Cells object per row: the header, each column's position, and the
    non-blank data rows as cell lists with their file line numbers (for the biggest exports)."""
    text = file.text
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    try:
        raw_header = next(reader)
    except StopIteration:
        raise InputError("is empty", file=file.name) from None
    except csv.Error as error:
        raise InputError(f"is not a readable CSV file ({error})", file=file.name, row=1) from error
    by_folded = {fold(name): name for name in known}
    for alias, name in (aliases or {}).items():
        by_folded[fold(alias)] = name
    header = [by_folded.get(fold(cell), cell.strip()) for cell in raw_header]
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        positions.setdefault(name, index)
    for column in required:
        if column not in positions:
            raise InputError(f"has no column {column!r}, which this format needs", file=file.name, row=1)
    width = len(header)
    rows: list[list[str]] = []
    numbers: list[int] = []
    ended = reader.line_num
    number = 1
    try:
        for cells in reader:
            number, ended = ended + 1, reader.line_num
            # A first cell with text proves the row is not blank without joining its 79 cells.
            if not (cells and cells[0].strip()) and not "".join(cells).strip():
                continue
            if len(cells) > width and "".join(cells[width:]).strip():
                raise InputError(
                    f"has {len(cells)} cells but the header has {width} columns", file=file.name, row=number
                )
            rows.append(cells)
            numbers.append(number)
    except csv.Error as error:
        raise InputError(f"is not a readable CSV file ({error})", file=file.name, row=number) from error
    return header, positions, numbers, rows


def money(row: Cells, column: str, *, required: bool = False) -> Decimal | None:
    """A plain amount ('184.76', '-179.55') fast; anything else through the general parser."""
    try:
        raw = row.cells[row.positions[column]]
    except (KeyError, IndexError):
        raw = ""
    if not raw:
        if not required:
            return None
    else:
        try:
            # Shopify writes plain decimals: Decimal() takes them directly, and the general parser
            # (symbols, separators, parentheses) only sees the rare cell that is not.
            if raw[0] in "-0123456789" and raw[-1].isdigit() and "e" not in raw and "E" not in raw:
                value = Decimal(raw)
                if value.is_finite() and abs(value) < MAX_AMOUNT:
                    return value
        except ArithmeticError:
            pass
    return row.row().money(column, required=required)


def instant(row: Cells, column: str, context: ParseContext, *, required: bool = False) -> datetime | None:
    """Shopify's 'YYYY-MM-DD HH:MM:SS ±HHMM'; a spreadsheet-damaged value is read in the store's zone."""
    raw = row.get(column)
    if raw and len(raw) == 25 and raw[19] == " " and raw[20] in "+-":
        try:
            return datetime.fromisoformat(f"{raw[:19]}{raw[20:23]}:{raw[23:]}").astimezone(UTC)
        except ValueError:
            pass
    value = row.text(column, required=required)
    if value is None:
        return None
    try:
        return parse_instant(value, formats=("%Y-%m-%d %H:%M:%S %z",))
    except ValueError:
        pass
    try:
        parsed = parse_instant(value, formats=SPREADSHEET_INSTANT_FORMATS, timezone=context.timezone)
    except ValueError:
        raise row.error(column, f"{value!r} is not a date and time") from None
    warn_once(
        context,
        f"{row.file}: dates without a UTC offset",
        f" (first {value!r} in column {column!r}, row {row.number}) look re-saved by a spreadsheet;"
        f" they were read in the store's timezone {context.timezone.key}",
    )
    return parsed


def warn_once(context: ParseContext, key: str, details: str) -> None:
    """Warn about a kind of problem once per file (the first case as the example), not once per row."""
    if not any(warning.startswith(key) for warning in context.warnings):
        context.warn(key + details)
