"""Idempotent writes of canonical records: each has a natural key; importing again updates, never duplicates.

Orders come in the hundreds of thousands, so they are written set-wise (one query to load what
exists, bulk inserts for what is new, executemany updates for what changed). The other records
come in thousands per file and go through the ORM with per-batch caches.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import repeat
from operator import attrgetter, is_
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Table, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.connectors.records import (
    AdSpendRecord,
    BankTransactionRecord,
    EmailPerformanceRecord,
    OrderColumns,
    OrderRecord,
    PayoutLineRecord,
    PayoutRecord,
    ProductRecord,
    RefundRecord,
    ShipmentRecord,
    SourceRef,
    StockLevelRecord,
)
from sasame.core.clock import business_day
from sasame.core.errors import InputError
from sasame.core.money import round_money, to_units
from sasame.ingest.bulk import EncodedJSON, next_id, write_rows
from sasame.models.base import Amount

CHANNEL_NAMES = {
    "shopify": "Shopify",
    "amazon": "Amazon",
    "etsy": "Etsy",
    "woocommerce": "WooCommerce",
    "wholesale": "Wholesale",
}


@dataclass
class Outcome:
    """How many records of each entity were created, updated or found unchanged."""

    counts: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, entity: str, result: str, n: int = 1) -> None:
        self.counts[entity][result] += n

    def as_json(self) -> dict[str, dict[str, int]]:
        return {
            entity: {key: counter.get(key, 0) for key in ("created", "updated", "unchanged")}
            for entity, counter in sorted(self.counts.items())
        }


def _apply(obj: Any, values: dict[str, Any]) -> bool:
    """Set the attributes that differ; return whether anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _money_as_units(table: Table, columns: dict[str, list[Any]]) -> dict[str, Any]:
    """Money columns as integer arrays of stored units: a 100k-order export has over a million
    amounts, and converting them here is several times faster than one to_units call each."""
    converted: dict[str, Any] = dict(columns)
    for name, values in columns.items():
        # `None in values` would compare None with every Decimal (slow); identity is enough.
        if isinstance(table.c[name].type, Amount) and not any(map(is_, values, repeat(None))):
            converted[name] = np.array(_units_of(values), dtype=np.int64)
    return converted


def _units_of(values: list[Decimal]) -> list[int]:
    """Stored units of many amounts, exactly, each distinct amount converted once: an export's
    amounts repeat (prices, shipping, zero discounts) and a Decimal keeps its hash, so a dict
    look-up is several times cheaper than scaleb and int. Equal amounts have equal units."""
    units: dict[Decimal, int] = {}
    try:
        return [
            units[value] if value in units else units.setdefault(value, _units(value)) for value in values
        ]
    except (TypeError, AttributeError):  # not a Decimal, or unhashable: the C loops below say what is wrong
        pass
    scaled = list(map(Decimal.scaleb, values, repeat(4)))
    whole = list(map(int, scaled))
    if whole == scaled:
        return whole
    return [_units(value) for value in values]


def _units(value: Decimal) -> int:
    scaled = value.scaleb(4)  # exact for up to 4 decimal places, which is every real amount
    whole = int(scaled)
    return whole if whole == scaled else to_units(value)


ORDER_FIELDS = (
    "number",
    "ordered_at",
    "currency",
    "subtotal",
    "discount_total",
    "shipping_total",
    "tax_total",
    "total",
    "financial_status",
    "fulfillment_status",
    "cancelled_at",
    "discount_codes",
    "ship_country",
    "ship_region",
    "ship_city",
    "ship_postal_code",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "referrer",
    "landing_page",
)
"""Order columns stored exactly as the record holds them (the others are looked up or derived)."""

LINE_FIELDS = ("sku", "title", "quantity", "unit_price", "discount", "tax")
"""Order line columns stored exactly as the record holds them (variant_id is looked up by SKU)."""


IN_CHUNK = 500
"""Values per `IN (...)` look-up: well under SQLite's bound-parameter limit."""


def _chunks(values: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _business_days(instants: np.ndarray, timezone: ZoneInfo) -> np.ndarray:
    """business_day of many UTC instants (datetime64[us]) at once, exactly.

    The zone's offset is looked up at the start of every UTC hour from the first instant's to the
    one after the last: an hour that starts and ends (the next one starts) at the same offset keeps
    it throughout (no zone changes its clocks twice within an hour); in an hour of a change each
    instant is converted on its own.
    """
    hours = instants.astype("datetime64[h]")
    first = hours.min()
    grid = np.arange(first, hours.max() + 2)
    offsets = np.array(
        [
            moment.replace(tzinfo=UTC).astimezone(timezone).utcoffset() // timedelta(microseconds=1)
            for moment in grid.astype("datetime64[us]").tolist()
        ],
        dtype=np.int64,
    )
    where = (hours - first).astype(np.int64)
    days = (instants + offsets[where].astype("timedelta64[us]")).astype("datetime64[D]")
    for position in np.flatnonzero(offsets[where] != offsets[where + 1]).tolist():
        instant = instants[position].astype("datetime64[us]").tolist().replace(tzinfo=UTC)
        days[position] = np.datetime64(business_day(instant, timezone))
    return days


def _utc_naive(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(tzinfo=None)


def _columns(items: Sequence[Any], names: Sequence[str]) -> dict[str, list[Any]]:
    """The named attributes of many objects as columns (attrgetter and zip run in C)."""
    if not items:
        return {name: [] for name in names}
    rows = list(map(attrgetter(*names), items))
    return dict(zip(names, map(list, zip(*rows, strict=True)), strict=True))


class Upserter:
    """Writes one import's records inside the caller's transaction (the caller commits)."""

    def __init__(
        self, session: Session, *, now: datetime, timezone: ZoneInfo, source_file: m.SourceFile | None
    ) -> None:
        self.session, self.now, self.timezone, self.source_file = session, now, timezone, source_file
        self.outcome = Outcome()
        self._channels: dict[str, int] = {}
        self._variants: dict[str, int] | None = None
        self._order_numbers: dict[str, dict[str, int]] = {}
        self.warnings: list[str] = []
        """What the user should know about how records were written (left out, matched)."""

    # -- shared look-ups ---------------------------------------------------------------------

    def channel_id(self, code: str, currency: str) -> int:
        """The channel with this code, created on first sight (a store's channels come from its data)."""
        if code not in self._channels:
            channel = self.session.scalar(select(m.Channel).where(m.Channel.code == code))
            if channel is None:
                kind = code if code in CHANNEL_NAMES else "other"
                channel = m.Channel(
                    code=code, name=CHANNEL_NAMES.get(code, code), kind=kind, currency=currency
                )
                self.session.add(channel)
                self.session.flush()
                self.outcome.add("channel", "created")
            self._channels[code] = channel.id
        return self._channels[code]

    def variant_id(self, sku: str | None) -> int | None:
        if self._variants is None:
            self._variants = dict(self.session.execute(select(m.Variant.sku, m.Variant.id)).all())
        return self._variants.get(sku) if sku else None

    def order_id(self, channel: str, number: str) -> int | None:
        """Find an order by the number the platform shows ('#1001', an Amazon order id).

        A settlement names thousands of orders: the channel's numbers are loaded once per import.
        """
        if channel not in self._order_numbers:
            self.session.flush()
            self._order_numbers[channel] = dict(
                self.session.execute(
                    select(m.Order.number, m.Order.id)
                    .join(m.Channel, m.Channel.id == m.Order.channel_id)
                    .where(m.Channel.code == channel)
                ).all()
            )
        return self._order_numbers[channel].get(number)

    def required_order_id(self, record: RefundRecord | ShipmentRecord, what: str) -> int:
        """The order a refund or shipment belongs to; it must have been imported first."""
        order_id = self.order_id(record.order_channel, record.order_number)
        if order_id is None:
            raise InputError(
                f"{what}: order {record.order_number} is not imported yet", row=record.source.row_number
            )
        return order_id

    def source_record_ids(self, refs: Sequence[SourceRef]) -> list[int]:
        """Upsert the raw records (one query per origin to load, bulk insert for new ones)."""
        ids: list[int] = [0] * len(refs)
        by_origin: dict[str, list[int]] = defaultdict(list)
        for index, ref in enumerate(refs):
            by_origin[ref.origin].append(index)
        table: Table = m.SourceRecord.__table__  # type: ignore[assignment]
        connection = self.session.connection()
        file_id = self.source_file.id if self.source_file else None
        file_name = self.source_file.name if self.source_file else None
        for origin, indexes in by_origin.items():
            # Only this batch's keys are looked up, so a file costs the same in a store of any size.
            existing: dict[str, int] = {}
            for chunk in _chunks(sorted({refs[index].natural_key for index in indexes})):
                existing.update(
                    connection.execute(
                        select(table.c.natural_key, table.c.id).where(
                            table.c.origin == origin, table.c.natural_key.in_(chunk)
                        )
                    ).all()
                )
            new_refs: list[SourceRef] = []
            updates = []
            first = next_id(connection, table)
            for index in indexes:
                ref = refs[index]
                if ref.natural_key in existing:
                    ids[index] = existing[ref.natural_key]
                    updates.append(
                        {
                            "b_id": ids[index],
                            "b_file": file_id,
                            "b_name": file_name,
                            "b_row": ref.row_number,
                            "b_payload": ref.payload,
                        }
                    )
                    continue
                ids[index] = existing[ref.natural_key] = first + len(new_refs)
                new_refs.append(ref)
            # New records (all of them on a first import) are written column by column.
            count = len(new_refs)
            new_rows: dict[str, list[Any]] = (
                {
                    "id": list(range(first, first + count)),
                    "origin": [origin] * count,
                    "natural_key": [ref.natural_key for ref in new_refs],
                    "file_name": [file_name] * count,
                    "source_file_id": [file_id] * count,
                    "row_number": [ref.row_number for ref in new_refs],
                    "payload": [ref.payload for ref in new_refs],
                    "received_at": [self.now] * count,
                }
                if count
                else {}
            )
            if new_rows:
                write_rows(connection, table, new_rows)
            if updates:
                connection.execute(
                    update(table)
                    .where(table.c.id == bindparam("b_id"))
                    .values(
                        source_file_id=bindparam("b_file"),
                        file_name=bindparam("b_name"),
                        row_number=bindparam("b_row"),
                        payload=bindparam("b_payload"),
                    ),
                    updates,
                )
        return ids

    # -- orders (set-wise) --------------------------------------------------------------------

    def orders(self, records: Sequence[OrderRecord]) -> None:
        self._order_numbers.clear()  # orders written below must be findable by number afterwards
        if not records:
            return
        connection = self.session.connection()
        order_table: Table = m.Order.__table__  # type: ignore[assignment]
        line_table: Table = m.OrderLine.__table__  # type: ignore[assignment]
        source_ids = self.source_record_ids([record.source for record in records])
        customers = self._customers(records)
        compared = [c for c in order_table.c if c.name not in ("id", "channel_id", "external_id")]
        existing: dict[tuple[int, str], dict[str, Any]] = {}
        channel_ids = {record.channel: self.channel_id(record.channel, record.currency) for record in records}
        # Only the stored orders this file names are read (in chunks of their external ids): a
        # month's export into a store with years of orders reads that month, not the years.
        external_ids = sorted({record.external_id for record in records})
        for chunk in _chunks(external_ids):
            for row in connection.execute(
                select(order_table).where(
                    order_table.c.channel_id.in_(set(channel_ids.values())),
                    order_table.c.external_id.in_(chunk),
                )
            ).mappings():
                existing[(row["channel_id"], row["external_id"])] = dict(row)
        existing_lines: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for chunk in _chunks(sorted(row["id"] for row in existing.values())):
            for row in connection.execute(
                select(line_table)
                .where(line_table.c.order_id.in_(chunk))
                .order_by(line_table.c.order_id, line_table.c.id)
            ).mappings():
                existing_lines[row["order_id"]].append(dict(row))

        # New orders (all of them on a first import) are only noted here, with the ids they get,
        # and written column by column below: no dict per order or line.
        fresh: list[tuple[int, int, int]] = []  # (index in records, order id, first line id)
        added_lines: dict[str, list[Any]] = defaultdict(list)  # lines new to stored orders
        changed_orders: list[dict[str, Any]] = []
        changed_lines: list[dict[str, Any]] = []
        removed_lines: list[int] = []
        next_order = next_id(connection, order_table)
        next_line = next_id(connection, line_table)
        seen: set[tuple[int, str]] = set()  # a second order with the same key is an error
        for index, record in enumerate(records):
            channel_id = channel_ids[record.channel]
            key = (channel_id, record.external_id)
            if key in seen:
                raise InputError(
                    f"order {record.number} appears twice in the file", row=record.source.row_number
                )
            seen.add(key)
            current = existing.get(key)
            if current is None:
                fresh.append((index, next_order, next_line))
                next_order += 1
                next_line += len(record.lines or ())
                continue
            source_id = source_ids[index]
            values = self._order_values(record, customers, source_id)
            if values["email"] is None:
                # An export that names no buyer (Amazon's, Etsy's) leaves the customer another
                # source linked the order to.
                values["customer_id"] = current["customer_id"]
            lines = [self._line_values(line) for line in record.lines or ()]
            order_id = current["id"]
            # An export with only derived order values leaves an order another export stored alone.
            kept = record.keeps_stored_order and current["source_record_id"] != source_id
            order_changed = not kept and any(
                current[c.name] != values[c.name] for c in compared if c.name in values
            )
            if record.lines is None:  # this export has no lines: keep the ones another export gave
                if order_changed:
                    changed_orders.append({"b_id": order_id, **{f"b_{k}": v for k, v in values.items()}})
                self.outcome.add("order", "updated" if order_changed else "unchanged")
                continue
            old_lines = existing_lines.get(order_id, [])
            lines_changed = len(old_lines) != len(lines)
            for old, line in zip(old_lines, lines, strict=False):
                if any(old[name] != value for name, value in line.items()):
                    changed_lines.append({"b_id": old["id"], **{f"b_{k}": v for k, v in line.items()}})
                    lines_changed = True
            for line in lines[len(old_lines) :]:
                for column, value in (
                    ("id", next_line),
                    ("order_id", order_id),
                    ("source_record_id", source_id),
                    *line.items(),
                ):
                    added_lines[column].append(value)
                next_line += 1
            removed_lines.extend(old["id"] for old in old_lines[len(lines) :])
            if order_changed:
                changed_orders.append({"b_id": order_id, **{f"b_{k}": v for k, v in values.items()}})
            self.outcome.add("order", "updated" if order_changed or lines_changed else "unchanged")

        if fresh:
            new_orders, new_lines = self._fresh_columns(records, fresh, channel_ids, customers, source_ids)
            write_rows(connection, order_table, _money_as_units(order_table, new_orders))
            if new_lines["id"]:
                write_rows(connection, line_table, _money_as_units(line_table, new_lines))
            self.outcome.add("order", "created", len(fresh))
        if added_lines:
            write_rows(connection, line_table, _money_as_units(line_table, added_lines))
        if changed_orders:
            names = [name[2:] for name in changed_orders[0] if name != "b_id"]
            connection.execute(
                update(order_table)
                .where(order_table.c.id == bindparam("b_id"))
                .values({name: bindparam(f"b_{name}") for name in names}),
                changed_orders,
            )
        if changed_lines:
            names = [name[2:] for name in changed_lines[0] if name != "b_id"]
            connection.execute(
                update(line_table)
                .where(line_table.c.id == bindparam("b_id"))
                .values({name: bindparam(f"b_{name}") for name in names}),
                changed_lines,
            )
        if removed_lines:
            connection.execute(line_table.delete().where(line_table.c.id.in_(removed_lines)))

    def new_orders(self, columns: OrderColumns) -> bool:
        """Write orders given as columns, none of which is stored yet, as `orders` writes their
        records (the same ids, rows and counts); False, writing nothing, when any of them (or its
        source record) is stored already: `orders` then compares and updates them one by one."""
        connection = self.session.connection()
        order_table: Table = m.Order.__table__  # type: ignore[assignment]
        line_table: Table = m.OrderLine.__table__  # type: ignore[assignment]
        source_table: Table = m.SourceRecord.__table__  # type: ignore[assignment]
        customer_table: Table = m.Customer.__table__  # type: ignore[assignment]
        orders, lines, count = columns.orders, columns.lines, len(columns)
        external_ids = orders["external_id"].tolist()
        if self._any_stored(
            source_table.c.natural_key, external_ids, source_table.c.origin == columns.origin
        ):
            return False
        channel = connection.execute(select(m.Channel.id).where(m.Channel.code == columns.channel)).scalar()
        if channel is not None and self._any_stored(
            order_table.c.external_id, external_ids, order_table.c.channel_id == channel
        ):
            return False
        self._order_numbers.clear()

        first_source = next_id(connection, source_table)
        source_ids = np.arange(first_source, first_source + count, dtype=np.int64)
        file_id = self.source_file.id if self.source_file else None
        file_name = self.source_file.name if self.source_file else None
        write_rows(
            connection,
            source_table,
            {
                "id": source_ids,
                "origin": [columns.origin] * count,
                "natural_key": external_ids,
                "file_name": [file_name] * count,
                "source_file_id": [file_id] * count,
                "row_number": columns.row_numbers,
                "payload": EncodedJSON(columns.payloads),
                "received_at": np.full(count, _utc_naive(self.now), dtype="datetime64[us]"),
            },
        )

        emails = [email.lower() if email else None for email in orders["email"].tolist()]
        known, new, first_customer = self._customer_ids(
            emails, np.argsort(orders["ordered_at"], kind="stable").tolist()
        )
        # A new channel takes the currency of the first new buyer's order, else the first order's.
        channel_id = self.channel_id(columns.channel, orders["currency"][new[0] if new else 0])
        if new:
            write_rows(
                connection,
                customer_table,
                {
                    "id": np.arange(first_customer, first_customer + len(new), dtype=np.int64),
                    "email": [emails[index] for index in new],
                    "name": orders["customer_name"][new],
                    "first_seen_at": orders["ordered_at"][new],
                    "acquisition_channel_id": [channel_id] * len(new),
                    "acquisition_source": orders["utm_source"][new],
                    "accepts_marketing": orders["accepts_marketing"][new],
                    "is_vip": [False] * len(new),
                    "country": orders["ship_country"][new],
                },
            )
            self.outcome.add("customer", "created", len(new))

        first_order = next_id(connection, order_table)
        order_ids = np.arange(first_order, first_order + count, dtype=np.int64)
        order_columns = {name: orders[name] for name in ORDER_FIELDS}
        order_columns.update(
            id=order_ids,
            channel_id=[channel_id] * count,
            external_id=external_ids,
            customer_id=[known[email] if email else None for email in emails],
            email=emails,
            order_date=_business_days(orders["ordered_at"], self.timezone),
            source_record_id=source_ids,
        )
        write_rows(connection, order_table, order_columns)

        first_line = next_id(connection, line_table)
        owner = lines["order"]
        self.variant_id(None)  # loads the store's SKUs once
        variants = self._variants or {}
        line_columns = {name: lines[name] for name in LINE_FIELDS if name != "tax"}
        line_columns.update(
            id=np.arange(first_line, first_line + len(owner), dtype=np.int64),
            order_id=order_ids[owner],
            source_record_id=source_ids[owner],
            variant_id=[variants.get(sku) if sku else None for sku in lines["sku"].tolist()]
            if variants
            else [None] * len(owner),
            tax=np.zeros(len(owner), dtype=np.int64),  # the export gives no tax per line
        )
        write_rows(connection, line_table, line_columns)
        self.outcome.add("order", "created", count)
        return True

    def _any_stored(self, key: Any, values: list[str], scope: Any) -> bool:
        """Whether a row in scope has one of the key values (a store without any answers at once)."""
        connection = self.session.connection()
        if connection.execute(select(key).where(scope).limit(1)).first() is None:
            return False
        return any(
            connection.execute(select(key).where(scope, key.in_(chunk)).limit(1)).first() is not None
            for chunk in _chunks(sorted(set(values)))
        )

    def _fresh_columns(
        self,
        records: Sequence[OrderRecord],
        fresh: list[tuple[int, int, int]],
        channel_ids: dict[str, int],
        customers: dict[str, int],
        source_ids: list[int],
    ) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
        """The order and line columns of orders not stored yet, with the same values _order_values
        and _line_values give one at a time."""
        chosen = [records[index] for index, _, _ in fresh]
        sources = [source_ids[index] for index, _, _ in fresh]
        orders = _columns(chosen, ORDER_FIELDS)
        emails = [record.email.lower() if record.email else None for record in chosen]
        timezone = self.timezone
        orders.update(
            id=[order_id for _, order_id, _ in fresh],
            channel_id=[channel_ids[record.channel] for record in chosen],
            external_id=[record.external_id for record in chosen],
            customer_id=[customers.get(email) if email else None for email in emails],
            email=emails,
            order_date=[business_day(ordered_at, timezone) for ordered_at in orders["ordered_at"]],
            source_record_id=sources,
        )
        line_records: list[Any] = []
        line_ids: list[int] = []
        line_orders: list[int] = []
        line_sources: list[int] = []
        for (_, order_id, first_line), record, source_id in zip(fresh, chosen, sources, strict=True):
            lines = record.lines or ()
            count = len(lines)
            line_records.extend(lines)
            line_ids.extend(range(first_line, first_line + count))
            line_orders.extend([order_id] * count)
            line_sources.extend([source_id] * count)
        lines_columns = _columns(line_records, LINE_FIELDS)
        self.variant_id(None)  # loads the store's SKUs once
        variants = self._variants or {}
        lines_columns.update(
            id=line_ids,
            order_id=line_orders,
            source_record_id=line_sources,
            variant_id=[variants.get(sku) if sku else None for sku in lines_columns["sku"]],
        )
        return orders, lines_columns

    def _order_values(self, record: OrderRecord, customers: dict[str, int], source_id: int) -> dict[str, Any]:
        email = record.email.lower() if record.email else None
        values = {name: getattr(record, name) for name in ORDER_FIELDS}
        values.update(
            customer_id=customers.get(email) if email else None,
            email=email,
            order_date=business_day(record.ordered_at, self.timezone),
            source_record_id=source_id,
        )
        return values

    def _line_values(self, line: Any) -> dict[str, Any]:
        values = {name: getattr(line, name) for name in LINE_FIELDS}
        values["variant_id"] = self.variant_id(line.sku)
        return values

    def _customer_ids(
        self, emails: Sequence[str | None], chronological: Iterable[int]
    ) -> tuple[dict[str, int], list[int], int]:
        """Customer ids by lower-cased email, for `_customers` and `new_orders` alike: those stored,
        then each new buyer's, numbered from the next free id in the order of their first order
        (`chronological` lists the orders' indices by instant, the file's order among equals).
        Also returns the index of each new buyer's first order and the first new id."""
        connection = self.session.connection()
        table: Table = m.Customer.__table__  # type: ignore[assignment]
        known: dict[str, int] = {}
        wanted = sorted({email for email in emails if email})
        if wanted and connection.execute(select(table.c.id).limit(1)).first() is not None:
            for chunk in _chunks(wanted):
                known.update(
                    connection.execute(
                        select(table.c.email, table.c.id).where(table.c.email.in_(chunk))
                    ).all()
                )
        first = next_id(connection, table)
        new: list[int] = []
        for index in chronological:
            email = emails[index]
            if email and email not in known:
                known[email] = first + len(new)
                new.append(index)
        return known, new, first

    def _customers(self, records: Sequence[OrderRecord]) -> dict[str, int]:
        """Customers by lower-cased email; new buyers are created with their first order's channel."""
        emails = [record.email.lower() if record.email else None for record in records]
        known, new, first = self._customer_ids(
            emails, sorted(range(len(records)), key=lambda index: records[index].ordered_at)
        )
        if new:
            news = [records[index] for index in new]
            write_rows(
                self.session.connection(),
                m.Customer.__table__,  # type: ignore[arg-type]
                {
                    "id": list(range(first, first + len(new))),
                    "email": [emails[index] for index in new],
                    "name": [record.customer_name for record in news],
                    "first_seen_at": [record.ordered_at for record in news],
                    # in the same order as one customer at a time: a new channel takes the
                    # currency of the first new buyer's order
                    "acquisition_channel_id": [self.channel_id(r.channel, r.currency) for r in news],
                    "acquisition_source": [record.utm_source for record in news],
                    "accepts_marketing": [record.accepts_marketing for record in news],
                    "is_vip": [False] * len(new),
                    "country": [record.ship_country for record in news],
                },
            )
            self.outcome.add("customer", "created", len(new))
        return known

    def _keep(self, entity: str, cache: dict[Any, Any], key: Any, make: Any, values: dict[str, Any]) -> Any:
        """Create the row for a natural key, or apply the values to the one stored; count which."""
        current = cache.get(key)
        if current is None:
            cache[key] = current = make(**values)
            self.session.add(current)
            self.outcome.add(entity, "created")
        else:
            self.outcome.add(entity, "updated" if _apply(current, values) else "unchanged")
        return current

    # -- records that come in thousands: ORM with caches --------------------------------------

    def products(self, records: Sequence[ProductRecord]) -> None:
        source_ids = self.source_record_ids([record.source for record in records])
        products = {p.handle: p for p in self.session.scalars(select(m.Product))}
        variants = {v.sku: v for v in self.session.scalars(select(m.Variant))}
        for record, source_id in zip(records, source_ids, strict=True):
            product = products.get(record.handle)
            values = {
                "title": record.title,
                "category": record.category,
                "vendor": record.vendor,
                "is_active": record.is_active,
                "source_record_id": source_id,
            }
            if product is None:
                product = products[record.handle] = m.Product(handle=record.handle, **values)
                self.session.add(product)
                self.session.flush()
                self.outcome.add("product", "created")
            else:
                self.outcome.add("product", "updated" if _apply(product, values) else "unchanged")
            for item in record.variants:
                variant_values = {
                    "product_id": product.id,
                    "title": item.title,
                    "size": item.size,
                    "colour": item.colour,
                    "barcode": item.barcode,
                    "price": item.price,
                    "currency": item.currency,
                    "weight_grams": item.weight_grams,
                    # Every source of products (the CSV export, the API) carries the cost when the
                    # store has one, so None means it has none (or removed it).
                    "unit_cost": item.unit_cost,
                    "is_active": item.is_active,
                    "source_record_id": source_id,
                }
                variant = variants.get(item.sku)
                if variant is None:
                    variants[item.sku] = variant = m.Variant(sku=item.sku, **variant_values)
                    self.session.add(variant)
                    self.outcome.add("variant", "created")
                else:
                    self.outcome.add("variant", "updated" if _apply(variant, variant_values) else "unchanged")
        self.session.flush()
        self._variants = None

    def payouts(self, records: Sequence[PayoutRecord]) -> None:
        if not records:
            return
        # The orders the lines name, looked up by number once (not every order of the channel).
        self._order_numbers.clear()
        self.session.flush()
        named: dict[str, set[str]] = defaultdict(set)
        for record in records:
            for line in record.lines:
                if line.order_channel and line.order_number:
                    named[line.order_channel].add(line.order_number)
        for channel, numbers in named.items():
            found = self._order_numbers[channel] = {}
            for chunk in _chunks(sorted(numbers)):
                found.update(
                    self.session.execute(
                        select(m.Order.number, m.Order.id)
                        .join(m.Channel, m.Channel.id == m.Order.channel_id)
                        .where(m.Channel.code == channel, m.Order.number.in_(chunk))
                    ).all()
                )
        try:
            self._payouts(records)
        finally:
            self._order_numbers.clear()

    def _payouts(self, records: Sequence[PayoutRecord]) -> None:
        source_ids = self.source_record_ids([record.source for record in records])
        # Every line's raw record in one go: a year of transactions is tens of thousands of lines.
        all_line_sources = self.source_record_ids(
            [line.source for record in records for line in record.lines]
        )
        emptied: set[int] = set()
        written: set[int] = set()
        offset = 0
        for record, source_id in zip(records, source_ids, strict=True):
            line_sources = all_line_sources[offset : offset + len(record.lines)]
            offset += len(record.lines)
            channel_id = self.channel_id(record.channel, record.currency) if record.channel else None
            payout = self.session.scalar(
                select(m.Payout).where(
                    m.Payout.provider == record.provider, m.Payout.external_id == record.external_id
                )
            )
            values = {
                "channel_id": channel_id,
                "period_start": record.period_start,
                "period_end": record.period_end,
                "paid_on": record.paid_on,
                "amount": record.amount,
                "currency": record.currency,
                "status": record.status,
                "source_record_id": source_id,
            }
            if record.lines_are_complete:
                if payout is None:
                    payout = m.Payout(provider=record.provider, external_id=record.external_id, **values)
                    self.session.add(payout)
                    self.session.flush()
                    result = "created"
                else:
                    result = "updated" if _apply(payout, values) else "unchanged"
                if record.lines and self._replace_payout_lines(payout, record, line_sources):
                    result = "updated" if result == "unchanged" else result
            else:
                result = self._merge_payout(payout, record, values, line_sources, emptied)
                payout = self.session.scalar(
                    select(m.Payout).where(
                        m.Payout.provider == record.provider, m.Payout.external_id == record.external_id
                    )
                )
                assert payout is not None
            written.add(payout.id)
            self.outcome.add("payout", result)
        self.session.flush()
        self._drop_emptied_forecasts(emptied - written)

    def _payout_line_values(self, line: PayoutLineRecord, source_id: int) -> dict[str, Any]:
        return {
            "kind": line.kind,
            "fee_type": line.fee_type,
            "order_id": self.order_id(line.order_channel, line.order_number)
            if line.order_channel and line.order_number
            else None,
            "occurred_at": line.occurred_at,
            "amount": line.amount,
            "currency": line.currency,
            "description": line.description,
            "source_record_id": source_id,
        }

    def _replace_payout_lines(self, payout: m.Payout, record: PayoutRecord, line_sources: list[int]) -> bool:
        """Make the payout's lines exactly the record's (a settlement names all of them); return
        whether they changed."""
        wanted = [
            self._payout_line_values(line, line_source)
            for line, line_source in zip(record.lines, line_sources, strict=True)
        ]
        current = list(
            self.session.scalars(
                select(m.PayoutLine).where(m.PayoutLine.payout_id == payout.id).order_by(m.PayoutLine.id)
            )
        )
        if not current:  # a new payout (every one on a first import): its lines in one bulk insert
            self.session.flush()
            columns = {name: [line[name] for line in wanted] for name in wanted[0]} if wanted else {}
            if columns:
                columns["payout_id"] = [payout.id] * len(wanted)
                write_rows(self.session.connection(), m.PayoutLine.__table__, columns)  # type: ignore[arg-type]
            return bool(wanted)
        same = len(current) == len(wanted) and all(
            all(getattr(old, k) == v for k, v in new.items())
            for old, new in zip(current, wanted, strict=True)
        )
        if not same:
            for old in current:
                self.session.delete(old)
            self.session.add_all(m.PayoutLine(payout_id=payout.id, **line) for line in wanted)
        return not same

    def _merge_payout(
        self,
        payout: m.Payout | None,
        record: PayoutRecord,
        values: dict[str, Any],
        line_sources: list[int],
        emptied: set[int],
    ) -> str:
        """Upsert a payout from a file that may hold only some of its lines (lines_are_complete=False).

        Lines are matched by their raw record (the platform's natural key), wherever they were
        stored: a transaction first seen under a pending payout moves to the payout that paid it.
        Lines the record does not name are kept. Return created, updated or unchanged.
        """
        result = "unchanged"
        if payout is None:
            payout = m.Payout(provider=record.provider, external_id=record.external_id, **values)
            self.session.add(payout)
            self.session.flush()
            result = "created"
        # The payout's own values are only the record's when the record speaks for the deposit, or
        # when no other source wrote the payout; a deposit summary's amount and day stand otherwise.
        written_by_other = payout.source_record_id not in (None, values["source_record_id"])
        if not record.amount_is_deposit and written_by_other:
            values = {"status": record.status, "channel_id": values["channel_id"] or payout.channel_id}
        stored: dict[int | None, m.PayoutLine] = {}
        for chunk in range(0, len(line_sources), 500):
            for stored_line in self.session.scalars(
                select(m.PayoutLine).where(
                    m.PayoutLine.source_record_id.in_(line_sources[chunk : chunk + 500])
                )
            ):
                stored[stored_line.source_record_id] = stored_line
        lines_changed = False
        new_lines: list[dict[str, Any]] = []
        for line, line_source in zip(record.lines, line_sources, strict=True):
            line_values = {"payout_id": payout.id, **self._payout_line_values(line, line_source)}
            old = stored.get(line_source)
            if old is None:
                new_lines.append(line_values)
                lines_changed = True
            else:
                if old.payout_id != payout.id:
                    emptied.add(old.payout_id)
                lines_changed = _apply(old, line_values) or lines_changed
        self.session.flush()
        if new_lines:  # lines not stored anywhere yet (all of them on a first import): one bulk insert
            write_rows(
                self.session.connection(),
                m.PayoutLine.__table__,  # type: ignore[arg-type]
                {name: [values[name] for values in new_lines] for name in new_lines[0]},
            )
        all_lines = list(
            self.session.execute(
                select(m.PayoutLine.occurred_at, m.PayoutLine.amount).where(
                    m.PayoutLine.payout_id == payout.id
                )
            )
        )
        if all_lines:
            starts = [occurred_at for occurred_at, _ in all_lines]
            ends = list(starts)
            if not record.lines_are_complete:
                # A payout pieced together from several files covers every period they name.
                starts.append(record.period_start)
                ends.append(record.period_end)
                if result != "created":
                    starts.append(payout.period_start)
                    ends.append(payout.period_end)
            values["period_start"] = min(starts)
            values["period_end"] = max(ends)
            if not record.amount_is_deposit and not written_by_other:
                values["amount"] = sum((amount for _, amount in all_lines), Decimal(0))
        payout_changed = _apply(payout, values)
        if result == "created":
            return result
        return "updated" if payout_changed or lines_changed else "unchanged"

    def _drop_emptied_forecasts(self, payout_ids: set[int]) -> None:
        """Delete payouts that are not paid yet and lost all their lines to the payout that paid them
        (a pending payout was only Shopify's forecast); paid payouts are facts and stay."""
        for payout_id in sorted(payout_ids):
            payout = self.session.get(m.Payout, payout_id)
            if payout is None or payout.status == "paid":
                continue
            has_lines = self.session.scalar(
                select(func.count()).select_from(m.PayoutLine).where(m.PayoutLine.payout_id == payout_id)
            )
            matched = self.session.scalar(
                select(func.count())
                .select_from(m.BankTransaction)
                .where(m.BankTransaction.payout_id == payout_id)
            )
            if not has_lines and not matched:
                self.session.delete(payout)
                self.outcome.add("payout", "updated")
        self.session.flush()

    def refunds(self, records: Sequence[RefundRecord]) -> None:
        missing: dict[str, set[str]] = defaultdict(set)  # file's refunds of orders not imported yet
        kept: list[tuple[RefundRecord, int]] = []
        for record in records:
            order_id = self.order_id(record.order_channel, record.order_number)
            if order_id is None and record.order_may_be_missing:
                missing[record.order_channel].add(record.order_number)
                continue
            kept.append((record, order_id or self.required_order_id(record, f"refund {record.external_id}")))
        source_ids = self.source_record_ids([record.source for record, _ in kept])
        for (record, order_id), source_id in zip(kept, source_ids, strict=True):
            refund = self.session.scalar(
                select(m.Refund).where(
                    m.Refund.order_id == order_id, m.Refund.external_id == record.external_id
                )
            )
            if refund is None and self._same_refund_known(record, order_id):
                self.outcome.add("refund", "unchanged")
                continue
            shipping, tax = record.shipping_amount, record.tax_amount
            if record.parts_from_order:
                shipping, tax = self._refund_parts(record, order_id)
            values = {
                "refunded_at": record.refunded_at,
                "amount": record.amount,
                "shipping_amount": shipping,
                "tax_amount": tax,
                "currency": record.currency,
                "reason": record.reason,
                "source_record_id": source_id,
            }
            if refund is None:
                self.session.add(m.Refund(order_id=order_id, external_id=record.external_id, **values))
                self.outcome.add("refund", "created")
            else:
                self.outcome.add("refund", "updated" if _apply(refund, values) else "unchanged")
        self.session.flush()
        for channel, numbers in sorted(missing.items()):
            listed = ", ".join(sorted(numbers)[:3]) + (", ..." if len(numbers) > 3 else "")
            self.warnings.append(
                f"refunds of {len(numbers)} {channel} order(s) not imported yet ({listed}) were left out; "
                "import those orders, then this file again"
            )

    def _same_refund_known(self, record: RefundRecord, order_id: int) -> bool:
        """Whether the order already has this refund from another source: the same amount within a
        day, recorded from another export, the API, or by sasame itself (a return it refunded). A
        payments export names no refund id, so the same money must not be counted twice."""
        window = timedelta(days=1)
        return (
            self.session.scalar(
                select(func.count())
                .select_from(m.Refund)
                .outerjoin(m.SourceRecord, m.SourceRecord.id == m.Refund.source_record_id)
                .where(
                    m.Refund.order_id == order_id,
                    m.Refund.amount == record.amount,
                    m.Refund.refunded_at.between(record.refunded_at - window, record.refunded_at + window),
                    or_(m.SourceRecord.origin.is_(None), m.SourceRecord.origin != record.source.origin),
                )
            )
            or 0
        ) > 0

    def _refund_parts(self, record: RefundRecord, order_id: int) -> tuple[Decimal, Decimal]:
        """Shipping and tax of a refund known by its total: the order's own for the whole order,
        else tax in the order's proportion (taxable goods are refunded with their tax) and no
        shipping (a partial refund is for items)."""
        order = self.session.get(m.Order, order_id)
        assert order is not None
        if record.amount == order.total:
            return order.shipping_total, order.tax_total
        if not order.total:
            return Decimal(0), Decimal(0)
        return Decimal(0), round_money(record.amount * order.tax_total / order.total, record.currency)

    def bank_transactions(self, records: Sequence[BankTransactionRecord]) -> None:
        source_ids = self.source_record_ids([record.source for record in records])
        known = {
            (t.account, t.external_id): t
            for t in self.session.scalars(
                select(m.BankTransaction).where(m.BankTransaction.account.in_({r.account for r in records}))
            )
        }
        for record, source_id in zip(records, source_ids, strict=True):
            values = {
                "posted_on": record.posted_on,
                "amount": record.amount,
                "currency": record.currency,
                "description": record.description,
                "source_record_id": source_id,
            }
            key = (record.account, record.external_id)
            values.update(account=record.account, external_id=record.external_id)
            self._keep("bank_transaction", known, key, m.BankTransaction, values)
        self.session.flush()

    def _stored_days(
        self, model: Any, owner: str, day: str, days: Sequence[date]
    ) -> dict[tuple[int, date], Any]:
        """The stored day rows over the records' date range, by (owner id, day): what they update."""
        column = getattr(model, day)
        return {
            (getattr(row, owner), getattr(row, day)): row
            for row in self.session.scalars(select(model).where(column.between(min(days), max(days))))
        }

    def ad_spend(self, records: Sequence[AdSpendRecord]) -> None:
        if not records:
            return
        source_ids = self.source_record_ids([record.source for record in records])
        campaigns = {(c.platform, c.external_id): c for c in self.session.scalars(select(m.AdCampaign))}
        ad_sets = {(s.campaign_id, s.external_id): s for s in self.session.scalars(select(m.AdSet))}
        ads = {(a.ad_set_id, a.external_id): a for a in self.session.scalars(select(m.Ad))}
        days = self._stored_days(m.AdSpendDay, "ad_id", "spend_date", [r.spend_date for r in records])
        for record, source_id in zip(records, source_ids, strict=True):
            campaign = campaigns.get((record.platform, record.campaign_external_id))
            if campaign is None:
                campaign = campaigns[(record.platform, record.campaign_external_id)] = m.AdCampaign(
                    platform=record.platform,
                    external_id=record.campaign_external_id,
                    name=record.campaign_name,
                )
                self.session.add(campaign)
                self.session.flush()
            campaign.name = record.campaign_name
            ad_set = ad_sets.get((campaign.id, record.ad_set_external_id))
            if ad_set is None:
                ad_set = ad_sets[(campaign.id, record.ad_set_external_id)] = m.AdSet(
                    campaign_id=campaign.id, external_id=record.ad_set_external_id, name=record.ad_set_name
                )
                self.session.add(ad_set)
                self.session.flush()
            ad = ads.get((ad_set.id, record.ad_external_id))
            if ad is None:
                ad = ads[(ad_set.id, record.ad_external_id)] = m.Ad(
                    ad_set_id=ad_set.id,
                    external_id=record.ad_external_id,
                    name=record.ad_name,
                    creative=record.creative,
                )
                self.session.add(ad)
                self.session.flush()
            values = {
                "spend": record.spend,
                "currency": record.currency,
                "impressions": record.impressions,
                "clicks": record.clicks,
                "conversions": record.conversions,
                "conversion_value": record.conversion_value,
                "source_record_id": source_id,
            }
            values.update(ad_id=ad.id, spend_date=record.spend_date)
            self._keep("ad_spend_day", days, (ad.id, record.spend_date), m.AdSpendDay, values)
        self.session.flush()

    def email_performance(self, records: Sequence[EmailPerformanceRecord]) -> None:
        if not records:
            return
        source_ids = self.source_record_ids([record.source for record in records])
        campaigns = {(c.platform, c.external_id): c for c in self.session.scalars(select(m.EmailCampaign))}
        dates = [r.performance_date for r in records]
        days = self._stored_days(m.EmailPerformanceDay, "email_campaign_id", "performance_date", dates)
        for record, source_id in zip(records, source_ids, strict=True):
            campaign = campaigns.get((record.platform, record.external_id))
            campaign_values = {
                "kind": record.kind,
                "name": record.name,
                "flow_name": record.flow_name,
                "sent_at": record.sent_at,
            }
            if campaign is None:
                campaign = campaigns[(record.platform, record.external_id)] = m.EmailCampaign(
                    platform=record.platform, external_id=record.external_id, **campaign_values
                )
                self.session.add(campaign)
                self.session.flush()
            else:
                _apply(campaign, campaign_values)
            values = {
                "recipients": record.recipients,
                "delivered": record.delivered,
                "opens": record.opens,
                "clicks": record.clicks,
                "unsubscribes": record.unsubscribes,
                "conversions": record.conversions,
                "revenue": record.revenue,
                "currency": record.currency,
                "source_record_id": source_id,
            }
            values.update(email_campaign_id=campaign.id, performance_date=record.performance_date)
            key = (campaign.id, record.performance_date)
            if record.sales_unknown and key in days:
                for unknown in ("conversions", "revenue", "currency"):
                    del values[unknown]
            self._keep("email_performance_day", days, key, m.EmailPerformanceDay, values)
        self.session.flush()

    def shipments(self, records: Sequence[ShipmentRecord]) -> None:
        source_ids = self.source_record_ids([record.source for record in records])
        for record, source_id in zip(records, source_ids, strict=True):
            order_id = self.required_order_id(record, f"shipment {record.tracking_number}")
            shipment = self.session.scalar(
                select(m.Shipment).where(
                    m.Shipment.order_id == order_id, m.Shipment.tracking_number == record.tracking_number
                )
            )
            values = {
                "carrier": record.carrier,
                "service": record.service,
                "status": record.status,
                "shipped_at": record.shipped_at,
                "estimated_delivery_at": record.estimated_delivery_at,
                "delivered_at": record.delivered_at,
                "label_cost": record.label_cost,
                "currency": record.currency,
                "source_record_id": source_id,
            }
            if shipment is None:
                shipment = m.Shipment(order_id=order_id, tracking_number=record.tracking_number, **values)
                self.session.add(shipment)
                self.session.flush()
                result = "created"
            else:
                result = "updated" if _apply(shipment, values) else "unchanged"
            known = {
                (e.occurred_at, e.status)
                for e in self.session.scalars(
                    select(m.TrackingEvent).where(m.TrackingEvent.shipment_id == shipment.id)
                )
            }
            for event in record.events:
                if (event.occurred_at, event.status) not in known:
                    self.session.add(
                        m.TrackingEvent(
                            shipment_id=shipment.id,
                            occurred_at=event.occurred_at,
                            status=event.status,
                            description=event.description,
                            city=event.city,
                            source_record_id=source_id,
                        )
                    )
                    result = "updated" if result == "unchanged" else result
            self.outcome.add("shipment", result)
        self.session.flush()


def upsert_stock_levels(upserter: Upserter, records: Sequence[StockLevelRecord]) -> list[str]:
    """Set stock levels by (SKU, location); locations are created on first sight; return skipped SKUs.

    A SKU the catalogue does not have yet (a product not synced or imported) cannot hold stock in
    the schema, so its level is skipped and reported rather than failing the whole sync.
    """
    skipped: list[str] = []
    session = upserter.session
    upserter.source_record_ids([record.source for record in records])
    locations = {location.code: location for location in session.scalars(select(m.Location))}
    variants = dict(session.execute(select(m.Variant.sku, m.Variant.id)).all())
    levels = {(level.variant_id, level.location_id): level for level in session.scalars(select(m.StockLevel))}
    for record in records:
        variant_id = variants.get(record.sku)
        if variant_id is None:
            skipped.append(record.sku)
            continue
        location = locations.get(record.location_code)
        if location is None:
            location = locations[record.location_code] = m.Location(
                code=record.location_code, name=record.location_name, kind="warehouse"
            )
            session.add(location)
            session.flush()
            upserter.outcome.add("location", "created")
        values = {"on_hand": record.on_hand, "reserved": record.reserved}
        level = levels.get((variant_id, location.id))
        if level is None:
            levels[(variant_id, location.id)] = m.StockLevel(
                variant_id=variant_id, location_id=location.id, counted_at=record.counted_at, **values
            )
            session.add(levels[(variant_id, location.id)])
            upserter.outcome.add("stock_level", "created")
        elif _apply(level, values):
            level.counted_at = record.counted_at  # a new count only when the numbers moved
            upserter.outcome.add("stock_level", "updated")
        else:
            upserter.outcome.add("stock_level", "unchanged")
    session.flush()
    return skipped
