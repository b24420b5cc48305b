"""Write the XLSX fixtures of the Amazon Ads console reports, byte for byte the same on every run.

    .venv/bin/python tests/connectors/amazon_ads/build_xlsx_fixtures.py

The console's default download is a workbook whose first sheet holds the report's table, numbers
stored as numbers with display formats ('$#,##0.00', '0.00%') and dates as dates. The files are
committed (the contract and fuzz suites find fixtures on disk); rerun this after changing them.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl

FIXTURES = Path(__file__).parent / "fixtures"
FIXED_TIME = datetime(2026, 6, 10, 12, 0, 0)
MONEY, PERCENT, DAY = '"$"#,##0.00', "0.00%", "mmm dd, yyyy"


def workbook_bytes(sheet_title: str, rows: Sequence[Sequence[Any]], formats: dict[int, str]) -> bytes:
    """A one-sheet workbook of rows; formats maps a 0-based column to its number format (data rows)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_title
    for row in rows:
        sheet.append(list(row))
    for column, number_format in formats.items():
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column + 1, max_col=column + 1):
            cell.number_format = number_format
    workbook.properties.created = workbook.properties.modified = FIXED_TIME
    raw = io.BytesIO()
    workbook.save(raw)
    return deterministic_zip(raw.getvalue())


def deterministic_zip(data: bytes) -> bytes:
    """The same archive with every entry, and the workbook's 'modified' property, dated FIXED_TIME
    (zipfile and openpyxl both stamp the time of writing)."""
    out = io.BytesIO()
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, content)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, content)
    return out.getvalue()


def search_terms() -> bytes:
    """Sponsored Products search terms, as downloaded: no title row, the sheet names the report."""
    header = [
        "Date",
        "Portfolio name",
        "Currency",
        "Campaign Name",
        "Ad Group Name",
        "Targeting",
        "Match Type",
        "Customer Search Term",
        "Impressions",
        "Clicks",
        "Click-Thru Rate (CTR)",
        "Cost Per Click (CPC)",
        "Spend",
        "7 Day Total Sales ",
        "Total Advertising Cost of Sales (ACOS) ",
        "Total Return on Advertising Spend (ROAS)",
        "7 Day Total Orders (#)",
        "7 Day Total Units (#)",
    ]
    june_1, june_2 = datetime(2026, 6, 1), datetime(2026, 6, 2)
    queen = ["Bedding", "USD", "SP | Linen sheets | Exact", "Queen sheets", "linen sheets queen", "EXACT"]
    rows = [
        header,
        [june_1, *queen, "linen sheets queen", 1204, 31, 0.0257, 0.52, 16.22, 189, 0.0858, 11.65, 2, 2],
        [june_1, *queen, "queen linen sheet set", 310, 6, 0.0194, 0.61, 3.66, 0, None, 0, 0, 0],
        # A value Excel computed: stored as 0.1 + 0.2 = 0.30000000000000004, shown as 0.30.
        [
            june_2,
            *queen,
            "linen sheets queen",
            1180,
            29,
            0.0246,
            0.53,
            15.07 + (0.1 + 0.2),
            94.5,
            0.1626,
            6.15,
            1,
            1,
        ],
    ]
    formats = {0: DAY, 10: PERCENT, 11: MONEY, 12: MONEY, 13: MONEY, 14: PERCENT}
    return workbook_bytes("Sponsored Product Search Term R", rows, formats)


def display_campaigns() -> bytes:
    """Sponsored Display campaigns: only the sheet name tells them from Sponsored Brands."""
    header = [
        "Date",
        "Currency",
        "Campaign Name",
        "Status",
        "Impressions",
        "Clicks",
        "Spend",
        "14 Day Total Orders (#)",
        "14 Day Total Sales ",
        "Total Advertising Cost of Sales (ACOS) ",
    ]
    rows = [
        header,
        [datetime(2026, 6, 1), "USD", "Linen sheets", "ENABLED", 20880, 35, 14.6, 1, 89, 0.164],
        [datetime(2026, 6, 2), "USD", "Linen sheets", "ENABLED", 19540, 30, 12.25, 0, 0, None],
    ]
    return workbook_bytes("Sponsored Display Campaign Repo", rows, {0: DAY, 6: MONEY, 8: MONEY, 9: PERCENT})


def main() -> None:
    (FIXTURES / "sponsored_products_search_terms.xlsx").write_bytes(search_terms())
    (FIXTURES / "sponsored_display_campaigns.xlsx").write_bytes(display_campaigns())


if __name__ == "__main__":
    main()
