"""Stripe balance exports: the itemized payout reconciliation report, the itemized balance change
report, and the legacy Dashboard "Balance → Export" CSV (formats.md §5.1).

Every balance transaction becomes one payout line for its amount (gross) and, when Stripe charged
a fee on it, a second line for the fee, so that a payout's lines sum to its deposit exactly. Lines
are grouped by the payout that swept them when the export says which one (the reconciliation
report's `automatic_payout_id`, the legacy export's `Transfer`). Exports that do not say (the
balance change report) group them per currency and business day into an 'activity' record: fees
and refunds are still exact per day, and the payout rows themselves become 'paid' payouts that
reconciliation matches against the bank.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sasame.connectors.base import FileFormat, ParseContext, header_line
from sasame.connectors.files import Row, SourceFile
from sasame.connectors.records import PayoutLineRecord, PayoutRecord, SourceRef
from sasame.core.clock import business_day

PROVIDER = "stripe"

# Canonical column → the header names Stripe has used for it, preferred first. The modern reports
# write snake_case; the legacy export title case. Non-suffixed time columns are in the timezone the
# report was requested in, so only the UTC ones are read.
COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("balance_transaction_id", "id"),
    "category": ("reporting_category", "type", "Type"),
    "created": ("created_utc", "Created (UTC)", "Created date (UTC)"),
    "available_on": ("available_on_utc", "Available On (UTC)", "Available on (UTC)"),
    "currency": ("currency", "Currency"),
    "gross": ("gross", "Amount"),
    "fee": ("fee", "Fee"),
    "net": ("net", "Net"),
    "description": ("description", "Description"),
    "source": ("source_id", "Source"),
    "payout_id": ("automatic_payout_id", "Transfer"),
    "payout_date": (
        "automatic_payout_effective_at_utc",
        "automatic_payout_effective_at",
        "Transfer Date (UTC)",
    ),
}
REQUIRED = ("id", "category", "created", "currency", "gross", "fee", "net")

TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%SZ")

# reporting_category (modern) and Type (legacy) → payout line kind.
KINDS: dict[str, str] = {
    "charge": "principal",
    "payment": "principal",
    "partial_capture_reversal": "principal",
    "charge_failure": "principal",
    "refund": "refund",
    "payment_refund": "refund",
    "refund_failure": "refund",
    "dispute": "chargeback",
    "dispute_reversal": "chargeback",
    "fee": "fee",
    "stripe_fee": "fee",
    "application_fee": "fee",
    "network_cost": "fee",
    "tax": "tax",
    "risk_reserved_funds": "reserve",
    "connect_reserved_funds": "reserve",
    "reserve_transaction": "reserve",
    "reserved_funds": "reserve",
    "adjustment": "adjustment",
    "other_adjustment": "adjustment",
    "payout_reversal": "adjustment",
    "payout_failure": "adjustment",
    "payout_cancel": "adjustment",
    "transfer": "adjustment",
    "transfer_reversal": "adjustment",
    "topup": "adjustment",
    "topup_reversal": "adjustment",
    "contribution": "adjustment",
}
FEE_TYPES = {"fee": "stripe_fee"}
"""Fee rows' fee_type: Stripe's category, except the generic 'fee' (billing, Radar, ...)."""

PAYOUT_CATEGORIES = frozenset({"payout"})
"""Rows that are the payout itself: money leaving the Stripe balance for the bank."""


def _columns(header: list[str]) -> dict[str, str]:
    """Map canonical names to the header names present in this file."""
    present = set(header)
    return {
        canonical: next(name for name in names if name in present)
        for canonical, names in COLUMNS.items()
        if any(name in present for name in names)
    }


@dataclass
class _Group:
    """The lines of one payout (or one day's unpaid activity) while the file is read."""

    key: str
    currency: str
    status: str
    paid_on: date | None = None
    deposit: Decimal | None = None
    """The payout row's amount, when the file has the payout row itself."""
    row_number: int | None = None
    payload: dict[str, str] | None = None
    lines: list[PayoutLineRecord] = field(default_factory=list)


class StripeBalanceTransactions(FileFormat):
    """Stripe balance transactions: payout reconciliation, balance change report, legacy export."""

    name = "stripe.balance_transactions_csv"
    title = "Stripe balance transactions / itemized payout reconciliation (CSV)"

    def detect(self, file: SourceFile) -> bool:
        columns = _columns(header_line(file))
        if not all(name in columns for name in REQUIRED):
            return False
        # The legacy export's generic names ('id', 'Type', 'Amount') need Stripe's own time column.
        return columns["id"] == "balance_transaction_id" or columns["created"] == "Created (UTC)"

    def parse(self, file: SourceFile, context: ParseContext) -> Iterator[PayoutRecord]:
        table = file.table()
        columns = _columns(table.header)
        table.require(*(COLUMNS[name][0] if name not in columns else columns[name] for name in REQUIRED))
        context.rows_read = len(table.rows)
        groups: dict[str, _Group] = {}
        seen_ids: dict[str, int] = {}
        unknown: dict[str, int] = defaultdict(int)

        def cell(name: str) -> str:
            return columns.get(name, COLUMNS[name][0])

        for row in table.rows:
            transaction_id = row.required_text(cell("id"))
            if transaction_id in seen_ids:
                raise row.error(
                    cell("id"), f"{transaction_id} already appears on row {seen_ids[transaction_id]}"
                )
            seen_ids[transaction_id] = row.number
            category = row.required_text(cell("category")).lower()
            currency = row.required_text(cell("currency")).upper()
            created = row.instant(
                cell("created"), formats=TIME_FORMATS, timezone=ZoneInfo("UTC"), required=True
            )
            assert created is not None
            gross = row.required_money(cell("gross"))
            fee = row.required_money(cell("fee"))
            net = row.required_money(cell("net"))
            if gross - fee != net:
                raise row.error(cell("net"), f"{net} is not the amount {gross} minus the fee {fee}")
            description = row.text(cell("description")) if "description" in columns else None
            payout_id = row.text(cell("payout_id")) if "payout_id" in columns else None
            payload = dict(row.values)

            legacy_payout = category == "transfer" and columns["category"] == "Type"
            if category in PAYOUT_CATEGORIES or legacy_payout:  # legacy exports call payouts 'transfer'
                key = (row.text(cell("source")) if "source" in columns else None) or transaction_id
                group = self._group(groups, key, currency, "paid", row, cell("currency"))
                group.deposit = -gross
                group.paid_on = self._day(
                    row, cell("available_on") if "available_on" in columns else None
                ) or (created.date())
                group.row_number, group.payload = row.number, payload
                if fee:  # an instant payout's fee is money spent, not part of the deposit
                    day_group = self._activity(groups, currency, created, context.timezone)
                    day_group.lines.append(
                        self._line("fee", -fee, currency, created, transaction_id, "fee", row, "payout_fee")
                    )
                continue

            kind = KINDS.get(category)
            fee_type = None
            if kind is None:
                unknown[category] += 1
                kind, fee_type = "other", category
            elif kind == "fee":
                fee_type = FEE_TYPES.get(category, category)
            if payout_id:
                group = self._group(groups, payout_id, currency, "paid", row, cell("currency"))
                if group.paid_on is None and "payout_date" in columns:
                    group.paid_on = self._day(row, cell("payout_date"))
            else:
                group = self._activity(groups, currency, created, context.timezone)
            group.lines.append(
                PayoutLineRecord(
                    kind=kind,
                    amount=gross,
                    currency=currency,
                    occurred_at=created,
                    fee_type=fee_type,
                    description=description,
                    source=SourceRef(self.name, transaction_id, row.number, payload),
                )
            )
            if fee:
                group.lines.append(
                    self._line(
                        "fee",
                        -fee,
                        currency,
                        created,
                        transaction_id,
                        "fee",
                        row,
                        "stripe_dispute" if kind == "chargeback" else "stripe_processing",
                    )
                )

        for category, count in sorted(unknown.items()):
            context.warn(
                f"{file.name}: {count} row(s) of unknown Stripe category {category!r} kept as 'other'"
            )
        for group in groups.values():
            yield self._payout(file, group, context)

    # -- helpers ----------------------------------------------------------------------------

    def _group(
        self,
        groups: dict[str, _Group],
        key: str,
        currency: str,
        status: str,
        row: Row | None = None,
        currency_column: str = "currency",
    ) -> _Group:
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(key=key, currency=currency, status=status)
        elif group.currency != currency and row is not None:
            raise row.error(currency_column, f"payout {key} mixes {group.currency} and {currency}")
        return group

    def _activity(
        self, groups: dict[str, _Group], currency: str, created: datetime, timezone: ZoneInfo
    ) -> _Group:
        day = business_day(created, timezone)
        group = self._group(groups, f"activity:{currency}:{day.isoformat()}", currency, "activity")
        group.paid_on = day
        return group

    def _day(self, row: Row, column: str | None) -> date | None:
        """A payout's arrival day as Stripe writes it (the date part; it is a day, not an instant)."""
        if column is None:
            return None
        value = row.text(column)
        if value is None:
            return None
        match = re.match(r"(\d{4})-(\d{2})-(\d{2})", value)
        if not match:
            raise row.error(column, f"{value!r} is not a date")
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise row.error(column, f"{value!r} is not a date") from None

    def _line(
        self,
        kind: str,
        amount: Decimal,
        currency: str,
        occurred_at: datetime,
        transaction_id: str,
        suffix: str,
        row: Row,
        fee_type: str | None,
    ) -> PayoutLineRecord:
        return PayoutLineRecord(
            kind=kind,
            amount=amount,
            currency=currency,
            occurred_at=occurred_at,
            fee_type=fee_type,
            description=f"Stripe fee on {transaction_id}",
            source=SourceRef(self.name, f"{transaction_id}:{suffix}", row.number, None),
        )

    def _payout(self, file: SourceFile, group: _Group, context: ParseContext) -> PayoutRecord:
        lines = tuple(sorted(group.lines, key=lambda line: (line.occurred_at, line.source.natural_key)))
        total = sum((line.amount for line in lines), Decimal(0))
        if group.deposit is not None and lines and total != group.deposit:
            context.warn(
                f"{file.name}: payout {group.key} pays {group.deposit} {group.currency} but the lines in "
                f"this file sum to {total} (the file does not hold all of its transactions)"
            )
        instants = [line.occurred_at for line in lines]
        paid_on = group.paid_on
        if paid_on is None:  # a payout named by its lines only, without an arrival date
            paid_on = max(instants).date()
        if group.row_number is None and lines:
            group.row_number = min(line.source.row_number or 0 for line in lines)
        start = min(instants) if instants else datetime.combine(paid_on, datetime.min.time(), ZoneInfo("UTC"))
        end = max(instants) if instants else start
        return PayoutRecord(
            provider=PROVIDER,
            external_id=group.key,
            period_start=start,
            period_end=end,
            paid_on=paid_on,
            amount=group.deposit if group.deposit is not None else total,
            currency=group.currency,
            status=group.status,
            lines=lines,
            source=SourceRef(self.name, f"payout:{group.key}", group.row_number, group.payload),
        )
