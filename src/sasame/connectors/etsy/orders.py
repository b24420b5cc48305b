"""Etsy's order downloads (Shop Manager → Settings → Options → Download Data):

* Sold Order Items: one row per transaction (order line), with order-level money on one row only;
* Sold Orders: one row per order (receipt), with the order's money and address but no lines.

Both become Etsy orders (channel 'etsy', external id and number = Etsy's Order ID). Either may be
imported first: Sold Orders sets the order's values and keeps the lines (`lines=None`); Sold Order
Items sets the lines and leaves an order Sold Orders stored alone (`keeps_stored_order`), because
its order totals are only derived (they miss the sales tax Etsy collects, see formats.md §4.2).

Etsy writes dates without a time. An order's `ordered_at` is the start (local midnight) of the sale
day in the store's timezone, so its business day is exactly the day Etsy shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from sasame.connectors.base import FileFormat, ParseContext
from sasame.connectors.etsy.common import (
    Countries,
    SaleDays,
    bounded,
    buyer_name,
    fold,
    folded_header,
    read_table,
)
from sasame.connectors.etsy.common import currency as currency_code
from sasame.connectors.files import Row, SourceFile
from sasame.connectors.records import OrderLineRecord, OrderRecord, SourceRef
from sasame.core.clock import day_start

ZERO = Decimal(0)

ITEM_COLUMNS = (
    "Sale Date", "Item Name", "Buyer", "Quantity", "Price", "Coupon Code", "Coupon Details",
    "Discount Amount", "Shipping Discount", "Order Shipping", "Order Sales Tax", "Item Total",
    "Currency", "Transaction ID", "Listing ID", "Date Paid", "Date Shipped", "Ship Name",
    "Ship Address1", "Ship Address2", "Ship City", "Ship State", "Ship Zipcode", "Ship Country",
    "Order ID", "Variations", "Order Type", "Listings Type", "Payment Type", "InPerson Discount",
    "InPerson Location", "VAT Paid by Buyer", "SKU",
)  # fmt: skip

ORDER_COLUMNS = (
    "Sale Date", "Order ID", "Buyer User ID", "Full Name", "First Name", "Last Name",
    "Number of Items", "Payment Method", "Date Shipped", "Street 1", "Street 2", "Ship City",
    "Ship State", "Ship Zipcode", "Ship Country", "Currency", "Order Value", "Coupon Code",
    "Coupon Details", "Discount Amount", "Shipping Discount", "Shipping", "Sales Tax",
    "Order Total", "Status", "Card Processing Fees", "Order Net", "Adjusted Order Total",
    "Adjusted Card Processing Fees", "Adjusted Net Order Amount", "Buyer", "Order Type",
    "Payment Type", "InPerson Discount", "InPerson Location", "SKU", "Date Paid", "VAT Paid by Buyer",
)  # fmt: skip


def _codes(text: str | None) -> str | None:
    """Coupon codes without Etsy's ';'-joined repeats ('KELLY10;KELLY10' → 'KELLY10')."""
    if not text:
        return None
    codes = list(dict.fromkeys(code.strip() for code in text.split(";") if code.strip()))
    return ", ".join(codes)[:200] or None


def _zip_warning(file: SourceFile, country: str | None, postal_code: str | None, row: Row) -> str | None:
    if country == "US" and postal_code and postal_code.isdigit() and len(postal_code) < 5:
        return (
            f"{file.name}, row {row.number}: ZIP code {postal_code!r} has fewer than 5 digits; "
            "a spreadsheet probably dropped its leading zero (kept as written)"
        )
    return None


class SoldOrderItems(FileFormat):
    name = "etsy.sold_order_items"
    title = "Etsy Sold Order Items (CSV)"

    def detect(self, file: SourceFile) -> bool:
        return {"transaction id", "listing id", "order id", "item name"} <= folded_header(file)

    def parse(self, file: SourceFile, context: ParseContext) -> Iterator[OrderRecord]:
        table = read_table(file, ITEM_COLUMNS)
        table.require("Order ID", "Sale Date", "Item Name", "Quantity", "Price", "Currency")
        context.rows_read = len(table.rows)
        days, countries = SaleDays(file), Countries(file)
        by_order: dict[str, list[Row]] = {}
        for row in table.rows:
            order_id = bounded(row, "Order ID", 100, required=True)
            assert order_id is not None
            by_order.setdefault(order_id, []).append(row)
        for order_id, rows in by_order.items():
            yield self._order(file, context, order_id, rows, days, countries)
        days.report(context)
        countries.report(context)

    def _order(
        self,
        file: SourceFile,
        context: ParseContext,
        order_id: str,
        rows: list[Row],
        days: SaleDays,
        countries: Countries,
    ) -> OrderRecord:
        first = rows[0]
        lines = []
        for row in rows:
            title = row.required_text("Item Name")
            variations = row.text("Variations")
            lines.append(
                OrderLineRecord(
                    title=(f"{title} ({variations})" if variations else title)[:300],
                    quantity=row.integer("Quantity", required=True) or 0,
                    unit_price=row.required_money("Price"),
                    sku=bounded(row, "SKU", 100),
                    external_id=row.text("Transaction ID"),
                )
            )
        currency = currency_code(first)
        subtotal = sum((line.unit_price * line.quantity for line in lines), ZERO)
        discount = _order_amount(rows, "Discount Amount") + _order_amount(rows, "Shipping Discount")
        shipping = _order_amount(rows, "Order Shipping")
        tax = _order_amount(rows, "Order Sales Tax")
        sale_day = days.day(first, "Sale Date", required=True)
        assert sale_day is not None
        paid = any(days.day(row, "Date Paid") for row in rows)
        shipped = [days.day(row, "Date Shipped") is not None for row in rows]
        country = countries.code(first.text("Ship Country"))
        postal_code = bounded(first, "Ship Zipcode", 20)
        if warning := _zip_warning(file, country, postal_code, first):
            context.warn(warning)
        return OrderRecord(
            channel="etsy",
            external_id=order_id,
            number=order_id,
            ordered_at=day_start(sale_day, context.timezone),
            currency=currency,
            subtotal=subtotal,
            discount_total=discount,
            shipping_total=shipping,
            tax_total=tax,
            total=subtotal - discount + shipping + tax,
            financial_status="paid" if paid else "pending",
            fulfillment_status="fulfilled" if all(shipped) else "partial" if any(shipped) else "unfulfilled",
            customer_name=(buyer_name(first.text("Buyer")) or first.text("Ship Name") or "")[:200] or None,
            discount_codes=_codes(first.text("Coupon Code")),
            ship_country=country,
            ship_region=bounded(first, "Ship State", 100),
            ship_city=bounded(first, "Ship City", 100),
            ship_postal_code=postal_code,
            lines=tuple(lines),
            keeps_stored_order=True,
            source=SourceRef(self.name, order_id, first.number, {"rows": [dict(r.values) for r in rows]}),
        )


def _order_amount(rows: list[Row], column: str) -> Decimal:
    """An order-level amount of the items file: Etsy writes it on one row and 0 on the others.

    A file where it repeats on every row (seen in spreadsheet-edited copies) must not count it
    once per line, so equal non-zero values are taken once."""
    values = [value for row in rows if (value := row.money(column))]
    if len(values) > 1 and len(set(values)) == 1:
        return values[0]
    return sum(values, ZERO)


class SoldOrders(FileFormat):
    name = "etsy.sold_orders"
    title = "Etsy Sold Orders (CSV)"

    def detect(self, file: SourceFile) -> bool:
        header = folded_header(file)
        return {"order id", "number of items", "order value"} <= header and "transaction id" not in header

    def parse(self, file: SourceFile, context: ParseContext) -> Iterator[OrderRecord]:
        table = read_table(file, ORDER_COLUMNS)
        table.require("Order ID", "Sale Date", "Currency", "Order Value", "Order Total")
        context.rows_read = len(table.rows)
        days, countries = SaleDays(file), Countries(file)
        underived = 0
        for row in table.rows:
            order_id = bounded(row, "Order ID", 100, required=True)
            assert order_id is not None
            sale_day = days.day(row, "Sale Date", required=True)
            assert sale_day is not None
            subtotal = row.required_money("Order Value")
            discount = (row.money("Discount Amount") or ZERO) + (row.money("Shipping Discount") or ZERO)
            shipping = row.money("Shipping") or ZERO
            total = row.required_money("Order Total")
            # 'Sales Tax' shows 0 even when Etsy collected tax that 'Order Total' includes, so the
            # tax is what the total holds beyond items, discounts and shipping.
            tax = total - (subtotal - discount + shipping)
            if tax < 0:
                underived += 1
                tax = row.money("Sales Tax") or ZERO
            adjusted = row.money("Adjusted Order Total")
            if adjusted is not None and adjusted < total:
                financial_status = "refunded" if adjusted == 0 else "partially_refunded"
            else:
                financial_status = "paid"
            status = fold(row.text("Status") or "")
            country = countries.code(row.text("Ship Country"))
            postal_code = bounded(row, "Ship Zipcode", 20)
            if warning := _zip_warning(file, country, postal_code, row):
                context.warn(warning)
            yield OrderRecord(
                channel="etsy",
                external_id=order_id,
                number=order_id,
                ordered_at=day_start(sale_day, context.timezone),
                currency=currency_code(row),
                subtotal=subtotal,
                discount_total=discount,
                shipping_total=shipping,
                tax_total=tax,
                total=total,
                financial_status="voided" if status in ("canceled", "cancelled") else financial_status,
                fulfillment_status="fulfilled" if days.day(row, "Date Shipped") else "unfulfilled",
                customer_name=(row.text("Full Name") or buyer_name(row.text("Buyer")) or "")[:200] or None,
                discount_codes=_codes(row.text("Coupon Code")),
                ship_country=country,
                ship_region=bounded(row, "Ship State", 100),
                ship_city=bounded(row, "Ship City", 100),
                ship_postal_code=postal_code,
                lines=None,  # this export has no lines: keep the ones Sold Order Items gave
                source=SourceRef(self.name, order_id, row.number, dict(row.values)),
            )
        if underived:
            context.warn(
                f"{file.name}: {underived} order(s) total less than items − discounts + shipping; "
                "their tax is taken from 'Sales Tax'"
            )
        days.report(context)
        countries.report(context)
