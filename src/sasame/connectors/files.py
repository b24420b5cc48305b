"""Reading sellers' files as they really are: BOMs and encodings, any delimiter, quoted newlines,
localized headers, apostrophe-protected cells, currency symbols, '--' for empty.

Every parse error is an InputError naming the file, the row (1 = the header line) and the column.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sasame.connectors.spreadsheet import Sheet, is_workbook, read_first_sheet, refuse_legacy_workbook
from sasame.core.errors import InputError
from sasame.core.money import MAX_AMOUNT, MAX_COUNT

EMPTY_MARKERS = frozenset({"", "--", "-", "—", "N/A", "n/a"})
"""Cell values meaning 'no value' (Etsy statements and Google Ads write '--')."""

_GROUPED_COMMAS = re.compile(r"\d{1,3}(,\d{3})+(\.\d*)?")
_GROUPED_DOTS = re.compile(r"\d{1,3}(\.\d{3})+(,\d*)?")
_WHITESPACE = re.compile(r"\s")
_CURRENCY_PREFIX = re.compile(r"^(?:[A-Z]{1,3}\$|[A-Z]{3}|[$€£¥₹])")
_CURRENCY_SUFFIX = re.compile(r"(?:[$€£¥₹]|[A-Z]{3})$")


@dataclass
class SourceFile:
    """A file handed to sasame, read once into memory, decoded on demand."""

    name: str
    data: bytes
    _text: str | None = field(default=None, repr=False)
    _sheet: Sheet | None = field(default=None, repr=False)

    @classmethod
    def read(cls, path: Path) -> SourceFile:
        try:
            return cls(name=str(path), data=path.read_bytes())
        except OSError as error:
            raise InputError(f"cannot read the file ({error.strerror})", file=str(path)) from error

    @property
    def text(self) -> str:
        """The content as text: BOMs honoured, UTF-8 first, Windows-1252 for older exports; an XLSX
        workbook's first sheet as CSV text, one line per sheet row."""
        if self._text is None:
            sheet = self.sheet
            if sheet is None:
                refuse_legacy_workbook(self.data, self.name)
            self._text = sheet.as_csv() if sheet is not None else decode(self.data, self.name)
        return self._text

    @property
    def sheet(self) -> Sheet | None:
        """The first worksheet when the file is an XLSX workbook, else None."""
        if self._sheet is None and is_workbook(self.data):
            self._sheet = read_first_sheet(self.data, self.name)
        return self._sheet

    def head(self, characters: int = 65_536) -> str:
        """The start of the text, enough for detection."""
        return self.text[:characters]

    def table(self, *, delimiter: str | None = None, skip_lines: int = 0) -> CsvTable:
        """Parse the file as a delimited table with a header row."""
        return CsvTable.parse(self, delimiter=delimiter, skip_lines=skip_lines)


def decode(data: bytes, name: str) -> str:
    """Decode a file's bytes by BOM, else UTF-8, else Windows-1252; NUL bytes mean a binary file."""
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            return data[3:].decode("utf-8", errors="strict")
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
    except UnicodeDecodeError as error:
        # A BOM promises an encoding; bytes that break it mean a damaged or truncated file.
        raise InputError(
            f"is not valid {error.encoding.upper()} text although it starts with its byte-order mark "
            f"(bad bytes at offset {error.start}); the file may be damaged or cut short",
            file=name,
        ) from None
    if b"\x00" in data[:4096]:
        raise InputError("is not a text file (it contains NUL bytes)", file=name)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def sniff_delimiter(head: str) -> str:
    """Pick the delimiter of the header line: tab, semicolon or comma, whichever splits it most."""
    first = head.split("\n", 1)[0]
    return max(("\t", ";", ","), key=first.count) if first else ","


@dataclass
class CsvTable:
    """A delimited file: its header names and its rows, each with its row number in the file."""

    file: str
    header: list[str]
    rows: list[Row]

    @classmethod
    def parse(cls, source: SourceFile, *, delimiter: str | None = None, skip_lines: int = 0) -> CsvTable:
        if source.sheet is not None:
            return cls.of_sheet(source.name, source.sheet, skip_lines=skip_lines)
        text = source.text
        if skip_lines:
            text = "\n".join(text.split("\n")[skip_lines:])
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or sniff_delimiter(text))
        try:
            header = [cell.strip() for cell in next(reader)]
        except StopIteration:
            raise InputError("is empty", file=source.name) from None
        except csv.Error as error:
            raise InputError(f"is not a readable CSV file ({error})", file=source.name, row=1) from error
        rows: list[Row] = []
        row_number = 1 + skip_lines
        ended = reader.line_num
        try:
            for cells in reader:
                # The line a record starts on: quoted newlines (Shopify notes) make it end further down.
                row_number, ended = skip_lines + ended + 1, reader.line_num
                row = _data_row(source.name, header, row_number, cells)
                if row is not None:
                    rows.append(row)
        except csv.Error as error:
            raise InputError(
                f"is not a readable CSV file ({error})", file=source.name, row=row_number
            ) from error
        return cls(file=source.name, header=header, rows=rows)

    @classmethod
    def of_sheet(cls, name: str, sheet: Sheet, *, skip_lines: int = 0) -> CsvTable:
        """The table of a worksheet whose header is row skip_lines + 1; rows keep the sheet's numbers."""
        if len(sheet.rows) <= skip_lines:
            raise InputError("is empty", file=name)
        header = [cell.strip() for cell in sheet.rows[skip_lines]]
        rows: list[Row] = []
        for row_number, cells in enumerate(sheet.rows[skip_lines + 1 :], start=skip_lines + 2):
            row = _data_row(name, header, row_number, cells)
            if row is not None:
                rows.append(row)
        return cls(file=name, header=header, rows=rows)

    def require(self, *columns: str) -> None:
        """Fail with a clear message when a column the format needs is missing."""
        for column in columns:
            if column not in self.header:
                raise InputError(f"has no column {column!r}, which this format needs", file=self.file, row=1)

    def rename(self, aliases: Mapping[str, str]) -> None:
        """Map localized or older header names to the canonical ones (alias → canonical)."""
        self.header = [aliases.get(name, name) for name in self.header]
        for row in self.rows:
            row.values = {aliases.get(name, name): value for name, value in row.values.items()}


def _data_row(file: str, header: list[str], row_number: int, cells: list[str]) -> Row | None:
    """The cells as a Row keyed by the header; None for a blank line; more cells than columns is damage."""
    if not any(cell.strip() for cell in cells):
        return None
    if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
        raise InputError(
            f"has {len(cells)} cells but the header has {len(header)} columns", file=file, row=row_number
        )
    return Row(file, row_number, dict(zip(header, cells, strict=False)))


@dataclass
class Row:
    """One data row; typed getters raise an InputError naming file, row and column."""

    file: str
    number: int
    values: dict[str, str]

    def error(self, column: str, message: str) -> InputError:
        return InputError(message, file=self.file, row=self.number, column=column)

    def text(self, column: str, *, required: bool = False) -> str | None:
        """The cell's text, stripped, with spreadsheet apostrophe protection removed; None if empty."""
        raw = self.values.get(column)
        value = raw.strip() if raw is not None else ""
        if value.startswith("'"):
            value = value[1:]
        if value in EMPTY_MARKERS:
            if required:
                raise self.error(column, "is empty but a value is required")
            return None
        return value

    def required_text(self, column: str) -> str:
        value = self.text(column, required=True)
        assert value is not None
        return value

    def money(self, column: str, *, decimal_comma: bool = False, required: bool = False) -> Decimal | None:
        value = self.text(column, required=required)
        if value is None:
            return None
        try:
            amount = parse_amount(value, decimal_comma=decimal_comma)
        except ValueError:
            raise self.error(column, f"{value!r} is not an amount") from None
        if abs(amount) >= MAX_AMOUNT:
            raise self.error(column, f"{value!r} is more than an amount sasame can store")
        return amount

    def required_money(self, column: str, *, decimal_comma: bool = False) -> Decimal:
        value = self.money(column, decimal_comma=decimal_comma, required=True)
        assert value is not None
        return value

    def integer(self, column: str, *, decimal_comma: bool = False, required: bool = False) -> int | None:
        value = self.text(column, required=required)
        if value is None:
            return None
        try:
            number = parse_amount(value, decimal_comma=decimal_comma)
        except ValueError:
            raise self.error(column, f"{value!r} is not a whole number") from None
        if number != number.to_integral_value():
            raise self.error(column, f"{value!r} is not a whole number")
        if abs(number) > MAX_COUNT:
            raise self.error(column, f"{value!r} is more than a count sasame can store")
        return int(number)

    def instant(
        self,
        column: str,
        *,
        formats: Iterable[str] = (),
        timezone: tzinfo | None = None,
        required: bool = False,
    ) -> datetime | None:
        value = self.text(column, required=required)
        if value is None:
            return None
        try:
            return parse_instant(value, formats=formats, timezone=timezone)
        except ValueError as error:
            raise self.error(column, f"{value!r} is not a date and time ({error})") from None

    def day(self, column: str, *, formats: Iterable[str] = (), required: bool = False) -> date | None:
        value = self.text(column, required=required)
        if value is None:
            return None
        for pattern in (*formats, "%Y-%m-%d"):
            try:
                return datetime.strptime(value, pattern).date()
            except ValueError:
                continue
        raise self.error(column, f"{value!r} is not a date")


def parse_amount(text: str, *, decimal_comma: bool = False) -> Decimal:
    """Parse '1,234.56', '$ 16.22', '-€ 0.04', 'CA$76.00', '(12.00)', '95,00' (with decimal_comma).

    A currency symbol or code may stand before or after the number, never inside it: '40$2.9' is
    damage and is refused.
    """
    value = _WHITESPACE.sub("", text)
    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1]
    for _ in range(2):  # the sign and the symbol come in either order: '-€0.04', '€-0.04'
        if value[:1] in ("-", "+"):
            negative, value = negative ^ (value[0] == "-"), value[1:]
        value = _CURRENCY_PREFIX.sub("", value, count=1)
    value = _CURRENCY_SUFFIX.sub("", value, count=1)
    # Thousands separators must group by three ('1,234.56'); '2,7.8' is damage, not a number.
    if decimal_comma:
        if "." in value and not _GROUPED_DOTS.fullmatch(value):
            raise ValueError(text)
        value = value.replace(".", "").replace(",", ".")
    else:
        if "," in value and not _GROUPED_COMMAS.fullmatch(value):
            raise ValueError(text)
        value = value.replace(",", "")
    if not value or not re.fullmatch(r"\d+(\.\d+)?|\.\d+", value):
        raise ValueError(text)
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(text) from None
    return -amount if negative else amount


def parse_instant(text: str, *, formats: Iterable[str] = (), timezone: tzinfo | None = None) -> datetime:
    """Parse an instant: ISO 8601 or one of the formats; a time without offset needs `timezone`."""
    parsed: datetime | None = None
    for pattern in formats:
        try:
            parsed = datetime.strptime(text, pattern)
            break
        except ValueError:
            continue
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("unrecognised format") from None
    if parsed.tzinfo is None:
        if timezone is None:
            raise ValueError("it has no timezone")
        parsed = parsed.replace(tzinfo=timezone)
    return parsed.astimezone(UTC)


def rows_by(rows: Iterable[Row], key: str) -> Iterator[tuple[str, list[Row]]]:
    """Group consecutive rows by a column's value (e.g. Shopify's one-row-per-line orders by Name)."""
    current: str | None = None
    group: list[Row] = []
    for row in rows:
        value = row.text(key, required=True)
        assert value is not None
        if value != current and group:
            assert current is not None
            yield current, group
            group = []
        current = value
        group.append(row)
    if group and current is not None:
        yield current, group


def parse_rate(text: str, *, decimal_comma: bool = False) -> Decimal:
    """Parse a rate as a fraction: '48.43%' and '0.4843' are both 0.4843 (exports write either)."""
    value = text.strip()
    if value.endswith("%"):
        return parse_amount(value[:-1], decimal_comma=decimal_comma) / 100
    return parse_amount(value, decimal_comma=decimal_comma)


_DECIMAL_COMMA = re.compile(r"^[^.]*\d,\d{1,2}$|\.\d{3}[^.]*,\d+$")
_DECIMAL_POINT = re.compile(r"^[^,]*\d\.\d{1,2}$|,\d{3}[^,]*\.\d+$")


def uses_decimal_comma(cells: Iterable[str | None], *, default: bool = False) -> bool:
    """Tell from money cells whether a file writes '1 234,56' (True) or '1,234.56'; else the default.

    Only unambiguous cells vote ('12,5' or '1.234,56' for the comma; '12.50' or '1,234.5' for the
    point): '1,234' alone could be either, which is why the file's language is the default.
    """
    comma = point = 0
    for cell in cells:
        value = (cell or "").strip().rstrip("%")
        if _DECIMAL_COMMA.search(value):
            comma += 1
        elif _DECIMAL_POINT.search(value):
            point += 1
    if comma == point:
        return default
    return comma > point


def header_index(text: str, is_header: Callable[[list[str]], bool], *, max_lines: int = 10) -> int | None:
    """The 0-based line of the header among title/date-range preamble lines, or None if none matches."""
    for index, line in enumerate(text.split("\n")[:max_lines]):
        line = line.rstrip("\r")
        try:
            cells = next(csv.reader([line], delimiter=sniff_delimiter(line)), [])
        except csv.Error:  # a stray carriage return inside the line: not a header
            continue
        if is_header([cell.strip() for cell in cells]):
            return index
    return None


def derived_id(*names: str) -> str:
    """A stable id for an object an export names but does not number (same names, same id)."""
    digest = hashlib.sha256("\x1f".join(names).encode("utf-8")).hexdigest()
    return f"name:{digest[:16]}"
