"""Shopify Payments exports (Admin → Finance → Payouts): the payment transactions export and the
payouts export (formats.md §1.3).

Both name a payout by its payout date and currency (the payouts export has no payout id, and Shopify
pays at most one payout per currency a day), so the same payout gets the same key from either file,
imported in either order. Transactions exports are often cut by date, so their payouts carry only
the lines the file holds (`lines_are_complete=False`): lines merge by their own key across files.
Transactions not paid out yet (Payout Status pending, scheduled, in_transit) belong to the payout
Shopify scheduled them for: a payout keyed by that expected date, with their status, which the next
export turns 'paid'.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sasame.connectors.base import FileFormat, ParseContext, header_line
from sasame.connectors.files import SourceFile
from sasame.connectors.records import PayoutLineRecord, PayoutRecord, RefundRecord, SourceRef
from sasame.connectors.shopify.common import Cells, fold, instant, money, read_table, warn_once
from sasame.core.clock import business_day, day_window

PROVIDER = "shopify_payments"

TRANSACTION_COLUMNS = (  # noqa: SIM905 (the header as the export writes it, easy to compare)
    "Transaction Date, Type, Order, Card Brand, Card Source, Payout Status, Payout Date, Payout ID, "
    "Available On, Amount, Fee, Net, Checkout, Payment Method Name, Presentment Amount, "
    "Presentment Currency, VAT, Currency, Business Entity Name, Business Entity ID"
).split(", ")
"""16 columns in 2025 exports; `Payout ID` (17), a trailing `VAT` (18) and business entity columns
appear in other shops' exports."""

TRANSACTION_REQUIRED = ("Transaction Date", "Type", "Payout Status", "Payout Date", "Amount", "Fee", "Net")

PAYOUT_COLUMNS = (  # noqa: SIM905
    "Payout Date, Status, Charges, Refunds, Adjustments, Reserved Funds, Fees, Retried Amount, "
    "Marketplace Sales Tax, Advances, Total, Currency, Bank Reference"
).split(", ")
PAYOUT_COMPONENTS = (
    "Charges",
    "Refunds",
    "Adjustments",
    "Reserved Funds",
    "Fees",
    "Retried Amount",
    "Marketplace Sales Tax",
    "Advances",
)
"""The payouts export's parts of a deposit (refunds, fees, reserves negative); they sum to Total."""

KINDS = {
    "charge": "principal",
    "shop_cash_credit": "principal",  # Shopify pays the part of an order the buyer paid in Shop Cash
    "refund": "refund",
    "adjustment": "adjustment",
    "payout_failure": "adjustment",
    "payout_cancellation": "adjustment",
    "advance": "adjustment",
    "advance_funding": "adjustment",
    "dispute": "chargeback",
    "chargeback": "chargeback",
    "chargeback_won": "chargeback",
    "chargeback_lost": "chargeback",
    "dispute_reversal": "chargeback",
    "reserve": "reserve",
    "reserved_funds": "reserve",
    "reserve_release": "reserve",
    "marketplace_sales_tax": "tax",  # written 'marketplace sales tax', with spaces
    "shop_cash_campaign_billing_debit": "fee",
}
"""Transaction types (lower case, spaces as '_') → payout line kind; unknown types are 'other'."""

FEE_TYPES = {"shop_cash_campaign_billing_debit": "shop_campaign"}

DAY_FORMATS = ("%Y/%m/%d", "%m/%d/%Y")
"""Besides ISO days: '2026/6/12' is seen in one (probably hand-edited) file."""


@dataclass
class _Payout:
    day: date
    currency: str
    status: str
    lines: list[PayoutLineRecord] = field(default_factory=list)
    payout_ids: set[str] = field(default_factory=set)
    first_row: int | None = None

    @property
    def key(self) -> str:
        return payout_key(self.day, self.currency)


def payout_key(day: date, currency: str) -> str:
    """The payout's key in both exports: its payout date and currency ('2025-07-03 USD')."""
    return f"{day.isoformat()} {currency}"


class ShopifyPaymentsTransactionsCsv(FileFormat):
    name = "shopify.payments_transactions_csv"
    title = "Shopify Payments transactions export (CSV)"

    def detect(self, file: SourceFile) -> bool:
        header = {fold(cell) for cell in header_line(file)}
        return {"transaction date", "type", "payout status", "amount", "fee", "net"} <= header

    def parse(self, file: SourceFile, context: ParseContext) -> Iterator[PayoutRecord | RefundRecord]:
        _, rows = read_table(file, TRANSACTION_COLUMNS, required=TRANSACTION_REQUIRED)
        context.rows_read = len(rows)
        payouts: dict[str, _Payout] = {}
        refunds: list[RefundRecord] = []
        occurrences: Counter[str] = Counter()
        unknown: Counter[str] = Counter()
        for row in rows:
            occurred_at = instant(row, "Transaction Date", context, required=True)
            assert occurred_at is not None
            currency = _currency(row, context)
            status = _payout_status(row, "Payout Status", default="pending")
            day = (
                _day(row, "Payout Date")
                or _day(row, "Available On")
                or business_day(occurred_at, context.timezone)
            )
            key = payout_key(day, currency)
            payout = payouts.get(key)
            if payout is None:
                payout = payouts[key] = _Payout(day=day, currency=currency, status=status)
            if status != "paid":  # a payout is paid only when all its transactions are
                payout.status = status
            payout.first_row = payout.first_row or row.number
            payout_id = row.text("Payout ID")
            if payout_id:
                payout.payout_ids.add(payout_id)
            transaction_key = _transaction_key(row, currency)
            occurrences[transaction_key] += 1
            line_key = f"{transaction_key}#{occurrences[transaction_key]}"
            lines = self._lines(row, occurred_at, currency, line_key, unknown)
            payout.lines.extend(lines)
            if lines[0].kind == "refund" and lines[0].order_number and lines[0].amount < 0:
                refunds.append(self._refund(row, lines[0], line_key))
        for kind, count in sorted(unknown.items()):
            context.warn(f"{file.name}: {count} transaction(s) of unknown type {kind!r} kept as 'other'")
        for payout in payouts.values():
            if len(payout.payout_ids) > 1:
                context.warn(
                    f"{file.name}: payouts {', '.join(sorted(payout.payout_ids))} share the payout date and "
                    f"currency {payout.key}; sasame keeps them as one payout"
                )
            yield self._payout(payout, context)
        yield from refunds

    def _refund(self, row: Cells, line: PayoutLineRecord, key: str) -> RefundRecord:
        """The refund a refund transaction is: the orders export has no refund dates, so this
        export (or the API) is where a CSV-only store's refunds come from. It gives the total only."""
        assert line.order_number is not None
        return RefundRecord(
            order_channel="shopify",
            order_number=line.order_number,
            external_id=f"{self.name}:{key}",
            refunded_at=line.occurred_at,
            amount=-line.amount,
            currency=line.currency,
            source=SourceRef(self.name, f"refund:{key}", row.number, None),
            parts_from_order=True,
            order_may_be_missing=True,
        )

    def _lines(
        self, row: Cells, occurred_at: datetime, currency: str, key: str, unknown: Counter[str]
    ) -> list[PayoutLineRecord]:
        raw_type = row.text("Type", required=True)
        assert raw_type is not None
        kind_name = "_".join(raw_type.lower().split())
        kind = KINDS.get(kind_name)
        if kind is None:
            kind = "other"
            unknown[raw_type] += 1
        amount = money(row, "Amount", required=True)
        fee = money(row, "Fee") or Decimal(0)
        net = money(row, "Net", required=True)
        vat = money(row, "VAT") or Decimal(0)
        assert amount is not None and net is not None
        order = row.text("Order")
        common = {
            "currency": currency,
            "occurred_at": occurred_at,
            "order_channel": "shopify" if order else None,
            "order_number": order,
        }
        lines = [
            PayoutLineRecord(
                kind=kind,
                amount=amount,
                fee_type=FEE_TYPES.get(kind_name, kind_name if kind == "fee" else None),
                description=raw_type if kind in ("other", "adjustment", "fee") else None,
                source=SourceRef(self.name, key, row.number, None),
                **common,  # type: ignore[arg-type]
            )
        ]
        if fee:
            # Fees are charged, never returned: positive in the file, money out of the payout.
            lines.append(
                PayoutLineRecord(
                    kind="fee",
                    amount=-fee,
                    fee_type="processing",
                    source=SourceRef(self.name, f"{key}:fee", row.number, None),
                    **common,  # type: ignore[arg-type]
                )
            )
        rest = net - (amount - fee)
        if rest and rest == -vat:  # EU shops: the VAT on Shopify's fee is taken separately
            lines.append(
                PayoutLineRecord(
                    kind="fee",
                    amount=rest,
                    fee_type="processing_vat",
                    source=SourceRef(self.name, f"{key}:vat", row.number, None),
                    **common,  # type: ignore[arg-type]
                )
            )
        elif rest:
            raise row.error("Net", f"{net} is not Amount {amount} minus Fee {fee}")
        return lines

    def _payout(self, payout: _Payout, context: ParseContext) -> PayoutRecord:
        lines = tuple(payout.lines)
        instants = [line.occurred_at for line in lines]
        # Shopify pays out whole business days of transactions: the period runs from the first
        # day's midnight to the midnight after the last day (exclusive), as the payouts API says.
        period_start, period_end = day_window(
            business_day(min(instants), context.timezone),
            business_day(max(instants), context.timezone) + timedelta(days=1),
            context.timezone,
        )
        return PayoutRecord(
            provider=PROVIDER,
            channel="shopify",
            external_id=payout.key,
            period_start=period_start,
            period_end=period_end,
            paid_on=payout.day,
            amount=sum((line.amount for line in lines), Decimal(0)),
            currency=payout.currency,
            status=payout.status,
            lines=lines,
            lines_are_complete=False,
            amount_is_deposit=False,
            source=SourceRef(
                self.name,
                f"payout:{payout.key}",
                payout.first_row,
                {"payout_ids": sorted(payout.payout_ids)} if payout.payout_ids else None,
            ),
        )


class ShopifyPayoutsCsv(FileFormat):
    name = "shopify.payouts_csv"
    title = "Shopify Payments payouts export (CSV)"

    def detect(self, file: SourceFile) -> bool:
        header = {fold(cell) for cell in header_line(file)}
        return {"payout date", "status", "charges", "refunds", "fees", "total"} <= header

    def parse(self, file: SourceFile, context: ParseContext) -> Iterator[PayoutRecord]:
        _, rows = read_table(file, PAYOUT_COLUMNS, required=("Payout Date", "Status", "Total"))
        context.rows_read = len(rows)
        for row in rows:
            day = _day(row, "Payout Date")
            if day is None:
                raise row.error("Payout Date", "is empty but a value is required")
            currency = _currency(row, context)
            total = money(row, "Total", required=True)
            assert total is not None
            parts = {column: money(row, column) for column in PAYOUT_COMPONENTS if row.get(column).strip()}
            summed = sum((amount or Decimal(0) for amount in parts.values()), Decimal(0))
            if parts and summed != total:
                warn_once(
                    context,
                    f"{file.name}: payouts whose parts do not add up to their Total",
                    f" (first {payout_key(day, currency)}, row {row.number}: {summed} vs {total});"
                    " the Total is kept as the deposit",
                )
            # Without lines, the payout's period is its day until the transactions export fills it.
            start = datetime.combine(day, time(), context.timezone).astimezone(UTC)
            key = payout_key(day, currency)
            yield PayoutRecord(
                provider=PROVIDER,
                channel="shopify",
                external_id=key,
                period_start=start,
                period_end=start,
                paid_on=day,
                amount=total,
                currency=currency,
                status=_payout_status(row, "Status"),
                lines=(),
                lines_are_complete=False,
                amount_is_deposit=True,
                source=SourceRef(
                    self.name,
                    f"payout:{key}",
                    row.number,
                    {
                        **{column: str(amount) for column, amount in parts.items()},
                        "bank_reference": row.text("Bank Reference"),
                    },
                ),
            )


def _currency(row: Cells, context: ParseContext) -> str:
    currency = (row.text("Currency") or context.currency).upper()
    if len(currency) != 3 or not currency.isalpha():
        raise row.error("Currency", f"{currency!r} is not a currency code")
    return currency


def _day(row: Cells, column: str) -> date | None:
    value = row.text(column)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    for pattern in DAY_FORMATS:
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise row.error(column, f"{value!r} is not a date")


def _transaction_key(row: Cells, currency: str) -> str:
    """A transaction's key across exports: the export has no transaction id, so it is a digest of what
    never changes about it (not its payout status or date, which move as Shopify pays it out); the
    occurrence number in the file tells identical transactions apart."""
    parts = [row.get(column).strip() for column in ("Transaction Date", "Type", "Order", "Checkout")]
    parts += [str(money(row, column) or Decimal(0)) for column in ("Amount", "Fee")]
    digest = hashlib.sha256("\x1f".join([*parts, currency]).encode("utf-8")).hexdigest()
    return f"tx:{digest[:20]}"


def _payout_status(row: Cells, column: str, *, default: str | None = None) -> str:
    """A payout status as Shopify writes it ('paid', 'in transit'), as one lower-case word."""
    text = row.text(column, required=default is None) or default or ""
    status = text.lower().replace(" ", "_")
    if not re.fullmatch(r"[a-z][a-z_]{0,19}", status):
        raise row.error(column, f"{text!r} is not a payout status (paid, pending, in transit, ...)")
    return status
