"""PayPal activity download (Activity → Statements → Activity download, CSV; formats.md §5.2).

PayPal keeps a balance: sales, fees, refunds, holds and currency conversions move it, and a
"General Withdrawal" moves money from it to the bank. So the file gives two kinds of payout:
- each withdrawal is a `paid` payout (its id is PayPal's Transaction ID, its amount the money
  sent to the bank): this is what reconciliation matches against a bank deposit;
- everything else is a line of an `activity` record per currency and business day, so fees,
  refunds and holds are exact per day without pretending to know which withdrawal swept them
  (withdrawals are often manual and of any amount).
Rows whose Balance Impact is "Memo" (pending authorisations, holds shown for information) move no
money: they are counted and reported in a warning, not turned into lines.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sasame.connectors.base import FileFormat, ParseContext, header_line
from sasame.connectors.files import Row, SourceFile
from sasame.connectors.records import PayoutLineRecord, PayoutRecord, SourceRef
from sasame.core.clock import business_day

PROVIDER = "paypal"

# Localized header → English header. Japanese from a real Japanese-account download; PayPal keeps
# "Country Code" and "Balance Impact" in English there.
ALIASES: dict[str, str] = {
    "日付": "Date",
    "時間": "Time",
    "タイムゾーン": "TimeZone",
    "名前": "Name",
    "タイプ": "Type",
    "ステータス": "Status",
    "通貨": "Currency",
    "合計": "Gross",
    "手数料": "Fee",
    "正味": "Net",
    "送信者メールアドレス": "From Email Address",
    "受信者メールアドレス": "To Email Address",
    "取引ID": "Transaction ID",
    "商品タイトル": "Item Title",
    "リファレンス トランザクションID": "Reference Txn ID",
    "請求書番号": "Invoice Number",
    "残高": "Balance",
    "件名": "Subject",
    "備考": "Note",
    "Time Zone": "TimeZone",
}
REQUIRED = ("Date", "Time", "TimeZone", "Type", "Currency", "Gross", "Transaction ID")
"""Columns every selection has; users may download custom subsets without Fee, Net or Balance Impact."""

WITHDRAWAL_TYPES = frozenset(
    {"general withdrawal", "withdraw funds to bank account", "user initiated withdrawal"}
)

KINDS: dict[str, str] = {
    "express checkout payment": "principal",
    "website payment": "principal",
    "subscription payment": "principal",
    "mobile payment": "principal",
    "shopping cart payment": "principal",
    "preapproved payment bill user payment": "principal",
    "payment received": "principal",
    "ebay auction payment": "principal",
    "general payment": "principal",
    "virtual terminal transaction": "principal",
    "payment refund": "refund",
    "refund": "refund",
    "chargeback": "chargeback",
    "chargeback reversal": "chargeback",
    "chargeback fee": "fee",
    "account hold for open authorization": "reserve",
    "reversal of general account hold": "reserve",
    "general hold": "reserve",
    "general hold release": "reserve",
    "payment reserve": "reserve",
    "payment reserve release": "reserve",
    "general currency conversion": "adjustment",
    "bank deposit to pp account": "adjustment",
    "general credit card deposit": "adjustment",
    "general authorization": "adjustment",
    "mass pay payment": "other",
}
"""PayPal's Type (lower-cased) → payout line kind; money moved for a known reason, not fees."""

# Fixed offsets of the abbreviations PayPal writes in TimeZone (the abbreviation already says
# whether daylight saving applied, so a fixed offset is exact).
ZONE_OFFSETS: dict[str, float] = {
    "UTC": 0, "GMT": 0, "WET": 0, "BST": 1, "WEST": 1, "CET": 1, "MEZ": 1, "CEST": 2, "MESZ": 2,
    "EET": 2, "EEST": 3, "MSK": 3, "IST": 5.5, "SGT": 8, "HKT": 8, "AWST": 8, "JST": 9, "KST": 9,
    "ACST": 9.5, "ACDT": 10.5, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13, "HST": -10,
    "AKST": -9, "AKDT": -8, "PST": -8, "PDT": -7, "MST": -7, "MDT": -6, "CST": -6, "CDT": -5,
    "EST": -5, "EDT": -4, "AST": -4, "ADT": -3, "NST": -3.5, "NDT": -2.5, "BRT": -3,
}  # fmt: skip
_OFFSET = re.compile(r"(?:GMT|UTC)?\s*([+-])(\d{1,2})(?::?(\d{2}))?")

COMPLETED = frozenset(
    {"completed", "abgeschlossen", "完了", "terminé", "completado", "completato", "voltooid"}
)
_DECIMAL_COMMA = re.compile(r"^-?[\d.\s]*,\d{2}$")
_DECIMAL_POINT = re.compile(r"^-?[\d,\s]*\.\d{2}$")
_DATE = re.compile(r"^(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})$")
US_ZONES = frozenset({"HST", "AKST", "AKDT", "PST", "PDT", "MST", "MDT", "CST", "CDT", "EST", "EDT"})


def zone_of(abbreviation: str) -> tzinfo:
    """The zone a TimeZone cell names: an abbreviation, an offset, or an IANA name."""
    name = abbreviation.strip()
    if name.upper() in ZONE_OFFSETS:
        return timezone(timedelta(hours=ZONE_OFFSETS[name.upper()]))
    match = _OFFSET.fullmatch(name)
    if match:
        minutes = int(match[2]) * 60 + int(match[3] or 0)
        return timezone(timedelta(minutes=-minutes if match[1] == "-" else minutes))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder ('America'), a name too long
        raise ValueError(f"{name!r} is not a time zone sasame knows") from None


class PayPalActivity(FileFormat):
    """PayPal activity download: transfers to the bank as payouts, the rest as daily activity."""

    name = "paypal.activity_csv"
    title = "PayPal activity download (CSV)"

    def detect(self, file: SourceFile) -> bool:
        header = {ALIASES.get(name, name) for name in header_line(file)}
        return all(column in header for column in REQUIRED)

    def parse(self, file: SourceFile, context: ParseContext) -> Iterator[PayoutRecord]:
        table = file.table()
        table.rename(ALIASES)
        table.require(*REQUIRED)
        context.rows_read = len(table.rows)
        decimal_comma = self._uses_decimal_comma(table.rows)
        day_first = self._day_first(table.rows, decimal_comma, file.name, context)
        has_impact = "Balance Impact" in table.header

        activity: dict[tuple[str, date], list[PayoutLineRecord]] = defaultdict(list)
        first_rows: dict[tuple[str, date], int] = {}
        withdrawals: list[PayoutRecord] = []
        occurrences: Counter[str] = Counter()
        unknown: Counter[str] = Counter()
        memo = 0
        not_completed: Counter[str] = Counter()
        for row in table.rows:
            transaction_id = row.required_text("Transaction ID")
            occurrences[transaction_id] += 1
            key = (
                transaction_id
                if occurrences[transaction_id] == 1
                else f"{transaction_id}#{occurrences[transaction_id]}"
            )
            type_name = row.required_text("Type")
            currency = row.required_text("Currency").upper()
            occurred_at = self._instant(row, day_first)
            gross = row.required_money("Gross", decimal_comma=decimal_comma)
            fee = row.money("Fee", decimal_comma=decimal_comma) or Decimal(0)
            net = row.money("Net", decimal_comma=decimal_comma)
            if net is None:
                net = gross + fee
            elif gross + fee != net:
                raise row.error("Net", f"{net} is not the gross {gross} plus the fee {fee}")
            impact = (row.text("Balance Impact") or "").lower() if has_impact else ""
            status = (row.text("Status") or "completed").lower()
            if impact == "memo":
                memo += 1
                continue
            if not has_impact and status not in COMPLETED:
                not_completed[status] += 1
                continue
            payload = dict(row.values)
            description = " · ".join(
                part
                for part in (type_name, row.text("Name"), row.text("Item Title"), row.text("Invoice Number"))
                if part
            )
            if type_name.lower() in WITHDRAWAL_TYPES:
                withdrawals.append(
                    PayoutRecord(
                        provider=PROVIDER,
                        external_id=key,
                        period_start=occurred_at,
                        period_end=occurred_at,
                        paid_on=business_day(occurred_at, context.timezone),
                        amount=-net,
                        currency=currency,
                        status="paid" if status in COMPLETED else status[:20],
                        source=SourceRef(self.name, f"payout:{key}", row.number, payload),
                    )
                )
                continue
            kind = KINDS.get(type_name.lower())
            fee_type = None
            if kind is None:
                unknown[type_name] += 1
                kind, fee_type = "other", type_name[:60]
            elif kind == "fee":
                fee_type = "paypal_" + type_name.lower().replace(" ", "_")
            day_key = (currency, business_day(occurred_at, context.timezone))
            first_rows.setdefault(day_key, row.number)
            lines = activity[day_key]
            lines.append(
                PayoutLineRecord(
                    kind=kind,
                    amount=gross,
                    currency=currency,
                    occurred_at=occurred_at,
                    fee_type=fee_type,
                    description=description[:300],
                    source=SourceRef(self.name, key, row.number, payload),
                )
            )
            if fee:
                lines.append(
                    PayoutLineRecord(
                        kind="fee",
                        amount=fee,
                        currency=currency,
                        occurred_at=occurred_at,
                        fee_type="paypal_fee",
                        description=f"PayPal fee on {transaction_id}",
                        source=SourceRef(self.name, f"{key}:fee", row.number, None),
                    )
                )

        if memo:
            context.warn(
                f"{file.name}: {memo} memo row(s) (pending or held, no balance change) were not recorded"
            )
        for status, count in sorted(not_completed.items()):
            context.warn(
                f"{file.name}: {count} row(s) with status {status!r} move no money yet and were not recorded"
            )
        for type_name, count in sorted(unknown.items()):
            context.warn(f"{file.name}: {count} row(s) of unknown PayPal type {type_name!r} kept as 'other'")
        for (currency, day), lines in sorted(activity.items()):
            ordered = tuple(sorted(lines, key=lambda line: (line.occurred_at, line.source.row_number or 0)))
            external_id = f"activity:{currency}:{day.isoformat()}"
            yield PayoutRecord(
                provider=PROVIDER,
                external_id=external_id,
                period_start=ordered[0].occurred_at,
                period_end=ordered[-1].occurred_at,
                paid_on=day,
                amount=sum((line.amount for line in ordered), Decimal(0)),
                currency=currency,
                status="activity",
                lines=ordered,
                source=SourceRef(self.name, f"payout:{external_id}", first_rows[(currency, day)], None),
            )
        yield from withdrawals

    # -- the file's locale ------------------------------------------------------------------

    def _uses_decimal_comma(self, rows: list[Row]) -> bool:
        """EU accounts write '-24,90': decide once per file, from the amounts themselves."""
        cells = [row.values.get(column, "").strip() for row in rows for column in ("Gross", "Fee", "Net")]
        return any(_DECIMAL_COMMA.match(c) for c in cells) and not any(_DECIMAL_POINT.match(c) for c in cells)

    def _day_first(self, rows: list[Row], decimal_comma: bool, name: str, context: ParseContext) -> bool:
        """Whether slashed dates are D/M/Y (EU accounts) or M/D/Y (US): from the dates, else the locale."""
        for row in rows:
            text = row.values.get("Date", "").strip()
            match = _DATE.match(text)
            if match and len(match[1]) <= 2 and "-" in text:
                return True  # 31-01-2023: PayPal writes dashes only in day-first locales
            if match and len(match[1]) <= 2:
                if int(match[1]) > 12:
                    return True
                if int(match[2]) > 12:
                    return False
        zones = {row.values.get("TimeZone", "").strip().upper() for row in rows}
        if zones and zones <= US_ZONES:
            return False
        if decimal_comma or (zones and not zones & US_ZONES):
            return True
        context.warn(f"{name}: every date could be month/day or day/month; read as month/day (US account)")
        return False

    def _instant(self, row: Row, day_first: bool) -> datetime:
        text = row.required_text("Date")
        match = _DATE.match(text)
        if not match:
            raise row.error("Date", f"{text!r} is not a date")
        first, second, third = match[1], match[2], match[3]
        try:
            if len(first) == 4:  # 2018/01/31 (Japanese accounts)
                day = date(int(first), int(second), int(third))
            elif day_first:
                day = date(int(third), int(second), int(first))
            else:
                day = date(int(third), int(first), int(second))
        except ValueError:
            raise row.error("Date", f"{text!r} is not a date") from None
        if day.year < 100:
            raise row.error("Date", f"{text!r} has a two-digit year (re-saved by a spreadsheet?)")
        time_text = row.required_text("Time")
        try:
            clock = datetime.strptime(time_text, "%H:%M:%S").time()
        except ValueError:
            raise row.error("Time", f"{time_text!r} is not a time of day") from None
        zone_text = row.required_text("TimeZone")
        try:
            zone = zone_of(zone_text)
        except ValueError as error:
            raise row.error("TimeZone", str(error)) from None
        return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)
