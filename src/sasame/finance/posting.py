"""Turn the database's business events into balanced journal entries, incrementally.

Each cause (an order, a refund, a payout line, a stock movement, ...) gets its entries with
``cause``/``cause_id`` and the cause's ``source_record_id``, so every figure drills down to the
rows behind it. Each entry carries a fingerprint of the facts it was built from: a run posts new
causes, re-posts causes whose facts changed (old entries deleted, new ones written), deletes the
entries of causes that disappeared (a voided order), and leaves everything else alone.

The high-volume causes (orders, payout lines, shipments, costed stock movements) are read in
chunks and built column-wise with numpy (`sync_bulk`, `EntryColumns`); amounts in another
currency than the store's fall back to the per-entry builder, which converts them. The rest use
the per-entry builder (`sync`, `EntryDraft`). Both writers refuse an unbalanced entry.

How the money flows (debit +, credit -):

- **order** (kind sale, on the order's business day): gross sales by channel per line (credit,
  with the SKU), discounts (debit), shipping income (credit), sales tax payable (credit; not on
  marketplaces that collect and remit the tax themselves: Amazon, Etsy), and the total as a
  receivable in the clearing account of the channel's payout source (debit).
- **refund**: returns and allowances (merchandise, split over the returned SKUs when the refund
  names its return), shipping income given back, tax given back; credit the clearing account.
- **chargeback**: chargebacks (debit) against clearing when opened; reversed when won.
- **payout_line**: the lines that settle what orders, refunds and chargebacks already put in the
  clearing account (principal, shipping, tax, refund, chargeback) post nothing themselves; fees go
  to marketplace fees by type or payment processing, reserves to the reserve account, marketplace
  reimbursements for lost/damaged stock against inventory write-offs, other adjustments to
  marketplace adjustments, each against clearing.
- **payout** (kind payout, on paid_on, once paid): the deposit, clearing -> bank. A payout in
  another currency than the store's posts the bank leg at what the bank received, the clearing
  leg at what clearing carried for it, and the difference to FX gain/loss (7900).
- **shipment** / **return**: label costs (shipping labels, return labels) against card payable.
- **ad_spend_day**: advertising by platform against card payable; Amazon Ads against the Amazon
  clearing account instead when Amazon settlements carry advertising fee lines (then those lines
  post nothing, as the spend already sits in clearing).
- **stock_movement**: receipts at landed cost (inventory / accounts payable), opening balances
  (inventory / opening balance equity), sales (COGS / inventory, at FIFO or moving-average cost
  from `sasame.finance.cogs`), restockable returns (inventory / COGS, at the cost the units left
  with), write-offs and count corrections (inventory write-offs / inventory). Transfers between
  locations move no value. A receipt that fills a shortfall also posts its COGS true-up.
- **operating_expense** (kind ``expense:<day>``, one entry per occurrence): expense by category
  against accounts payable.
"""

from __future__ import annotations

import hashlib
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import BigInteger, delete, func, select, type_coerce
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.business.service import store_settings
from sasame.core.clock import day_start, ensure_utc, zone
from sasame.core.errors import UserError
from sasame.core.money import SCALE, Money, round_money
from sasame.finance import accounts as a
from sasame.finance.cogs import CostedEvent, CostEngine, Method, StockEvent, landed_line_values
from sasame.finance.ledger import (
    Converter,
    EntryColumns,
    EntryDraft,
    delete_entries,
    round_units,
    write_entries,
    write_entry_columns,
)
from sasame.ingest.bulk import deferred_indexes, next_id, reset_sequences, write_rows
from sasame.models.base import Amount

RULES_VERSION = "1"
"""Part of every fingerprint: bump it when posting rules change so every entry is re-posted."""

FACILITATOR_CHANNEL_KINDS = frozenset({"amazon", "etsy"})
"""Marketplaces that collect and remit sales tax themselves: the tax never reaches the seller."""

SETTLEMENT_KINDS = frozenset({"principal", "shipping", "tax", "refund", "chargeback"})
"""Payout line kinds that settle amounts orders, refunds and chargebacks already posted."""

CHUNK = 20_000
"""Causes read and entries written per batch: bounds memory on stores of a million orders."""


def fingerprint(*facts: Any) -> str:
    """Return a short digest of the facts an entry is built from."""
    return hashlib.blake2b(repr((RULES_VERSION, *facts)).encode(), digest_size=16).hexdigest()


class LocalDays:
    """Business days of instants in the store's timezone, with the UTC offset cached per hour."""

    def __init__(self, timezone: str | ZoneInfo) -> None:
        self.tz = zone(timezone) if isinstance(timezone, str) else timezone
        self._offsets: dict[datetime, timedelta] = {}

    def day(self, instant: datetime) -> date:
        utc = ensure_utc(instant)
        hour = utc.replace(minute=0, second=0, microsecond=0)
        offset = self._offsets.get(hour)
        if offset is None:
            offset = self._offsets[hour] = hour.astimezone(self.tz).utcoffset() or timedelta(0)
        return (utc + offset).date()

    def start(self, day: date) -> datetime:
        return day_start(day, self.tz)


@dataclass
class Posting:
    """State of one run: the chart, the store's currency and timezone, buffered drafts, counts."""

    session: Session
    chart: a.Chart
    currency: str
    days: LocalDays
    convert: Converter
    method: Method = "fifo"
    channel_kind: dict[int, str] = field(default_factory=dict)
    channel_names: dict[int, tuple[str, str]] = field(default_factory=dict)
    channel_provider: dict[int, str] = field(default_factory=dict)
    amazon_ads_in_settlement: bool = False
    pending: list[EntryDraft] = field(default_factory=list)
    pending_columns: list[EntryColumns] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    waiting: list[EntryDraft] = field(default_factory=list)

    def clearing(self, channel_id: int | None, provider: str | None = None) -> int:
        name = provider or (self.channel_provider.get(channel_id, "other") if channel_id else "other")
        return self.chart.id_of(a.clearing_spec(name))

    def flush(self) -> None:
        """Delete re-posted entries, then write the buffered drafts."""
        if self.stale:
            self.counts["entries_deleted"] += delete_entries(self.session, self.stale)
            self.stale = []
        for columns in self.pending_columns:
            entries, postings = write_entry_columns(self.session, columns, self.currency)
            self.counts["entries_written"] += entries
            self.counts["postings_written"] += postings
        self.pending_columns = []
        if self.pending:
            entries, postings, waiting = write_entries(
                self.session, self.pending, self.convert, self.currency
            )
            self.counts["entries_written"] += entries
            self.counts["postings_written"] += postings
            self.waiting.extend(waiting)
            self.pending = []

    def sync(self, cause: str, items: Iterable[tuple[int, str, Callable[[], list[EntryDraft]]]]) -> None:
        """Post what is new or changed among (cause_id, fingerprint, build) items; drop the rest."""
        existing = self._existing(cause)
        for cause_id, print_, build in items:
            known = existing.pop(cause_id, None)
            if known and all(old == print_ for _entry, old in known):
                self.counts["unchanged"] += 1
                continue
            if known:
                self.stale.extend(entry for entry, _old in known)
                self.counts[f"{cause}_reposted"] += 1
            drafts = build()
            for draft in drafts:
                draft.fingerprint = print_
            self.pending.extend(drafts)
            self.counts[f"{cause}_posted"] += 1 if drafts else 0
            if len(self.pending) >= CHUNK:
                self.flush()
        for known in existing.values():
            self.stale.extend(entry for entry, _old in known)
        self.flush()

    def sync_bulk(self, cause: str, chunks: Iterable[BulkChunk]) -> None:
        """Like `sync`, for causes read and built column-wise a chunk at a time."""
        existing = self._existing(cause)
        for cause_ids, prints, build in chunks:
            selected = np.zeros(len(cause_ids), dtype=bool)
            for position, (cause_id, print_) in enumerate(zip(cause_ids, prints, strict=True)):
                known = existing.pop(cause_id, None)
                if known and all(old == print_ for _entry, old in known):
                    self.counts["unchanged"] += 1
                    continue
                if known:
                    self.stale.extend(entry for entry, _old in known)
                    self.counts[f"{cause}_reposted"] += 1
                selected[position] = True
            if selected.any():
                columns, drafts = build(selected)
                self.pending_columns.append(columns)
                self.pending.extend(drafts)
                self.counts[f"{cause}_posted"] += len(columns) + len(drafts)
                self.flush()
        for known in existing.values():
            self.stale.extend(entry for entry, _old in known)
        self.flush()

    def _existing(self, cause: str) -> dict[int, list[tuple[int, str | None]]]:
        """Return {cause_id: [(entry id, fingerprint)]} of what a cause already has in the ledger."""
        existing: dict[int, list[tuple[int, str | None]]] = defaultdict(list)
        for cause_id, entry_id, print_ in self.session.connection().execute(
            select(m.JournalEntry.cause_id, m.JournalEntry.id, m.JournalEntry.fingerprint).where(
                m.JournalEntry.cause == cause
            )
        ):
            existing[cause_id].append((entry_id, print_))
        return existing

    def draft(
        self,
        kind: str,
        cause: str,
        cause_id: int,
        *,
        occurred_at: datetime,
        business_day: date | None = None,
        currency: str,
        channel_id: int | None = None,
        source_record_id: int | None = None,
        memo: str | None = None,
    ) -> EntryDraft:
        return EntryDraft(
            kind,
            occurred_at=occurred_at,
            business_day=business_day or self.days.day(occurred_at),
            cause=cause,
            cause_id=cause_id,
            currency=currency,
            memo=memo,
            channel_id=channel_id,
            source_record_id=source_record_id,
        )


def _chunks(session: Session, model: Any, size: int = CHUNK) -> Iterator[tuple[int, int]]:
    """Yield half-open id ranges [low, high) covering a table in batches of about ``size`` ids."""
    low, high = session.execute(select(func.min(model.id), func.max(model.id))).one()
    if low is None:
        return
    for start in range(low, high + 1, size):
        yield start, start + size


# -- orders ---------------------------------------------------------------------------------------


def _order_builder(
    p: Posting, row: tuple[Any, ...], lines: list[tuple[Any, ...]]
) -> Callable[[], list[EntryDraft]]:
    def build() -> list[EntryDraft]:
        (order_id, channel_id, ordered_at, order_date, currency, subtotal, discount, shipping, tax, _status,
         number, source_id) = row  # fmt: skip
        draft = p.draft(
            "sale",
            "order",
            order_id,
            occurred_at=ordered_at,
            business_day=order_date,
            currency=currency,
            channel_id=channel_id,
            source_record_id=source_id,
            memo=f"Order {number}",
        )
        sales = p.chart.id_of(_sales_spec(p, channel_id))
        discounts = p.chart.code_id(a.DISCOUNTS)
        gross_lines = Decimal(0)
        discount_lines = Decimal(0)
        for _line_id, variant_id, quantity, unit_price, line_discount in lines:
            gross = round_money(unit_price * quantity, currency)
            gross_lines += gross
            discount_lines += round_money(line_discount, currency)
            draft.add(sales, -gross, order_id=order_id, variant_id=variant_id)
            draft.add(discounts, line_discount, order_id=order_id, variant_id=variant_id)
        # Order-level figures win over lines: what lines do not explain is posted without a SKU.
        draft.add(sales, -(subtotal - gross_lines), order_id=order_id)
        draft.add(discounts, discount - discount_lines, order_id=order_id)
        draft.add(p.chart.code_id(a.SHIPPING_INCOME), -shipping, order_id=order_id)
        if p.channel_kind.get(channel_id) not in FACILITATOR_CHANNEL_KINDS:
            draft.add(p.chart.code_id(a.SALES_TAX_PAYABLE), -tax, order_id=order_id)
        draft.balance_to(p.clearing(channel_id), order_id=order_id)
        return [draft] if draft.lines else []

    return build


def _sales_spec(p: Posting, channel_id: int) -> a.AccountSpec:
    code, name = p.channel_names[channel_id]
    return a.sales_spec(code, name, channel_id)


# -- column-wise posting of the high-volume causes ------------------------------------------------

BulkChunk = tuple[list[int], list[str], Callable[[np.ndarray], tuple[EntryColumns, list[EntryDraft]]]]
"""(cause ids, their fingerprints, build(selected rows) -> (store-currency columns, other drafts))."""

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _mix(digest: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Fold a column of integers into per-row 64-bit FNV-style digests (wrapping arithmetic)."""
    return (digest ^ values.astype(np.int64).view(np.uint64)) * _FNV_PRIME


def _digest(*columns: np.ndarray) -> np.ndarray:
    digest = np.full(len(columns[0]), _FNV_OFFSET, dtype=np.uint64)
    for column in columns:
        digest = _mix(digest, column)
    return digest


def _text_codes(values: Iterable[str | None]) -> np.ndarray:
    return np.array([0 if v is None else zlib.crc32(v.encode()) + 1 for v in values], dtype=np.int64)


def _instant_codes(values: Iterable[datetime]) -> np.ndarray:
    return np.array([(ensure_utc(v) - _EPOCH) // _MICROSECOND for v in values], dtype=np.int64)


def _ids(values: Iterable[int | None]) -> np.ndarray:
    return np.array([-1 if v is None else v for v in values], dtype=np.int64)


def _prints(prefix: str, digests: np.ndarray) -> list[str]:
    return [f"{prefix}{value:016x}" for value in digests.tolist()]


def _units(column: Any) -> Any:
    """Read a money column as its stored integer units (no Decimal per value)."""
    return type_coerce(column, BigInteger)


def _decimal(units: int) -> Decimal:
    return Decimal(units) / SCALE


class _Pieces:
    """Postings gathered piece by piece for column-wise entries, then ordered by entry."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(
        self,
        entry: np.ndarray,
        account: np.ndarray | int,
        units: np.ndarray,
        order: np.ndarray | int,
        variant: np.ndarray | int = -1,
    ) -> None:
        size = len(entry)
        self.parts.append(
            (
                entry,
                np.broadcast_to(np.asarray(account, dtype=np.int64), (size,)),
                units.astype(np.int64),
                np.broadcast_to(np.asarray(order, dtype=np.int64), (size,)),
                np.broadcast_to(np.asarray(variant, dtype=np.int64), (size,)),
            )
        )

    def sum_by_entry(self, count: int) -> np.ndarray:
        total = np.zeros(count, dtype=np.int64)
        for entry, _account, units, _order, _variant in self.parts:
            np.add.at(total, entry, units)
        return total

    def columns(
        self, count: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Return (entries kept, entry, account, units, order, variant): zero postings dropped,
        entries left without postings dropped and the rest renumbered, postings in entry order."""
        entry, account, units, order, variant = (
            np.concatenate(parts) for parts in zip(*self.parts, strict=True)
        )
        nonzero = units != 0
        entry, account, units, order, variant = (a[nonzero] for a in (entry, account, units, order, variant))
        ordering = np.argsort(entry, kind="stable")
        entry, account, units, order, variant = (a[ordering] for a in (entry, account, units, order, variant))
        kept = np.zeros(count, dtype=bool)
        kept[entry] = True
        renumber = np.cumsum(kept) - 1
        return kept, renumber[entry], account, units, order, variant


def _order_chunks(p: Posting) -> Iterator[BulkChunk]:
    o, line = m.Order, m.OrderLine
    session = p.session
    provider_code = {name: i for i, name in enumerate(sorted(set(p.channel_provider.values())))}
    kind_code = {name: i for i, name in enumerate(sorted(set(p.channel_kind.values())))}
    for low, high in _chunks(session, o):
        rows = (
            session.connection()
            .execute(
                select(
                    o.id,
                    o.channel_id,
                    o.ordered_at,
                    o.order_date,
                    o.currency,
                    _units(o.subtotal),
                    _units(o.discount_total),
                    _units(o.shipping_total),
                    _units(o.tax_total),
                    o.number,
                    o.source_record_id,
                )
                .where(o.id >= low, o.id < high, o.financial_status != "voided")
                .order_by(o.id)
            )
            .all()
        )
        if not rows:
            continue
        lines = (
            session.connection()
            .execute(
                select(
                    line.order_id,
                    line.id,
                    line.variant_id,
                    line.quantity,
                    _units(line.unit_price),
                    _units(line.discount),
                )
                .where(line.order_id >= low, line.order_id < high)
                .order_by(line.order_id, line.id)
            )
            .all()
        )
        yield _order_chunk(p, rows, lines, provider_code, kind_code)


def _order_chunk(
    p: Posting,
    rows: Sequence[Any],
    lines: Sequence[Any],
    provider_code: dict[str, int],
    kind_code: dict[str, int],
) -> BulkChunk:
    order_id, channel, ordered_at, order_date, currency, subtotal, discount, shipping, tax, number, source = (
        list(column) for column in zip(*rows, strict=True)
    )
    ids = np.array(order_id, dtype=np.int64)
    channels = np.array(channel, dtype=np.int64)
    amounts = np.array([subtotal, discount, shipping, tax], dtype=np.int64)
    if lines:
        line_order, line_id, line_variant, line_quantity, line_price, line_discount = (
            np.array([-1 if v is None else v for v in column], dtype=np.int64)
            for column in zip(*lines, strict=True)
        )
    else:
        line_order = line_id = line_variant = line_quantity = line_price = line_discount = np.zeros(
            0, dtype=np.int64
        )
    position = np.searchsorted(ids, line_order)
    position = np.minimum(position, len(ids) - 1)
    valid = ids[position] == line_order  # lines of voided orders have no order row here
    line_order, line_id, line_variant, line_quantity, line_price, line_discount, position = (
        a[valid]
        for a in (line_order, line_id, line_variant, line_quantity, line_price, line_discount, position)
    )
    line_digest = np.zeros(len(ids), dtype=np.uint64)
    np.add.at(line_digest, position, _digest(line_id, line_variant, line_quantity, line_price, line_discount))
    digest = _digest(
        channels,
        _instant_codes(ordered_at),
        np.array([d.toordinal() for d in order_date], dtype=np.int64),
        _text_codes(currency),
        *amounts,
        _text_codes(number),
        _ids(source),
        np.array(
            [provider_code.get(p.channel_provider.get(c, "other"), -1) for c in channel], dtype=np.int64
        ),
        np.array([kind_code.get(p.channel_kind.get(c, ""), -1) for c in channel], dtype=np.int64),
        line_digest,
        np.bincount(position, minlength=len(ids)).astype(np.int64),
    )
    prints = _prints(f"o{RULES_VERSION}:", digest)

    def build(selected: np.ndarray) -> tuple[EntryColumns, list[EntryDraft]]:
        in_store = np.array([c == p.currency for c in currency], dtype=bool)
        drafts: list[EntryDraft] = []
        for i in np.flatnonzero(selected & ~in_store).tolist():
            row = (
                order_id[i], channel[i], ordered_at[i], order_date[i], currency[i],
                *(_decimal(int(v)) for v in amounts[:, i]), None, number[i], source[i],
            )  # fmt: skip
            chosen = position == i
            order_lines = [
                (int(lid), None if v < 0 else int(v), int(q), _decimal(int(pr)), _decimal(int(d)))
                for lid, v, q, pr, d in zip(
                    line_id[chosen], line_variant[chosen], line_quantity[chosen], line_price[chosen],
                    line_discount[chosen], strict=True,
                )
            ]  # fmt: skip
            for draft in _order_builder(p, row, order_lines)():
                draft.fingerprint = prints[i]
                drafts.append(draft)
        chosen_rows = np.flatnonzero(selected & in_store)
        count = len(chosen_rows)
        entry_of = np.full(len(ids), -1, dtype=np.int64)
        entry_of[chosen_rows] = np.arange(count)
        store = p.currency
        sales = np.array([p.chart.id_of(_sales_spec(p, c)) for c in channel], dtype=np.int64)
        clearing = np.array([p.clearing(c) for c in channel], dtype=np.int64)
        remits_tax = np.array(
            [p.channel_kind.get(c) in FACILITATOR_CHANNEL_KINDS for c in channel], dtype=bool
        )
        discounts = p.chart.code_id(a.DISCOUNTS)
        line_entry = entry_of[position]
        mine = line_entry >= 0
        gross = round_units(line_price[mine] * line_quantity[mine], store)
        line_cut = round_units(line_discount[mine], store)
        entries = line_entry[mine]
        pieces = _Pieces()
        pieces.add(entries, sales[position[mine]], -gross, line_order[mine], line_variant[mine])
        pieces.add(entries, discounts, line_cut, line_order[mine], line_variant[mine])
        gross_of = np.zeros(count, dtype=np.int64)
        np.add.at(gross_of, entries, gross)
        cut_of = np.zeros(count, dtype=np.int64)
        np.add.at(cut_of, entries, line_cut)
        every = np.arange(count)
        subtotal_r, discount_r, shipping_r, tax_r = (round_units(v[chosen_rows], store) for v in amounts)
        # Order-level figures win over lines: what lines do not explain is posted without a SKU.
        pieces.add(every, sales[chosen_rows], -(subtotal_r - gross_of), ids[chosen_rows])
        pieces.add(every, discounts, discount_r - cut_of, ids[chosen_rows])
        pieces.add(every, p.chart.code_id(a.SHIPPING_INCOME), -shipping_r, ids[chosen_rows])
        pieces.add(
            every, p.chart.code_id(a.SALES_TAX_PAYABLE), -tax_r * ~remits_tax[chosen_rows], ids[chosen_rows]
        )
        pieces.add(every, clearing[chosen_rows], -pieces.sum_by_entry(count), ids[chosen_rows])
        kept, entry, account, units, order, variant = pieces.columns(count)
        rows_kept = chosen_rows[kept].tolist()
        columns = EntryColumns(
            cause="order",
            currency=store,
            kind=["sale"] * len(rows_kept),
            cause_id=[order_id[i] for i in rows_kept],
            occurred_at=[ordered_at[i] for i in rows_kept],
            business_day=[order_date[i] for i in rows_kept],
            channel_id=[channel[i] for i in rows_kept],
            memo=[f"Order {number[i]}" for i in rows_kept],
            fingerprint=[prints[i] for i in rows_kept],
            source_record_id=[source[i] for i in rows_kept],
            entry=entry,
            account_id=account,
            units=units,
            order_id=order,
            variant_id=variant,
        )
        return columns, drafts

    return order_id, prints, build


def _payout_line_chunks(p: Posting) -> Iterator[BulkChunk]:
    line, payout = m.PayoutLine, m.Payout
    session = p.session
    accounts: dict[tuple[str, str | None, str], int | None] = {}
    for low, high in _chunks(session, line):
        rows = []
        for row in session.connection().execute(
            select(
                line.id,
                line.kind,
                line.fee_type,
                line.order_id,
                line.occurred_at,
                _units(line.amount),
                line.currency,
                line.description,
                line.source_record_id,
                payout.provider,
                payout.channel_id,
                payout.external_id,
            )
            .join(payout, payout.id == line.payout_id)
            .where(line.id >= low, line.id < high, line.kind.not_in(sorted(SETTLEMENT_KINDS)))
            .order_by(line.id)
        ):
            key = (row[1], row[2], row[9])
            if key not in accounts:
                spec = _payout_line_account(p, *key)
                accounts[key] = None if spec is None else p.chart.id_of(spec)
            if accounts[key] is not None:
                rows.append(row)
        if rows:
            yield _payout_line_chunk(p, rows, accounts)


def _payout_line_chunk(
    p: Posting, rows: Sequence[Any], accounts: dict[tuple[str, str | None, str], int | None]
) -> BulkChunk:
    (
        line_id,
        kind,
        fee_type,
        order_id,
        occurred_at,
        amount,
        currency,
        description,
        source,
        provider,
        channel,
        external,
    ) = (list(column) for column in zip(*rows, strict=True))
    units = np.array(amount, dtype=np.int64)
    digest = _digest(
        _text_codes(kind),
        _text_codes(fee_type),
        _ids(order_id),
        _instant_codes(occurred_at),
        units,
        _text_codes(currency),
        _text_codes(description),
        _ids(source),
        _text_codes(provider),
        _ids(channel),
        _text_codes(external),
        np.full(len(rows), int(p.amazon_ads_in_settlement), dtype=np.int64),
    )
    prints = _prints(f"l{RULES_VERSION}:", digest)

    def build(selected: np.ndarray) -> tuple[EntryColumns, list[EntryDraft]]:
        in_store = np.array([c == p.currency for c in currency], dtype=bool)
        drafts: list[EntryDraft] = []
        for i in np.flatnonzero(selected & ~in_store).tolist():
            row = (
                line_id[i], kind[i], fee_type[i], order_id[i], occurred_at[i], _decimal(amount[i]),
                currency[i], description[i], source[i], provider[i], channel[i], external[i],
            )  # fmt: skip
            for draft in _payout_line_builder(p, row)():
                draft.fingerprint = prints[i]
                drafts.append(draft)
        chosen = np.flatnonzero(selected & in_store)
        count = len(chosen)
        every = np.arange(count)
        rounded = round_units(units[chosen], p.currency)
        orders = _ids(order_id)[chosen]
        account = np.array(
            [accounts[(kind[i], fee_type[i], provider[i])] for i in chosen.tolist()], dtype=np.int64
        )
        clearing = np.array([p.clearing(channel[i], provider[i]) for i in chosen.tolist()], dtype=np.int64)
        pieces = _Pieces()
        # Money to the seller is positive on the line: the account takes the opposite sign.
        pieces.add(every, account, -rounded, orders)
        pieces.add(every, clearing, rounded, orders)
        kept, entry, accounts_of, posted, order, variant = pieces.columns(count)
        rows_kept = chosen[kept].tolist()
        columns = EntryColumns(
            cause="payout_line",
            currency=p.currency,
            kind=["fee" if kind[i] == "fee" else kind[i] for i in rows_kept],
            cause_id=[line_id[i] for i in rows_kept],
            occurred_at=[occurred_at[i] for i in rows_kept],
            business_day=[p.days.day(occurred_at[i]) for i in rows_kept],
            channel_id=[channel[i] for i in rows_kept],
            memo=[
                f"{provider[i]} {external[i]}: {description[i] or fee_type[i] or kind[i]}"[:300]
                for i in rows_kept
            ],
            fingerprint=[prints[i] for i in rows_kept],
            source_record_id=[source[i] for i in rows_kept],
            entry=entry,
            account_id=accounts_of,
            units=posted,
            order_id=order,
            variant_id=variant,
        )
        return columns, drafts

    return line_id, prints, build


# -- refunds and chargebacks ----------------------------------------------------------------------


def _refund_items(p: Posting) -> Iterator[tuple[int, str, Callable[[], list[EntryDraft]]]]:
    r, o = m.Refund, m.Order
    returned: dict[int, list[tuple[int | None, Decimal]]] = defaultdict(list)
    """return id -> [(variant, merchandise value of the returned units)] to split refunds by SKU."""
    for return_id, variant_id, quantity, unit_price, line_quantity, line_discount in p.session.execute(
        select(
            m.ReturnLine.return_id,
            m.OrderLine.variant_id,
            m.ReturnLine.quantity,
            m.OrderLine.unit_price,
            m.OrderLine.quantity,
            m.OrderLine.discount,
        ).join(m.OrderLine, m.OrderLine.id == m.ReturnLine.order_line_id)
    ):
        net_unit = unit_price - (line_discount / line_quantity if line_quantity else 0)
        returned[return_id].append((variant_id, max(net_unit * quantity, Decimal(0))))
    for row in p.session.execute(
        select(
            r.id,
            r.order_id,
            r.return_id,
            r.refunded_at,
            r.amount,
            r.shipping_amount,
            r.tax_amount,
            r.currency,
            r.source_record_id,
            o.channel_id,
            o.number,
        )
        .join(o, o.id == r.order_id)
        .order_by(r.id)
    ):
        split = returned.get(row[2], []) if row[2] is not None else []
        facts = (*row[1:], p.channel_provider.get(row[9]), split)
        yield row[0], fingerprint(facts), _refund_builder(p, tuple(row), split)


def _refund_builder(
    p: Posting, row: tuple[Any, ...], split: list[tuple[int | None, Decimal]]
) -> Callable[[], list[EntryDraft]]:
    def build() -> list[EntryDraft]:
        (refund_id, order_id, _return_id, refunded_at, amount, shipping, tax, currency, source_id, channel_id,
         number) = row  # fmt: skip
        draft = p.draft(
            "refund",
            "refund",
            refund_id,
            occurred_at=refunded_at,
            currency=currency,
            channel_id=channel_id,
            source_record_id=source_id,
            memo=f"Refund of order {number}",
        )
        merchandise = round_money(amount - shipping - tax, currency)
        returns = p.chart.code_id(a.RETURNS)
        weights = [value for _variant, value in split]
        if merchandise > 0 and weights and sum(weights) > 0:
            parts = Money(merchandise, currency).allocate(weights)
            for (variant_id, _value), part in zip(split, parts, strict=True):
                draft.add(returns, part.amount, order_id=order_id, variant_id=variant_id)
        else:
            draft.add(returns, merchandise, order_id=order_id)
        draft.add(p.chart.code_id(a.SHIPPING_INCOME), shipping, order_id=order_id)
        if p.channel_kind.get(channel_id) not in FACILITATOR_CHANNEL_KINDS:
            draft.add(p.chart.code_id(a.SALES_TAX_PAYABLE), tax, order_id=order_id)
        draft.balance_to(p.clearing(channel_id), order_id=order_id)
        return [draft] if draft.lines else []

    return build


def _chargeback_items(p: Posting) -> Iterator[tuple[int, str, Callable[[], list[EntryDraft]]]]:
    c, o = m.Chargeback, m.Order
    for row in p.session.execute(
        select(
            c.id,
            c.order_id,
            c.opened_at,
            c.resolved_at,
            c.status,
            c.amount,
            c.currency,
            c.source_record_id,
            o.channel_id,
            o.number,
        )
        .join(o, o.id == c.order_id)
        .order_by(c.id)
    ):
        facts = (*row[1:], p.channel_provider.get(row[8]))
        yield row[0], fingerprint(facts), _chargeback_builder(p, tuple(row))


def _chargeback_builder(p: Posting, row: tuple[Any, ...]) -> Callable[[], list[EntryDraft]]:
    def build() -> list[EntryDraft]:
        (chargeback_id, order_id, opened_at, resolved_at, status, amount, currency, source_id, channel_id,
         number) = row  # fmt: skip
        account = p.chart.code_id(a.CHARGEBACKS)
        clearing = p.clearing(channel_id)
        opened = p.draft(
            "chargeback",
            "chargeback",
            chargeback_id,
            occurred_at=opened_at,
            currency=currency,
            channel_id=channel_id,
            source_record_id=source_id,
            memo=f"Chargeback on order {number}",
        )
        opened.add(account, amount, order_id=order_id)
        opened.balance_to(clearing, order_id=order_id)
        drafts = [opened] if opened.lines else []
        if status == "won" and resolved_at is not None:
            won = p.draft(
                "chargeback_won",
                "chargeback",
                chargeback_id,
                occurred_at=resolved_at,
                currency=currency,
                channel_id=channel_id,
                source_record_id=source_id,
                memo=f"Chargeback won on order {number}: funds returned",
            )
            won.add(account, -amount, order_id=order_id)
            won.balance_to(clearing, order_id=order_id)
            drafts += [won] if won.lines else []
        return drafts

    return build


# -- payouts --------------------------------------------------------------------------------------


def _payout_line_account(p: Posting, kind: str, fee_type: str | None, provider: str) -> a.AccountSpec | None:
    """Return the account a payout line posts to, or None for lines that only settle clearing."""
    if kind in SETTLEMENT_KINDS:
        return None
    normal = (fee_type or "").strip().lower()
    if kind == "reserve":
        return a.reserve_spec(provider)
    if kind == "fee":
        if normal in a.ADVERTISING_FEE_TYPES and provider == "amazon" and p.amazon_ads_in_settlement:
            return None
        return a.fee_spec(provider, fee_type)
    if normal in a.REIMBURSEMENT_FEE_TYPES:
        return a.spec_of(a.INVENTORY_WRITE_OFFS)
    if normal in a.CHARGEBACK_FEE_TYPES:
        return a.spec_of(a.CHARGEBACK_FEES)
    return a.spec_of(a.OTHER_INCOME)


def _payout_line_builder(p: Posting, row: tuple[Any, ...]) -> Callable[[], list[EntryDraft]]:
    def build() -> list[EntryDraft]:
        (line_id, kind, fee_type, order_id, occurred_at, amount, currency, description, source_id, provider,
         channel_id, external_id) = row  # fmt: skip
        spec = _payout_line_account(p, kind, fee_type, provider)
        if spec is None:
            return []
        draft = p.draft(
            "fee" if kind == "fee" else kind,
            "payout_line",
            line_id,
            occurred_at=occurred_at,
            currency=currency,
            channel_id=channel_id,
            source_record_id=source_id,
            memo=f"{provider} {external_id}: {description or fee_type or kind}"[:300],
        )
        # Money to the seller is positive on the line: the account takes the opposite sign.
        draft.add(p.chart.id_of(spec), -amount, order_id=order_id)
        draft.balance_to(p.clearing(channel_id, provider), order_id=order_id)
        return [draft] if draft.lines else []

    return build


def _payout_items(p: Posting) -> Iterator[tuple[int, str, Callable[[], list[EntryDraft]]]]:
    payout = m.Payout
    deposits: dict[int | None, tuple[Decimal, str]] | None = None  # read at the first foreign payout
    for row in p.session.execute(
        select(
            payout.id,
            payout.provider,
            payout.channel_id,
            payout.external_id,
            payout.paid_on,
            payout.amount,
            payout.currency,
            payout.source_record_id,
        )
        .where(payout.status == "paid")
        .order_by(payout.id)
    ):
        if row[6] == p.currency:
            # Same currency as the store: the deposit is the payout, there is no FX to realise.
            yield row[0], fingerprint(row[1:]), _payout_builder(p, tuple(row))
            continue
        if deposits is None:
            deposits = _matched_deposits(p)
        try:
            deposit = deposits.get(row[0])
            values: tuple[Decimal, Decimal] | None = _foreign_payout_values(p, tuple(row), deposit)
        except UserError:
            values = None  # a rate is missing: the plain entry waits for it (write_entries)
        yield row[0], fingerprint(row[1:], values), _payout_builder(p, tuple(row), values)


def _matched_deposits(p: Posting) -> dict[int | None, tuple[Decimal, str]]:
    """Return {payout id: (amount, currency)} of the bank lines the reconciliation matched."""
    bank = m.BankTransaction
    return {
        payout_id: (amount, currency)
        for payout_id, amount, currency in p.session.connection().execute(
            select(bank.payout_id, bank.amount, bank.currency).where(bank.payout_id.is_not(None))
        )
    }


SETTLED_CAUSE = {
    "principal": "order",
    "shipping": "order",
    "tax": "order",
    "refund": "refund",
    "chargeback": "chargeback",
}
"""The cause whose clearing posting a settlement line of each kind empties."""


def _foreign_payout_values(
    p: Posting, row: tuple[Any, ...], deposit: tuple[Decimal, str] | None
) -> tuple[Decimal, Decimal]:
    """Return (deposited, carried) in the store currency for a payout in another currency.

    ``deposited`` is what reached the bank: the matched bank line when it is in the store currency,
    else the payout converted on its day. ``carried`` is the store-currency value at which the
    clearing account holds what the payout empties: the clearing legs of the entries its own lines
    posted (fees, reserves, adjustments), plus, for each order it settles, the store value the
    order's sale, refund or chargeback put in clearing (pro rata when it settles part of it), plus
    whatever no posting carried, converted on the payout's day. The difference is the FX result.
    """
    payout_id, provider, channel_id, _external_id, paid_on, amount, currency, _source = row
    clearing_id = p.clearing(channel_id, provider)
    connection = p.session.connection()
    posting, entry, line = m.Posting, m.JournalEntry, m.PayoutLine
    own_units, own_store = connection.execute(
        select(func.sum(posting.amount, type_=Amount), func.sum(posting.store_amount, type_=Amount))
        .join(entry, entry.id == posting.entry_id)
        .join(line, line.id == entry.cause_id)
        .where(
            entry.cause == "payout_line",
            line.payout_id == payout_id,
            posting.account_id == clearing_id,
            posting.currency == currency,
        )
    ).one()
    carried = own_store or Decimal(0)
    remaining = amount - (own_units or Decimal(0))
    settled: dict[tuple[int | None, str], Decimal] = defaultdict(Decimal)
    for kind, order_id, total in connection.execute(
        select(line.kind, line.order_id, func.sum(line.amount, type_=Amount))
        .where(line.payout_id == payout_id, line.order_id.is_not(None), line.kind.in_(sorted(SETTLED_CAUSE)))
        .group_by(line.kind, line.order_id)
    ):
        settled[(order_id, SETTLED_CAUSE[kind])] += total
    if settled:
        orders = select(line.order_id).where(line.payout_id == payout_id, line.order_id.is_not(None))
        booked = {
            (order_id, cause): (units, store)
            for order_id, cause, units, store in connection.execute(
                select(
                    posting.order_id,
                    entry.cause,
                    func.sum(posting.amount, type_=Amount),
                    func.sum(posting.store_amount, type_=Amount),
                )
                .join(entry, entry.id == posting.entry_id)
                .where(
                    posting.account_id == clearing_id,
                    posting.currency == currency,
                    posting.order_id.in_(orders),
                    entry.cause.in_(sorted(set(SETTLED_CAUSE.values()))),
                )
                .group_by(posting.order_id, entry.cause)
            )
        }
        for key, settled_units in settled.items():
            units, store = booked.get(key, (Decimal(0), Decimal(0)))
            if not units:
                continue  # nothing booked to settle: converted with the remainder below
            remaining -= settled_units
            # Settled as booked: exactly the carried value; in part: at the rate it was carried at.
            share = store if settled_units == units else settled_units * store / units
            carried += round_money(share, p.currency)
    if remaining:
        carried += p.convert(remaining, currency, paid_on)
    if deposit is not None and deposit[1] == p.currency:
        deposited = deposit[0]
    else:
        deposited = p.convert(amount, currency, paid_on)
    return deposited, carried


def _payout_builder(
    p: Posting, row: tuple[Any, ...], values: tuple[Decimal, Decimal] | None = None
) -> Callable[[], list[EntryDraft]]:
    def build() -> list[EntryDraft]:
        payout_id, provider, channel_id, external_id, paid_on, amount, currency, source_id = row
        draft = p.draft(
            "payout",
            "payout",
            payout_id,
            occurred_at=p.days.start(paid_on),
            business_day=paid_on,
            currency=currency,
            channel_id=channel_id,
            source_record_id=source_id,
            memo=f"{provider} payout {external_id} deposited",
        )
        if values is None:
            draft.add(p.chart.code_id(a.BANK), amount)
            draft.balance_to(p.clearing(channel_id, provider))
            return [draft] if draft.lines else []
        # In the payout's currency the deposit moves clearing to the bank one for one; in the store
        # currency the bank gets what it received, clearing gives up what it carried, and the
        # difference is realised FX (a loss is a debit, a gain a credit): balanced both ways.
        deposited, carried = values
        draft.add(p.chart.code_id(a.BANK), amount, store_amount=deposited)
        draft.add(p.clearing(channel_id, provider), -amount, store_amount=-carried)
        draft.add(p.chart.code_id(a.FX_GAIN_LOSS), Decimal(0), store_amount=carried - deposited)
        return [draft] if draft.lines else []

    return build


# -- labels and ads -------------------------------------------------------------------------------


def _shipment_chunks(p: Posting) -> Iterator[BulkChunk]:
    s, o = m.Shipment, m.Order
    for low, high in _chunks(p.session, s):
        rows = (
            p.session.connection()
            .execute(
                select(
                    s.id,
                    s.order_id,
                    s.shipped_at,
                    _units(s.label_cost),
                    s.currency,
                    s.carrier,
                    s.source_record_id,
                    o.channel_id,
                )
                .join(o, o.id == s.order_id)
                .where(s.id >= low, s.id < high, s.label_cost != 0)
                .order_by(s.id)
            )
            .all()
        )
        if rows:
            yield _shipment_chunk(p, rows)


def _shipment_chunk(p: Posting, rows: Sequence[Any]) -> BulkChunk:
    shipment_id, order_id, shipped_at, cost, currency, carrier, source, channel = (
        list(column) for column in zip(*rows, strict=True)
    )
    units = np.array(cost, dtype=np.int64)
    digest = _digest(
        _ids(order_id),
        _instant_codes(shipped_at),
        units,
        _text_codes(currency),
        _text_codes(carrier),
        _ids(source),
        _ids(channel),
    )
    prints = _prints(f"h{RULES_VERSION}:", digest)

    def build(selected: np.ndarray) -> tuple[EntryColumns, list[EntryDraft]]:
        in_store = np.array([c == p.currency for c in currency], dtype=bool)
        drafts: list[EntryDraft] = []
        for i in np.flatnonzero(selected & ~in_store).tolist():
            row = (
                shipment_id[i], order_id[i], shipped_at[i], _decimal(cost[i]), currency[i], carrier[i],
                source[i], channel[i],
            )  # fmt: skip
            for draft in _label_builder(p, "shipment", a.SHIPPING_LABELS, row)():
                draft.fingerprint = prints[i]
                drafts.append(draft)
        chosen = np.flatnonzero(selected & in_store)
        every = np.arange(len(chosen))
        rounded = round_units(units[chosen], p.currency)
        orders = _ids(order_id)[chosen]
        pieces = _Pieces()
        pieces.add(every, p.chart.code_id(a.SHIPPING_LABELS), rounded, orders)
        pieces.add(every, p.chart.code_id(a.CARD_PAYABLE), -rounded, orders)
        kept, entry, account, posted, order, variant = pieces.columns(len(chosen))
        kept_rows = chosen[kept].tolist()
        columns = EntryColumns(
            cause="shipment",
            currency=p.currency,
            kind=["shipping_label"] * len(kept_rows),
            cause_id=[shipment_id[i] for i in kept_rows],
            occurred_at=[shipped_at[i] for i in kept_rows],
            business_day=[p.days.day(shipped_at[i]) for i in kept_rows],
            channel_id=[channel[i] for i in kept_rows],
            memo=[f"Shipping label ({carrier[i]})" for i in kept_rows],
            fingerprint=[prints[i] for i in kept_rows],
            source_record_id=[source[i] for i in kept_rows],
            entry=entry,
            account_id=account,
            units=posted,
            order_id=order,
            variant_id=variant,
        )
        return columns, drafts

    return shipment_id, prints, build


def _return_label_items(p: Posting) -> Iterator[tuple[int, str, Callable[[], list[EntryDraft]]]]:
    r, o = m.Return, m.Order
    for row in p.session.execute(
        select(
            r.id,
            r.order_id,
            r.requested_at,
            r.label_cost,
            r.currency,
            r.rma_number,
            r.source_record_id,
            o.channel_id,
        )
        .join(o, o.id == r.order_id)
        .where(r.label_cost != 0)
        .order_by(r.id)
    ):
        yield row[0], fingerprint(row[1:]), _label_builder(p, "return", a.RETURN_LABELS, tuple(row))


def _label_builder(p: Posting, cause: str, code: str, row: tuple[Any, ...]) -> Callable[[], list[EntryDraft]]:
    def build() -> list[EntryDraft]:
        cause_id, order_id, at, cost, currency, what, source_id, channel_id = row
        draft = p.draft(
            "shipping_label" if cause == "shipment" else "return_label",
            cause,
            cause_id,
            occurred_at=at,
            currency=currency,
            channel_id=channel_id,
            source_record_id=source_id,
            memo=f"{'Shipping' if cause == 'shipment' else 'Return'} label ({what})",
        )
        draft.add(p.chart.code_id(code), cost, order_id=order_id)
        draft.balance_to(p.chart.code_id(a.CARD_PAYABLE), order_id=order_id)
        return [draft] if draft.lines else []

    return build


def _ad_spend_items(p: Posting) -> Iterator[tuple[int, str, Callable[[], list[EntryDraft]]]]:
    spend, ad, ad_set, campaign = m.AdSpendDay, m.Ad, m.AdSet, m.AdCampaign
    amazon_channel = next((cid for cid, kind in sorted(p.channel_kind.items()) if kind == "amazon"), None)
    for low, high in _chunks(p.session, spend):
        for row in p.session.execute(
            select(
                spend.id,
                spend.spend_date,
                spend.spend,
                spend.currency,
                spend.source_record_id,
                campaign.platform,
                campaign.name,
            )
            .join(ad, ad.id == spend.ad_id)
            .join(ad_set, ad_set.id == ad.ad_set_id)
            .join(campaign, campaign.id == ad_set.campaign_id)
            .where(spend.id >= low, spend.id < high, spend.spend != 0)
            .order_by(spend.id)
        ):
            facts = (row[1:], p.amazon_ads_in_settlement, amazon_channel)
            yield row[0], fingerprint(facts), _ad_builder(p, tuple(row), amazon_channel)


def _ad_builder(
    p: Posting, row: tuple[Any, ...], amazon_channel: int | None
) -> Callable[[], list[EntryDraft]]:
    def build() -> list[EntryDraft]:
        spend_id, day, amount, currency, source_id, platform, campaign_name = row
        is_amazon = platform == "amazon_ads"
        draft = p.draft(
            "ad_spend",
            "ad_spend_day",
            spend_id,
            occurred_at=p.days.start(day),
            business_day=day,
            currency=currency,
            channel_id=amazon_channel if is_amazon else None,
            source_record_id=source_id,
            memo=f"{platform}: {campaign_name}"[:300],
        )
        draft.add(p.chart.id_of(a.advertising_spec(platform)), amount)
        if is_amazon and p.amazon_ads_in_settlement:
            draft.balance_to(p.clearing(amazon_channel, "amazon"))
        else:
            draft.balance_to(p.chart.code_id(a.CARD_PAYABLE))
        return [draft] if draft.lines else []

    return build


# -- operating expenses ---------------------------------------------------------------------------


def _expense_entries(p: Posting, now: datetime) -> None:
    """Post every occurrence of the owner's operating expenses up to today, one entry each."""
    from sasame.finance.expenses import occurrences

    today = p.days.day(now)
    by_expense: dict[int, list[Any]] = defaultdict(list)
    for occurrence in occurrences(p.session, date(1970, 1, 1), today + timedelta(days=1)):
        by_expense[occurrence.expense_id].append(occurrence)

    def items() -> Iterator[tuple[int, str, Callable[[], list[EntryDraft]]]]:
        for expense_id, found in sorted(by_expense.items()):
            facts = [(o.day, o.amount, o.currency, o.name, o.category) for o in found]
            yield expense_id, fingerprint(facts), _expense_builder(p, expense_id, found)

    p.sync("operating_expense", items())


def _expense_builder(p: Posting, expense_id: int, found: list[Any]) -> Callable[[], list[EntryDraft]]:
    def build() -> list[EntryDraft]:
        drafts = []
        for occurrence in found:
            draft = p.draft(
                f"expense:{occurrence.day.isoformat()}",
                "operating_expense",
                expense_id,
                occurred_at=p.days.start(occurrence.day),
                business_day=occurrence.day,
                currency=occurrence.currency,
                memo=f"{occurrence.name} ({occurrence.category})"[:300],
            )
            draft.add(p.chart.id_of(a.expense_spec(occurrence.category)), occurrence.amount)
            draft.balance_to(p.chart.code_id(a.ACCOUNTS_PAYABLE))
            if draft.lines:
                drafts.append(draft)
        return drafts

    return build


# -- stock and cost of goods ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Movement:
    id: int
    variant_id: int
    location_id: int | None
    kind: str
    quantity: int
    unit_cost: Decimal | None
    currency: str
    moved_at: datetime
    order_line_id: int | None
    purchase_order_line_id: int | None
    return_line_id: int | None
    source_record_id: int | None


def _stock_entries(p: Posting) -> None:
    """Cost every stock movement (FIFO or average), post what changed, and rewrite the cost layers."""
    session = p.session
    landed = _landed_unit_values(p)
    variant_cost = {
        variant: cost for variant, cost in session.execute(select(m.Variant.id, m.Variant.unit_cost))
    }
    components: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for bundle, component, quantity in session.execute(
        select(
            m.BundleComponent.bundle_variant_id,
            m.BundleComponent.component_variant_id,
            m.BundleComponent.quantity,
        ).order_by(m.BundleComponent.id)
    ):
        components[bundle].append((component, quantity))
    line_info = _order_line_info(p)
    sale_of_line: dict[tuple[int, int], int] = {}
    return_line_order_line = {
        line: order_line
        for line, order_line in session.execute(select(m.ReturnLine.id, m.ReturnLine.order_line_id))
    }

    engine = CostEngine(p.method, p.currency, components)
    movements: dict[int, _Movement] = {}
    costed: dict[int, list[CostedEvent]] = {}
    seen_variants: set[tuple[int, int | None]] = set()
    sv = m.StockMovement
    query = select(
        sv.id,
        sv.variant_id,
        sv.location_id,
        sv.kind,
        sv.quantity,
        sv.unit_cost,
        sv.currency,
        sv.moved_at,
        sv.order_line_id,
        sv.purchase_order_line_id,
        sv.return_line_id,
        sv.source_record_id,
    ).order_by(sv.moved_at, sv.id)
    for row in session.connection().execute(query):
        movement = _Movement(*row)  # type: ignore[call-arg]
        event = _stock_event(
            p, movement, landed, variant_cost, sale_of_line, return_line_order_line, seen_variants
        )
        seen_variants.add((movement.variant_id, movement.location_id))
        if event is None:
            continue
        movements[movement.id] = movement
        if event.kind == "sale" and movement.order_line_id is not None:
            sale_of_line.setdefault((movement.order_line_id, movement.variant_id), movement.id)
        costed[movement.id] = engine.apply(event)
        if any(c.provisional for c in costed[movement.id]):
            p.counts["provisional_costs"] += 1

    def order_line_of(movement: _Movement) -> int | None:
        if movement.order_line_id is None and movement.return_line_id is not None:
            return return_line_order_line.get(movement.return_line_id)
        return movement.order_line_id

    ids = list(costed)
    p.sync_bulk(
        "stock_movement",
        (
            _movement_chunk(
                p, [movements[i] for i in ids[start : start + CHUNK]], costed, line_info, order_line_of
            )
            for start in range(0, len(ids), CHUNK)
        ),
    )
    _write_layers(p, engine, movements)


_EVENT_CODES = {"receipt": 1, "opening": 2, "found": 3, "sale": 4, "return": 5, "write_off": 6}


def _movement_chunk(
    p: Posting,
    chunk: list[_Movement],
    costed: dict[int, list[CostedEvent]],
    line_info: dict[int, tuple[int, int, int | None]],
    order_line_of: Callable[[_Movement], int | None],
) -> BulkChunk:
    """Column-wise entries of costed movements: inventory against the other side of each event."""
    infos = [line_info.get(line) if (line := order_line_of(mv)) is not None else None for mv in chunk]
    owner: list[int] = []
    event_columns: list[tuple[int, int, int, int, int]] = []
    for position, movement in enumerate(chunk):
        for event in costed[movement.id]:
            owner.append(position)
            event_columns.append(
                (
                    _EVENT_CODES[event.kind],
                    event.variant,
                    event.quantity,
                    int(event.value * SCALE),
                    int(event.true_up * SCALE),
                )
            )
    event_of = np.array(owner, dtype=np.int64)
    code, variant, quantity, value, true_up = (
        np.array(c, dtype=np.int64) for c in zip(*event_columns, strict=True)
    )
    event_digest = np.zeros(len(chunk), dtype=np.uint64)
    np.add.at(event_digest, event_of, _digest(code, variant, quantity, value, true_up))
    order = np.array([-1 if info is None else info[0] for info in infos], dtype=np.int64)
    channel = np.array([-1 if info is None else info[1] for info in infos], dtype=np.int64)
    sold = np.array([-1 if info is None or info[2] is None else info[2] for info in infos], dtype=np.int64)
    digest = _digest(
        _text_codes([mv.kind for mv in chunk]),
        _ids([mv.variant_id for mv in chunk]),
        _instant_codes([mv.moved_at for mv in chunk]),
        _ids([mv.source_record_id for mv in chunk]),
        order,
        channel,
        sold,
        event_digest,
    )
    prints = _prints(f"s{RULES_VERSION}:", digest)

    def build(selected: np.ndarray) -> tuple[EntryColumns, list[EntryDraft]]:
        chosen = np.flatnonzero(selected)
        entry_of = np.full(len(chunk), -1, dtype=np.int64)
        entry_of[chosen] = np.arange(len(chosen))
        mine = entry_of[event_of] >= 0
        entry = entry_of[event_of[mine]]
        first_kind = {i: costed[chunk[i].id][0].kind for i in chosen.tolist()}
        other_codes = {kind: p.chart.code_id(other) for kind, (_entry_kind, other) in MOVEMENT_ENTRY.items()}
        other = np.array([other_codes[first_kind[i]] for i in event_of[mine].tolist()], dtype=np.int64)
        outbound = np.isin(code[mine], [_EVENT_CODES["sale"], _EVENT_CODES["write_off"]])
        signed = np.where(outbound, -value[mine], value[mine])
        orders = order[event_of[mine]]
        # COGS and returns carry the SKU that was sold (a bundle), inventory the one that moved.
        sold_of = sold[event_of[mine]]
        is_sale_side = np.isin(code[mine], [_EVENT_CODES["sale"], _EVENT_CODES["return"]]) & (sold_of >= 0)
        shown = np.where(is_sale_side, sold_of, variant[mine])
        inventory = p.chart.code_id(a.INVENTORY)
        pieces = _Pieces()
        pieces.add(entry, inventory, signed, orders, variant[mine])
        pieces.add(entry, other, -signed, orders, shown)
        pieces.add(entry, p.chart.code_id(a.COGS), true_up[mine], -1, variant[mine])
        pieces.add(entry, inventory, -true_up[mine], -1, variant[mine])
        kept, entry_index, account, units, posting_order, posting_variant = pieces.columns(len(chosen))
        rows = chosen[kept].tolist()
        columns = EntryColumns(
            cause="stock_movement",
            currency=p.currency,
            kind=[MOVEMENT_ENTRY[first_kind[i]][0] for i in rows],
            cause_id=[chunk[i].id for i in rows],
            occurred_at=[chunk[i].moved_at for i in rows],
            business_day=[p.days.day(chunk[i].moved_at) for i in rows],
            channel_id=[None if channel[i] < 0 else int(channel[i]) for i in rows],
            memo=[f"{chunk[i].kind} of {abs(chunk[i].quantity)} units" for i in rows],
            fingerprint=[prints[i] for i in rows],
            source_record_id=[chunk[i].source_record_id for i in rows],
            entry=entry_index,
            account_id=account,
            units=units,
            order_id=posting_order,
            variant_id=posting_variant,
        )
        return columns, []

    return [mv.id for mv in chunk], prints, build


def _stock_event(
    p: Posting,
    movement: _Movement,
    landed: dict[int, tuple[Decimal, int]],
    variant_cost: dict[int, Decimal | None],
    sale_of_line: dict[tuple[int, int], int],
    return_line_order_line: dict[int, int],
    seen_variants: set[tuple[int, int | None]],
) -> StockEvent | None:
    """Translate a movement into the cost engine's event; transfers and zero moves carry no value."""
    quantity = abs(movement.quantity)
    if quantity == 0 or movement.kind in {"transfer_in", "transfer_out"}:
        return None
    fallback = movement.unit_cost if movement.unit_cost is not None else variant_cost.get(movement.variant_id)
    key, variant = movement.id, movement.variant_id
    if movement.kind == "receipt" and movement.quantity > 0:
        line = landed.get(movement.purchase_order_line_id) if movement.purchase_order_line_id else None
        if line is not None:
            line_value, ordered = line
            value = round_money(line_value * quantity / ordered, p.currency)
        else:
            value = round_money(quantity * (fallback or Decimal(0)), p.currency)
        return StockEvent(key, variant, "receipt", quantity, value, None, fallback)
    if movement.kind == "sale" and movement.quantity < 0:
        return StockEvent(key, variant, "sale", quantity, None, None, fallback)
    if movement.kind == "return" and movement.quantity > 0:
        order_line = return_line_order_line.get(movement.return_line_id) if movement.return_line_id else None
        sale = sale_of_line.get((order_line, variant)) if order_line is not None else None
        return StockEvent(key, variant, "return", quantity, None, sale, fallback)
    if movement.quantity > 0:
        # Units counted in a SKU's first movement at a location are its opening balance there, at
        # the recorded cost (a store starts with stock in its warehouse and at FBA alike); units
        # found later are valued at the SKU's current cost.
        if (variant, movement.location_id) not in seen_variants:
            value = round_money(quantity * (fallback or Decimal(0)), p.currency)
            return StockEvent(key, variant, "opening", quantity, value, None, fallback)
        return StockEvent(key, variant, "found", quantity, None, None, fallback)
    return StockEvent(key, variant, "write_off", quantity, None, None, fallback)


def _landed_unit_values(p: Posting) -> dict[int, tuple[Decimal, int]]:
    """Return {purchase order line id: (landed value of the line in store currency, units ordered)}."""
    po, line = m.PurchaseOrder, m.PurchaseOrderLine
    lines_of: dict[int, list[tuple[int, int, Decimal]]] = defaultdict(list)
    for line_id, po_id, ordered, unit_cost in p.session.execute(
        select(line.id, line.purchase_order_id, line.quantity_ordered, line.unit_cost).order_by(line.id)
    ):
        lines_of[po_id].append((line_id, ordered, unit_cost))
    landed: dict[int, tuple[Decimal, int]] = {}
    for po_id, currency, freight, duty, rate in p.session.execute(
        select(po.id, po.currency, po.freight_cost, po.duty_cost, po.exchange_rate)
    ):
        lines = lines_of.get(po_id, [])
        if not lines:
            continue
        values = landed_line_values([(q, c) for _id, q, c in lines], freight, duty, currency)
        factor = rate if currency != p.currency and rate else Decimal(1)
        for (line_id, ordered, _cost), value in zip(lines, values, strict=True):
            if ordered > 0:
                landed[line_id] = (value * factor, ordered)
    return landed


def _order_line_info(p: Posting) -> dict[int, tuple[int, int, int | None]]:
    """Return {order line id: (order id, channel id, variant sold)} for lines stock moved for
    (sold, or returned through a return line)."""
    line, order = m.OrderLine, m.Order
    sold = select(m.StockMovement.order_line_id).where(m.StockMovement.order_line_id.is_not(None))
    returned = select(m.ReturnLine.order_line_id).join(
        m.StockMovement, m.StockMovement.return_line_id == m.ReturnLine.id
    )
    return {
        line_id: (order_id, channel_id, variant_id)
        for line_id, order_id, channel_id, variant_id in p.session.connection().execute(
            select(line.id, line.order_id, order.channel_id, line.variant_id)
            .join(order, order.id == line.order_id)
            .where(line.id.in_(sold) | line.id.in_(returned))
        )
    }


MOVEMENT_ENTRY = {
    "receipt": ("receipt", a.ACCOUNTS_PAYABLE),
    "opening": ("opening_balance", a.OPENING_BALANCE_EQUITY),
    "found": ("adjustment", a.INVENTORY_WRITE_OFFS),
    "sale": ("cogs", a.COGS),
    "return": ("return", a.COGS),
    "write_off": ("write_off", a.INVENTORY_WRITE_OFFS),
}
"""Engine event kind -> (entry kind, the account on the other side of inventory)."""


def _write_layers(p: Posting, engine: CostEngine, movements: dict[int, _Movement]) -> None:
    """Replace the cost_layer table with the engine's open layers and shortfalls."""
    session = p.session
    session.execute(delete(m.CostLayer))
    columns: dict[str, list[Any]] = defaultdict(list)
    last_movement: dict[int, int] = {}
    for key, movement in movements.items():
        last_movement[movement.variant_id] = max(key, last_movement.get(movement.variant_id, key))
    for variant in engine.variants():
        rows = [(layer.key, layer.quantity, layer.remaining, layer.value) for layer in engine.layers(variant)]
        short, short_value = engine.shortfall(variant)
        if short and variant in last_movement:
            rows.append((last_movement[variant], 0, -short, -short_value))
        for key, quantity, remaining, value in rows:
            opened = movements.get(key)
            if opened is None:
                continue
            columns["variant_id"].append(variant)
            columns["location_id"].append(opened.location_id)
            columns["opened_at"].append(opened.moved_at)
            columns["quantity"].append(quantity)
            columns["remaining"].append(remaining)
            columns["remaining_value"].append(value)
            columns["unit_cost"].append(round(value / remaining, 4) if remaining else Decimal(0))
            columns["currency"].append(p.currency)
            columns["purchase_order_line_id"].append(opened.purchase_order_line_id)
            columns["stock_movement_id"].append(key)
    if columns:
        connection = session.connection()
        count = len(columns["variant_id"])
        first = next_id(connection, m.CostLayer)
        columns["id"] = list(range(first, first + count))
        write_rows(connection, m.CostLayer, columns)
        reset_sequences(connection, [m.CostLayer])
    p.counts["cost_layers"] = len(columns["variant_id"]) if columns else 0


# -- the run --------------------------------------------------------------------------------------


def start(session: Session, convert: Converter | None = None, method: Method = "fifo") -> Posting:
    """Prepare a posting run: ensure the chart, read channels and payout sources."""
    settings = store_settings(session)
    chart = a.ensure_chart(session)
    if convert is None:
        convert = _store_converter(session, settings.currency)
    p = Posting(session, chart, settings.currency, LocalDays(settings.timezone), convert, method)
    for channel_id, code, name, kind in session.execute(
        select(m.Channel.id, m.Channel.code, m.Channel.name, m.Channel.kind)
    ):
        p.channel_names[channel_id] = (code, name)
        p.channel_kind[channel_id] = kind
        p.channel_provider[channel_id] = a.PROVIDER_OF_CHANNEL_KIND.get(kind, "other")
    # A channel is paid through the source most of its payouts come from, when it has payouts.
    usage = session.execute(
        select(m.Payout.channel_id, m.Payout.provider, func.count())
        .where(m.Payout.channel_id.is_not(None))
        .group_by(m.Payout.channel_id, m.Payout.provider)
        .order_by(m.Payout.channel_id, func.count().desc(), m.Payout.provider)
    ).all()
    decided: set[int] = set()
    for paid_channel, provider, _count in usage:
        if paid_channel is not None and paid_channel not in decided:
            p.channel_provider[paid_channel] = provider
            decided.add(paid_channel)
    p.amazon_ads_in_settlement = bool(
        session.scalar(
            select(func.count())
            .select_from(m.PayoutLine)
            .join(m.Payout, m.Payout.id == m.PayoutLine.payout_id)
            .where(
                m.Payout.provider == "amazon",
                m.PayoutLine.kind == "fee",
                func.lower(m.PayoutLine.fee_type).in_(sorted(a.ADVERTISING_FEE_TYPES)),
            )
        )
    )
    return p


def _expenses_available() -> bool:
    """Whether the owner's operating expenses exist in this build (they come with the reports)."""
    try:
        import sasame.finance.expenses  # noqa: F401
    except ImportError:
        return False
    return "operating_expense" in m.Base.metadata.tables


def _store_converter(session: Session, currency: str) -> Converter:
    """Return a converter over the rate table (payout rates first) when one exists."""
    try:
        from sasame.finance.fx import RateBook
    except ImportError:  # the rate table arrives with the finance reports; without it, one currency
        from sasame.finance.ledger import identity_converter

        return identity_converter(currency)
    book = RateBook.load(session, currency)
    return book.convert


def _match_foreign_deposits(p: Posting) -> None:
    """Match deposits to payouts first when some payout is in another currency than the store's:
    its entry posts what the bank really received (the reconciliation would match them anyway)."""
    foreign = p.session.scalar(
        select(m.Payout.id).where(m.Payout.status == "paid", m.Payout.currency != p.currency).limit(1)
    )
    if foreign is not None:
        from sasame.finance.reconcile import match_deposits

        match_deposits(p.session)


def post_everything(
    session: Session, now: datetime, *, method: Method = "fifo", convert: Converter | None = None
) -> dict[str, Any]:
    """Post every cause that is new or changed since the last run; return what happened."""
    # Reads below go through the connection (no ORM row loading), which does not autoflush.
    session.flush()
    p = start(session, convert, method)
    empty = session.scalar(select(m.JournalEntry.id).limit(1)) is None
    # A first run writes the whole history: building the ledger's indexes once afterwards is
    # several times faster than updating them row by row (later runs delete by them, so keep them).
    with deferred_indexes(session.connection(), [m.Posting] if empty else []):
        _post_all(p, now)
    summary: dict[str, Any] = dict(sorted(p.counts.items()))
    summary["waiting_for_exchange_rate"] = len(p.waiting)
    summary["method"] = method
    return summary


def _post_all(p: Posting, now: datetime) -> None:
    p.sync_bulk("order", _order_chunks(p))
    p.sync("refund", _refund_items(p))
    p.sync("chargeback", _chargeback_items(p))
    p.sync_bulk("payout_line", _payout_line_chunks(p))
    _match_foreign_deposits(p)
    p.sync("payout", _payout_items(p))
    p.sync_bulk("shipment", _shipment_chunks(p))
    p.sync("return", _return_label_items(p))
    p.sync("ad_spend_day", _ad_spend_items(p))
    if _expenses_available():
        _expense_entries(p, now)
    _stock_entries(p)
    p.flush()
