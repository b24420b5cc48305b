"""The Shopify orders export (Admin → Orders → Export, CSV, the 2025 79-column header), one file a month.

One row per line item: the order's first row carries every order-level field, continuation rows
repeat only the name, email, creation time, line item fields, vendor and line discount (formats.md
§1.1). Times are store-local with their offset, ZIPs apostrophe-protected, and the store's
attribution app writes UTM, referrer and landing page into `Note Attributes`.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from sasame.connectors.shopify.orders_csv import COLUMNS
from sasame.demo.exports.common import Store, by_month, channel_id, money_text, order_book

STATE_NAMES = {
    "AZ": "Arizona", "CA": "California", "CO": "Colorado", "DE": "Delaware", "FL": "Florida",
    "GA": "Georgia", "IL": "Illinois", "LA": "Louisiana", "MA": "Massachusetts", "MD": "Maryland",
    "MI": "Michigan", "MN": "Minnesota", "MO": "Missouri", "MT": "Montana", "NC": "North Carolina",
    "NH": "New Hampshire", "NY": "New York", "OH": "Ohio", "OR": "Oregon", "PA": "Pennsylvania",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VA": "Virginia", "WA": "Washington",
    "WI": "Wisconsin",
}  # fmt: skip
NOTE_KEYS = (
    ("utm_source", "UTM source"),
    ("utm_medium", "UTM medium"),
    ("utm_campaign", "UTM campaign"),
    ("utm_content", "UTM content"),
    ("utm_term", "UTM term"),
    ("referrer", "Referrer"),
    ("landing_page", "Landing page"),
)
POSITION = {name: index for index, name in enumerate(COLUMNS)}


def write_orders(connection: Connection, store: Store, folder: Path) -> list[Path]:
    """Write the Shopify orders as one orders export per month; return the files."""
    channel = channel_id(connection, "shopify")
    if channel is None:
        return []
    book = order_book(connection, channel)
    tz = store.timezone

    def local(instant: datetime | None) -> str:
        return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %z") if instant else ""

    paths = []
    for month, orders in by_month(book.orders, lambda o: o.order_date).items():
        path = folder / f"orders_export_{month}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(COLUMNS)
            for order in orders:
                writer.writerows(_rows(order, book, store, local))
        paths.append(path)
    return paths


def _rows(order: Any, book: Any, store: Store, local: Any) -> list[list[str]]:
    name = book.customer_name.get(order.customer_id) or ""
    shipped_at = book.shipped_at.get(order.id)
    fulfilled = order.fulfillment_status == "fulfilled"
    zip_code = f"'{order.ship_postal_code}" if order.ship_postal_code else ""
    province = STATE_NAMES.get(order.ship_region or "", order.ship_region or "")
    notes = "\n".join(f"{label}: {getattr(order, key)}" for key, label in NOTE_KEYS if getattr(order, key))
    reference = f"r{int(order.external_id):x}"
    first = [""] * len(COLUMNS)
    for column, value in (
        ("Financial Status", order.financial_status),
        ("Paid at", local(order.ordered_at)),
        ("Fulfillment Status", order.fulfillment_status),
        ("Fulfilled at", local(shipped_at) if fulfilled else ""),
        ("Accepts Marketing", "yes" if book.accepts_marketing.get(order.customer_id) else "no"),
        ("Currency", order.currency),
        # Shopify's Subtotal is after discounts (formats.md §1.1).
        ("Subtotal", money_text(order.subtotal - order.discount)),
        ("Shipping", money_text(order.shipping)),
        ("Taxes", money_text(order.tax)),
        ("Total", money_text(order.total)),
        ("Discount Code", order.discount_codes or ""),
        ("Discount Amount", money_text(order.discount)),
        ("Shipping Method", "Standard" if order.shipping else "Free Shipping"),
        ("Billing Name", name),
        ("Billing Address1", f"{100 + order.id % 900} Main St"),
        ("Billing City", order.ship_city or ""),
        ("Billing Zip", zip_code),
        ("Billing Province", order.ship_region or ""),
        ("Billing Country", order.ship_country or ""),
        ("Shipping Name", name),
        ("Shipping Address1", f"{100 + order.id % 900} Main St"),
        ("Shipping City", order.ship_city or ""),
        ("Shipping Zip", zip_code),
        ("Shipping Province", order.ship_region or ""),
        ("Shipping Country", order.ship_country or ""),
        ("Note Attributes", notes),
        ("Cancelled at", local(order.cancelled_at)),
        ("Payment Method", "Shopify Payments"),
        ("Payment Reference", reference),
        ("Refunded Amount", money_text(book.refunded.get(order.id, 0))),
        ("Outstanding Balance", "0.00"),
        ("Id", order.external_id),
        ("Risk Level", "Low"),
        ("Source", "web"),
        ("Tax 1 Name", f"{order.ship_region} State Tax" if order.tax else ""),
        ("Tax 1 Value", money_text(order.tax) if order.tax else ""),
        ("Billing Province Name", province),
        ("Shipping Province Name", province),
        ("Payment ID", reference),
        ("Payment References", reference),
    ):
        first[POSITION[column]] = value
    rows = []
    for index, line in enumerate(book.lines.get(order.id, ())):
        row = first if index == 0 else [""] * len(COLUMNS)
        for column, value in (
            ("Name", order.number),
            ("Email", order.email or ""),
            ("Created at", local(order.ordered_at)),
            ("Vendor", store.name),
            ("Lineitem quantity", str(line.quantity)),
            ("Lineitem name", line.title),
            ("Lineitem price", money_text(line.unit_price)),
            ("Lineitem sku", line.sku or ""),
            ("Lineitem requires shipping", "true"),
            ("Lineitem taxable", "true"),
            ("Lineitem fulfillment status", "fulfilled" if fulfilled else "pending"),
            ("Lineitem discount", money_text(line.discount)),
        ):
            row[POSITION[column]] = value
        rows.append(row)
    return rows
