"""Balanced journal entries: the one builder and the one writer of the ledger tables.

An entry is built with `EntryDraft.add` (signed: debit positive, credit negative); every amount is
rounded to its currency's minor unit as it is added (a posting is a named rounding point), and
`write_entries` refuses, before writing anything, a draft whose postings do not sum to zero per
currency, or whose store-currency amounts do not sum to zero. A leg may carry an explicit
store-currency amount (a deposit's bank leg is what the bank really received, not a conversion);
that is how a payout in another currency posts its FX gain or loss and still balances twice.
Nothing else in sasame inserts into ``journal_entry`` or ``posting``, so an unbalanced
entry cannot exist.

Writes are set-wise (`sasame.ingest.bulk.write_rows`: executemany on SQLite, COPY on
PostgreSQL) so posting a store of a million orders does not build an ORM object per posting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.core.errors import UserError
from sasame.core.money import SCALE, minor_units
from sasame.ingest.bulk import next_id, reset_sequences, write_rows

Converter = Callable[[Decimal, str, date], Decimal]
"""Converts an amount in a currency on a business day into the store currency (rounded)."""

_QUANTUM: dict[str, Decimal] = {}
"""The minor unit of each currency seen, e.g. Decimal('0.01') for USD: posting rounds to it."""

DELETE_CHUNK = 900
"""Ids per DELETE ... IN (...): below SQLite's default limit of host parameters."""


class UnbalancedEntryError(ValueError):
    """A journal entry whose postings do not sum to zero: a bug in the code that built it."""


class EntryDraft:
    """A journal entry being built: its header and signed postings (debit +, credit -)."""

    __slots__ = (
        "business_day",
        "cause",
        "cause_id",
        "channel_id",
        "currency",
        "fingerprint",
        "fixed_store",
        "is_mixed",
        "kind",
        "lines",
        "memo",
        "occurred_at",
        "source_record_id",
    )

    def __init__(
        self,
        kind: str,
        *,
        occurred_at: datetime,
        business_day: date,
        cause: str,
        cause_id: int,
        currency: str,
        memo: str | None = None,
        channel_id: int | None = None,
        source_record_id: int | None = None,
        fingerprint: str | None = None,
    ) -> None:
        self.kind = kind
        self.occurred_at = occurred_at
        self.business_day = business_day
        self.cause = cause
        self.cause_id = cause_id
        self.currency = currency
        self.memo = memo
        self.channel_id = channel_id
        self.source_record_id = source_record_id
        self.fingerprint = fingerprint
        self.is_mixed = False
        """Whether a posting is in another currency than the entry's."""
        self.lines: list[tuple[int, Decimal, str, int | None, int | None]] = []
        """(account_id, signed amount, currency, order_id, variant_id)."""
        self.fixed_store: dict[int, Decimal] = {}
        """Line index -> its explicit store-currency amount (not converted by the writer)."""

    def add(
        self,
        account_id: int,
        amount: Decimal,
        *,
        order_id: int | None = None,
        variant_id: int | None = None,
        currency: str | None = None,
        store_amount: Decimal | None = None,
    ) -> None:
        """Post a signed amount (debit positive) rounded to the currency's minor unit; zero is skipped.

        ``store_amount`` (already rounded to the store currency's minor unit) fixes the leg's value
        in the store currency instead of converting it; a leg with a zero amount and a non-zero
        store amount exists only in the store currency (an FX gain or loss).
        """
        code = currency or self.currency
        if code != self.currency:
            self.is_mixed = True
        quantum = _QUANTUM.get(code)
        if quantum is None:
            quantum = _QUANTUM[code] = Decimal(1).scaleb(-minor_units(code))
        rounded = amount.quantize(quantum, rounding=ROUND_HALF_UP)
        if rounded or store_amount:
            if store_amount is not None:
                self.fixed_store[len(self.lines)] = store_amount
            self.lines.append((account_id, rounded, code, order_id, variant_id))

    def balance_to(
        self, account_id: int, *, order_id: int | None = None, variant_id: int | None = None
    ) -> Decimal:
        """Post whatever makes the entry's currency sum to zero to one account; return that amount."""
        rest = -sum((line[1] for line in self.lines if line[2] == self.currency), Decimal(0))
        self.add(account_id, rest, order_id=order_id, variant_id=variant_id)
        return rest

    def imbalance(self) -> dict[str, Decimal]:
        """Return the non-zero sums per currency (an empty dict for a balanced entry)."""
        sums: dict[str, Decimal] = {}
        for _account, amount, code, _order, _variant in self.lines:
            sums[code] = sums.get(code, Decimal(0)) + amount
        return {code: total for code, total in sums.items() if total}

    def check(self) -> None:
        """Raise UnbalancedEntryError unless the postings sum to zero per currency (and, when every
        leg has an explicit store amount, in the store currency too)."""
        off = self.imbalance()
        if off:
            raise UnbalancedEntryError(
                f"{self.kind} entry for {self.cause} {self.cause_id} does not balance: "
                + ", ".join(f"{total} {code}" for code, total in sorted(off.items()))
            )
        if self.fixed_store and len(self.fixed_store) == len(self.lines):
            self.check_store(list(self.fixed_store.values()))

    def check_store(self, store_amounts: Sequence[Decimal]) -> None:
        """Raise UnbalancedEntryError unless the legs' store-currency amounts sum to zero."""
        off = sum(store_amounts, Decimal(0))
        if off:
            raise UnbalancedEntryError(
                f"{self.kind} entry for {self.cause} {self.cause_id} does not balance "
                f"in the store currency: {off}"
            )


def identity_converter(store_currency: str) -> Converter:
    """Return a converter for a store whose amounts are all in its own currency."""

    def convert(amount: Decimal, currency: str, day: date) -> Decimal:
        if currency != store_currency:
            raise UserError(f"no exchange rate {currency}->{store_currency} on or before {day.isoformat()}")
        return amount

    return convert


def store_amounts(draft: EntryDraft, convert: Converter, store_currency: str) -> list[Decimal]:
    """Convert each posting to the store currency; the largest converted one absorbs the rounding
    so the entry balances in the store currency too (store-currency postings and legs with an
    explicit store amount are never changed; an entry with nothing to absorb it is refused)."""
    fixed, day = draft.fixed_store, draft.business_day
    if draft.currency == store_currency and not draft.is_mixed and not fixed:
        return [line[1] for line in draft.lines]
    converted = [
        fixed[i] if i in fixed else amount if code == store_currency else convert(amount, code, day)
        for i, (_a, amount, code, _o, _v) in enumerate(draft.lines)
    ]
    off = sum(converted, Decimal(0))
    if off:
        foreign = [i for i, line in enumerate(draft.lines) if line[2] != store_currency and i not in fixed]
        if not foreign:
            draft.check_store(converted)
        largest = max(foreign, key=lambda i: abs(converted[i]))
        converted[largest] -= off
    return converted


def write_entries(
    session: Session, drafts: Sequence[EntryDraft], convert: Converter, store_currency: str
) -> tuple[int, int, list[EntryDraft]]:
    """Check and insert drafts with their postings; return (entries, postings, drafts without a rate).

    Every draft is checked before anything is written, so one unbalanced draft leaves the
    database unchanged (and is a bug: the exception names it). A draft whose amounts cannot be
    converted to the store currency yet (no exchange rate) is not written and is returned.
    """
    for draft in drafts:
        if not draft.lines:
            raise UnbalancedEntryError(
                f"{draft.kind} entry for {draft.cause} {draft.cause_id} has no postings"
            )
        draft.check()
    session.flush()
    connection = session.connection()
    ready: list[tuple[EntryDraft, list[Decimal]]] = []
    waiting: list[EntryDraft] = []
    for draft in drafts:
        try:
            ready.append((draft, store_amounts(draft, convert, store_currency)))
        except UserError:
            waiting.append(draft)
    if not ready:
        return 0, 0, waiting
    first_entry = next_id(connection, m.JournalEntry)
    first_posting = next_id(connection, m.Posting)
    entries = [
        (
            first_entry + offset,
            draft.kind,
            draft.occurred_at,
            draft.business_day,
            draft.cause,
            draft.cause_id,
            draft.memo,
            draft.currency,
            draft.channel_id,
            draft.fingerprint,
            draft.source_record_id,
        )
        for offset, (draft, _converted) in enumerate(ready)
    ]
    postings: list[tuple[object, ...]] = []
    append = postings.append
    for offset, (draft, converted) in enumerate(ready):
        entry_id = first_entry + offset
        day = draft.business_day.isoformat()
        channel_id = draft.channel_id
        for (account_id, amount, code, order_id, variant_id), store_amount in zip(
            draft.lines, converted, strict=True
        ):
            # Amounts are rounded to at most four places: whole stored units, sent as integers.
            append(
                (
                    entry_id,
                    account_id,
                    int(amount * SCALE),
                    code,
                    int(store_amount * SCALE),
                    day,
                    channel_id,
                    order_id,
                    variant_id,
                )
            )
    entry_names = (
        "id",
        "kind",
        "occurred_at",
        "business_day",
        "cause",
        "cause_id",
        "memo",
        "currency",
        "channel_id",
        "fingerprint",
        "source_record_id",
    )
    posting_names = (
        "entry_id",
        "account_id",
        "amount",
        "currency",
        "store_amount",
        "business_day",
        "channel_id",
        "order_id",
        "variant_id",
    )
    entry_columns = dict(zip(entry_names, zip(*entries, strict=True), strict=True))
    posting_columns: dict[str, Any] = dict(zip(posting_names, zip(*postings, strict=True), strict=True))
    posting_columns["id"] = np.arange(first_posting, first_posting + len(postings), dtype=np.int64)
    posting_columns["amount"] = np.array(posting_columns["amount"], dtype=np.int64)
    posting_columns["store_amount"] = np.array(posting_columns["store_amount"], dtype=np.int64)
    write_rows(connection, m.JournalEntry, entry_columns)
    written = write_rows(connection, m.Posting, posting_columns)
    reset_sequences(connection, [m.JournalEntry, m.Posting])
    return len(ready), written, waiting


def delete_entries(session: Session, entry_ids: Iterable[int]) -> int:
    """Delete entries and their postings (to re-post a cause that changed); return the count."""
    ids = sorted(set(entry_ids))
    for start in range(0, len(ids), DELETE_CHUNK):
        chunk = ids[start : start + DELETE_CHUNK]
        session.execute(delete(m.Posting).where(m.Posting.entry_id.in_(chunk)))
        session.execute(delete(m.JournalEntry).where(m.JournalEntry.id.in_(chunk)))
    return len(ids)


def posted_fingerprints(
    session: Session, cause: str, kinds: Iterable[str] | None = None
) -> dict[tuple[int, str], tuple[int, str | None]]:
    """Return {(cause_id, kind): (entry id, fingerprint)} of the entries a cause already has."""
    query = select(
        m.JournalEntry.cause_id, m.JournalEntry.kind, m.JournalEntry.id, m.JournalEntry.fingerprint
    ).where(m.JournalEntry.cause == cause)
    if kinds is not None:
        query = query.where(m.JournalEntry.kind.in_(list(kinds)))
    return {
        (cause_id, kind): (entry_id, print_) for cause_id, kind, entry_id, print_ in session.execute(query)
    }


class EntryColumns:
    """Many entries of one cause in the store currency, column-wise, for the vectorised writer.

    Entries are rows ``0..n-1``; postings point at their entry by index (``entry``, ascending) and
    carry integer stored units (1/10,000) already rounded to the currency's minor unit.
    """

    def __init__(
        self,
        *,
        cause: str,
        currency: str,
        kind: Sequence[str],
        cause_id: Sequence[int],
        occurred_at: Sequence[datetime],
        business_day: Sequence[date],
        channel_id: Sequence[int | None],
        memo: Sequence[str | None],
        fingerprint: Sequence[str],
        source_record_id: Sequence[int | None],
        entry: np.ndarray,
        account_id: np.ndarray,
        units: np.ndarray,
        order_id: np.ndarray,
        variant_id: np.ndarray,
    ) -> None:
        self.cause, self.currency = cause, currency
        self.kind, self.cause_id, self.occurred_at = kind, cause_id, occurred_at
        self.business_day, self.channel_id, self.memo = business_day, channel_id, memo
        self.fingerprint, self.source_record_id = fingerprint, source_record_id
        self.entry, self.account_id, self.units = entry, account_id, units
        self.order_id = order_id
        """-1 where a posting has no order."""
        self.variant_id = variant_id
        """-1 where a posting has no SKU."""

    def __len__(self) -> int:
        return len(self.cause_id)

    def check(self) -> None:
        """Raise UnbalancedEntryError unless every entry has postings that sum to zero."""
        count = len(self)
        if count == 0:
            return
        if len(self.entry) == 0 or np.any(np.diff(self.entry) < 0):
            raise UnbalancedEntryError(f"{self.cause} entries: postings are missing or out of order")
        starts = np.searchsorted(self.entry, np.arange(count))
        present = np.zeros(count, dtype=bool)
        present[self.entry] = True
        if not present.all():
            missing = int(np.flatnonzero(~present)[0])
            raise UnbalancedEntryError(
                f"{self.kind[missing]} entry for {self.cause} {self.cause_id[missing]} has no postings"
            )
        sums = np.add.reduceat(self.units.astype(np.int64), starts)
        if sums.any():
            bad = int(np.flatnonzero(sums)[0])
            raise UnbalancedEntryError(
                f"{self.kind[bad]} entry for {self.cause} {self.cause_id[bad]} does not balance: "
                f"{Decimal(int(sums[bad])) / SCALE} {self.currency}"
            )


def write_entry_columns(session: Session, columns: EntryColumns, store_currency: str) -> tuple[int, int]:
    """Check and insert column-wise entries in the store currency; return (entries, postings)."""
    if columns.currency != store_currency:
        raise ValueError(f"column-wise entries must be in the store currency {store_currency}")
    columns.check()
    count = len(columns)
    if count == 0:
        return 0, 0
    session.flush()
    connection = session.connection()
    first_entry = next_id(connection, m.JournalEntry)
    first_posting = next_id(connection, m.Posting)
    entry_ids = np.arange(first_entry, first_entry + count, dtype=np.int64)
    days = np.array([day.isoformat() for day in columns.business_day], dtype=object)
    channels = np.array([-1 if c is None else c for c in columns.channel_id], dtype=np.int64)
    write_rows(
        connection,
        m.JournalEntry,
        {
            "id": entry_ids,
            "kind": columns.kind,
            "occurred_at": columns.occurred_at,
            "business_day": days,
            "cause": [columns.cause] * count,
            "cause_id": columns.cause_id,
            "memo": columns.memo,
            "currency": [columns.currency] * count,
            "channel_id": np.ma.masked_array(channels, mask=channels < 0),
            "fingerprint": columns.fingerprint,
            "source_record_id": columns.source_record_id,
        },
    )
    postings = len(columns.entry)
    posting_channels = channels[columns.entry]
    written = write_rows(
        connection,
        m.Posting,
        {
            "id": np.arange(first_posting, first_posting + postings, dtype=np.int64),
            "entry_id": entry_ids[columns.entry],
            "account_id": columns.account_id.astype(np.int64),
            "amount": columns.units.astype(np.int64),
            "currency": [columns.currency] * postings,
            "store_amount": columns.units.astype(np.int64),
            "business_day": days[columns.entry],
            "channel_id": np.ma.masked_array(posting_channels, mask=posting_channels < 0),
            "order_id": np.ma.masked_array(columns.order_id, mask=columns.order_id < 0),
            "variant_id": np.ma.masked_array(columns.variant_id, mask=columns.variant_id < 0),
        },
    )
    reset_sequences(connection, [m.JournalEntry, m.Posting])
    return count, written


def round_units(units: np.ndarray, currency: str) -> np.ndarray:
    """Round integer stored units to the currency's minor unit, half away from zero (ROUND_HALF_UP)."""
    quantum = 10 ** (4 - minor_units(currency))
    if quantum <= 1:
        return units.astype(np.int64)
    values = units.astype(np.int64)
    return np.sign(values) * ((np.abs(values) + quantum // 2) // quantum) * quantum
