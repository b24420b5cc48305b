"""Stripe API objects (payouts, balance transactions) as canonical payout records (formats.md §5.1c).

Amounts are integers in the currency's smallest unit: cents for USD, yen for JPY (zero-decimal
currencies are not divided), thousandths for the three-decimal ones. Times are Unix seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from sasame.connectors.base import ParseContext
from sasame.connectors.payloads import Node, as_received
from sasame.connectors.records import PayoutLineRecord, PayoutRecord, SourceRef

PROVIDER = "stripe"

ZERO_DECIMAL = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)
"""Stripe's zero-decimal currencies: amounts are already whole units."""
THREE_DECIMAL = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])

LINE_KINDS = {
    "charge": "principal",
    "payment": "principal",
    "refund": "refund",
    "payment_refund": "refund",
    "refund_failure": "refund",
    "dispute": "chargeback",
    "dispute_reversal": "chargeback",
    "fee": "fee",
    "tax": "fee",
    "stripe_fee": "fee",
    "application_fee": "fee",
    "payout_reversal": "adjustment",
    "payout_failure": "adjustment",
    "partial_capture_reversal": "adjustment",
    "other_adjustment": "adjustment",
    "adjustment": "adjustment",
    "risk_reserved_funds": "reserve",
    "reserve_transaction": "reserve",
    "connect_reserved_funds": "reserve",
    "transfer": "other",
    "transfer_reversal": "other",
}
"""reporting_category (preferred) or type → sasame payout line kind."""

PAYOUT_CATEGORIES = frozenset({"payout"})
"""The payout's own balance transaction: it is the deposit, not a line of it."""


def major_units(amount: int, currency: str) -> Decimal:
    """An API amount in minor units as an exact Decimal in major units."""
    code = currency.lower()
    places = 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2
    return Decimal(amount).scaleb(-places) if places else Decimal(amount)


def payout_lines(
    transactions: Iterable[Node], context: ParseContext, *, origin: str
) -> list[PayoutLineRecord]:
    """Each balance transaction of a payout as a gross line plus, when it has one, its fee line."""
    lines: list[PayoutLineRecord] = []
    for transaction in transactions:
        transaction_id = transaction.required_text("id")
        category = transaction.text("reporting_category") or transaction.required_text("type")
        if category in PAYOUT_CATEGORIES:
            continue
        currency = transaction.required_text("currency")
        occurred_at = transaction.unix_instant("created", required=True)
        assert occurred_at is not None
        kind = LINE_KINDS.get(category)
        if kind is None:
            kind = "other"
            context.warn(
                f"Stripe balance transaction {transaction_id}: unknown category {category!r} kept as other"
            )
        amount = transaction.integer("amount", required=True)
        fee = transaction.integer("fee") or 0
        assert amount is not None
        payload = {key: transaction.raw(key) for key in ("id", "type", "reporting_category", "source")}
        lines.append(
            PayoutLineRecord(
                kind=kind,
                amount=major_units(amount, currency),
                currency=currency.upper(),
                occurred_at=occurred_at,
                source=SourceRef(origin, transaction_id, None, as_received(transaction.value)),
                fee_type=category if kind in ("fee", "other") else None,
                description=transaction.text("description"),
            )
        )
        if fee:
            fee_types = sorted({d.text("type") or "fee" for d in transaction.children("fee_details")})
            lines.append(
                PayoutLineRecord(
                    kind="fee",
                    amount=-major_units(fee, currency),
                    currency=currency.upper(),
                    occurred_at=occurred_at,
                    source=SourceRef(origin, f"{transaction_id}:fee", None, payload),
                    fee_type=", ".join(fee_types) or "stripe_fee",
                    description=transaction.text("description"),
                )
            )
    return lines


def payout_record(
    payout: Node,
    lines: list[PayoutLineRecord],
    context: ParseContext,
    *,
    origin: str,
    period: tuple[datetime, datetime] | None = None,
) -> PayoutRecord:
    """A payout; its period is the span of its lines (or `period`, or its creation time if neither)."""
    payout_id = payout.required_text("id")
    currency = payout.required_text("currency")
    amount = major_units(payout.integer("amount", required=True) or 0, currency)
    created = payout.unix_instant("created", required=True)
    arrival = payout.unix_instant("arrival_date") or created
    assert created is not None and arrival is not None
    if lines:
        period = (min(line.occurred_at for line in lines), max(line.occurred_at for line in lines))
        total = sum((line.amount for line in lines), Decimal(0))
        if total != amount:
            context.warn(f"Stripe payout {payout_id}: its lines add up to {total} but it paid out {amount}")
    return PayoutRecord(
        provider=PROVIDER,
        external_id=payout_id,
        period_start=period[0] if period else created,
        period_end=period[1] if period else created,
        # arrival_date is midnight UTC of the day the bank is expected to credit it.
        paid_on=arrival.date(),
        amount=amount,
        currency=currency.upper(),
        status=payout.text("status") or "paid",
        source=SourceRef(origin, payout_id, None, as_received(payout.value)),
        lines=tuple(lines),
    )
