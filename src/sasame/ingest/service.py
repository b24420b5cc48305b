"""Import use cases: detect a file's format from its content, parse it, and upsert it in the caller's
transaction, so that a file with an error changes nothing."""

from __future__ import annotations

import gc
import hashlib
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DataError, StatementError
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.business.service import store_settings
from sasame.connectors import REGISTRY, FileFormat
from sasame.connectors.bank.mappings import use_saved_mappings
from sasame.connectors.base import ParseContext
from sasame.connectors.files import SourceFile
from sasame.connectors.records import (
    AdSpendRecord,
    BankTransactionRecord,
    EmailPerformanceRecord,
    OrderColumns,
    OrderRecord,
    PayoutRecord,
    ProductRecord,
    Record,
    RefundRecord,
    ShipmentRecord,
    StockLevelRecord,
)
from sasame.core.clock import zone
from sasame.core.errors import InputError, UserError
from sasame.core.money import SCALE, round_money
from sasame.ingest.upsert import Upserter, upsert_stock_levels


@dataclass
class ImportSummary:
    file: str
    format: str
    rows_read: int
    records: dict[str, dict[str, int]]
    money: dict[str, dict[str, Decimal]]
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "rows_read": self.rows_read,
            "records": self.records,
            "money": {
                label: {currency: str(amount) for currency, amount in totals.items()}
                for label, totals in self.money.items()
            },
            "warnings": self.warnings,
        }


def formats_by_name() -> dict[str, FileFormat]:
    return {file_format.name: file_format for file_format in REGISTRY}


def detect_format(file: SourceFile) -> FileFormat:
    """The one registered format whose detector recognises the content; never guessed from the name."""
    matches = [file_format for file_format in REGISTRY if file_format.detect(file)]
    if not matches:
        raise InputError(
            "is not a format sasame recognises (`sasame import --formats` lists those it does)",
            file=file.name,
        )
    if len(matches) > 1:
        names = ", ".join(f.name for f in matches)
        raise InputError(f"matches several formats ({names}); choose one with --format", file=file.name)
    return matches[0]


def import_file(
    session: Session, path: Path, *, now: datetime, format_name: str | None = None
) -> ImportSummary:
    """Import one file in the caller's transaction; any error leaves the caller to roll back everything."""
    with paused_garbage_collector():
        return _import_file(session, path, now=now, format_name=format_name)


@contextmanager
def paused_garbage_collector() -> Iterator[None]:
    """Pause the cyclic garbage collector for one import.

    A big export becomes millions of short-lived acyclic objects (cells, records, column values);
    every few thousand allocations the collector would walk all of them again, which on a 300k-row
    file costs more than the parse and the writes together. Reference counting still frees them;
    the collector resumes (as it was) when the import ends, successfully or not.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _import_file(session: Session, path: Path, *, now: datetime, format_name: str | None) -> ImportSummary:
    file = SourceFile.read(path)
    use_saved_mappings(session)  # bank CSV layouts the owner saved are detected like presets
    if format_name:
        known = formats_by_name()
        if format_name not in known:
            raise UserError(f"--format: unknown format {format_name!r}; known: {', '.join(sorted(known))}")
        file_format = known[format_name]
    else:
        file_format = detect_format(file)
    settings = store_settings(session)
    context = ParseContext(timezone=zone(settings.timezone), currency=settings.currency, now=now)
    try:
        # The file's digest and compressed copy are worked out on another core while it is parsed
        # (hashlib and zlib release the GIL): the same values, a second less on a 100 MB export.
        with refusals_as_input_errors(file.name), ThreadPoolExecutor(max_workers=1) as pool:
            packed = pool.submit(_pack, file.data)

            def start() -> Upserter:
                digest, content = packed.result()
                source_file = _keep_file(session, file, file_format.name, now, digest, content)
                return Upserter(session, now=now, timezone=context.timezone, source_file=source_file)

            # Orders none of which is stored yet go in as columns when the format can read the file
            # that way; a file it cannot, or one naming a stored order, goes through the records.
            trial = ParseContext(timezone=context.timezone, currency=context.currency, now=now)
            columns = file_format.order_columns(file, trial)
            upserter = None
            if columns is not None:
                upserter = start()
                if not upserter.new_orders(columns):
                    columns = None
            if columns is not None:
                context, totals = trial, column_money_totals(columns)
            else:
                records = list(file_format.parse(file, context))
                upserter = upserter or start()
                write(upserter, records)
                totals = money_totals(records)
            assert upserter is not None
    except InputError as error:
        if error.file is None:  # errors found while writing know the row, not the file
            raise InputError(error.reason, file=file.name, row=error.row, column=error.column) from error
        raise
    return ImportSummary(
        file=file.name,
        format=file_format.name,
        rows_read=context.rows_read,
        records=upserter.outcome.as_json(),
        money=totals,
        warnings=[*context.warnings, *upserter.warnings],
    )


@contextmanager
def refusals_as_input_errors(name: str) -> Iterator[None]:
    """The net for a value no parser thought to bound: the database's refusal to store it becomes
    the one-line error naming the file (or payload), and the caller's transaction rolls back."""
    try:
        yield
    except DataError as error:  # PostgreSQL: out of range, too long
        reason = str(error.orig).splitlines()[0] if error.orig else "a value does not fit"
        raise InputError(f"holds a value the database cannot store ({reason})", file=name) from error
    except StatementError as error:
        if not isinstance(error.orig, ArithmeticError):
            raise
        # An amount too long to store in 1/10,000ths (the Amount type's conversion refused it).
        raise InputError("holds an amount too large for the database to store", file=name) from error
    except OverflowError as error:
        # SQLite's driver refuses an integer beyond 64 bits while binding it.
        reason = f"holds a number too large for the database to store ({error})"
        raise InputError(reason, file=name) from error


def write(upserter: Upserter, records: Iterable[Record]) -> None:
    """Upsert records by kind in dependency order: products and orders before what refers to them."""
    grouped: dict[type, list[Any]] = defaultdict(list)
    for record in records:
        grouped[type(record)].append(record)
    # A kind the file does not hold is skipped: its look-ups would read the store for nothing.
    for kind, upsert in (
        (ProductRecord, upserter.products),
        (StockLevelRecord, lambda levels: upsert_stock_levels(upserter, levels)),
        (OrderRecord, upserter.orders),
        (RefundRecord, upserter.refunds),
        (ShipmentRecord, upserter.shipments),
        (PayoutRecord, upserter.payouts),
        (BankTransactionRecord, upserter.bank_transactions),
        (AdSpendRecord, upserter.ad_spend),
        (EmailPerformanceRecord, upserter.email_performance),
    ):
        if grouped.get(kind):
            upsert(grouped[kind])


def money_totals(records: Iterable[Record]) -> dict[str, dict[str, Decimal]]:
    """Totals per currency of the money a file carries, for the user to check against the platform."""
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for record in records:
        match record:
            case OrderRecord():
                totals["order_total"][record.currency] += record.total
            case PayoutRecord():
                totals["payouts"][record.currency] += record.amount
            case RefundRecord():
                totals["refunds"][record.currency] += record.amount
            case BankTransactionRecord():
                totals["bank"][record.currency] += record.amount
            case AdSpendRecord():
                totals["ad_spend"][record.currency] += record.spend
            case EmailPerformanceRecord():
                totals["email_revenue"][record.currency] += record.revenue
    return {
        label: {currency: round_money(amount, currency) for currency, amount in sorted(by_currency.items())}
        for label, by_currency in sorted(totals.items())
    }


def column_money_totals(columns: OrderColumns) -> dict[str, dict[str, Decimal]]:
    """money_totals of orders given as columns: their totals (stored units) per currency."""
    currencies, totals = columns.orders["currency"], columns.orders["total"]
    # Python integers: a sum of 64-bit units could overflow numpy's.
    by_currency = {
        currency: sum(totals[currencies == currency].tolist()) for currency in set(currencies.tolist())
    }
    if not by_currency:
        return {}
    return {
        "order_total": {
            currency: round_money(Decimal(units) / SCALE, currency)
            for currency, units in sorted(by_currency.items())
        }
    }


def _pack(data: bytes) -> tuple[str, bytes]:
    """A file's sha256 digest and its compressed copy. Level 1: several times faster than the
    default on a 100 MB export, and still a few times smaller than the file (CSV compresses well
    at any level)."""
    return hashlib.sha256(data).hexdigest(), zlib.compress(data, 1)


def _keep_file(
    session: Session, file: SourceFile, format_name: str, now: datetime, digest: str, content: bytes
) -> m.SourceFile:
    kept = session.scalar(select(m.SourceFile).where(m.SourceFile.digest == digest))
    if kept is None:
        kept = m.SourceFile(
            name=Path(file.name).name,
            format=format_name,
            digest=digest,
            size_bytes=len(file.data),
            content=content,
            imported_at=now,
        )
        session.add(kept)
        session.flush()
    return kept
