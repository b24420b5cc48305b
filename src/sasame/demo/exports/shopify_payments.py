"""The Shopify Payments transactions export (Admin → Finance → Payouts → Export transactions, CSV,
the 2025 16-column header), one file a month by transaction date (formats.md §1.3).

One row per charge, refund or chargeback: a charge's Amount is what the buyer paid (items after
discounts, shipping and tax) with the processing fee in `Fee`; a chargeback row carries its
chargeback fee in `Fee`; a won chargeback is a `chargeback_won` row. Every row names its payout by
`Payout Date` (the export has no payout id) and its order by `Order`. A payout whose transactions
cross a month's end is split between two files; the importer merges its lines by their own key.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from sasame import models as m
from sasame.connectors.shopify.payments import PROVIDER, TRANSACTION_COLUMNS
from sasame.demo.exports.common import Store, by_month, money_text, units

COLUMNS = tuple(
    column
    for column in TRANSACTION_COLUMNS
    if column not in ("Payout ID", "VAT", "Business Entity Name", "Business Entity ID")
)
"""The 2025 export's 16 columns: no Payout ID, VAT or business entity columns."""

CHARGE_PARTS = ("principal", "shipping", "tax")
"""A charge is the whole payment: the demo's principal, shipping and tax lines are one Amount."""
CARD_BRANDS = ("visa", "master", "american_express", "discover")


@dataclass
class _Transaction:
    """One row of the export: a demo order's lines of one payout at one instant, of one type."""

    type: str
    occurred_at: datetime
    order: str
    paid_on: date
    status: str
    order_id: int
    amount: int = 0
    fee: int = 0
    """Units charged (positive, as the export writes fees)."""


def transaction_part(kind: str, fee_type: str | None, amount: int) -> tuple[str, str]:
    """The export's row type of a demo payout line, and whether it is the row's Amount or Fee.

    Every kind the demo gives Shopify Payments payouts is expressible; anything else (a reserve,
    say, which the demo never holds on Shopify) fails loudly rather than being left out.
    """
    if kind in CHARGE_PARTS:
        return "charge", "amount"
    if kind == "fee" and fee_type == "processing":
        return "charge", "fee"
    if kind == "refund":
        return "refund", "amount"
    if kind == "chargeback":
        return ("chargeback" if amount < 0 else "chargeback_won"), "amount"
    if kind == "fee" and fee_type == "chargeback":
        # The export has no chargeback fee type: Shopify charges it in the chargeback row's Fee,
        # which the importer reads as a 'processing' fee.
        return "chargeback", "fee"
    raise ValueError(f"no Shopify Payments transaction type for a {kind!r} ({fee_type}) payout line")


def write_transactions(connection: Connection, store: Store, folder: Path) -> list[Path]:
    """Write the Shopify Payments payouts' transactions as one export per month; return the files."""
    line, payout, order = m.PayoutLine, m.Payout, m.Order
    rows = connection.execute(
        select(
            line.payout_id,
            line.kind,
            line.fee_type,
            line.occurred_at,
            units(line.amount).label("amount"),
            line.order_id,
            order.number,
            payout.paid_on,
            payout.status,
        )
        .join(payout, payout.id == line.payout_id)
        .outerjoin(order, order.id == line.order_id)
        .where(payout.provider == PROVIDER)
        .order_by(line.occurred_at, line.id)
    ).all()
    transactions: dict[tuple[Any, ...], _Transaction] = {}
    for row in rows:
        kind, part = transaction_part(row.kind, row.fee_type, int(row.amount))
        occurred_at = row.occurred_at
        key = (row.payout_id, row.order_id, occurred_at, kind)
        transaction = transactions.get(key)
        if transaction is None:
            transaction = transactions[key] = _Transaction(
                type=kind,
                occurred_at=occurred_at,
                order=row.number or "",
                paid_on=row.paid_on,
                status=row.status,
                order_id=row.order_id or 0,
            )
        if part == "amount":
            transaction.amount += int(row.amount)
        else:
            transaction.fee -= int(row.amount)
    tz = store.timezone

    def local(instant: datetime) -> str:
        return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %z")

    paths = []
    months = by_month(transactions.values(), lambda t: t.occurred_at.astimezone(tz).date())
    for month, chosen in months.items():
        path = folder / f"payment_transactions_export_{month}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(COLUMNS)
            writer.writerows(_row(t, store, local) for t in chosen)
        paths.append(path)
    return paths


def _row(transaction: _Transaction, store: Store, local: Callable[[datetime], str]) -> list[str]:
    card = transaction.type in ("charge", "refund")
    day = transaction.paid_on.isoformat()
    return [
        local(transaction.occurred_at),
        transaction.type,
        transaction.order,
        CARD_BRANDS[transaction.order_id % len(CARD_BRANDS)] if card else "",
        "online" if card else "",
        transaction.status.replace("_", " "),
        day,
        day,
        money_text(transaction.amount),
        money_text(transaction.fee),
        money_text(transaction.amount - transaction.fee),
        f"#{30_000_000 + transaction.order_id}" if card else "",
        "card" if card else "",
        money_text(abs(transaction.amount)) if card else "",
        store.currency if card else "",
        store.currency,
    ]
