"""Etsy's downloads: Sold Order Items and Sold Orders (one file per year) and the monthly statement.

Sold Order Items (formats.md §4.1): one row per transaction, order-level amounts on the order's
first row and 0 on the others, `Sale Date` MM/DD/YY but `Date Paid`/`Date Shipped` MM/DD/YYYY,
PHP-style quoting. Sold Orders (§4.2): one row per order; `Sales Tax` shows 0 although
`Order Total` includes the tax Etsy collects; `Adjusted Order Total` after refunds. The statement
(§4.3): UTF-8 with a BOM, newest first, money with the currency symbol and `--` for none, a Sale
row holding the whole payment and a Tax row taking the collected sales tax out again, fees by
title, and deposits whose amount is only in the title.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from sasame import models as m
from sasame.connectors.etsy.orders import ITEM_COLUMNS
from sasame.core.clock import business_day
from sasame.demo.exports.common import Store, by_month, channel_id, money_text, order_book, units

ORDER_COLUMNS = (
    "Sale Date", "Order ID", "Buyer User ID", "Full Name", "First Name", "Last Name",
    "Number of Items", "Payment Method", "Date Shipped", "Street 1", "Street 2", "Ship City",
    "Ship State", "Ship Zipcode", "Ship Country", "Currency", "Order Value", "Coupon Code",
    "Coupon Details", "Discount Amount", "Shipping Discount", "Shipping", "Sales Tax",
    "Order Total", "Status", "Card Processing Fees", "Order Net", "Adjusted Order Total",
    "Adjusted Card Processing Fees", "Adjusted Net Order Amount", "Buyer", "Order Type",
    "Payment Type", "InPerson Discount", "InPerson Location", "SKU",
)  # fmt: skip
STATEMENT_COLUMNS = (
    "Date",
    "Type",
    "Title",
    "Info",
    "Currency",
    "Amount",
    "Fees & Taxes",
    "Net",
    "Tax Details",
)
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}
LISTING_FEE = 2_000
"""$0.20 in stored units: one auto-renewal per unit sold."""


def _php(value: str) -> str:
    """Quote like Etsy's PHP writer: only values with spaces, commas, quotes or newlines."""
    if any(c in value for c in ' ,"\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _write_php(path: Path, header: tuple[str, ...], rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(_php(name) for name in header) + "\n")
        handle.write("".join(",".join(_php(v) for v in row) + "\n" for row in rows))
    return path


def _short(day: date) -> str:
    return f"{day.month:02d}/{day.day:02d}/{day.year % 100:02d}"


def _long(day: date) -> str:
    return f"{day.month:02d}/{day.day:02d}/{day.year:04d}"


def _buyer(name: str | None, order: Any) -> str:
    username = f"buyer{int(order.customer_id or 0):x}"
    return f"{name} ({username})" if name else username


def _processing_fees(connection: Connection) -> dict[int, int]:
    fees: dict[int, int] = defaultdict(int)
    for order_id, amount in connection.execute(
        select(m.PayoutLine.order_id, units(m.PayoutLine.amount))
        .join(m.Payout, m.Payout.id == m.PayoutLine.payout_id)
        .where(m.Payout.provider == "etsy", m.PayoutLine.fee_type == "processing")
    ):
        if order_id is not None:
            fees[order_id] -= amount
    return fees


def write_orders(connection: Connection, store: Store, folder: Path) -> list[Path]:
    """Write EtsySoldOrderItems<YEAR>.csv and EtsySoldOrders<YEAR>.csv; return the files."""
    channel = channel_id(connection, "etsy")
    if channel is None:
        return []
    book = order_book(connection, channel)
    processing = _processing_fees(connection)
    by_year: dict[int, list[Any]] = defaultdict(list)
    for order in book.orders:
        by_year[order.order_date.year].append(order)
    paths = []
    for year, orders in sorted(by_year.items()):
        items, receipts = [], []
        for order in orders:
            name = book.customer_name.get(order.customer_id)
            shipped = book.shipped_at.get(order.id)
            shipped_on = (
                _long(business_day(shipped, store.timezone))
                if shipped and order.fulfillment_status == "fulfilled"
                else ""
            )
            lines = book.lines.get(order.id, ())
            for index, line in enumerate(lines):
                first = index == 0
                items.append(
                    [
                        _short(order.order_date),
                        line.title,
                        _buyer(name, order),
                        str(line.quantity),
                        money_text(line.unit_price),
                        order.discount_codes or "",
                        "",
                        money_text(order.discount) if first else "0",
                        "0",
                        money_text(order.shipping) if first else "0",
                        money_text(order.tax) if first else "0",
                        money_text(line.unit_price * line.quantity),
                        order.currency,
                        str(4_100_000_000 + line.id),
                        str(1_500_000_000 + int(line.variant_id or 0)),
                        _long(order.order_date),
                        shipped_on,
                        name or "",
                        f"{100 + order.id % 900} Main St",
                        "",
                        order.ship_city or "",
                        order.ship_region or "",
                        order.ship_postal_code or "",
                        "United States" if order.ship_country == "US" else order.ship_country or "",
                        order.external_id,
                        "",
                        "online",
                        "listing",
                        "online_cc",
                        "",
                        "",
                        "0",
                        line.sku or "",
                    ]
                )
            first_name, _, last_name = (name or "").partition(" ")
            refunded = book.refunded.get(order.id, 0)
            fee = processing.get(order.id, 0)
            receipts.append(
                [
                    _short(order.order_date),
                    order.external_id,
                    str(700_000_000 + int(order.customer_id or 0)),
                    name or "",
                    first_name,
                    last_name,
                    str(sum(line.quantity for line in lines)),
                    "Credit Card",
                    shipped_on,
                    f"{100 + order.id % 900} Main St",
                    "",
                    order.ship_city or "",
                    order.ship_region or "",
                    order.ship_postal_code or "",
                    "United States" if order.ship_country == "US" else order.ship_country or "",
                    order.currency,
                    money_text(order.subtotal),
                    order.discount_codes or "",
                    "",
                    money_text(order.discount),
                    "0",
                    money_text(order.shipping),
                    "0",  # Etsy shows 0 here although the total holds the tax it collected
                    money_text(order.total),
                    "",
                    money_text(fee),
                    money_text(order.total - order.tax - fee),
                    money_text(max(order.total - refunded, 0)) if refunded else "",
                    "",
                    "",
                    _buyer(name, order),
                    "online",
                    "online_cc",
                    "",
                    "",
                    ",".join(line.sku or "" for line in lines),
                ]
            )
        paths.append(_write_php(folder / f"EtsySoldOrderItems{year}.csv", ITEM_COLUMNS, items))
        paths.append(_write_php(folder / f"EtsySoldOrders{year}.csv", ORDER_COLUMNS, receipts))
    return paths


def _amount(value: int, symbol: str) -> str:
    text = money_text(abs(value), grouped=True)
    return f"-{symbol}{text}" if value < 0 else f"{symbol}{text}"


def write_statements(connection: Connection, store: Store, folder: Path) -> list[Path]:
    """Write etsy_statement_<YEAR>_<MONTH>.csv for every month with movements; return the files.

    Rows follow the Etsy balance: a deposit comes right after the movements it pays out, so the
    deposit (dated the day the bank receives it) can precede a few movements of the day before.
    """
    if channel_id(connection, "etsy") is None:
        return []
    tz = store.timezone
    symbol = SYMBOLS.get(store.currency, store.currency + " ")
    orders = {
        row.id: row
        for row in connection.execute(
            select(m.Order.id, m.Order.number, units(m.Order.tax_total).label("tax")).where(
                m.Order.channel_id == channel_id(connection, "etsy")
            )
        )
    }
    first_title = dict(
        connection.execute(
            select(m.OrderLine.order_id, m.OrderLine.title)
            .join(m.Order, m.Order.id == m.OrderLine.order_id)
            .where(m.Order.channel_id == channel_id(connection, "etsy"))
            .order_by(m.OrderLine.id.desc())
        ).all()
    )
    payouts = connection.execute(
        select(m.Payout.id, m.Payout.paid_on, units(m.Payout.amount).label("amount"), m.Payout.status)
        .where(m.Payout.provider == "etsy")
        .order_by(m.Payout.paid_on, m.Payout.id)
    ).all()
    lines: dict[int, list[Any]] = defaultdict(list)
    for row in connection.execute(
        select(
            m.PayoutLine.payout_id,
            m.PayoutLine.kind,
            m.PayoutLine.fee_type,
            m.PayoutLine.order_id,
            m.PayoutLine.occurred_at,
            units(m.PayoutLine.amount).label("amount"),
        )
        .join(m.Payout, m.Payout.id == m.PayoutLine.payout_id)
        .where(m.Payout.provider == "etsy")
        .order_by(m.PayoutLine.payout_id, m.PayoutLine.occurred_at, m.PayoutLine.id)
    ):
        lines[row.payout_id].append(row)

    # (day, row) in the order of the Etsy balance, oldest first.
    sequence: list[tuple[date, list[str]]] = []

    def add(day: date, kind: str, title: str, info: str, amount: int | None, fees: int | None) -> None:
        sequence.append((day, _movement(day, kind, title, info, amount, fees, symbol, store)))

    for payout in payouts:
        sales: dict[int, int] = defaultdict(int)
        for line in lines[payout.id]:
            if line.kind in ("principal", "shipping"):
                sales[line.order_id] += line.amount
        for line in lines[payout.id]:
            day = business_day(line.occurred_at, tz)
            number = orders[line.order_id].number if line.order_id else ""
            info = f"Order #{number}" if number else ""
            if line.kind in ("principal", "shipping"):
                if line.order_id not in sales:
                    continue  # the order's Sale row is written once, at its first line
                tax = orders[line.order_id].tax
                paid = sales.pop(line.order_id) + tax
                add(day, "Sale", f"Payment for Order #{number}", info, paid, None)
                if tax:
                    add(day, "Tax", "Sales tax paid by buyer", info, None, -tax)
            elif line.kind == "refund":
                title = f"Refund to buyer for Order #{number}"
                add(day, "Refund", title, info, line.amount, None)
            elif line.kind == "fee" and line.fee_type == "listing" and line.amount % LISTING_FEE == 0:
                for _ in range(-line.amount // LISTING_FEE):
                    title = f"Listing fee ({symbol}0.20 {store.currency})"
                    add(day, "Fee", title, info, None, -LISTING_FEE)
            elif line.kind == "fee" and line.fee_type in ("transaction", "processing", "listing"):
                title = {
                    "transaction": f"Transaction fee: {first_title.get(line.order_id, 'Product')}",
                    "processing": "Processing fee",
                    "listing": "Listing fee",
                }[line.fee_type]
                add(day, "Fee", title, info, None, line.amount)
            else:
                raise ValueError(f"the demo has no Etsy statement row for {line.kind}/{line.fee_type}")
        if payout.status == "paid":
            title = f"{_amount(payout.amount, symbol)} sent to your bank account"
            deposit = [_date(payout.paid_on), "Deposit", title, "", store.currency, "--", "--", "--", ""]
            sequence.append((payout.paid_on, deposit))

    paths = []
    for month, rows in by_month(sequence, lambda item: item[0]).items():
        year, number = month.split("-")
        path = folder / f"etsy_statement_{year}_{int(number)}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            handle.write(",".join(STATEMENT_COLUMNS) + "\n")
            handle.write("".join(",".join(_php(v) for v in row) + "\n" for _, row in reversed(rows)))
        paths.append(path)
    return paths


def _date(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def _movement(
    day: date,
    kind: str,
    title: str,
    info: str,
    amount: int | None,
    fees: int | None,
    symbol: str,
    store: Store,
) -> list[str]:
    net = amount if amount is not None else fees
    assert net is not None
    return [
        _date(day),
        kind,
        title,
        info,
        store.currency,
        _amount(amount, symbol) if amount is not None else "--",
        _amount(fees, symbol) if fees is not None else "--",
        _amount(net, symbol),
        "",
    ]
