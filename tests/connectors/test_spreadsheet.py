"""XLSX workbooks read as the CSV they stand for (sasame.connectors.spreadsheet, through SourceFile)."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time
from decimal import Decimal

import openpyxl
import pytest

from sasame.connectors.files import SourceFile
from sasame.core.errors import InputError


def workbook(rows: list[list[object]], formats: dict[tuple[int, int], str] | None = None) -> bytes:
    """A one-sheet workbook; formats maps (row, column), 1-based, to a number format."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Report"
    for row in rows:
        sheet.append(row)
    for (row_number, column), number_format in (formats or {}).items():
        sheet.cell(row_number, column).number_format = number_format
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("value", "number_format", "text"),
    [
        (16.22, "General", "16.22"),
        (16.2, '"$"#,##0.00', "16.20"),  # padded to what the cell shows
        (16.225, "0.00", "16.225"),  # never rounded away
        (0.1 + 0.2, "General", "0.3"),  # Excel's 15 significant digits
        (1e16, "General", "10000000000000000"),  # plain notation, no exponent
        (0.0257, "0.00%", "2.57%"),
        (1, "0%", "100%"),
        (-3, "General", "-3"),
        (Decimal("1234.5"), "#,##0.00", "1234.50"),
        (datetime(2026, 6, 1), "mmm dd, yyyy", "2026-06-01"),
        (datetime(2026, 6, 1, 9, 30), "yyyy-mm-dd hh:mm", "2026-06-01 09:30:00"),
        (date(2026, 6, 1), "yyyy-mm-dd", "2026-06-01"),
        (time(9, 30), "hh:mm", "09:30:00"),
        (True, "General", "TRUE"),
        ("$ 16.22", "General", "$ 16.22"),
        (None, "General", ""),
    ],
)
def test_cells_read_as_the_csv_would_write_them(value: object, number_format: str, text: str) -> None:
    file = SourceFile("report.xlsx", workbook([["Header", "Other"], [value, "x"]], {(2, 1): number_format}))
    (row,) = file.table().rows
    assert row.values["Header"] == text


def test_rows_keep_the_sheets_numbers_and_cells_their_line_breaks() -> None:
    file = SourceFile(
        "report.xlsx",
        workbook([["Report title"], ["Name", "Note"], ["a", "two\nlines"], [], [], ["b", "one"]]),
    )
    # The text is one line per sheet row, for detection; the table keeps the cell as it is.
    assert file.text.split("\n")[:6] == ["Report title", "Name,Note", "a,two lines", "", "", "b,one"]
    table = file.table(skip_lines=1)
    assert table.header == ["Name", "Note"]
    assert [(row.number, row.values) for row in table.rows] == [
        (3, {"Name": "a", "Note": "two\nlines"}),
        (6, {"Name": "b", "Note": "one"}),
    ]
    assert file.sheet is not None and file.sheet.title == "Report"


def test_more_cells_than_columns_is_named_by_row() -> None:
    file = SourceFile("report.xlsx", workbook([["Name"], ["a"], ["b", "stray"]]))
    with pytest.raises(InputError) as caught:
        file.table()
    assert str(caught.value) == "report.xlsx, row 3: has 2 cells but the header has 1 columns"


@pytest.mark.parametrize("cut", [4, 100, 0.5, 0.95])
def test_a_truncated_workbook_is_an_input_error_naming_the_file(cut: float) -> None:
    data = workbook([["Name"], ["a"]])
    end = int(cut) if cut >= 1 else int(len(data) * cut)
    with pytest.raises(InputError) as caught:
        _ = SourceFile("report.xlsx", data[:end]).text
    assert str(caught.value).startswith("report.xlsx: is not a readable XLSX workbook (")
    assert caught.value.file == "report.xlsx"


def test_a_zip_that_is_no_workbook_is_an_input_error() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("orders.csv", "Name,Total\n#1001,12.00\n")
    with pytest.raises(InputError, match=r"^orders\.zip: is not a readable XLSX workbook \("):
        _ = SourceFile("orders.zip", out.getvalue()).text


def test_text_files_are_untouched() -> None:
    file = SourceFile("orders.csv", b"Name,Total\n#1001,12.00\n")
    assert file.sheet is None
    assert [row.values for row in file.table().rows] == [{"Name": "#1001", "Total": "12.00"}]


def test_an_excel_97_2003_workbook_says_to_save_it_as_xlsx_or_csv() -> None:
    with pytest.raises(InputError) as caught:
        _ = SourceFile("report.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)).text
    assert str(caught.value) == (
        "report.xls: is an Excel 97-2003 workbook (.xls), which sasame does not read: "
        "open it and save it as XLSX or CSV"
    )
