"""Shopify orders export (Admin → Orders → Export → CSV): one row per line item.

The first row of an order carries the order-level fields; continuation rows repeat the name, email,
date and line item fields and leave the rest empty. Rows are grouped by `Name`, the order-level
values are taken from the order's first row, and `Total` is never summed across rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sasame.connectors.base import FileFormat, ParseContext, header_line
from sasame.connectors.files import EMPTY_MARKERS, SourceFile
from sasame.connectors.records import (
    OrderColumns,
    OrderLineRecord,
    OrderRecord,
    SourceRef,
    record_factory,
)
from sasame.connectors.shopify.common import (
    Cells,
    fold,
    instant,
    money,
    paused_garbage_collector,
    read_cells,
    warn_once,
)
from sasame.core.errors import InputError
from sasame.core.money import MAX_AMOUNT, MAX_COUNT

COLUMNS = (  # noqa: SIM905 (the header as the export writes it, easy to compare)
    "Name, Email, Financial Status, Paid at, Fulfillment Status, Fulfilled at, Accepts Marketing, "
    "Currency, Subtotal, Shipping, Taxes, Total, Discount Code, Discount Amount, Shipping Method, "
    "Created at, Lineitem quantity, Lineitem name, Lineitem price, Lineitem compare at price, "
    "Lineitem sku, Lineitem requires shipping, Lineitem taxable, Lineitem fulfillment status, "
    "Billing Name, Billing Street, Billing Address1, Billing Address2, Billing Company, Billing City, "
    "Billing Zip, Billing Province, Billing Country, Billing Phone, Shipping Name, Shipping Street, "
    "Shipping Address1, Shipping Address2, Shipping Company, Shipping City, Shipping Zip, "
    "Shipping Province, Shipping Country, Shipping Phone, Notes, Note Attributes, Cancelled at, "
    "Payment Method, Payment Reference, Refunded Amount, Vendor, Outstanding Balance, Employee, "
    "Location, Device ID, Id, Tags, Risk Level, Source, Lineitem discount, Tax 1 Name, Tax 1 Value, "
    "Tax 2 Name, Tax 2 Value, Tax 3 Name, Tax 3 Value, Tax 4 Name, Tax 4 Value, Tax 5 Name, "
    "Tax 5 Value, Phone, Receipt Number, Duties, Billing Province Name, Shipping Province Name, "
    "Payment ID, Payment Terms Name, Next Payment Due At, Payment References"
).split(", ")
"""The 2025 export's 79 columns; older exports have a prefix of them (47 in 2012) or lack some."""

ALIASES = {"Accepts Email Marketing": "Accepts Marketing"}
"""Other spellings of a column seen in exports of other years."""

REQUIRED = ("Name", "Created at", "Currency", "Total", "Lineitem quantity", "Lineitem name", "Lineitem price")

FINANCIAL_STATUSES = {
    "paid": "paid",
    "pending": "pending",
    "authorized": "pending",
    "partially_paid": "pending",
    "partially_refunded": "partially_refunded",
    "refunded": "refunded",
    "voided": "voided",
    "expired": "voided",
}
"""Shopify's financial statuses in sasame's vocabulary (money not captured yet counts as pending)."""

FULFILLMENT_STATUSES = {
    "fulfilled": "fulfilled",
    "unfulfilled": "unfulfilled",
    "partial": "partial",
    "restocked": "unfulfilled",
}

NOTE_ATTRIBUTE_FIELDS = {
    "utm_source": "utm_source",
    "utm_medium": "utm_medium",
    "utm_campaign": "utm_campaign",
    "utm_content": "utm_content",
    "utm_term": "utm_term",
    "referrer": "referrer",
    "referring_site": "referrer",
    "landing_page": "landing_page",
    "landing_site": "landing_page",
}
"""Note-attribute keys (normalised: lower case, '_' for spaces) that attribution apps write."""

TAX_INCLUSIVE = "tax_inclusive"
TAX_EXCLUSIVE = "tax_exclusive"


class ShopifyOrdersCsv(FileFormat):
    name = "shopify.orders_csv"
    title = "Shopify orders export (CSV)"

    def detect(self, file: SourceFile) -> bool:
        header = {fold(cell) for cell in header_line(file)}
        return {"name", "financial status", "lineitem name", "lineitem quantity"} <= header

    def parse(self, file: SourceFile, context: ParseContext) -> Iterator[OrderRecord]:
        with paused_garbage_collector():
            yield from self._records(file, context)

    def order_columns(self, file: SourceFile, context: ParseContext) -> OrderColumns | None:
        """The orders as columns when the file is plain enough (see orders_columns), else None."""
        from sasame.connectors.shopify.orders_columns import order_columns  # it builds on this module

        return order_columns(file, context)

    def _records(self, file: SourceFile, context: ParseContext) -> Iterator[OrderRecord]:
        header, positions, numbers, rows = read_cells(file, COLUMNS, aliases=ALIASES, required=REQUIRED)
        context.rows_read = len(rows)
        width = len(header)
        # Cells by position, not by name: a column this export lacks reads the blank cell appended
        # to every row at `width`, exactly as a missing column or a short row reads '' by name.
        at = {column: positions.get(column, width) for column in COLUMNS}
        name_at = at["Name"]
        orders: dict[str, list[int]] = {}
        blank = [""]
        for index, cells in enumerate(rows):
            if len(cells) != width:
                cells = rows[index] = (cells + blank * width)[:width]
            cells.append("")
            name = cells[name_at].strip()
            if not name:
                raise InputError(
                    "is empty but every row of an order names it",
                    file=file.name,
                    row=numbers[index],
                    column="Name",
                )
            group = orders.get(name)
            if group is None:
                orders[name] = [index]
            else:
                group.append(index)
        refunded: dict[str, Decimal] = {}
        order = _order_reader(file.name, positions, at, context)
        for name, group in orders.items():
            yield order(name, [(numbers[i], rows[i]) for i in group], refunded)
        if refunded:
            totals = ", ".join(f"{amount} {currency}" for currency, amount in sorted(refunded.items()))
            context.warn(
                f"{file.name}: its orders show {totals} refunded; this export has no refund "
                "dates, so refunds are taken from the Shopify Payments transactions export (or the API), "
                "not from 'Refunded Amount'"
            )


_ZERO = Decimal(0)
_SLOW = object()
"""A cache's answer for a cell the fast path does not read: the general reader must see it."""
_make_order = record_factory(OrderRecord)
_make_line = record_factory(OrderLineRecord)
_make_source = record_factory(SourceRef)


class _Texts(dict[str, str | None]):
    """Cells.text of each distinct cell text (stripped, apostrophe protection removed, empty
    markers as None), computed on first sight: countries, statuses and SKUs repeat all file long."""

    def __missing__(self, raw: str) -> str | None:
        value: str | None = raw.strip()
        if value[:1] == "'":  # type: ignore[index]
            value = value[1:]  # type: ignore[index]
        if value in EMPTY_MARKERS:
            value = None
        self[raw] = value
        return value


class _Amounts(dict[str, Any]):  # Decimal, None or _SLOW
    """common.money's fast path per distinct cell text: '' is None, a plain amount ('184.76',
    '-0.50') its Decimal; anything else _SLOW (not kept), for the general reader and its errors."""

    def __missing__(self, raw: str) -> Any:
        if not raw:
            value = None
        elif raw[0] in "-0123456789" and raw[-1].isdigit() and "e" not in raw and "E" not in raw:
            try:
                value = Decimal(raw)
            except ArithmeticError:
                return _SLOW
            if not value.is_finite() or abs(value) >= MAX_AMOUNT:
                return _SLOW
        else:
            return _SLOW
        self[raw] = value
        return value


class _Instants(dict[str, Any]):  # datetime, None or _SLOW
    """common.instant's fast path per distinct cell text: '' is None, Shopify's
    'YYYY-MM-DD HH:MM:SS ±HHMM' its UTC instant; anything else _SLOW (a spreadsheet-damaged date
    must warn, a broken one must fail, through the general reader)."""

    def __missing__(self, raw: str) -> Any:
        if not raw:
            value = None
        elif len(raw) == 25 and raw[19] == " " and raw[20] in "+-":
            try:
                value = datetime.fromisoformat(f"{raw[:19]}{raw[20:23]}:{raw[23:]}").astimezone(UTC)
            except ValueError:
                return _SLOW
        else:
            return _SLOW
        self[raw] = value
        return value


def _order_reader(
    file: str, positions: dict[str, int], at: dict[str, int], context: ParseContext
) -> Callable[[str, list[tuple[int, list[str]]], dict[str, Decimal]], OrderRecord]:
    """A function that turns one order's rows into its record, reading cells by position.

    The values that repeat across hundreds of thousands of cells (amounts, statuses, countries,
    SKUs, dates, note attributes) are converted once per distinct cell text. Any cell the fast path
    does not take as plain (a symbol in an amount, a spreadsheet-damaged date, an unknown status,
    a required cell left empty) goes through the general readers in `common` on a `Cells` view of
    the row, so the values, warnings and errors (file, row, column) are the same as reading every
    cell by name, in the same order.
    """
    texts, amounts, instants = _Texts(), _Amounts(), _Instants()
    notes: dict[str | None, dict[str, str]] = {}
    statuses: dict[tuple[str, str], str] = {}

    def view(number: int, cells: list[str]) -> Cells:
        return Cells(file, number, cells, positions)

    def slow_money(number: int, cells: list[str], column: str, required: bool = False) -> Decimal | None:
        return money(view(number, cells), column, required=required)

    def slow_instant(number: int, cells: list[str], column: str, required: bool = False) -> datetime | None:
        return instant(view(number, cells), column, context, required=required)

    def status(number: int, cells: list[str], column: str, vocabulary: dict[str, str], default: str) -> str:
        raw = cells[at[column]]
        known = statuses.get((column, raw))
        if known is None:
            known = _status(view(number, cells), column, vocabulary, default, context)
            value = texts[raw]
            if value is None or value.lower().replace(" ", "_") in vocabulary:
                statuses[(column, raw)] = known  # an unknown status warns (once) on the slow path
        return known

    (
        currency_at,
        created_at,
        total_at,
        subtotal_at,
        shipping_at,
        taxes_at,
        duties_at,
        discount_at,
        refunded_at,
        cancelled_at_at,
        notes_at,
        shipping_country_at,
        billing_country_at,
        id_at,
        email_at,
        billing_name_at,
        shipping_name_at,
        marketing_at,
        code_at,
        quantity_at,
        price_at,
        title_at,
        sku_at,
        line_discount_at,
    ) = (
        at[column]
        for column in (
            "Currency",
            "Created at",
            "Total",
            "Subtotal",
            "Shipping",
            "Taxes",
            "Duties",
            "Discount Amount",
            "Refunded Amount",
            "Cancelled at",
            "Note Attributes",
            "Shipping Country",
            "Billing Country",
            "Id",
            "Email",
            "Billing Name",
            "Shipping Name",
            "Accepts Marketing",
            "Discount Code",
            "Lineitem quantity",
            "Lineitem price",
            "Lineitem name",
            "Lineitem sku",
            "Lineitem discount",
        )
    )
    address_at = {
        prefix: (at[f"{prefix} Zip"], at[f"{prefix} Province"], at[f"{prefix} City"])
        for prefix in ("Shipping", "Billing")
    }
    origin = ShopifyOrdersCsv.name
    store_currency = context.currency

    def order(name: str, rows: list[tuple[int, list[str]]], refunded: dict[str, Decimal]) -> OrderRecord:
        number, first = rows[0]
        currency = (texts[first[currency_at]] or store_currency).upper()
        ordered_at = instants[first[created_at]]
        if ordered_at is None or ordered_at is _SLOW:
            ordered_at = slow_instant(number, first, "Created at", True)
            assert ordered_at is not None
        total = amounts[first[total_at]]
        if total is None or total is _SLOW:
            total = slow_money(number, first, "Total", True)
            assert total is not None
        values: list[Decimal] = []
        for column, position in (
            ("Subtotal", subtotal_at),
            ("Shipping", shipping_at),
            ("Taxes", taxes_at),
            ("Duties", duties_at),
            ("Discount Amount", discount_at),
        ):
            value = amounts[first[position]]
            if value is _SLOW:
                value = slow_money(number, first, column)
            values.append(value or _ZERO)
        after_discount, shipping, taxes, duties, discount = values
        # Shopify's Subtotal is after discounts; sasame's is before them (line prices × quantities).
        subtotal = after_discount + discount
        if after_discount + shipping + duties + taxes == total:  # _pricing's common case
            pricing = TAX_EXCLUSIVE
        else:
            pricing = _pricing(
                name, view(number, first), after_discount, shipping, taxes, duties, total, context
            )
        if pricing == TAX_INCLUSIVE:
            # Prices already contain the tax: take it out of the subtotal so that
            # subtotal − discount + shipping + tax is exactly the Total the buyer paid.
            subtotal -= taxes
        refund = amounts[first[refunded_at]]
        if refund is _SLOW:
            refund = slow_money(number, first, "Refunded Amount")
        if refund:
            refunded[currency] = refunded.get(currency, _ZERO) + refund
        cancelled_at = instants[first[cancelled_at_at]]
        if cancelled_at is _SLOW:
            cancelled_at = slow_instant(number, first, "Cancelled at")
        fulfillment = status(number, first, "Fulfillment Status", FULFILLMENT_STATUSES, "unfulfilled")
        if cancelled_at is not None and fulfillment != "fulfilled":
            fulfillment = "cancelled"
        note = texts[first[notes_at]]
        attributes = notes.get(note)
        if attributes is None:
            attributes = notes[note] = note_attributes(note)
        shipping_country = texts[first[shipping_country_at]]
        country = shipping_country or texts[first[billing_country_at]]
        zip_at, province_at, city_at = address_at["Shipping" if shipping_country is not None else "Billing"]
        external_id = texts[first[id_at]] or name
        postal_code = texts[first[zip_at]]
        if country == "US" and postal_code and postal_code.isdigit() and len(postal_code) < 5:
            warn_once(
                context,
                f"{file}: US ZIP codes shorter than 5 digits",
                f" (first {postal_code!r}, row {number}) look stripped of their leading zero by a"
                " spreadsheet; they were kept as they are",
            )
        financial_status = status(number, first, "Financial Status", FINANCIAL_STATUSES, "pending")
        lines = []
        for line_number, cells in rows:
            raw = cells[quantity_at]
            quantity: int | None
            if raw.isdigit() and len(raw) < 10:
                quantity = int(raw)
            else:
                quantity = view(line_number, cells).integer("Lineitem quantity", required=True)
                if quantity is not None and quantity > MAX_COUNT:
                    raise view(line_number, cells).error(
                        "Lineitem quantity", f"{quantity} is more units than an order line can hold"
                    )
            price = amounts[cells[price_at]]
            if price is None or price is _SLOW:
                price = slow_money(line_number, cells, "Lineitem price", True)
            assert quantity is not None and price is not None
            title = cells[title_at].strip() or "(untitled item)"
            line_discount = amounts[cells[line_discount_at]]
            if line_discount is _SLOW:
                line_discount = slow_money(line_number, cells, "Lineitem discount")
            lines.append(
                _make_line(
                    title=title,
                    quantity=quantity,
                    unit_price=price,
                    sku=texts[cells[sku_at]],
                    discount=line_discount or _ZERO,
                )
            )
        return _make_order(
            channel="shopify",
            external_id=external_id,
            number=name,
            ordered_at=ordered_at,
            currency=currency,
            subtotal=subtotal,
            total=total,
            financial_status=financial_status,
            fulfillment_status=fulfillment,
            lines=tuple(lines),
            discount_total=discount,
            shipping_total=shipping,
            tax_total=taxes + duties,  # duties are paid on to customs like taxes, never revenue
            email=texts[first[email_at]],
            customer_name=texts[first[billing_name_at]] or texts[first[shipping_name_at]],
            accepts_marketing=(texts[first[marketing_at]] or "").lower() in ("yes", "true"),
            cancelled_at=cancelled_at,
            discount_codes=texts[first[code_at]],
            ship_country=country.upper() if country and len(country) == 2 else None,
            ship_region=texts[first[province_at]],
            ship_city=texts[first[city_at]],
            ship_postal_code=postal_code,
            utm_source=attributes.get("utm_source"),
            utm_medium=attributes.get("utm_medium"),
            utm_campaign=attributes.get("utm_campaign"),
            utm_content=attributes.get("utm_content"),
            utm_term=attributes.get("utm_term"),
            referrer=attributes.get("referrer"),
            landing_page=attributes.get("landing_page"),
            source=_make_source(
                origin=origin,
                natural_key=external_id,
                row_number=number,
                # The file itself is kept (by digest) with the import, so the row numbers are
                # enough to show the raw rows again; copying ~80 cells per row would double it.
                payload={"pricing": pricing, "rows": [line_number for line_number, _ in rows]},
            ),
        )

    return order


def _pricing(
    name: str,
    row: Cells,
    after_discount: Decimal,
    shipping: Decimal,
    taxes: Decimal,
    duties: Decimal,
    total: Decimal,
    context: ParseContext,
) -> str:
    """Whether the order's prices include tax: the totals add up one way or the other."""
    before_tax = after_discount + shipping + duties
    if before_tax + taxes == total:
        return TAX_EXCLUSIVE
    if taxes and before_tax == total:
        return TAX_INCLUSIVE
    context.warn(
        f"{row.file}, row {row.number}: order {name}: Subtotal + Shipping + Taxes is "
        f"{before_tax + taxes} but Total is {total} (a tip or an edit?); the Total is kept as exported"
    )
    return TAX_EXCLUSIVE


def _status(row: Cells, column: str, vocabulary: dict[str, str], default: str, context: ParseContext) -> str:
    value = row.text(column)
    if value is None:
        return default
    known = vocabulary.get(value.lower().replace(" ", "_"))
    if known is None:
        warn_once(context, f"{row.file}: unknown {column} ", f"{value!r} (row {row.number}) kept as it is")
        return value.lower()[:30]
    return known


def note_attributes(text: str | None) -> dict[str, str]:
    """Attribution fields from `Note Attributes` ('UTM source: facebook' one per line)."""
    found: dict[str, str] = {}
    if not text:
        return found
    for line in text.splitlines():
        key, separator, value = line.partition(":")
        if not separator or not value.strip():
            continue
        field = NOTE_ATTRIBUTE_FIELDS.get("_".join(key.strip().lower().replace("-", " ").split()))
        if field and field not in found:
            found[field] = value.strip()
    return found
