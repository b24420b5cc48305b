"""Etsy's monthly statement (payments CSV): every money movement of the Etsy payment account, newest
first, with the deposits to the bank among them.

Each deposit becomes a payout (provider 'etsy'), and the movements between the previous deposit and
it become its lines: sales, refunds, Etsy's fees by type, VAT on fees, the sales tax Etsy remits.
A statement is one month, so balances cross its edges. Like Amazon's reserves, they are kept as
'reserve' lines: the first deposit's lines include the balance carried in from the previous month
(whatever its movements do not explain), and the movements after the month's last deposit are that
deposit's lines too, with a 'reserve' line carrying their sum to the next month. Every payout adds
up to its deposit and every fee is counted once, whatever order the months are imported in.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sasame.connectors.base import FileFormat, ParseContext
from sasame.connectors.etsy.common import currency as currency_code
from sasame.connectors.etsy.common import fold, folded_header, order_number, read_table
from sasame.connectors.files import Row, SourceFile, parse_amount
from sasame.connectors.records import PayoutLineRecord, PayoutRecord, SourceRef
from sasame.core.clock import day_start

COLUMNS = ("Date", "Type", "Title", "Info", "Currency", "Amount", "Fees & Taxes", "Net", "Tax Details")
DATE_FORMATS = ("%d-%b-%y", "%B %d, %Y", "%b %d, %Y", "%d %B, %Y", "%d %b, %Y", "%d %B %Y", "%Y-%m-%d")
"""'31-Jan-22' (seen, possibly a spreadsheet's), 'January 31, 2022', 'Sep 24, 2026', '31 July, 2026'."""

_DEPOSIT = re.compile(r"^(?P<amount>.+?)\s+sent to your bank account", re.IGNORECASE)

FEE_TITLES = (
    # (what the title starts with or contains, fee type); credits ('Credit for …') are the same type.
    ("transaction fee", "transaction"),
    ("processing fee", "processing"),
    ("listing fee", "listing"),
    ("renew sold", "listing"),
    ("auto-renew", "listing"),
    ("offsite ads", "offsite_ads"),
    ("regulatory operating fee", "regulatory"),
    ("currency conversion", "currency_conversion"),
    ("shipping label", "shipping_label"),
    ("postage label", "shipping_label"),
    ("etsy plus", "subscription"),
    ("subscription", "subscription"),
    ("etsy ads", "etsy_ads"),
)


@dataclass(frozen=True)
class Kind:
    kind: str
    fee_type: str | None = None
    is_known: bool = True


def classify(movement_type: str, title: str) -> Kind:
    """The payout line kind of a statement row by its Type (and, for fees, its Title)."""
    kind = fold(movement_type)
    text = fold(title)
    if kind == "sale":
        return Kind("principal")
    if kind == "refund":
        return Kind("refund")
    if kind == "tax":
        return Kind("tax")  # sales tax Etsy collected and remits, or gives back on a refund
    if kind == "vat":
        return Kind("fee", "vat_on_fees")
    if kind in ("fee", "marketing", "shipping"):
        for marker, fee_type in FEE_TITLES:
            if marker in text:
                return Kind("fee", fee_type)
        if kind == "marketing":
            return Kind("fee", "etsy_ads")
        if kind == "shipping":
            return Kind("fee", "shipping_label")
        return Kind("fee", title[:60] or "other", is_known=False)
    if kind in ("payment", "transaction"):
        return Kind("adjustment")  # the seller paying Etsy from a card to cover a negative balance
    return Kind("other", None, is_known=False)


@dataclass
class _Deposit:
    row: Row
    day: date
    amount: Decimal
    key: str
    lines: list[PayoutLineRecord] = field(default_factory=list)


class EtsyStatement(FileFormat):
    name = "etsy.statement"
    title = "Etsy monthly statement (payments CSV)"

    def detect(self, file: SourceFile) -> bool:
        return {"date", "type", "title", "info", "amount", "fees & taxes", "net"} <= folded_header(file)

    def parse(self, file: SourceFile, context: ParseContext) -> Iterator[PayoutRecord]:
        table = read_table(file, COLUMNS)
        table.require("Date", "Type", "Title", "Net")
        context.rows_read = len(table.rows)
        rows = [(row, self._day(row)) for row in table.rows]
        if len(rows) > 1 and rows[0][1] > rows[-1][1]:
            rows.reverse()  # Etsy writes newest first; balances are followed oldest first
        by_currency: dict[str, list[tuple[Row, date]]] = defaultdict(list)
        for row, day in rows:
            currency = currency_code(row, default=context.currency)
            by_currency[currency].append((row, day))
        unknown: Counter[str] = Counter()
        for currency, currency_rows in by_currency.items():
            yield from self._payouts(file, context, currency, currency_rows, unknown)
        for label, count in sorted(unknown.items()):
            context.warn(f"{file.name}: {count} row(s) {label}")

    def _payouts(
        self,
        file: SourceFile,
        context: ParseContext,
        currency: str,
        rows: list[tuple[Row, date]],
        unknown: Counter[str],
    ) -> Iterator[PayoutRecord]:
        deposits: list[_Deposit] = []
        pending: list[PayoutLineRecord] = []
        occurrences: Counter[str] = Counter()
        for row, day in rows:
            movement_type = row.required_text("Type")
            if fold(movement_type) == "deposit":
                amount = self._deposit_amount(row)
                same_day = f"deposit:{currency}:{day.isoformat()}:{amount}"
                occurrences[same_day] += 1
                key = f"{same_day}:{occurrences[same_day]}"
                if len(key) > 100:
                    raise row.error("Title", f"{row.text('Title')!r} is not a deposit amount sasame can keep")
                deposits.append(_Deposit(row, day, amount, key, pending))
                pending = []
                continue
            movement = self._movement_amount(row)
            if movement is None:
                continue
            amount = movement
            title = row.text("Title") or ""
            found = classify(movement_type, title)
            if not found.is_known:
                if found.kind == "other":
                    unknown[f"of unknown type {movement_type!r} kept as 'other'"] += 1
                else:
                    unknown[f"of unknown fee {title!r} kept as a fee of that type"] += 1
            content = "|".join((row.text(c) or "") for c in COLUMNS if c != "Tax Details")
            digest = hashlib.sha256(content.encode()).hexdigest()[:20]
            occurrences[digest] += 1
            number = order_number(row.text("Info")) or order_number(title)
            pending.append(
                PayoutLineRecord(
                    kind=found.kind,
                    amount=amount,
                    currency=currency,
                    occurred_at=day_start(day, context.timezone),
                    fee_type=found.fee_type,
                    order_channel="etsy" if number else None,
                    order_number=number,
                    description=" — ".join(p for p in (movement_type, title, row.text("Info")) if p)[:300],
                    source=SourceRef(
                        self.name, f"{digest}:{occurrences[digest]}", row.number, dict(row.values)
                    ),
                )
            )
        if not deposits:
            yield self._undeposited(file, context, currency, rows, pending)
            return
        for index, deposit in enumerate(deposits):
            tail = pending if index == len(deposits) - 1 else []
            yield self._payout(context, currency, deposit, tail)

    def _payout(
        self, context: ParseContext, currency: str, deposit: _Deposit, tail: list[PayoutLineRecord]
    ) -> PayoutRecord:
        lines = list(deposit.lines)
        explained = sum((line.amount for line in lines), Decimal(0))
        at = day_start(deposit.day, context.timezone)
        if explained != deposit.amount:
            lines.append(
                self._carry(
                    deposit,
                    "in",
                    deposit.amount - explained,
                    at,
                    "Etsy balance from before these movements (previous statement or held funds)",
                )
            )
        if tail:
            lines.extend(tail)
            carried = -sum((line.amount for line in tail), Decimal(0))
            note = "Etsy balance carried to the next deposit"
            lines.append(self._carry(deposit, "out", carried, tail[-1].occurred_at, note))
        first_day = min((line.occurred_at for line in deposit.lines), default=at)
        return PayoutRecord(
            provider="etsy",
            channel="etsy",
            external_id=deposit.key,
            period_start=first_day,
            period_end=day_start(deposit.day + timedelta(days=1), context.timezone),
            paid_on=deposit.day,
            amount=deposit.amount,
            currency=currency,
            status="paid",
            source=SourceRef(self.name, deposit.key, deposit.row.number, dict(deposit.row.values)),
            lines=tuple(lines),
        )

    def _carry(
        self, deposit: _Deposit, direction: str, amount: Decimal, at: datetime, description: str
    ) -> PayoutLineRecord:
        return PayoutLineRecord(
            kind="reserve",
            amount=amount,
            currency=deposit.key.split(":")[1],
            occurred_at=at,
            description=description,
            source=SourceRef(self.name, f"{deposit.key}:carried-{direction}", deposit.row.number),
        )

    def _undeposited(
        self,
        file: SourceFile,
        context: ParseContext,
        currency: str,
        rows: list[tuple[Row, date]],
        lines: list[PayoutLineRecord],
    ) -> PayoutRecord:
        """A month without a deposit: its movements stay on the Etsy balance, carried to the next."""
        first, last = rows[0][1], rows[-1][1]
        key = f"balance:{currency}:{first.isoformat()}:{last.isoformat()}"
        context.warn(f"{file.name}: no deposit in {currency}; the movements are kept as an unpaid balance")
        carried = -sum((line.amount for line in lines), Decimal(0))
        at = day_start(last, context.timezone)
        carry = PayoutLineRecord(
            kind="reserve",
            amount=carried,
            currency=currency,
            occurred_at=at,
            description="Etsy balance carried to the next deposit",
            source=SourceRef(self.name, f"{key}:carried-out", rows[-1][0].number),
        )
        return PayoutRecord(
            provider="etsy",
            channel="etsy",
            external_id=key,
            period_start=day_start(first, context.timezone),
            period_end=day_start(last + timedelta(days=1), context.timezone),
            paid_on=last,
            amount=Decimal(0),
            currency=currency,
            status="pending",
            source=SourceRef(self.name, key, rows[0][0].number),
            lines=(*lines, carry),
        )

    def _day(self, row: Row) -> date:
        day = row.day("Date", formats=DATE_FORMATS, required=True)
        assert day is not None
        return day

    def _movement_amount(self, row: Row) -> Decimal | None:
        """The signed effect on the Etsy balance: 'Net', else whichever of Amount / Fees & Taxes is set."""
        for column in ("Net", "Amount", "Fees & Taxes"):
            value = row.money(column)
            if value is not None:
                return value
        return None

    def _deposit_amount(self, row: Row) -> Decimal:
        """Deposits have '--' in every money column; the amount is in the title."""
        title = row.text("Title") or ""
        match = _DEPOSIT.match(title)
        if match:
            try:
                return parse_amount(match.group("amount"))
            except ValueError:
                pass
        net = row.money("Net")
        if net is not None:
            return abs(net)
        raise row.error("Title", f"{title!r} is a deposit whose amount cannot be read")
