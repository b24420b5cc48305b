"""Amazon settlement report flat files, V2 (one `amount` column) and the legacy V1 (a column per kind
of amount): one settlement becomes one payout with every money component as a payout line.

Both are tab-separated, unquoted, windows-1252 when not UTF-8. Row 1 after the header is the
settlement summary (id, period, deposit date, total amount, currency); every following row is one
money component of one event, signed from the seller's point of view, and they sum to the total.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

from sasame.connectors.amazon.vocabulary import Classification, classify
from sasame.connectors.base import FileFormat, ParseContext, header_line
from sasame.connectors.files import CsvTable, Row, SourceFile
from sasame.connectors.records import PayoutLineRecord, PayoutRecord, SourceRef
from sasame.core.clock import business_day
from sasame.core.errors import InputError

INSTANT_FORMATS = (
    "%Y-%m-%d %H:%M:%S UTC",  # V2 as documented, and Airbyte's V1 fixture
    "%Y-%m-%d %H:%M:%S GMT",
    "%d.%m.%Y %H:%M:%S UTC",  # EU V2 downloads write the day first
    "%d.%m.%Y %H:%M:%S GMT",
    "%Y-%m-%d",
)
"""Settlement instants are UTC; real V1 files write ISO 8601 with '+00:00', which needs no format."""

SUMMARY_COLUMNS = (
    "settlement-id",
    "settlement-start-date",
    "settlement-end-date",
    "deposit-date",
    "total-amount",
    "currency",
)

V1_AMOUNT_PAIRS = (
    # (type column, amount column, the V2 amount-type the pair corresponds to)
    ("price-type", "price-amount", "ItemPrice"),
    ("item-related-fee-type", "item-related-fee-amount", "ItemFees"),
    ("shipment-fee-type", "shipment-fee-amount", "Shipment-Fees"),
    ("order-fee-type", "order-fee-amount", "Order-Fees"),
    ("promotion-type", "promotion-amount", "Promotion"),
    ("direct-payment-type", "direct-payment-amount", "Direct-Payment"),
)

_DECIMAL_COMMA = re.compile(r"^-?[\d.]*\d,\d{1,2}$")


class _Settlement(FileFormat):
    """What V1 and V2 share: the summary row, instants, decimal commas, the payout and its lines."""

    def parse(self, file: SourceFile, context: ParseContext) -> Iterator[PayoutRecord]:
        table = file.table(delimiter="\t")
        table.require(*SUMMARY_COLUMNS)
        context.rows_read = len(table.rows)
        summary_index = next(
            (i for i, row in enumerate(table.rows) if row.text("total-amount") is not None), None
        )
        if summary_index is None:
            raise InputError("has no settlement summary row (a row with 'total-amount')", file=file.name)
        summary = table.rows[summary_index]
        decimal_comma = self._uses_decimal_comma(table)
        settlement_id = bounded(summary, "settlement-id", 100)
        currency = summary.required_text("currency").upper()
        if len(currency) != 3 or not currency.isalpha():
            raise summary.error("currency", f"{currency!r} is not a currency code such as USD")
        period_start = _required_instant(summary, "settlement-start-date")
        period_end = _required_instant(summary, "settlement-end-date")
        deposited_at = _instant(summary, "deposit-date") or period_end
        total = summary.required_money("total-amount", decimal_comma=decimal_comma)

        lines: list[PayoutLineRecord] = []
        occurrences: Counter[str] = Counter()
        unknown: Counter[tuple[str, str]] = Counter()
        undated = 0
        for row in table.rows[summary_index + 1 :]:
            row_settlement = row.text("settlement-id")
            if row_settlement is not None and row_settlement != settlement_id:
                raise row.error(
                    "settlement-id",
                    f"belongs to settlement {row_settlement}, but this file is settlement {settlement_id}",
                )
            occurred_at = self._posted_at(row)
            if occurred_at is None:
                occurred_at, undated = period_end, undated + 1
            for amount_type, description, amount_column in self._components(row):
                amount = row.money(amount_column, decimal_comma=decimal_comma)
                if amount is None:
                    continue
                transaction_type = row.text("transaction-type") or ""
                found = classify(transaction_type, amount_type, description)
                if not found.is_known:
                    kept_as = f"a fee of type {found.fee_type!r}" if found.kind == "fee" else "'other'"
                    unknown[(_label(transaction_type, amount_type, description), kept_as)] += 1
                lines.append(
                    self._line(row, settlement_id, currency, occurred_at, amount, found, occurrences)
                )

        for (label, kept_as), count in sorted(unknown.items()):
            context.warn(
                f"{file.name}: settlement {settlement_id}: {count} line(s) of unknown type {label!r} "
                f"kept as {kept_as}"
            )
        if undated:
            context.warn(
                f"{file.name}: settlement {settlement_id}: {undated} row(s) without a posted date "
                "are dated at the settlement's end"
            )
        lines_total = sum((line.amount for line in lines), Decimal(0))
        if lines_total != total:
            context.warn(
                f"{file.name}: settlement {settlement_id}: the lines add up to {lines_total} {currency} "
                f"but the settlement's total amount is {total} {currency}"
            )
        yield PayoutRecord(
            provider="amazon",
            channel="amazon",
            external_id=settlement_id,
            period_start=period_start,
            period_end=period_end,
            paid_on=business_day(deposited_at, context.timezone),
            amount=total,
            currency=currency,
            # A settlement report is published days before its deposit reaches the bank.
            status="in_transit" if context.now is not None and deposited_at > context.now else "paid",
            source=SourceRef(self.name, settlement_id, summary.number, _payload(summary)),
            lines=tuple(lines),
        )

    def _components(self, row: Row) -> Iterator[tuple[str, str, str]]:
        """The (amount-type, amount-description, amount column) triples a row carries."""
        raise NotImplementedError

    def _posted_at(self, row: Row) -> datetime | None:
        raise NotImplementedError

    @staticmethod
    def _uses_decimal_comma(table: CsvTable) -> bool:
        """EU files write '95,00'; Amazon's flat files have no thousands separators to confuse it with."""
        money_columns = [c for c in table.header if c == "total-amount" or c.endswith("amount")]
        return any(
            _DECIMAL_COMMA.match((row.values.get(column) or "").strip())
            for row in table.rows
            for column in money_columns
        )

    def _line(
        self,
        row: Row,
        settlement_id: str,
        currency: str,
        occurred_at: datetime,
        amount: Decimal,
        found: Classification,
        occurrences: Counter[str],
    ) -> PayoutLineRecord:
        # Settlement rows have no id of their own: the row's content, and its occurrence among rows
        # with the same content, is what stays the same when the report is downloaded again.
        content = "\t".join(f"{k}={(v or '').strip()}" for k, v in sorted(row.values.items()))
        digest = hashlib.sha256(f"{found.description}|{content}".encode()).hexdigest()[:20]
        occurrences[digest] += 1
        order_number = row.text("order-id")
        return PayoutLineRecord(
            kind=found.kind,
            amount=amount,
            currency=currency,
            occurred_at=occurred_at,
            fee_type=found.fee_type,
            order_channel="amazon" if order_number else None,
            order_number=order_number,
            description=found.description[:300],
            source=SourceRef(
                self.name,
                f"{settlement_id}:{digest}:{occurrences[digest]}",
                row.number,
                _payload(row),
            ),
        )


class SettlementV2(_Settlement):
    name = "amazon.settlement_v2"
    title = "Amazon settlement report, flat file V2 (tab-separated)"

    def detect(self, file: SourceFile) -> bool:
        header = set(header_line(file))
        return {"settlement-id", "amount-type", "amount-description", "amount"} <= header

    def _components(self, row: Row) -> Iterator[tuple[str, str, str]]:
        yield row.text("amount-type") or "", row.text("amount-description") or "", "amount"

    def _posted_at(self, row: Row) -> datetime | None:
        # 'posted-date' is a short date whose day/month order depends on the marketplace
        # (09/06/25 is 9 June in the EU); 'posted-date-time' is unambiguous, so only it is read.
        return _instant(row, "posted-date-time")


class SettlementV1(_Settlement):
    name = "amazon.settlement_v1"
    title = "Amazon settlement report, legacy flat file V1 (tab-separated)"

    def detect(self, file: SourceFile) -> bool:
        header = set(header_line(file))
        return (
            "settlement-id" in header
            and "amount-type" not in header
            and bool({"price-type", "item-related-fee-type"} & header)
        )

    def _components(self, row: Row) -> Iterator[tuple[str, str, str]]:
        for type_column, amount_column, amount_type in V1_AMOUNT_PAIRS:
            if row.text(amount_column) is not None:
                yield amount_type, row.text(type_column) or "", amount_column
        if row.text("misc-fee-amount") is not None:
            yield "ItemFees", "MiscFee", "misc-fee-amount"
        if row.text("other-fee-amount") is not None:
            yield "Other-Fees", row.text("other-fee-reason-description") or "", "other-fee-amount"
        if row.text("other-amount") is not None:
            # V2 moved these transaction types (reserves, subscription, reimbursements) into
            # amount-description under 'other-transaction'.
            yield "other-transaction", row.text("transaction-type") or "", "other-amount"

    def _posted_at(self, row: Row) -> datetime | None:
        return _instant(row, "posted-date-time") or _instant(row, "posted-date")


def _instant(row: Row, column: str, *, required: bool = False) -> datetime | None:
    return row.instant(column, formats=INSTANT_FORMATS, timezone=UTC, required=required)


def _required_instant(row: Row, column: str) -> datetime:
    value = _instant(row, column, required=True)
    assert value is not None  # required=True raises an InputError instead of returning None
    return value


def _payload(row: Row) -> dict[str, str]:
    """The row as received, without the empty cells that make up most of a settlement row."""
    return {name: value for name, value in row.values.items() if value and value.strip()}


def _label(transaction_type: str, amount_type: str, description: str) -> str:
    parts = [p for p in (transaction_type, amount_type, description) if p]
    return " / ".join(dict.fromkeys(parts)) or "(blank)"


def bounded(row: Row, column: str, limit: int) -> str:
    """A required cell's text, refused (naming row and column) when longer than the database keeps."""
    value = row.required_text(column)
    if len(value) > limit:
        raise row.error(column, f"is {len(value)} characters long; at most {limit} are expected")
    return value
