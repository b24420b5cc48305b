"""What the demo's export writers share: reading the store set-wise, and writing cells as platforms do.

Money is read as the stored integer count of 1/10,000ths (never a float) and written as plain
decimals; instants are aware UTC datetimes from the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, ColumnElement, Connection, func, select, type_coerce

from sasame import models as m
from sasame.core.clock import zone

UNITS_PER_CENT = 100
UNITS_PER_UNIT = 10_000


def units(column: Any) -> ColumnElement[int]:
    """A money column read as its stored integer (1/10,000ths), so no Decimal is built per cell."""
    return type_coerce(column, BigInteger)


def money_text(value: int, *, grouped: bool = False) -> str:
    """Stored units as the platforms write money: '184.76', '-0.30' (more places only if needed)."""
    sign = "-" if value < 0 else ""
    whole, fraction = divmod(abs(value), UNITS_PER_UNIT)
    head = f"{whole:,}" if grouped else str(whole)
    if fraction % UNITS_PER_CENT == 0:
        return f"{sign}{head}.{fraction // UNITS_PER_CENT:02d}"
    return f"{sign}{head}.{fraction:04d}".rstrip("0")


@dataclass(frozen=True)
class Store:
    """The store settings the exports need."""

    name: str
    currency: str
    timezone: ZoneInfo


def store(connection: Connection) -> Store:
    row = connection.execute(
        select(m.BusinessSetting.name, m.BusinessSetting.currency, m.BusinessSetting.timezone)
        .order_by(m.BusinessSetting.id)
        .limit(1)
    ).one()
    return Store(row.name, row.currency, zone(row.timezone))


def channel_id(connection: Connection, code: str) -> int | None:
    return connection.scalar(select(m.Channel.id).where(m.Channel.code == code))


@dataclass
class OrderBook:
    """The orders of one channel with their lines, customers, refunds and first shipment."""

    orders: list[Any]
    lines: dict[int, list[Any]]
    customer_name: dict[int, str | None]
    accepts_marketing: dict[int, bool]
    refunded: dict[int, int]
    """Units refunded per order id."""
    shipped_at: dict[int, datetime]


def order_book(connection: Connection, channel: int) -> OrderBook:
    """Read one channel's orders (by time) with everything an order export shows about them.

    Kept in the connection's info for the other exports of the same channel (reading 200k orders
    is most of an export's time).
    """
    books = connection.info.setdefault("sasame.demo.exports.order_books", {})
    if channel not in books:
        books[channel] = _read_order_book(connection, channel)
    book: OrderBook = books[channel]
    return book


def _read_order_book(connection: Connection, channel: int) -> OrderBook:
    o, line, customer = m.Order, m.OrderLine, m.Customer
    orders = list(
        connection.execute(
            select(
                o.id,
                o.external_id,
                o.number,
                o.customer_id,
                o.email,
                o.ordered_at,
                o.order_date,
                o.currency,
                units(o.subtotal).label("subtotal"),
                units(o.discount_total).label("discount"),
                units(o.shipping_total).label("shipping"),
                units(o.tax_total).label("tax"),
                units(o.total).label("total"),
                o.financial_status,
                o.fulfillment_status,
                o.cancelled_at,
                o.discount_codes,
                o.ship_country,
                o.ship_region,
                o.ship_city,
                o.ship_postal_code,
                o.utm_source,
                o.utm_medium,
                o.utm_campaign,
                o.utm_content,
                o.utm_term,
                o.referrer,
                o.landing_page,
            )
            .where(o.channel_id == channel)
            .order_by(o.ordered_at, o.id)
        )
    )
    lines: dict[int, list[Any]] = defaultdict(list)
    for row in connection.execute(
        select(
            line.id,
            line.order_id,
            line.variant_id,
            line.sku,
            line.title,
            line.quantity,
            units(line.unit_price).label("unit_price"),
            units(line.discount).label("discount"),
            units(line.tax).label("tax"),
        )
        .join(o, o.id == line.order_id)
        .where(o.channel_id == channel)
        .order_by(line.order_id, line.id)
    ):
        lines[row.order_id].append(row)
    people = {
        row.id: row
        for row in connection.execute(
            select(customer.id, customer.name, customer.accepts_marketing).where(
                customer.id.in_(select(o.customer_id).where(o.channel_id == channel))
            )
        )
    }
    refunded = dict(
        connection.execute(
            select(m.Refund.order_id, units(func.sum(m.Refund.amount)))
            .join(o, o.id == m.Refund.order_id)
            .where(o.channel_id == channel)
            .group_by(m.Refund.order_id)
        ).all()
    )
    shipped = dict(
        connection.execute(
            select(m.Shipment.order_id, func.min(m.Shipment.shipped_at))
            .join(o, o.id == m.Shipment.order_id)
            .where(o.channel_id == channel)
            .group_by(m.Shipment.order_id)
        ).all()
    )
    return OrderBook(
        orders=orders,
        lines=lines,
        customer_name={i: p.name for i, p in people.items()},
        accepts_marketing={i: bool(p.accepts_marketing) for i, p in people.items()},
        refunded={int(k): int(v) for k, v in refunded.items()},
        shipped_at={int(k): _aware(v) for k, v in shipped.items()},
    )


def _aware(value: Any) -> datetime:
    """min() over a UTC column comes back without the column type on SQLite: a naive string or datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def by_month(items: Iterable[Any], day_of: Any) -> dict[str, list[Any]]:
    """Group items (kept in order) by the calendar month of their day, as sellers download them."""
    months: dict[str, list[Any]] = defaultdict(list)
    for item in items:
        months[month_of(day_of(item))].append(item)
    return dict(sorted(months.items()))


def write_text(path: Path, lines: Sequence[str], *, encoding: str = "utf-8", newline: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as handle:
        handle.write(newline.join(lines))
        handle.write(newline)
    return path
