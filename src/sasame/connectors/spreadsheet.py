"""XLSX downloads read as the CSV export they stand for: the first sheet's cells as text.

Platforms whose default download is a workbook (Amazon Ads console reports) write the same table
as their CSV: a header row, perhaps a title row above it. Reading the first sheet into rows of cell
texts lets every format detect and parse a workbook exactly as it does the CSV, by its headers,
and name rows as the spreadsheet numbers them (row 1 is the sheet's first row).

Cells become the text the CSV would hold: numbers in plain notation (Excel's 15 significant digits,
padded to the decimals the cell's number format shows, so money stays '16.20', never a float),
percent-formatted cells as '2.57%', dates as ISO dates. The workbook is opened read-only and
without formulas (their cached values are read), and any damage ends in an InputError.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sasame.core.errors import InputError

ZIP_SIGNATURE = b"PK\x03\x04"
"""An XLSX workbook is a ZIP archive; text exports never start with these bytes."""
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
"""Excel 97-2003 (.xls) workbooks are OLE compound files, which sasame does not read."""
EXCEL_SIGNIFICANT_DIGITS = 15
_DECIMALS_SHOWN = re.compile(r"0\.(0+)")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n]")


@dataclass(frozen=True)
class Sheet:
    """The first worksheet of a workbook: its tab name and every row from row 1, cells as text."""

    title: str
    rows: list[list[str]]

    def as_csv(self) -> str:
        """The rows as comma-separated text, one line per sheet row (for detection by headers).

        A line break inside a cell is written as a space here so that line n is always sheet row
        n + 1; the table itself (CsvTable.parse) keeps the cell's text as it is.
        """
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\n")
        for cells in self.rows:
            writer.writerow([_LINE_BREAKS.sub(" ", cell) for cell in cells])
        return out.getvalue()


def is_workbook(data: bytes) -> bool:
    """True when the bytes are a ZIP archive, which is what an XLSX workbook is."""
    return data.startswith(ZIP_SIGNATURE)


def refuse_legacy_workbook(data: bytes, name: str) -> None:
    """An Excel 97-2003 file gets a message saying what to do, not 'not a text file'."""
    if data.startswith(OLE_SIGNATURE):
        raise InputError(
            "is an Excel 97-2003 workbook (.xls), which sasame does not read: "
            "open it and save it as XLSX or CSV",
            file=name,
        )


def read_first_sheet(data: bytes, name: str) -> Sheet:
    """The first worksheet's rows as text; an InputError naming the file when it cannot be read."""
    # openpyxl is imported here: only workbooks need it, and most imports are CSV.
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            worksheet = workbook.worksheets[0]
            rows = [_trimmed([cell_text(cell) for cell in row]) for row in worksheet.iter_rows()]
            title = str(worksheet.title)
        finally:
            workbook.close()
    except InputError:
        raise
    except Exception as error:
        # A damaged or truncated workbook fails deep in zipfile, the XML parser or openpyxl, with
        # any of a dozen exception types; to the seller each means the same thing.
        raise InputError(
            f"is not a readable XLSX workbook ({type(error).__name__}: {error}); "
            "it may be damaged or cut short: download it again",
            file=name,
        ) from None
    return Sheet(title, rows)


def cell_text(cell: Any) -> str:
    """A cell's value as the CSV export would write it (see the module's docstring)."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return _number_text(value, str(getattr(cell, "number_format", None) or "General"))
    return str(value)


def _number_text(value: int | float | Decimal, number_format: str) -> str:
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        # Excel keeps 15 significant digits: a stored 16.219999999999999 is the 16.22 it shows.
        number = Decimal(format(value, f".{EXCEL_SIGNIFICANT_DIGITS}g"))
    else:
        number = Decimal(value)
    percent = "%" in number_format
    if percent:
        number *= 100
    shown = _DECIMALS_SHOWN.search(number_format.split(";", 1)[0])
    exponent = number.normalize().as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if shown and len(shown.group(1)) > decimals:
        decimals = len(shown.group(1))  # pad to what the cell shows, never round away digits
    text = f"{number:.{decimals}f}"
    return f"{text}%" if percent else text


def _trimmed(cells: list[str]) -> list[str]:
    """The row without its trailing empty cells (read-only sheets pad rows to the widest)."""
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]
