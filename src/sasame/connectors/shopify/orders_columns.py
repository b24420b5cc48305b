"""The Shopify orders export read a column at a time, for the biggest files.

A 100k-order export has 333k rows of 79 cells. Read row by row into an OrderRecord per order and
an OrderLineRecord per line, it costs several times what reading the file does; here a C reader
(pyarrow.csv) reads the cells, and each column is checked and converted as a whole: amounts to
stored units through Arrow's exact decimal parser, instants by their digits, text by its distinct
values (statuses, countries and SKUs repeat all file long).

It takes only files that `orders_csv.ShopifyOrdersCsv.parse` reads without a question: plain UTF-8
CSV text, every row as wide as the header, no blank line, every amount plain ('184.76', '-0.50'),
every instant Shopify's 'YYYY-MM-DD HH:MM:SS ±HHMM', every status known, every required cell
filled, totals that add up one way or the other, no order named twice. For anything else it gives
None and the general parser reads the file, with its warnings and its errors (file, row, column).
What it gives is exactly what that parser's records hold (tests/connectors/shopify/
test_shopify_orders_columns.py imports every fixture both ways and compares every row).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from sasame.connectors.base import ParseContext
from sasame.connectors.files import EMPTY_MARKERS, SourceFile, sniff_delimiter
from sasame.connectors.records import OrderColumns
from sasame.connectors.shopify.common import fold
from sasame.connectors.shopify.orders_csv import (
    ALIASES,
    COLUMNS,
    FINANCIAL_STATUSES,
    FULFILLMENT_STATUSES,
    NOTE_ATTRIBUTE_FIELDS,
    REQUIRED,
    TAX_EXCLUSIVE,
    TAX_INCLUSIVE,
    ShopifyOrdersCsv,
    note_attributes,
)

CSV_FIELD_LIMIT = csv.field_size_limit()
"""Python's csv module refuses a longer cell (the general parser fails the file): so must this."""

_PLAIN_AMOUNT = r"^-?[0-9]{1,12}(\.[0-9]{1,4})?$"
"""An amount the general parser takes as is, below MAX_AMOUNT, exact in stored units (1/10,000)."""
_SHOPIFY_INSTANT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}$"
_PLAIN_QUANTITY = r"^[0-9]{1,9}$"
_AS_IS = r"(?s)^[!-&(-~](.*[!-~])?$"
_ASCII_ENDS = r"(?s)^[!-~](.*[!-~])?$"
_MARKERS = pa.array(sorted(EMPTY_MARKERS))

_ORDER_COLUMNS = (
    "Name",
    "Email",
    "Financial Status",
    "Fulfillment Status",
    "Accepts Marketing",
    "Currency",
    "Subtotal",
    "Shipping",
    "Taxes",
    "Total",
    "Discount Code",
    "Discount Amount",
    "Created at",
    "Billing Name",
    "Billing City",
    "Billing Zip",
    "Billing Province",
    "Billing Country",
    "Shipping Name",
    "Shipping City",
    "Shipping Zip",
    "Shipping Province",
    "Shipping Country",
    "Note Attributes",
    "Cancelled at",
    "Refunded Amount",
    "Id",
    "Duties",
)
_LINE_COLUMNS = ("Lineitem quantity", "Lineitem name", "Lineitem price", "Lineitem sku", "Lineitem discount")


class _NotPlain(Exception):
    """Something in the file the columnar reader does not take: the general parser reads it."""


def order_columns(file: SourceFile, context: ParseContext) -> OrderColumns | None:
    """The export's orders as columns, or None when the general parser must read the file.

    Warnings the general parser would give for these files (US ZIP codes that lost their leading
    zero, the refunded total) go to `context`, as does the number of rows read, only when the
    columns are returned.
    """
    try:
        return _read(file, context)
    except (_NotPlain, pa.ArrowException):
        return None


def _read(file: SourceFile, context: ParseContext) -> OrderColumns:
    if file.sheet is not None:
        raise _NotPlain("a workbook")
    data = file.data
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")) or not (data.isascii() or _is_utf8(data)):
        raise _NotPlain("not UTF-8 text, so not the text the general parser reads")
    if b"\x00" in data:
        raise _NotPlain("NUL bytes")
    # Row numbers count lines as Python's reader does ('\r\n', '\r' and '\n' each end one): with
    # only '\r\n' or '\n' endings, counting '\n' is the same count.
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        raise _NotPlain("a carriage return alone")
    text = file.text
    end = text.find("\n")
    first_line = (text if end < 0 else text[:end]).rstrip("\r")
    delimiter = sniff_delimiter(first_line)  # what it makes of the whole text: it reads its first line
    if first_line.count('"') % 2:
        raise _NotPlain("a header spanning lines")
    raw_header = next(csv.reader([first_line], delimiter=delimiter), [])
    by_folded = {fold(name): name for name in COLUMNS}
    for alias, name in ALIASES.items():
        by_folded[fold(alias)] = name
    header = [by_folded.get(fold(cell), cell.strip()) for cell in raw_header]
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        positions.setdefault(name, index)
    if not header or any(column not in positions for column in REQUIRED):
        raise _NotPlain("a required column is missing: the general parser says which")
    width = len(header)
    wanted = sorted({positions[name] for name in (*_ORDER_COLUMNS, *_LINE_COLUMNS) if name in positions})
    table = _table(data, width, delimiter, wanted)
    count = table.num_rows
    if count == 0:
        raise _NotPlain("no rows")
    breaks = data.count(b"\n")
    # Lines each row spans beyond its first (quoted newlines, in notes and addresses). Every line
    # of the file must be accounted for, else it has blank lines, which the general parser numbers.
    extra = _newlines(table)
    expected = 1 + count + int(extra.sum()) - (0 if data.endswith(b"\n") else 1)
    if breaks != expected:
        table = _table(data, width, delimiter, list(range(width)))  # newlines in another column?
        extra = _newlines(table)
        expected = 1 + count + int(extra.sum()) - (0 if data.endswith(b"\n") else 1)
        if breaks != expected:
            raise _NotPlain("blank lines")
    numbers = 2 + np.arange(count, dtype=np.int64) + np.concatenate(([0], np.cumsum(extra)[:-1]))

    def column(name: str) -> pa.Array:
        position = positions.get(name)
        if position is None:  # an older export lacks it: its cells read as blank
            return pa.repeat("", count).cast(pa.string())
        return table.column(f"c{position}").combine_chunks()

    # Orders are grouped by Name, in the order they first appear; their lines keep the file's order.
    names = column("Name").dictionary_encode()
    order_names = names.dictionary.to_pylist()
    # A name that starts and ends with printable ASCII is not blank and has no spaces around it.
    for index in np.flatnonzero(~_matches(names.dictionary, _ASCII_ENDS)).tolist():
        name = order_names[index]
        if not name or name.strip() != name:
            raise _NotPlain("a blank Name or one with spaces around it")
    codes = names.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    first = np.unique(codes, return_index=True)[1]
    if (np.diff(codes) >= 0).all():
        line_rows = np.arange(count, dtype=np.int64)
    else:
        line_rows = np.argsort(codes, kind="stable")
    line_order = codes[line_rows]
    orders_count = len(order_names)

    firsts = pa.array(first)
    lines_at = pa.array(line_rows)

    def order_cells(name: str) -> pa.Array:
        return column(name).take(firsts)

    def line_cells(name: str) -> pa.Array:
        return column(name).take(lines_at)

    orders: dict[str, Any] = {}
    currency_store = context.currency
    orders["currency"] = _by_value(
        order_cells("Currency"), lambda raw: (_text(raw) or currency_store).upper()
    )
    ordered_at = _instants(order_cells("Created at"))
    if np.isnat(ordered_at).any():
        raise _NotPlain("an order without its date")
    orders["ordered_at"] = ordered_at
    total, total_given = _units(order_cells("Total"))
    if not total_given.all():
        raise _NotPlain("an order without its Total")
    after_discount, shipping, taxes, duties, discount = (
        _units(order_cells(name))[0]
        for name in ("Subtotal", "Shipping", "Taxes", "Duties", "Discount Amount")
    )
    before_tax = after_discount + shipping + duties
    exclusive = before_tax + taxes == total
    inclusive = ~exclusive & (taxes != 0) & (before_tax == total)
    if not (exclusive | inclusive).all():
        raise _NotPlain("totals that do not add up (the general parser warns)")
    # Shopify's Subtotal is after discounts; sasame's is before them, and without the tax that
    # tax-inclusive prices hold (see orders_csv).
    orders["subtotal"] = after_discount + discount - np.where(inclusive, taxes, 0)
    orders["total"] = total
    orders["discount_total"] = discount
    orders["shipping_total"] = shipping
    orders["tax_total"] = taxes + duties
    cancelled_at = _instants(order_cells("Cancelled at"))
    orders["cancelled_at"] = cancelled_at
    fulfillment = _by_value(order_cells("Fulfillment Status"), _status(FULFILLMENT_STATUSES, "unfulfilled"))
    cancelled = ~np.isnat(cancelled_at) & (fulfillment != "fulfilled")
    orders["fulfillment_status"] = np.where(cancelled, "cancelled", fulfillment).astype(object)
    orders["financial_status"] = _by_value(
        order_cells("Financial Status"), _status(FINANCIAL_STATUSES, "pending")
    )

    notes = order_cells("Note Attributes").dictionary_encode()
    found = [note_attributes(_text(note)) for note in notes.dictionary.to_pylist()]
    which = notes.indices.to_numpy(zero_copy_only=False)
    for field in dict.fromkeys(NOTE_ATTRIBUTE_FIELDS.values()):  # the order fields the notes fill
        orders[field] = np.fromiter((note.get(field) for note in found), dtype=object, count=len(found))[
            which
        ]

    shipping_country = texts(order_cells("Shipping Country"))
    ships = _given(shipping_country)
    country = np.where(ships, shipping_country, texts(order_cells("Billing Country")))
    orders["ship_country"] = _by_value(
        pa.array(country, type=pa.string()),
        lambda value: value.upper() if value and len(value) == 2 else None,
    )
    for field, suffix in (("ship_postal_code", "Zip"), ("ship_region", "Province"), ("ship_city", "City")):
        orders[field] = np.where(
            ships, texts(order_cells(f"Shipping {suffix}")), texts(order_cells(f"Billing {suffix}"))
        )
    warnings: list[str] = []
    _warn_short_zips(file.name, country, orders["ship_postal_code"], numbers[first], warnings)

    orders["number"] = np.array(order_names, dtype=object)
    ids = texts(order_cells("Id"))
    orders["external_id"] = np.where(_given(ids), ids, orders["number"])
    if len(set(orders["external_id"].tolist())) != orders_count:
        raise _NotPlain("an order twice (the general parser says which)")
    orders["email"] = texts(order_cells("Email"))
    billing_name = texts(order_cells("Billing Name"))
    orders["customer_name"] = np.where(
        _given(billing_name), billing_name, texts(order_cells("Shipping Name"))
    )
    orders["accepts_marketing"] = _by_value(
        order_cells("Accepts Marketing"), lambda raw: (_text(raw) or "").lower() in ("yes", "true")
    ).astype(bool)
    orders["discount_codes"] = texts(order_cells("Discount Code"))

    refunds, _ = _units(order_cells("Refunded Amount"))
    if refunds.any():
        # The same sum, in the same order, as the general parser makes of the cells' Decimals.
        refunded: dict[str, Decimal] = {}
        cells = order_cells("Refunded Amount").to_pylist()
        for index in np.flatnonzero(refunds).tolist():
            currency = orders["currency"][index]
            refunded[currency] = refunded.get(currency, Decimal(0)) + Decimal(cells[index])
        totals = ", ".join(f"{amount} {currency}" for currency, amount in sorted(refunded.items()))
        warnings.append(
            f"{file.name}: its orders show {totals} refunded; this export has no refund "
            "dates, so refunds are taken from the Shopify Payments transactions export (or the API), "
            "not from 'Refunded Amount'"
        )

    lines: dict[str, Any] = {"order": line_order}
    quantities = line_cells("Lineitem quantity")
    if not pc.all(pc.match_substring_regex(quantities, _PLAIN_QUANTITY)).as_py():
        raise _NotPlain("a quantity that is not a plain count")
    lines["quantity"] = quantities.cast(pa.int64()).to_numpy()
    price, price_given = _units(line_cells("Lineitem price"))
    if not price_given.all():
        raise _NotPlain("a line without its price")
    lines["unit_price"] = price
    lines["title"] = _by_value(line_cells("Lineitem name"), lambda raw: raw.strip() or "(untitled item)")
    lines["sku"] = texts(line_cells("Lineitem sku"))
    lines["discount"] = _units(line_cells("Lineitem discount"))[0]

    context.rows_read = count
    for warning in warnings:
        context.warn(warning)
    pricing = pa.array(np.where(inclusive, TAX_INCLUSIVE, TAX_EXCLUSIVE).astype(object), type=pa.string())
    return OrderColumns(
        channel="shopify",
        origin=ShopifyOrdersCsv.name,
        orders=orders,
        lines=lines,
        row_numbers=numbers[first],
        payloads=_payloads(pricing, numbers[line_rows], line_order, orders_count),
    )


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _table(data: bytes, width: int, delimiter: str, wanted: list[int]) -> pa.Table:
    names = [f"c{index}" for index in range(width)]
    return pa_csv.read_csv(
        pa.py_buffer(data),
        read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
        parse_options=pa_csv.ParseOptions(
            delimiter=delimiter, quote_char='"', double_quote=True, escape_char=False, newlines_in_values=True
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types={name: pa.string() for name in names},
            include_columns=[names[index] for index in wanted],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _newlines(table: pa.Table) -> np.ndarray:
    """Per row, the newlines inside its cells; a cell beyond csv's field limit is refused."""
    extra = np.zeros(table.num_rows, dtype=np.int64)
    for chunked in table.columns:
        cells = chunked.combine_chunks()
        if len(cells) and pc.max(pc.binary_length(cells)).as_py() > CSV_FIELD_LIMIT:
            raise _NotPlain("a cell longer than the csv module reads")
        _, offsets_buffer, values_buffer = cells.buffers()
        if values_buffer is None:
            continue
        offsets = np.frombuffer(offsets_buffer, dtype=np.int32)[cells.offset : cells.offset + len(cells) + 1]
        values = np.frombuffer(values_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]
        found = np.flatnonzero(values == 10)
        if len(found):
            ends = np.searchsorted(found, offsets - offsets[0])
            extra += np.diff(ends)
    return extra


def _by_value(cells: pa.Array, convert: Callable[[str], Any]) -> np.ndarray:
    """convert(cell) for every cell, called once per distinct cell text."""
    encoded = cells.dictionary_encode(null_encoding="encode")
    values = encoded.dictionary.to_pylist()
    converted = np.fromiter((convert(value) for value in values), dtype=object, count=len(values))
    return converted[encoded.indices.to_numpy(zero_copy_only=False)]


def texts(cells: pa.Array) -> np.ndarray:
    """_text of every cell (None stays None): Python only sees the distinct cells that may need it."""
    encoded = cells.dictionary_encode(null_encoding="encode")
    values = encoded.dictionary
    converted = values.to_numpy(zero_copy_only=False)
    # A cell that starts with printable ASCII other than the apostrophe, ends with printable
    # ASCII and is no empty marker is its own text: most of them.
    as_is = pc.and_(pc.match_substring_regex(values, _AS_IS), pc.invert(pc.is_in(values, _MARKERS)))
    for index in np.flatnonzero(~as_is.fill_null(False).to_numpy(zero_copy_only=False)).tolist():
        value = converted[index]
        converted[index] = None if value is None else _text(value)
    return converted[encoded.indices.to_numpy(zero_copy_only=False)]


def _matches(cells: pa.Array, pattern: str) -> np.ndarray:
    return pc.match_substring_regex(cells, pattern).to_numpy(zero_copy_only=False)


def _given(values: np.ndarray) -> np.ndarray:
    """Which items of an object array are not None, element-wise."""
    return np.not_equal(values, None)  # type: ignore[call-overload]


def _text(raw: str) -> str | None:
    """What Cells.text makes of a cell: stripped, apostrophe protection removed, empty as None."""
    value = raw.strip()
    if value[:1] == "'":
        value = value[1:]
    return None if value in EMPTY_MARKERS else value


def _status(vocabulary: dict[str, str], default: str) -> Callable[[str], str]:
    def known(raw: str) -> str:
        value = _text(raw)
        if value is None:
            return default
        found = vocabulary.get(value.lower().replace(" ", "_"))
        if found is None:
            raise _NotPlain("an unknown status (the general parser warns)")
        return found

    return known


def _units(cells: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Stored units (1/10,000) of plain amounts, 0 for blank cells, and which cells were not blank.

    Arrow parses the decimal text exactly into a 128-bit integer of 1/10,000ths: the units.
    """
    blank = pc.equal(cells, "")
    plain = pc.match_substring_regex(cells, _PLAIN_AMOUNT)
    if not pc.all(pc.or_(blank, plain)).as_py():
        raise _NotPlain("an amount that is not plain (the general parser reads it)")
    decimals = pc.if_else(blank, "0", cells).cast(pa.decimal128(18, 4))
    words = np.frombuffer(decimals.buffers()[1], dtype=np.int64)
    # Little-endian 128-bit two's complement: below 2**63 in size, the low word is the value.
    units = words[2 * decimals.offset : 2 * (decimals.offset + len(decimals)) : 2].copy()
    return units, ~blank.to_numpy(zero_copy_only=False)


def _instants(cells: pa.Array) -> np.ndarray:
    """UTC datetime64[us] of Shopify's 'YYYY-MM-DD HH:MM:SS ±HHMM' (NaT for blank cells), with
    exactly the values datetime.fromisoformat accepts (a real day of a real month, hours below 24)."""
    blank = pc.equal(cells, "").to_numpy(zero_copy_only=False)
    if blank.all():
        return np.full(len(cells), np.datetime64("NaT"), dtype="datetime64[us]")
    if not pc.all(pc.or_(pc.equal(cells, ""), pc.match_substring_regex(cells, _SHOPIFY_INSTANT))).as_py():
        raise _NotPlain("an instant not in Shopify's form (the general parser reads it)")
    filled = pc.if_else(pc.equal(cells, ""), "2000-01-01 00:00:00 +0000", cells)

    def part(start: int, stop: int) -> np.ndarray:
        return pc.utf8_slice_codeunits(filled, start, stop).cast(pa.int64()).to_numpy()

    year, month, day = part(0, 4), part(5, 7), part(8, 10)
    hour, minute, second = part(11, 13), part(14, 16), part(17, 19)
    offset_hours, offset_minutes = part(21, 23), part(23, 25)
    # Within Python's datetime range with room for any offset; months and days as they exist.
    if not (
        ((year >= 1900) & (year <= 2999)).all()
        and ((month >= 1) & (month <= 12)).all()
        and (day >= 1).all()
        and (hour <= 23).all()
        and (minute <= 59).all()
        and (second <= 59).all()
        and (offset_hours <= 23).all()
        and (offset_minutes <= 59).all()
    ):
        raise _NotPlain("an impossible instant (the general parser says so)")
    months = (year - 1970) * 12 + month - 1
    month_start = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    next_month = (months + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    if (day > next_month - month_start).any():
        raise _NotPlain("a day its month does not have")
    sign = np.where(pc.utf8_slice_codeunits(filled, 20, 21).to_numpy(zero_copy_only=False) == "-", -1, 1)
    seconds = (month_start + day - 1) * 86_400 + hour * 3_600 + minute * 60 + second
    seconds -= sign * (offset_hours * 3_600 + offset_minutes * 60)
    instants = (seconds * 1_000_000).astype("datetime64[us]")
    instants[blank] = np.datetime64("NaT")
    return instants


def _warn_short_zips(
    file: str, countries: np.ndarray, postal_codes: np.ndarray, numbers: np.ndarray, warnings: list[str]
) -> None:
    """The general parser's warning (once, the first case as the example) about US ZIP codes that a
    spreadsheet stripped of their leading zero."""
    for index in np.flatnonzero(countries == "US").tolist():
        code = postal_codes[index]
        if code and code.isdigit() and len(code) < 5:
            warnings.append(
                f"{file}: US ZIP codes shorter than 5 digits (first {code!r}, row {int(numbers[index])}) "
                "look stripped of their leading zero by a spreadsheet; they were kept as they are"
            )
            return


def _payloads(pricing: pa.Array, line_numbers: np.ndarray, line_order: np.ndarray, count: int) -> list[str]:
    """Each order's SourceRef payload {"pricing": ..., "rows": [...]} as json.dumps(sort_keys=True)
    writes it, built for all orders at once."""
    offsets = np.concatenate(([0], np.cumsum(np.bincount(line_order, minlength=count)))).astype(np.int32)
    rows = pa.ListArray.from_arrays(pa.array(offsets), pa.array(line_numbers).cast(pa.string()))
    joined = pc.binary_join(rows, ", ")
    payloads = pc.binary_join_element_wise('{"pricing": "', pricing, '", "rows": [', joined, "]}", "")
    return payloads.to_pylist()
