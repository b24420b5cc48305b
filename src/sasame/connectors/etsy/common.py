"""What Etsy's downloads share: en-US/en-GB header aliases, date-only values, country names, buyers."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime

from sasame.connectors.base import ParseContext, header_line
from sasame.connectors.files import CsvTable, Row, SourceFile

HEADER_ALIASES = {
    # en-GB labels (Canadian and UK shops) → the en-US names sasame reads.
    "Date Posted": "Date Shipped",
    "Delivery Name": "Ship Name",
    "Delivery Address1": "Ship Address1",
    "Delivery Address2": "Ship Address2",
    "Delivery City": "Ship City",
    "Delivery State": "Ship State",
    "Delivery Zipcode": "Ship Zipcode",
    "Delivery Country": "Ship Country",
    "Delivery Discount": "Shipping Discount",
    "Delivery": "Shipping",
    "Order Delivery": "Order Shipping",
    "Postage": "Shipping",
}


def fold(name: str) -> str:
    """A header as compared: case and runs of spaces do not matter ('Sales tax' is 'Sales Tax')."""
    return " ".join(name.split()).casefold()


def folded_header(file: SourceFile) -> set[str]:
    """The first line's header names, folded and with en-GB aliases resolved, for detection."""
    aliases = {fold(alias): fold(name) for alias, name in HEADER_ALIASES.items()}
    return {aliases.get(fold(cell), fold(cell)) for cell in header_line(file)}


def read_table(file: SourceFile, known: Iterable[str]) -> CsvTable:
    """The file's table with its headers renamed to Etsy's en-US spelling."""
    table = file.table()
    by_folded = {fold(name): name for name in known}
    for alias, name in HEADER_ALIASES.items():
        by_folded.setdefault(fold(alias), name)
    renames = {
        header: by_folded[fold(header)]
        for header in table.header
        if fold(header) in by_folded and by_folded[fold(header)] != header
    }
    if renames:
        table.rename(renames)
    return table


DATE_FORMATS = ("%m/%d/%y", "%m/%d/%Y")
"""Etsy writes 'Sale Date' as 12/31/20 and 'Date Paid'/'Date Shipped' as 12/31/2020 in one file;
a spreadsheet writes 1/5/2021."""


class SaleDays:
    """Reads Etsy's date-only cells; dates a spreadsheet rewrote as YYYY-MM-DD are taken as written,
    but the user is told, because '12/04/20' becomes '2012-04-20' that way: silently wrong."""

    def __init__(self, file: SourceFile) -> None:
        self.file = file
        self.rewritten: dict[str, int] = {}

    def day(self, row: Row, column: str, *, required: bool = False) -> date | None:
        value = row.text(column, required=required)
        if value is None:
            return None
        for pattern in DATE_FORMATS:
            try:
                return datetime.strptime(value, pattern).date()
            except ValueError:
                continue
        try:
            day = datetime.strptime(value, "%Y-%m-%d").date()
        except ValueError:
            raise row.error(column, f"{value!r} is not a date (Etsy writes MM/DD/YY)") from None
        self.rewritten[column] = self.rewritten.get(column, 0) + 1
        return day

    def report(self, context: ParseContext) -> None:
        for column, count in sorted(self.rewritten.items()):
            context.warn(
                f"{self.file.name}: {count} {column!r} value(s) are YYYY-MM-DD, so a spreadsheet re-saved "
                "the file; check them: '12/04/20' re-saved that way reads as 2012-04-20"
            )


COUNTRY_CODES = {
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "canada": "CA",
    "united kingdom": "GB",
    "great britain": "GB",
    "australia": "AU",
    "new zealand": "NZ",
    "ireland": "IE",
    "germany": "DE",
    "france": "FR",
    "spain": "ES",
    "italy": "IT",
    "netherlands": "NL",
    "the netherlands": "NL",
    "belgium": "BE",
    "luxembourg": "LU",
    "austria": "AT",
    "switzerland": "CH",
    "sweden": "SE",
    "norway": "NO",
    "denmark": "DK",
    "finland": "FI",
    "iceland": "IS",
    "portugal": "PT",
    "poland": "PL",
    "czech republic": "CZ",
    "czechia": "CZ",
    "greece": "GR",
    "hungary": "HU",
    "romania": "RO",
    "lithuania": "LT",
    "latvia": "LV",
    "estonia": "EE",
    "israel": "IL",
    "japan": "JP",
    "south korea": "KR",
    "singapore": "SG",
    "hong kong": "HK",
    "taiwan": "TW",
    "india": "IN",
    "mexico": "MX",
    "brazil": "BR",
    "south africa": "ZA",
    "united arab emirates": "AE",
}
"""Etsy names the country; sasame stores ISO 3166 codes. Unknown names are left out, with a warning."""


class Countries:
    def __init__(self, file: SourceFile) -> None:
        self.file = file
        self.unknown: dict[str, int] = {}

    def code(self, name: str | None) -> str | None:
        if name is None:
            return None
        if len(name) == 2 and name.isalpha():
            return name.upper()
        code = COUNTRY_CODES.get(fold(name))
        if code is None:
            self.unknown[name] = self.unknown.get(name, 0) + 1
        return code

    def report(self, context: ParseContext) -> None:
        for name, count in sorted(self.unknown.items()):
            context.warn(
                f"{self.file.name}: country {name!r} ({count} order(s)) has no known code; left empty"
            )


_BUYER = re.compile(r"^(?P<name>.*\S)\s*\((?P<username>[^()]*)\)$")


def buyer_name(buyer: str | None) -> str | None:
    """'Jane Doe (janedoe12)' → 'Jane Doe'; a bare username stays as it is."""
    if buyer is None:
        return None
    match = _BUYER.match(buyer)
    return match.group("name") if match else buyer


def order_number(text: str | None) -> str | None:
    """The order id inside 'Order #1893456789' or 'Payment for Order #1893456789'."""
    if not text:
        return None
    match = re.search(r"Order\s*#\s*(\d+)", text)
    return match.group(1) if match else None


def currency(row: Row, column: str = "Currency", *, default: str | None = None) -> str:
    """The row's ISO 4217 currency code ('usd' → 'USD'); anything else names the row and column."""
    value = row.text(column)
    if value is None and default is not None:
        return default
    if value is None or len(value) != 3 or not value.isalpha():
        raise row.error(column, f"{value!r} is not a currency code such as USD")
    return value.upper()


def bounded(row: Row, column: str, limit: int, *, required: bool = False) -> str | None:
    """The cell's text, refused (naming row and column) when longer than the database keeps."""
    value = row.text(column, required=required)
    if value is not None and len(value) > limit:
        raise row.error(column, f"is {len(value)} characters long; at most {limit} are expected")
    return value
