"""Amazon Seller Central downloads: settlement reports (flat file V2, one per settlement) and the
date range transaction report (one per month), which is where the orders come from.

Settlement V2 (formats.md §3.1, §3.3): tab-separated, unquoted, windows-1252; the first row after
the header is the settlement summary; every other row is one signed money component with its
transaction-type, amount-type and amount-description. The transaction report (§3.4): a quoted
preamble, then one quoted row per order item with the sales, tax and fees of that event, times in
Pacific time with PST/PDT.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from sasame import models as m
from sasame.demo.exports.common import Store, by_month, channel_id, money_text, order_book, units

V2_COLUMNS = (
    "settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date", "total-amount",
    "currency", "transaction-type", "order-id", "merchant-order-id", "adjustment-id", "shipment-id",
    "marketplace-name", "amount-type", "amount-description", "amount", "fulfillment-id",
    "posted-date", "posted-date-time", "order-item-code", "merchant-order-item-id",
    "merchant-adjustment-item-id", "sku", "quantity-purchased", "promotion-id",
)  # fmt: skip
V2 = {name: index for index, name in enumerate(V2_COLUMNS)}

COMPONENTS = {
    # (kind, fee type) of a demo payout line → (transaction-type, amount-type, amount-description)
    ("principal", None): ("Order", "ItemPrice", "Principal"),
    ("shipping", None): ("Order", "ItemPrice", "Shipping"),
    ("fee", "commission"): ("Order", "ItemFees", "Commission"),
    ("fee", "fba_fulfilment"): ("Order", "ItemFees", "FBAPerUnitFulfillmentFee"),
    ("refund", None): ("Refund", "ItemPrice", "Principal"),
    ("fee", "refund_commission"): ("Refund", "ItemFees", "RefundCommission"),
}
RESERVE_HELD, RESERVE_RELEASED = "Current Reserve Amount", "Previous Reserve Amount Balance"

TRANSACTION_COLUMNS = (
    "date/time", "settlement id", "type", "order id", "sku", "description", "quantity", "marketplace",
    "account type", "fulfillment", "order city", "order state", "order postal",
    "tax collection model", "product sales", "product sales tax", "shipping credits",
    "shipping credits tax", "gift wrap credits", "giftwrap credits tax", "Regulatory Fee",
    "Tax On Regulatory Fee", "promotional rebates", "promotional rebates tax",
    "marketplace withheld tax", "selling fees", "fba fees", "other transaction fees", "other", "total",
)  # fmt: skip
PACIFIC = ZoneInfo("America/Los_Angeles")


def settlement_id(external_id: str) -> str:
    """Amazon's numeric settlement id for the demo payout 'AMZ-00000123'."""
    return str(11_700_000_000 + int(external_id.rsplit("-", 1)[1]))


def _utc(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def write_settlements(connection: Connection, store: Store, folder: Path) -> list[Path]:
    """Write one settlement report (flat file V2) per Amazon payout; return the files."""
    channel = channel_id(connection, "amazon")
    if channel is None:
        return []
    book = order_book(connection, channel)
    sku_lines = book.lines
    payouts = connection.execute(
        select(
            m.Payout.id,
            m.Payout.external_id,
            m.Payout.period_start,
            m.Payout.period_end,
            m.Payout.paid_on,
            units(m.Payout.amount).label("amount"),
            m.Payout.currency,
        )
        .where(m.Payout.provider == "amazon")
        .order_by(m.Payout.paid_on, m.Payout.id)
    ).all()
    lines: dict[int, list[Any]] = defaultdict(list)
    for row in connection.execute(
        select(
            m.PayoutLine.payout_id,
            m.PayoutLine.id,
            m.PayoutLine.kind,
            m.PayoutLine.fee_type,
            m.PayoutLine.order_id,
            m.Order.number,
            m.PayoutLine.occurred_at,
            units(m.PayoutLine.amount).label("amount"),
        )
        .join(m.Payout, m.Payout.id == m.PayoutLine.payout_id)
        .outerjoin(m.Order, m.Order.id == m.PayoutLine.order_id)
        .where(m.Payout.provider == "amazon")
        .order_by(m.PayoutLine.payout_id, m.PayoutLine.id)
    ):
        lines[row.payout_id].append(row)

    paths = []
    for payout in payouts:
        number = settlement_id(payout.external_id)
        deposited = datetime.combine(payout.paid_on, time(12), tzinfo=store.timezone)
        summary = [""] * len(V2_COLUMNS)
        for column, value in (
            ("settlement-id", number),
            ("settlement-start-date", _utc(payout.period_start)),
            ("settlement-end-date", _utc(payout.period_end)),
            ("deposit-date", _utc(deposited)),
            ("total-amount", money_text(payout.amount)),
            ("currency", payout.currency),
        ):
            summary[V2[column]] = value
        rows = [list(V2_COLUMNS), summary]
        for line in lines[payout.id]:
            rows.extend(_settlement_rows(number, line, sku_lines.get(line.order_id, ())))
        path = folder / "settlements" / f"{number}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="cp1252", errors="replace", newline="") as handle:
            handle.write("".join("\t".join(row) + "\n" for row in rows))
        paths.append(path)
    return paths


def _settlement_rows(number: str, line: Any, items: Any) -> list[list[str]]:
    """The V2 rows of one demo payout line: principal per item (with SKU), the rest on the first item."""
    if line.kind == "reserve":
        kind: tuple[str, str, str] = (
            "other-transaction",
            "other-transaction",
            RESERVE_HELD if line.amount < 0 else RESERVE_RELEASED,
        )
    else:
        found = COMPONENTS.get((line.kind, line.fee_type))
        if found is None:
            raise ValueError(f"the demo has no Amazon settlement row for {line.kind}/{line.fee_type}")
        kind = found
    parts: list[tuple[Any, int]] = []
    if line.kind == "principal" and items:
        item_amounts = [item.unit_price * item.quantity - item.discount for item in items]
        if sum(item_amounts) == line.amount:
            parts = list(zip(items, item_amounts, strict=True))
    if not parts:
        parts = [(items[0] if items and line.order_id else None, line.amount)]
    rows = []
    for item, amount in parts:
        row = [""] * len(V2_COLUMNS)
        for column, value in (
            ("settlement-id", number),
            ("transaction-type", kind[0]),
            ("order-id", line.number or ""),
            ("merchant-order-id", ""),
            ("adjustment-id", f"amzn1:crow:{line.id:x}" if kind[0] == "Refund" else ""),
            ("shipment-id", f"D{line.order_id:08d}" if kind[0] == "Order" and line.order_id else ""),
            ("marketplace-name", "Amazon.com" if line.order_id else ""),
            ("amount-type", kind[1]),
            ("amount-description", kind[2]),
            ("amount", money_text(amount)),
            ("fulfillment-id", "AFN" if line.order_id else ""),
            ("posted-date", line.occurred_at.astimezone(UTC).strftime("%m/%d/%y")),
            ("posted-date-time", _utc(line.occurred_at)),
            ("order-item-code", f"{item.id:014d}" if item is not None else ""),
            ("sku", (item.sku or "") if item is not None else ""),
            ("quantity-purchased", str(item.quantity) if item is not None and kind[0] == "Order" else ""),
        ):
            row[V2[column]] = value
        rows.append(row)
    return rows


def _pacific(instant: datetime) -> str:
    """'Dec 1, 2017 12:38:23 AM PST': month name, 12-hour clock, the zone abbreviation of the day."""
    local = instant.astimezone(PACIFIC)
    hour = local.hour % 12 or 12
    return f"{local:%b} {local.day}, {local.year} {hour}:{local:%M:%S} {local:%p} {local.tzname()}"


def write_transaction_reports(connection: Connection, store: Store, folder: Path) -> list[Path]:
    """Write the date range transaction report's Order rows, one report per month; return the files."""
    channel = channel_id(connection, "amazon")
    if channel is None:
        return []
    book = order_book(connection, channel)
    fees: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    settled: dict[int, str] = {}
    for row in connection.execute(
        select(
            m.PayoutLine.order_id,
            m.PayoutLine.kind,
            m.PayoutLine.fee_type,
            units(m.PayoutLine.amount).label("amount"),
            m.Payout.external_id,
        )
        .join(m.Payout, m.Payout.id == m.PayoutLine.payout_id)
        .where(m.Payout.provider == "amazon", m.PayoutLine.order_id.is_not(None))
        .where(m.PayoutLine.kind.in_(("principal", "fee")))
    ):
        if row.kind == "principal":
            settled[row.order_id] = settlement_id(row.external_id)
        elif row.fee_type in ("commission", "fba_fulfilment"):
            fees[row.order_id][row.fee_type] += row.amount
    paths = []
    for month, orders in by_month(book.orders, lambda o: o.order_date).items():
        path = folder / f"{month}MonthlyTransaction.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
            for text in (
                "Includes Amazon Marketplace, Fulfillment by Amazon (FBA), and Amazon Webstore transactions",
                f"All amounts in {store.currency}, unless specified",
                "Definitions:",
                "Sales tax collected: Includes sales tax collected from buyers for product sales, "
                "shipping, and gift wrap.",
                "Selling fees: Includes variable closing fees and referral fees.",
                "Other transaction fees: Includes shipping chargebacks, shipping holdbacks, per-item "
                "fees and sales tax collection fees.",
                'Other: Includes non-order transaction amounts. For more details, see the "Type" and '
                '"Description" columns for each order ID.',
            ):
                writer.writerow([text])
            writer.writerow(TRANSACTION_COLUMNS)
            for order in orders:
                writer.writerows(_transaction_rows(order, book, fees, settled))
        paths.append(path)
    return paths


def _transaction_rows(
    order: Any, book: Any, fees: dict[int, dict[str, int]], settled: dict[int, str]
) -> list[list[str]]:
    rows = []
    for index, item in enumerate(book.lines.get(order.id, ())):
        sales = item.unit_price * item.quantity
        tax = item.tax
        shipping = order.shipping if index == 0 else 0
        selling = fees[order.id].get("commission", 0) if index == 0 else 0
        fba = fees[order.id].get("fba_fulfilment", 0) if index == 0 else 0
        rebate = -item.discount
        # Marketplace-facilitator tax is collected and withheld again: it never reaches the seller.
        total = sales + shipping + rebate + selling + fba
        rows.append(
            [
                _pacific(order.ordered_at),
                settled.get(order.id, ""),
                "Order",
                order.number,
                item.sku or "",
                item.title,
                str(item.quantity),
                "amazon.com",
                "Standard Orders",
                "Amazon",
                order.ship_city or "",
                order.ship_region or "",
                order.ship_postal_code or "",
                "MarketplaceFacilitator",
                money_text(sales, grouped=True),
                money_text(tax, grouped=True),
                money_text(shipping, grouped=True),
                "0",
                "0",
                "0",
                "0",
                "0",
                money_text(rebate, grouped=True),
                "0",
                money_text(-tax, grouped=True),
                money_text(selling, grouped=True),
                money_text(fba, grouped=True),
                "0",
                "0",
                money_text(total, grouped=True),
            ]
        )
    return rows
