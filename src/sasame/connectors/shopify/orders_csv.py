"""Shopify orders export (Admin → Orders → Export → CSV): one row per line item.

The first row of an order carries the order-level fields; continuation rows repeat the name, email,
date and line item fields and leave the rest empty. Rows are grouped by `Name`, the order-level
values are taken from the order's first row, and `Total` is never summed across rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from sasame.connectors.base import FileFormat, ParseContext, header_line
from sasame.connectors.files import SourceFile
from sasame.connectors.records import OrderLineRecord, OrderRecord, SourceRef
from sasame.connectors.shopify.common import (
    Cells,
    fold,
    instant,
    money,
    paused_garbage_collector,
    read_table,
    warn_once,
)

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
            records = self._records(file, context)
        yield from records

    def _records(self, file: SourceFile, context: ParseContext) -> list[OrderRecord]:
        _, rows = read_table(file, COLUMNS, aliases=ALIASES, required=REQUIRED)
        context.rows_read = len(rows)
        orders: dict[str, list[Cells]] = {}
        for row in rows:
            name = row.get("Name").strip()
            if not name:
                raise row.error("Name", "is empty but every row of an order names it")
            group = orders.get(name)
            if group is None:
                orders[name] = [row]
            else:
                group.append(row)
        refunded: dict[str, Decimal] = {}
        records = [self._order(name, rows, context, refunded) for name, rows in orders.items()]
        if refunded:
            totals = ", ".join(f"{amount} {currency}" for currency, amount in sorted(refunded.items()))
            context.warn(
                f"{file.name}: its orders show {totals} refunded; this export has no refund "
                "dates, so refunds are taken from the Shopify Payments transactions export (or the API), "
                "not from 'Refunded Amount'"
            )
        return records

    def _order(
        self, name: str, rows: list[Cells], context: ParseContext, refunded: dict[str, Decimal]
    ) -> OrderRecord:
        first = rows[0]
        currency = (first.text("Currency") or context.currency).upper()
        ordered_at = instant(first, "Created at", context, required=True)
        assert ordered_at is not None
        total = money(first, "Total", required=True)
        assert total is not None
        after_discount = money(first, "Subtotal") or Decimal(0)
        shipping = money(first, "Shipping") or Decimal(0)
        taxes = money(first, "Taxes") or Decimal(0)
        duties = money(first, "Duties") or Decimal(0)
        discount = money(first, "Discount Amount") or Decimal(0)
        # Shopify's Subtotal is after discounts; sasame's is before them (line prices × quantities).
        subtotal = after_discount + discount
        pricing = _pricing(name, first, after_discount, shipping, taxes, duties, total, context)
        if pricing == TAX_INCLUSIVE:
            # Prices already contain the tax: take it out of the subtotal so that
            # subtotal − discount + shipping + tax is exactly the Total the buyer paid.
            subtotal -= taxes
        refund = money(first, "Refunded Amount")
        if refund:
            refunded[currency] = refunded.get(currency, Decimal(0)) + refund
        cancelled_at = instant(first, "Cancelled at", context)
        fulfillment = _status(first, "Fulfillment Status", FULFILLMENT_STATUSES, "unfulfilled", context)
        if cancelled_at is not None and fulfillment != "fulfilled":
            fulfillment = "cancelled"
        attributes = note_attributes(first.text("Note Attributes"))
        country = first.text("Shipping Country") or first.text("Billing Country")
        has_shipping_address = first.text("Shipping Country") is not None
        prefix = "Shipping" if has_shipping_address else "Billing"
        external_id = first.text("Id") or name
        postal_code = first.text(f"{prefix} Zip")
        if country == "US" and postal_code and postal_code.isdigit() and len(postal_code) < 5:
            warn_once(
                context,
                f"{first.file}: US ZIP codes shorter than 5 digits",
                f" (first {postal_code!r}, row {first.number}) look stripped of their leading zero by a"
                " spreadsheet; they were kept as they are",
            )
        return OrderRecord(
            channel="shopify",
            external_id=external_id,
            number=name,
            ordered_at=ordered_at,
            currency=currency,
            subtotal=subtotal,
            total=total,
            financial_status=_status(first, "Financial Status", FINANCIAL_STATUSES, "pending", context),
            fulfillment_status=fulfillment,
            lines=tuple(_line(row) for row in rows),
            discount_total=discount,
            shipping_total=shipping,
            tax_total=taxes + duties,  # duties are paid on to customs like taxes, never revenue
            email=first.text("Email"),
            customer_name=first.text("Billing Name") or first.text("Shipping Name"),
            accepts_marketing=(first.text("Accepts Marketing") or "").lower() in ("yes", "true"),
            cancelled_at=cancelled_at,
            discount_codes=first.text("Discount Code"),
            ship_country=country.upper() if country and len(country) == 2 else None,
            ship_region=first.text(f"{prefix} Province"),
            ship_city=first.text(f"{prefix} City"),
            ship_postal_code=postal_code,
            utm_source=attributes.get("utm_source"),
            utm_medium=attributes.get("utm_medium"),
            utm_campaign=attributes.get("utm_campaign"),
            utm_content=attributes.get("utm_content"),
            utm_term=attributes.get("utm_term"),
            referrer=attributes.get("referrer"),
            landing_page=attributes.get("landing_page"),
            source=SourceRef(
                ShopifyOrdersCsv.name,
                external_id,
                first.number,
                # The file itself is kept (by digest) with the import, so the row numbers are
                # enough to show the raw rows again; copying ~80 cells per row would double it.
                {"pricing": pricing, "rows": [row.number for row in rows]},
            ),
        )


def _line(row: Cells) -> OrderLineRecord:
    quantity = row.integer("Lineitem quantity", required=True)
    price = money(row, "Lineitem price", required=True)
    assert quantity is not None and price is not None
    return OrderLineRecord(
        title=row.get("Lineitem name").strip() or "(untitled item)",
        quantity=quantity,
        unit_price=price,
        sku=row.text("Lineitem sku"),
        discount=money(row, "Lineitem discount") or Decimal(0),
    )


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
