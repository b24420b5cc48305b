"""Amazon's date-range "Transaction" report (Payments → Reports Repository → Transaction, CSV).

It repeats, one row per event, what the settlement reports already hold to the cent. So that
importing both never counts money twice, this report yields only what the settlement lacks: the
**orders** (its `Order` rows: SKU, item description, quantity, product sales, shipping, promotions,
tax and the ship-to city/state/postal code). Payouts, fees and refunds come from the settlement
report alone; the other rows (Refund, Transfer, Service Fee, …) are read and counted, not imported.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

from sasame.connectors.amazon.settlement import bounded
from sasame.connectors.base import FileFormat, ParseContext
from sasame.connectors.files import Row, SourceFile, parse_instant
from sasame.connectors.records import OrderLineRecord, OrderRecord, SourceRef

ZERO = Decimal(0)
HEADER_START = '"date/time"'

ZONE_OFFSETS = {
    "PST": "-0800", "PDT": "-0700", "MST": "-0700", "MDT": "-0600", "CST": "-0600", "CDT": "-0500",
    "EST": "-0500", "EDT": "-0400", "AKST": "-0900", "AKDT": "-0800", "HST": "-1000",
    "UTC": "+0000", "GMT": "+0000", "BST": "+0100", "CET": "+0100", "CEST": "+0200",
    "JST": "+0900", "AEST": "+1000", "AEDT": "+1100",
}  # fmt: skip
"""The abbreviations Amazon writes after the time; it flips PST/PDT with daylight saving time."""

INSTANT_FORMATS = ("%b %d, %Y %I:%M:%S %p %z", "%d %b %Y %I:%M:%S %p %z", "%d %b %Y %H:%M:%S %z")

MARKETPLACE_COUNTRIES = {
    "amazon.com": "US", "amazon.ca": "CA", "amazon.com.mx": "MX", "amazon.co.uk": "GB",
    "amazon.de": "DE", "amazon.fr": "FR", "amazon.it": "IT", "amazon.es": "ES", "amazon.nl": "NL",
    "amazon.se": "SE", "amazon.pl": "PL", "amazon.com.be": "BE", "amazon.co.jp": "JP",
    "amazon.com.au": "AU",
}  # fmt: skip

TAX_COLUMNS = ("product sales tax", "shipping credits tax", "giftwrap credits tax", "sales tax collected")


def _header_index(file: SourceFile) -> int | None:
    """The line number (0-based) of the header: the first line starting with "date/time"."""
    for index, line in enumerate(file.head(16_384).split("\n")[:40]):
        stripped = line.lstrip("\ufeff").strip()
        if stripped.lower().startswith((HEADER_START, "date/time,")):
            return index
    return None


class TransactionReport(FileFormat):
    name = "amazon.transaction_report"
    title = "Amazon date range transaction report (CSV)"

    def detect(self, file: SourceFile) -> bool:
        index = _header_index(file)
        if index is None:
            return False
        header = file.head(16_384).split("\n")[index].lower()
        return all(name in header for name in ("settlement id", "order id", "product sales", "total"))

    def parse(self, file: SourceFile, context: ParseContext) -> Iterator[OrderRecord]:
        index = _header_index(file)
        preamble = "\n".join(file.head(16_384).split("\n")[: index or 0])
        table = file.table(delimiter=",", skip_lines=index or 0)
        table.rename({name: name.lower() for name in table.header})  # 'Regulatory Fee' vs 'other'
        table.require("date/time", "type", "order id", "product sales")
        context.rows_read = len(table.rows)
        stated = re.search(r"All amounts in ([A-Z]{3})", preamble)
        currency = stated.group(1) if stated else context.currency

        orders: dict[str, list[Row]] = {}
        skipped: Counter[str] = Counter()
        for row in table.rows:
            kind = row.text("type") or "(blank)"
            if kind.casefold() == "order" and row.text("order id"):
                orders.setdefault(bounded(row, "order id", 100), []).append(row)
            else:
                skipped[kind] += 1
        for order_id, rows in orders.items():
            yield self._order(order_id, rows, currency)
        if skipped:
            kinds = ", ".join(f"{kind} ({count})" for kind, count in sorted(skipped.items()))
            context.warn(
                f"{file.name}: rows other than orders are left to the settlement report, which holds "
                f"them to the cent: {kinds}"
            )

    def _order(self, order_id: str, rows: list[Row], currency: str) -> OrderRecord:
        lines = []
        subtotal = shipping = discount = tax = ZERO
        for row in rows:
            sales = row.money("product sales") or ZERO
            quantity = row.integer("quantity") or 1
            lines.append(
                OrderLineRecord(
                    title=(row.text("description") or row.text("sku") or "Amazon item")[:300],
                    quantity=quantity,
                    unit_price=(sales / quantity).quantize(Decimal("0.0001")),
                    sku=bounded(row, "sku", 100) if row.text("sku") else None,
                )
            )
            subtotal += sales
            shipping += (row.money("shipping credits") or ZERO) + (row.money("gift wrap credits") or ZERO)
            discount -= row.money("promotional rebates") or ZERO  # rebates are negative
            tax += sum((row.money(column) or ZERO for column in TAX_COLUMNS), ZERO)
        first = rows[0]
        marketplace = (first.text("marketplace") or "").casefold()
        return OrderRecord(
            channel="amazon",
            external_id=order_id,
            number=order_id,
            ordered_at=_instant(first),
            currency=currency,
            subtotal=subtotal,
            discount_total=discount,
            shipping_total=shipping,
            tax_total=tax,
            total=subtotal - discount + shipping + tax,
            financial_status="paid",
            fulfillment_status="fulfilled",
            ship_country=MARKETPLACE_COUNTRIES.get(marketplace),
            ship_region=bounded(first, "order state", 100) if first.text("order state") else None,
            ship_city=bounded(first, "order city", 100) if first.text("order city") else None,
            ship_postal_code=bounded(first, "order postal", 20) if first.text("order postal") else None,
            lines=tuple(lines),
            source=SourceRef(self.name, order_id, first.number, {"rows": [dict(r.values) for r in rows]}),
        )


def _instant(row: Row) -> datetime:
    """'Dec 1, 2017 12:38:23 AM PST' (the time the order was charged, in Amazon's local zone)."""
    value = row.required_text("date/time")
    text, _, zone = value.rpartition(" ")
    offset = ZONE_OFFSETS.get(zone.upper())
    if offset is None:
        raise row.error("date/time", f"{value!r} has a time zone sasame does not know ({zone!r})")
    try:
        return parse_instant(f"{text} {offset}", formats=INSTANT_FORMATS)
    except ValueError:
        example = "'Dec 1, 2017 12:38:23 AM PST'"
        raise row.error("date/time", f"{value!r} is not a date and time like {example}") from None
