"""Reads for the finance reports: drill-down from a P&L figure to its postings and source rows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.business.service import store_settings
from sasame.core.errors import UserError
from sasame.core.money import round_money
from sasame.finance.pnl import FULFILMENT_LINES, LINES, REVENUE_LINES
from sasame.ingest.bulk import table_of
from sasame.models.base import Amount

FIGURE_LINES: dict[str, tuple[str, ...]] = {
    **{line: (line,) for line in LINES},
    "net_revenue": REVENUE_LINES,
    "gross_margin": (*REVENUE_LINES, "cogs"),
    "contribution_after_fulfilment": (*REVENUE_LINES, "cogs", *FULFILMENT_LINES),
    "contribution_after_marketing": (*REVENUE_LINES, "cogs", *FULFILMENT_LINES, "advertising"),
    "net_operating_income": (*REVENUE_LINES, "cogs", *FULFILMENT_LINES, "advertising", "operating_expenses"),
    "net_income": LINES,
}
"""The P&L lines a figure (a line or a subtotal) sums."""


@dataclass(frozen=True)
class DrillFilter:
    """Which postings a figure is made of."""

    figure: str
    first: date
    last_exclusive: date
    channel_id: int | None = None
    variant_id: int | None = None
    product_id: int | None = None
    unassigned: bool = False
    """Only postings without the dimension (channel or SKU) the report was grouped by."""
    dimension: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        if self.figure not in FIGURE_LINES:
            raise UserError(f"figure: {self.figure!r} is not a P&L figure")
        if self.last_exclusive <= self.first:
            raise UserError("the range of days is empty")
        lines = FIGURE_LINES[self.figure]
        conditions: list[ColumnElement[bool]] = [
            m.Posting.business_day >= self.first,
            m.Posting.business_day < self.last_exclusive,
            m.LedgerAccount.pnl_line.in_(lines),
        ]
        if self.unassigned and self.dimension == "channel":
            conditions.append(m.Posting.channel_id.is_(None))
        elif self.unassigned and self.dimension in ("sku", "product"):
            conditions.append(m.Posting.variant_id.is_(None))
        if self.channel_id is not None:
            conditions.append(m.Posting.channel_id == self.channel_id)
        if self.variant_id is not None:
            conditions.append(m.Posting.variant_id == self.variant_id)
        if self.product_id is not None:
            conditions.append(
                m.Posting.variant_id.in_(select(m.Variant.id).where(m.Variant.product_id == self.product_id))
            )
        return conditions


@dataclass(frozen=True)
class PostingRow:
    posting_id: int
    business_day: date
    account_code: str
    account_name: str
    pnl_line: str | None
    amount: Decimal
    currency: str
    store_amount: Decimal
    entry_id: int
    entry_kind: str
    cause: str
    cause_id: int
    memo: str | None
    order_id: int | None
    order_number: str | None
    sku: str | None
    channel: str | None
    source_record_id: int | None

    def as_json(self) -> dict[str, Any]:
        return {
            **{key: value for key, value in self.__dict__.items() if not isinstance(value, (Decimal, date))},
            "business_day": self.business_day.isoformat(),
            "amount": str(self.amount),
            "store_amount": str(self.store_amount),
            "profit_effect": str(-self.store_amount),
        }


@dataclass(frozen=True)
class Drill:
    filter: DrillFilter
    total_profit_effect: Decimal
    posting_count: int
    postings: list[PostingRow]

    def as_json(self) -> dict[str, Any]:
        return {
            "figure": self.filter.figure,
            "from": self.filter.first.isoformat(),
            "last_exclusive": self.filter.last_exclusive.isoformat(),
            "total": str(self.total_profit_effect),
            "postings": self.posting_count,
            "shown": [row.as_json() for row in self.postings],
        }


def drill_down(session: Session, wanted: DrillFilter, *, limit: int = 200, offset: int = 0) -> Drill:
    """Return the postings behind a figure (largest first) with their entry and what caused it."""
    conditions = wanted.conditions()
    total, count = session.execute(
        select(func.sum(m.Posting.store_amount, type_=Amount), func.count())
        .join(m.LedgerAccount, m.LedgerAccount.id == m.Posting.account_id)
        .where(*conditions)
    ).one()
    rows = session.execute(
        select(
            m.Posting.id,
            m.Posting.business_day,
            m.LedgerAccount.code,
            m.LedgerAccount.name,
            m.LedgerAccount.pnl_line,
            m.Posting.amount,
            m.Posting.currency,
            m.Posting.store_amount,
            m.JournalEntry.id,
            m.JournalEntry.kind,
            m.JournalEntry.cause,
            m.JournalEntry.cause_id,
            m.JournalEntry.memo,
            m.Posting.order_id,
            m.Order.number,
            m.Variant.sku,
            m.Channel.name,
            m.JournalEntry.source_record_id,
        )
        .join(m.LedgerAccount, m.LedgerAccount.id == m.Posting.account_id)
        .join(m.JournalEntry, m.JournalEntry.id == m.Posting.entry_id)
        .outerjoin(m.Order, m.Order.id == m.Posting.order_id)
        .outerjoin(m.Variant, m.Variant.id == m.Posting.variant_id)
        .outerjoin(m.Channel, m.Channel.id == m.Posting.channel_id)
        .where(*conditions)
        .order_by(func.abs(m.Posting.store_amount).desc(), m.Posting.id)
        .limit(limit)
        .offset(offset)
    ).all()
    currency = store_settings(session).currency
    return Drill(
        wanted,
        round_money(-(total or Decimal(0)), currency),
        int(count),
        [PostingRow(*tuple(row)) for row in rows],
    )


@dataclass(frozen=True)
class EntryDetail:
    entry: m.JournalEntry
    postings: list[tuple[m.Posting, m.LedgerAccount]]
    source: m.SourceRecord | None
    source_file: m.SourceFile | None
    cause_row: dict[str, Any] | None


CAUSE_TABLES = {
    "order": m.Order,
    "refund": m.Refund,
    "return": m.Return,
    "chargeback": m.Chargeback,
    "payout": m.Payout,
    "payout_line": m.PayoutLine,
    "ad_spend_day": m.AdSpendDay,
    "stock_movement": m.StockMovement,
    "purchase_order": m.PurchaseOrder,
    "shipment": m.Shipment,
    "operating_expense": m.OperatingExpense,
}


def entry_detail(session: Session, entry_id: int) -> EntryDetail:
    """Return a journal entry, all its postings, the row that caused it and that row's raw source."""
    entry = session.get(m.JournalEntry, entry_id)
    if entry is None:
        raise UserError(f"journal entry {entry_id} does not exist")
    postings = [
        (row[0], row[1])
        for row in session.execute(
            select(m.Posting, m.LedgerAccount)
            .join(m.LedgerAccount, m.LedgerAccount.id == m.Posting.account_id)
            .where(m.Posting.entry_id == entry_id)
            .order_by(m.Posting.id)
        )
    ]
    cause_row = None
    source_id = entry.source_record_id
    table = CAUSE_TABLES.get(entry.cause)
    if table is not None:
        row = session.get(table, entry.cause_id)
        if row is not None:
            cause_row = {column.key: _plain(getattr(row, column.key)) for column in table_of(table).columns}
            source_id = source_id or cause_row.get("source_record_id")
    source = session.get(m.SourceRecord, source_id) if source_id else None
    source_file = (
        session.get(m.SourceFile, source.source_file_id) if source and source.source_file_id else None
    )
    return EntryDetail(entry, postings, source, source_file, cause_row)


def _plain(value: Any) -> Any:
    if isinstance(value, (Decimal, date)):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    return value


def pnl_by_channel_line_day(session: Session) -> dict[tuple[str, str, date], Decimal]:
    """Every P&L line's total per channel code and business day, straight from the postings (not the
    rollup), signed as its effect on profit; postings without a channel count as "unassigned".
    This is what the demo's ground truth is checked against."""
    codes: dict[int | None, str] = {
        channel_id: code for channel_id, code in session.execute(select(m.Channel.id, m.Channel.code))
    }
    cells: dict[tuple[str, str, date], Decimal] = defaultdict(Decimal)
    for day, channel_id, line, amount in session.execute(
        select(
            m.Posting.business_day,
            m.Posting.channel_id,
            m.LedgerAccount.pnl_line,
            func.sum(m.Posting.store_amount, type_=Amount),
        )
        .join(m.LedgerAccount, m.LedgerAccount.id == m.Posting.account_id)
        .where(m.LedgerAccount.pnl_line.is_not(None))
        .group_by(m.Posting.business_day, m.Posting.channel_id, m.LedgerAccount.pnl_line)
    ):
        cells[(codes.get(channel_id, "unassigned"), str(line), day)] -= amount
    return dict(cells)
