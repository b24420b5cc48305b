"""Turn the database's business events into balanced journal entries, incrementally.

Each cause (an order, a refund, a payout line, a stock movement, ...) gets its entries with
``cause``/``cause_id`` and the cause's ``source_record_id``, so every figure drills down to the
rows behind it. Each entry carries a fingerprint of the facts it was built from: a run posts new
causes, re-posts causes whose facts changed (old entries deleted, new ones written), deletes the
entries of causes that disappeared (a voided order), and leaves everything else alone.

How the money flows (debit +, credit -):

- **order** (kind sale, on the order's business day): gross sales by channel per line (credit,
  with the SKU), discounts (debit), shipping income (credit), sales tax payable (credit; not on
  marketplaces that collect and remit the tax themselves: Amazon, Etsy), and the total as a
  receivable in the clearing account of the channel's payout source (debit).
- **refund**: returns and allowances (merchandise, split over the returned SKUs when the refund
  names its return), shipping income given back, tax given back; credit the clearing account.
- **chargeback**: chargebacks (debit) against clearing when opened; reversed when won.
- **payout_line**: the lines that settle what orders, refunds and chargebacks already put in the
  clearing account (principal, shipping, tax, refund, chargeback) post nothing themselves; fees go
  to marketplace fees by type or payment processing, reserves to the reserve account, marketplace
  reimbursements for lost/damaged stock against inventory write-offs, other adjustments to
  marketplace adjustments, each against clearing.
- **payout** (kind payout, on paid_on, once paid): the deposit, clearing -> bank.
- **shipment** / **return**: label costs (shipping labels, return labels) against card payable.
- **ad_spend_day**: advertising by platform against card payable; Amazon Ads against the Amazon
  clearing account instead when Amazon settlements carry advertising fee lines (then those lines
  post nothing, as the spend already sits in clearing).
- **stock_movement**: receipts at landed cost (inventory / accounts payable), opening balances
  (inventory / opening balance equity), sales (COGS / inventory, at FIFO or moving-average cost
  from `sasame.finance.cogs`), restockable returns (inventory / COGS, at the cost the units left
  with), write-offs and count corrections (inventory write-offs / inventory). Transfers between
  locations move no value. A receipt that fills a shortfall also posts its COGS true-up.
- **operating_expense** (kind ``expense:<day>``, one entry per occurrence): expense by category
  against accounts payable.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.business.service import store_settings
from sasame.core.clock import day_start, ensure_utc, zone
from sasame.core.money import Money, round_money
from sasame.finance import accounts as a
from sasame.finance.cogs import CostedEvent, CostEngine, Method, StockEvent, landed_line_values
from sasame.finance.ledger import Converter, EntryDraft, delete_entries, write_entries
from sasame.ingest.bulk import deferred_indexes, next_id, reset_sequences, write_rows

RULES_VERSION = "1"
"""Part of every fingerprint: bump it when posting rules change so every entry is re-posted."""

FACILITATOR_CHANNEL_KINDS = frozenset({"amazon", "etsy"})
"""Marketplaces that collect and remit sales tax themselves: the tax never reaches the seller."""

SETTLEMENT_KINDS = frozenset({"principal", "shipping", "tax", "refund", "chargeback"})
"""Payout line kinds that settle amounts orders, refunds and chargebacks already posted."""

CHUNK = 20_000
"""Causes read and entries written per batch: bounds memory on stores of a million orders."""


def fingerprint(*facts: Any) -> str:
    """Return a short digest of the facts an entry is built from."""
    return hashlib.blake2b(repr((RULES_VERSION, *facts)).encode(), digest_size=16).hexdigest()


class LocalDays:
    """Business days of instants in the store's timezone, with the UTC offset cached per hour."""

    def __init__(self, timezone: str | ZoneInfo) -> None:
        self.tz = zone(timezone) if isinstance(timezone, str) else timezone
        self._offsets: dict[datetime, timedelta] = {}

    def day(self, instant: datetime) -> date:
        utc = ensure_utc(instant)
        hour = utc.replace(minute=0, second=0, microsecond=0)
        offset = self._offsets.get(hour)
        if offset is None:
            offset = self._offsets[hour] = hour.astimezone(self.tz).utcoffset() or timedelta(0)
        return (utc + offset).date()

    def start(self, day: date) -> datetime:
        return day_start(day, self.tz)


@dataclass
class Posting:
    """State of one run: the chart, the store's currency and timezone, buffered drafts, counts."""

    session: Session
    chart: a.Chart
    currency: str
    days: LocalDays
    convert: Converter
    method: Method = "fifo"
    channel_kind: dict[int, str] = field(default_factory=dict)
    channel_names: dict[int, tuple[str, str]] = field(default_factory=dict)
    channel_provider: dict[int, str] = field(default_factory=dict)
    amazon_ads_in_settlement: bool = False
    pending: list[EntryDraft] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    waiting: list[EntryDraft] = field(default_factory=list)

    def clearing(self, channel_id: int | None, provider: str | None = None) -> int:
        name = provider or (self.channel_provider.get(channel_id, "other") if channel_id else "other")
        return self.chart.id_of(a.clearing_spec(name))

    def flush(self) -> None:
        """Delete re-posted entries, then write the buffered drafts."""
        if self.stale:
            self.counts["entries_deleted"] += delete_entries(self.session, self.stale)
            self.stale = []
        if self.pending:
            entries, postings, waiting = write_entries(
                self.session, self.pending, self.convert, self.currency
            )
            self.counts["entries_written"] += entries
            self.counts["postings_written"] += postings
            self.waiting.extend(waiting)
            self.pending = []

    def sync(self, cause: str, items: Iterable[tuple[int, str, Callable[[], list[EntryDraft]]]]) -> None:
        """Post what is new or changed among (cause_id, fingerprint, build) items; drop the rest."""
        existing: dict[int, list[tuple[int, str | None]]] = defaultdict(list)
        for cause_id, entry_id, print_ in self.session.execute(
            select(m.JournalEntry.cause_id, m.JournalEntry.id, m.JournalEntry.fingerprint).where(
                m.JournalEntry.cause == cause
            )
        ):
            existing[cause_id].append((entry_id, print_))
        for cause_id, print_, build in items:
            known = existing.pop(cause_id, None)
            if known and all(old == print_ for _entry, old in known):
                self.counts["unchanged"] += 1
                continue
            if known:
                self.stale.extend(entry for entry, _old in known)
                self.counts[f"{cause}_reposted"] += 1
            drafts = build()
            for draft in drafts:
                draft.fingerprint = print_
            self.pending.extend(drafts)
            self.counts[f"{cause}_posted"] += 1 if drafts else 0
            if len(self.pending) >= CHUNK:
                self.flush()
        for known in existing.values():
            self.stale.extend(entry for entry, _old in known)
        self.flush()

    def draft(
        self,
        kind: str,
        cause: str,
        cause_id: int,
        *,
        occurred_at: datetime,
        business_day: date | None = None,
        currency: str,
        channel_id: int | None = None,
        source_record_id: int | None = None,
        memo: str | None = None,
    ) -> EntryDraft:
        return EntryDraft(
            kind,
            occurred_at=occurred_at,
            business_day=business_day or self.days.day(occurred_at),
            cause=cause,
            cause_id=cause_id,
            currency=currency,
            memo=memo,
            channel_id=channel_id,
            source_record_id=source_record_id,
        )


def _chunks(session: Session, model: Any, size: int = CHUNK) -> Iterator[tuple[int, int]]:
    """Yield half-open id ranges [low, high) covering a table in batches of about ``size`` ids."""
    low, high = session.execute(select(func.min(model.id), func.max(model.id))).one()
    if low is None:
        return
    for start in range(low, high + 1, size):
        yield start, start + size


# -- orders ---------------------------------------------------------------------------------------


def _order_items(p: Posting) -> Iterator[tuple[int, str, Callable[[], list[EntryDraft]]]]:
    o, line = m.Order, m.OrderLine
    for low, high in _chunks(p.session, o):
        lines: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for line_row in p.session.execute(
            select(line.order_id, line.id, line.variant_id, line.quantity, line.unit_price, line.discount)
            .where(line.order_id >= low, line.order_id < high)
            .order_by(line.order_id, line.id)
        ):
            lines[line_row[0]].append(tuple(line_row[1:]))
        for row in p.session.execute(
            select(
                o.id,
                o.channel_id,
                o.ordered_at,
                o.order_date,
                o.currency,
                o.subtotal,
                o.discount_total,
                o.shipping_total,
                o.tax_total,
                o.financial_status,
                o.number,
                o.source_record_id,
            )
            .where(o.id >= low, o.id < high, o.financial_status != "voided")
            .order_by(o.id)
        ):
            order_lines = lines.get(row[0], [])
            facts = (*row[1:10], row[11], p.channel_provider.get(row[1]), order_lines)
            yield row[0], fingerprint(facts), _order_builder(p, tuple(row), order_lines)


def _order_builder(
    p: Posting, row: tuple[Any, ...], lines: list[tuple[Any, ...]]
) -> Callable[[], list[EntryDraft]]:
    def build() -> list[EntryDraft]:
        (order_id, channel_id, ordered_at, order_date, currency, subtotal, discount, shipping, tax, _status,
         number, source_id) = row  # fmt: skip
        draft = p.draft(
            "sale",
            "order",
            order_id,
            occurred_at=ordered_at,
            business_day=order_date,
            currency=currency,
            channel_id=channel_id,
            source_record_id=source_id,
            memo=f"Order {number}",
        )
        sales = p.chart.id_of(_sales_spec(p, channel_id))
        discounts = p.chart.code_id(a.DISCOUNTS)
        gross_lines = Decimal(0)
        discount_lines = Decimal(0)
        for _line_id, variant_id, quantity, unit_price, line_discount in lines:
            gross = round_money(unit_price * quantity, currency)
            gross_lines += gross
            discount_lines += round_money(line_discount, currency)
            draft.add(sales, -gross, order_id=order_id, variant_id=variant_id)
            draft.add(discounts, line_discount, order_id=order_id, variant_id=variant_id)
        # Order-level figures win over lines: what lines do not explain is posted without a SKU.
        draft.add(sales, -(subtotal - gross_lines), order_id=order_id)
        draft.add(discounts, discount - discount_lines, order_id=order_id)
        draft.add(p.chart.code_id(a.SHIPPING_INCOME), -shipping, order_id=order_id)
        if p.channel_kind.get(channel_id) not in FACILITATOR_CHANNEL_KINDS:
            draft.add(p.chart.code_id(a.SALES_TAX_PAYABLE), -tax, order_id=order_id)
        draft.balance_to(p.clearing(channel_id), order_id=order_id)
        return [draft] if draft.lines else []

    return build


def _sales_spec(p: Posting, channel_id: int) -> a.AccountSpec:
    code, name = p.channel_names[channel_id]
    return a.sales_spec(code, name, channel_id)


# -- refunds and chargebacks ----------------------------------------------------------------------


def _refund_items(p: Posting) -> Iterator[tuple[int, str, Callable[[], list[EntryDraft]]]]:
    r, o = m.Refund, m.Order
    returned: dict[int, list[tuple[int | None, Decimal]]] = defaultdict(list)
    """return id -> [(variant, merchandise value of the returned units)] to split refunds by SKU."""
    for return_id, variant_id, quantity, unit_price, line_quantity, line_discount in p.session.execute(
        select(
            m.ReturnLine.return_id,
            m.OrderLine.variant_id,
            m.ReturnLine.quantity,
            m.OrderLine.unit_price,
            m.OrderLine.quantity,
            m.OrderLine.discount,
        ).join(m.OrderLine, m.OrderLine.id == m.ReturnLine.order_line_id)
    ):
        net_unit = unit_price - (line_discount / line_quantity if line_quantity else 0)
        returned[return_id].append((variant_id, max(net_unit * quantity, Decimal(0))))
    for row in p.session.execute(
        select(
            r.id,
            r.order_id,
            r.return_id,
            r.refunded_at,
            r.amount,
            r.shipping_amount,
            r.tax_amount,
            r.currency,
            r.source_record_id,
            o.channel_id,
            o.number,
        )
        .join(o, o.id == r.order_id)
        .order_by(r.id)
    ):
        split = returned.get(row[2], []) if row[2] is not None else []
        facts = (*row[1:], p.channel_provider.get(row[9]), split)
        yield row[0], fingerprint(facts), _refund_builder(p, tuple(row), split)


def _refund_builder(
    p: Posting, row: tuple[Any, ...], split: list[tuple[int | None, Decimal]]
) -> Callable[[], list[EntryDraft]]:
    def build() -> list[EntryDraft]:
        (refund_id, order_id, _return_id, refunded_at, amount, shipping, tax, currency, source_id, channel_id,
         number) = row  # fmt: skip
        draft = p.draft(
            "refund",
            "refund",
            refund_id,
            occurred_at=refunded_at,
            currency=currency,
            channel_id=channel_id,
            source_record_id=source_id,
            memo=f"Refund of order {number}",
        )
        merchandise = round_money(amount - shipping - tax, currency)
        returns = p.chart.code_id(a.RETURNS)
        weights = [value for _variant, value in split]
        if merchandise > 0 and weights and sum(weights) > 0:
            parts = Money(merchandise, currency).allocate(weights)
            for (variant_id, _value), part in zip(split, parts, strict=True):
                draft.add(returns, part.amount, order_id=order_id, variant_id=variant_id)
        else:
            draft.add(returns, merchandise, order_id=order_id)
        draft.add(p.chart.code_id(a.SHIPPING_INCOME), shipping, order_id=order_id)
        if p.channel_kind.get(channel_id) not in FACILITATOR_CHANNEL_KINDS:
            draft.add(p.chart.code_id(a.SALES_TAX_PAYABLE), tax, order_id=order_id)
        draft.balance_to(p.clearing(channel_id), order_id=order_id)
        return [draft] if draft.lines else []

    return build


def _chargeback_items(p: Posting) -> Iterator[tuple[int, str, Callable[[], list[EntryDraft]]]]:
    c, o = m.Chargeback, m.Order
    for row in p.session.execute(
        select(
            c.id,
            c.order_id,
            c.opened_at,
            c.resolved_at,
            c.status,
            c.amount,
            c.currency,
            c.source_record_id,
            o.channel_id,
            o.number,
        )
        .join(o, o.id == c.order_id)
        .order_by(c.id)
    ):
        facts = (*row[1:], p.channel_provider.get(row[8]))
        yield row[0], fingerprint(facts), _chargeback_builder(p, tuple(row))


def _chargeback_builder(p: Posting, row: tuple[Any, ...]) -> Callable[[], list[EntryDraft]]:
    def build() -> list[EntryDraft]:
        (chargeback_id, order_id, opened_at, resolved_at, status, amount, currency, source_id, channel_id,
         number) = row  # fmt: skip
        account = p.chart.code_id(a.CHARGEBACKS)
        clearing = p.clearing(channel_id)
        opened = p.draft(
            "chargeback",
            "chargeback",
            chargeback_id,
            occurred_at=opened_at,
            currency=currency,
            channel_id=channel_id,
            source_record_id=source_id,
            memo=f"Chargeback on order {number}",
        )
        opened.add(account, amount, order_id=order_id)
        opened.balance_to(clearing, order_id=order_id)
        drafts = [opened] if opened.lines else []
        if status == "won" and resolved_at is not None:
            won = p.draft(
                "chargeback_won",
                "chargeback",
                chargeback_id,
                occurred_at=resolved_at,
                currency=currency,
                channel_id=channel_id,
                source_record_id=source_id,
                memo=f"Chargeback won on order {number}: funds returned",
            )
            won.add(account, -amount, order_id=order_id)
            won.balance_to(clearing, order_id=order_id)
            drafts += [won] if won.lines else []
        return drafts

    return build


# -- payouts --------------------------------------------------------------------------------------


def _payout_line_items(p: Posting) -> Iterator[tuple[int, str, Callable[[], list[EntryDraft]]]]:
    line, payout = m.PayoutLine, m.Payout
    for low, high in _chunks(p.session, line):
        for row in p.session.execute(
            select(
                line.id,
                line.kind,
                line.fee_type,
                line.order_id,
                line.occurred_at,
                line.amount,
                line.currency,
                line.description,
                line.source_record_id,
                payout.provider,
                payout.channel_id,
                payout.external_id,
            )
            .join(payout, payout.id == line.payout_id)
            .where(line.id >= low, line.id < high)
            .order_by(line.id)
        ):
            if _payout_line_account(p, row[1], row[2], row[9]) is None:
                continue
            yield (
                row[0],
                fingerprint(row[1:], p.amazon_ads_in_settlement),
                _payout_line_builder(p, tuple(row)),
            )


def _payout_line_account(p: Posting, kind: str, fee_type: str | None, provider: str) -> a.AccountSpec | None:
    """Return the account a payout line posts to, or None for lines that only settle clearing."""
    if kind in SETTLEMENT_KINDS:
        return None
    normal = (fee_type or "").strip().lower()
    if kind == "reserve":
        return a.reserve_spec(provider)
    if kind == "fee":
        if normal in a.ADVERTISING_FEE_TYPES and provider == "amazon" and p.amazon_ads_in_settlement:
            return None
        return a.fee_spec(provider, fee_type)
    if normal in a.REIMBURSEMENT_FEE_TYPES:
        return a.spec_of(a.INVENTORY_WRITE_OFFS)
    if normal in a.CHARGEBACK_FEE_TYPES:
        return a.spec_of(a.CHARGEBACK_FEES)
    return a.spec_of(a.OTHER_INCOME)


def _payout_line_builder(p: Posting, row: tuple[Any, ...]) -> Callable[[], list[EntryDraft]]:
    def build() -> list[EntryDraft]:
        (line_id, kind, fee_type, order_id, occurred_at, amount, currency, description, source_id, provider,
         channel_id, external_id) = row  # fmt: skip
        spec = _payout_line_account(p, kind, fee_type, provider)
        if spec is None:
            return []
        draft = p.draft(
            "fee" if kind == "fee" else kind,
            "payout_line",
            line_id,
            occurred_at=occurred_at,
            currency=currency,
            channel_id=channel_id,
            source_record_id=source_id,
            memo=f"{provider} {external_id}: {description or fee_type or kind}"[:300],
        )
        # Money to the seller is positive on the line: the account takes the opposite sign.
        draft.add(p.chart.id_of(spec), -amount, order_id=order_id)
        draft.balance_to(p.clearing(channel_id, provider), order_id=order_id)
        return [draft] if draft.lines else []

    return build


def _payout_items(p: Posting) -> Iterator[tuple[int, str, Callable[[], list[EntryDraft]]]]:
    payout = m.Payout
    for row in p.session.execute(
        select(
            payout.id,
            payout.provider,
            payout.channel_id,
            payout.external_id,
            payout.paid_on,
            payout.amount,
            payout.currency,
            payout.source_record_id,
        )
        .where(payout.status == "paid")
        .order_by(payout.id)
    ):
        yield row[0], fingerprint(row[1:]), _payout_builder(p, tuple(row))


def _payout_builder(p: Posting, row: tuple[Any, ...]) -> Callable[[], list[EntryDraft]]:
    def build() -> list[EntryDraft]:
        payout_id, provider, channel_id, external_id, paid_on, amount, currency, source_id = row
        draft = p.draft(
            "payout",
            "payout",
            payout_id,
            occurred_at=p.days.start(paid_on),
            business_day=paid_on,
            currency=currency,
            channel_id=channel_id,
            source_record_id=source_id,
            memo=f"{provider} payout {external_id} deposited",
        )
        draft.add(p.chart.code_id(a.BANK), amount)
        draft.balance_to(p.clearing(channel_id, provider))
        return [draft] if draft.lines else []

    return build


# -- labels and ads -------------------------------------------------------------------------------


def _shipment_items(p: Posting) -> Iterator[tuple[int, str, Callable[[], list[EntryDraft]]]]:
    s, o = m.Shipment, m.Order
    for low, high in _chunks(p.session, s):
        for row in p.session.execute(
            select(
                s.id,
                s.order_id,
                s.shipped_at,
                s.label_cost,
                s.currency,
                s.carrier,
                s.source_record_id,
                o.channel_id,
            )
            .join(o, o.id == s.order_id)
            .where(s.id >= low, s.id < high, s.label_cost != 0)
            .order_by(s.id)
        ):
            yield row[0], fingerprint(row[1:]), _label_builder(p, "shipment", a.SHIPPING_LABELS, tuple(row))


def _return_label_items(p: Posting) -> Iterator[tuple[int, str, Callable[[], list[EntryDraft]]]]:
    r, o = m.Return, m.Order
    for row in p.session.execute(
        select(
            r.id,
            r.order_id,
            r.requested_at,
            r.label_cost,
            r.currency,
            r.rma_number,
            r.source_record_id,
            o.channel_id,
        )
        .join(o, o.id == r.order_id)
        .where(r.label_cost != 0)
        .order_by(r.id)
    ):
        yield row[0], fingerprint(row[1:]), _label_builder(p, "return", a.RETURN_LABELS, tuple(row))


def _label_builder(p: Posting, cause: str, code: str, row: tuple[Any, ...]) -> Callable[[], list[EntryDraft]]:
    def build() -> list[EntryDraft]:
        cause_id, order_id, at, cost, currency, what, source_id, channel_id = row
        draft = p.draft(
            "shipping_label" if cause == "shipment" else "return_label",
            cause,
            cause_id,
            occurred_at=at,
            currency=currency,
            channel_id=channel_id,
            source_record_id=source_id,
            memo=f"{'Shipping' if cause == 'shipment' else 'Return'} label ({what})",
        )
        draft.add(p.chart.code_id(code), cost, order_id=order_id)
        draft.balance_to(p.chart.code_id(a.CARD_PAYABLE), order_id=order_id)
        return [draft] if draft.lines else []

    return build


def _ad_spend_items(p: Posting) -> Iterator[tuple[int, str, Callable[[], list[EntryDraft]]]]:
    spend, ad, ad_set, campaign = m.AdSpendDay, m.Ad, m.AdSet, m.AdCampaign
    amazon_channel = next((cid for cid, kind in sorted(p.channel_kind.items()) if kind == "amazon"), None)
    for low, high in _chunks(p.session, spend):
        for row in p.session.execute(
            select(
                spend.id,
                spend.spend_date,
                spend.spend,
                spend.currency,
                spend.source_record_id,
                campaign.platform,
                campaign.name,
            )
            .join(ad, ad.id == spend.ad_id)
            .join(ad_set, ad_set.id == ad.ad_set_id)
            .join(campaign, campaign.id == ad_set.campaign_id)
            .where(spend.id >= low, spend.id < high, spend.spend != 0)
            .order_by(spend.id)
        ):
            facts = (row[1:], p.amazon_ads_in_settlement, amazon_channel)
            yield row[0], fingerprint(facts), _ad_builder(p, tuple(row), amazon_channel)


def _ad_builder(
    p: Posting, row: tuple[Any, ...], amazon_channel: int | None
) -> Callable[[], list[EntryDraft]]:
    def build() -> list[EntryDraft]:
        spend_id, day, amount, currency, source_id, platform, campaign_name = row
        is_amazon = platform == "amazon_ads"
        draft = p.draft(
            "ad_spend",
            "ad_spend_day",
            spend_id,
            occurred_at=p.days.start(day),
            business_day=day,
            currency=currency,
            channel_id=amazon_channel if is_amazon else None,
            source_record_id=source_id,
            memo=f"{platform}: {campaign_name}"[:300],
        )
        draft.add(p.chart.id_of(a.advertising_spec(platform)), amount)
        if is_amazon and p.amazon_ads_in_settlement:
            draft.balance_to(p.clearing(amazon_channel, "amazon"))
        else:
            draft.balance_to(p.chart.code_id(a.CARD_PAYABLE))
        return [draft] if draft.lines else []

    return build


# -- operating expenses ---------------------------------------------------------------------------


def _expense_entries(p: Posting, now: datetime) -> None:
    """Post every occurrence of the owner's operating expenses up to today, one entry each."""
    from sasame.finance.expenses import occurrences

    today = p.days.day(now)
    by_expense: dict[int, list[Any]] = defaultdict(list)
    for occurrence in occurrences(p.session, date(1970, 1, 1), today + timedelta(days=1)):
        by_expense[occurrence.expense_id].append(occurrence)

    def items() -> Iterator[tuple[int, str, Callable[[], list[EntryDraft]]]]:
        for expense_id, found in sorted(by_expense.items()):
            facts = [(o.day, o.amount, o.currency, o.name, o.category) for o in found]
            yield expense_id, fingerprint(facts), _expense_builder(p, expense_id, found)

    p.sync("operating_expense", items())


def _expense_builder(p: Posting, expense_id: int, found: list[Any]) -> Callable[[], list[EntryDraft]]:
    def build() -> list[EntryDraft]:
        drafts = []
        for occurrence in found:
            draft = p.draft(
                f"expense:{occurrence.day.isoformat()}",
                "operating_expense",
                expense_id,
                occurred_at=p.days.start(occurrence.day),
                business_day=occurrence.day,
                currency=occurrence.currency,
                memo=f"{occurrence.name} ({occurrence.category})"[:300],
            )
            draft.add(p.chart.id_of(a.expense_spec(occurrence.category)), occurrence.amount)
            draft.balance_to(p.chart.code_id(a.ACCOUNTS_PAYABLE))
            if draft.lines:
                drafts.append(draft)
        return drafts

    return build


# -- stock and cost of goods ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Movement:
    id: int
    variant_id: int
    location_id: int | None
    kind: str
    quantity: int
    unit_cost: Decimal | None
    currency: str
    moved_at: datetime
    order_line_id: int | None
    purchase_order_line_id: int | None
    return_line_id: int | None
    source_record_id: int | None


def _stock_entries(p: Posting) -> None:
    """Cost every stock movement (FIFO or average), post what changed, and rewrite the cost layers."""
    session = p.session
    landed = _landed_unit_values(p)
    variant_cost = {
        variant: cost for variant, cost in session.execute(select(m.Variant.id, m.Variant.unit_cost))
    }
    components: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for bundle, component, quantity in session.execute(
        select(
            m.BundleComponent.bundle_variant_id,
            m.BundleComponent.component_variant_id,
            m.BundleComponent.quantity,
        ).order_by(m.BundleComponent.id)
    ):
        components[bundle].append((component, quantity))
    line_info = _order_line_info(p)
    sale_of_line: dict[tuple[int, int], int] = {}
    return_line_order_line = {
        line: order_line
        for line, order_line in session.execute(select(m.ReturnLine.id, m.ReturnLine.order_line_id))
    }

    engine = CostEngine(p.method, p.currency, components)
    movements: dict[int, _Movement] = {}
    costed: dict[int, list[CostedEvent]] = {}
    seen_variants: set[tuple[int, int | None]] = set()
    sv = m.StockMovement
    query = select(
        sv.id,
        sv.variant_id,
        sv.location_id,
        sv.kind,
        sv.quantity,
        sv.unit_cost,
        sv.currency,
        sv.moved_at,
        sv.order_line_id,
        sv.purchase_order_line_id,
        sv.return_line_id,
        sv.source_record_id,
    ).order_by(sv.moved_at, sv.id)
    for row in session.execute(query):
        movement = _Movement(*row)  # type: ignore[call-arg]
        event = _stock_event(
            p, movement, landed, variant_cost, sale_of_line, return_line_order_line, seen_variants
        )
        seen_variants.add((movement.variant_id, movement.location_id))
        if event is None:
            continue
        movements[movement.id] = movement
        if event.kind == "sale" and movement.order_line_id is not None:
            sale_of_line.setdefault((movement.order_line_id, movement.variant_id), movement.id)
        costed[movement.id] = engine.apply(event)
        if any(c.provisional for c in costed[movement.id]):
            p.counts["provisional_costs"] += 1

    def items() -> Iterator[tuple[int, str, Callable[[], list[EntryDraft]]]]:
        for movement_id, events in costed.items():
            movement = movements[movement_id]
            order_line = movement.order_line_id
            if order_line is None and movement.return_line_id is not None:
                order_line = return_line_order_line.get(movement.return_line_id)
            info = line_info.get(order_line) if order_line is not None else None
            facts = (
                movement.kind,
                movement.variant_id,
                movement.moved_at,
                movement.source_record_id,
                info,
                [(c.kind, c.variant, c.quantity, c.value, c.true_up) for c in events],
            )
            yield movement_id, fingerprint(facts), _movement_builder(p, movement, events, info)

    p.sync("stock_movement", items())
    _write_layers(p, engine, movements)


def _stock_event(
    p: Posting,
    movement: _Movement,
    landed: dict[int, tuple[Decimal, int]],
    variant_cost: dict[int, Decimal | None],
    sale_of_line: dict[tuple[int, int], int],
    return_line_order_line: dict[int, int],
    seen_variants: set[tuple[int, int | None]],
) -> StockEvent | None:
    """Translate a movement into the cost engine's event; transfers and zero moves carry no value."""
    quantity = abs(movement.quantity)
    if quantity == 0 or movement.kind in {"transfer_in", "transfer_out"}:
        return None
    fallback = movement.unit_cost if movement.unit_cost is not None else variant_cost.get(movement.variant_id)
    key, variant = movement.id, movement.variant_id
    if movement.kind == "receipt" and movement.quantity > 0:
        line = landed.get(movement.purchase_order_line_id) if movement.purchase_order_line_id else None
        if line is not None:
            line_value, ordered = line
            value = round_money(line_value * quantity / ordered, p.currency)
        else:
            value = round_money(quantity * (fallback or Decimal(0)), p.currency)
        return StockEvent(key, variant, "receipt", quantity, value, None, fallback)
    if movement.kind == "sale" and movement.quantity < 0:
        return StockEvent(key, variant, "sale", quantity, None, None, fallback)
    if movement.kind == "return" and movement.quantity > 0:
        order_line = return_line_order_line.get(movement.return_line_id) if movement.return_line_id else None
        sale = sale_of_line.get((order_line, variant)) if order_line is not None else None
        return StockEvent(key, variant, "return", quantity, None, sale, fallback)
    if movement.quantity > 0:
        # Units counted in a SKU's first movement at a location are its opening balance there, at
        # the recorded cost (a store starts with stock in its warehouse and at FBA alike); units
        # found later are valued at the SKU's current cost.
        if (variant, movement.location_id) not in seen_variants:
            value = round_money(quantity * (fallback or Decimal(0)), p.currency)
            return StockEvent(key, variant, "opening", quantity, value, None, fallback)
        return StockEvent(key, variant, "found", quantity, None, None, fallback)
    return StockEvent(key, variant, "write_off", quantity, None, None, fallback)


def _landed_unit_values(p: Posting) -> dict[int, tuple[Decimal, int]]:
    """Return {purchase order line id: (landed value of the line in store currency, units ordered)}."""
    po, line = m.PurchaseOrder, m.PurchaseOrderLine
    lines_of: dict[int, list[tuple[int, int, Decimal]]] = defaultdict(list)
    for line_id, po_id, ordered, unit_cost in p.session.execute(
        select(line.id, line.purchase_order_id, line.quantity_ordered, line.unit_cost).order_by(line.id)
    ):
        lines_of[po_id].append((line_id, ordered, unit_cost))
    landed: dict[int, tuple[Decimal, int]] = {}
    for po_id, currency, freight, duty, rate in p.session.execute(
        select(po.id, po.currency, po.freight_cost, po.duty_cost, po.exchange_rate)
    ):
        lines = lines_of.get(po_id, [])
        if not lines:
            continue
        values = landed_line_values([(q, c) for _id, q, c in lines], freight, duty, currency)
        factor = rate if currency != p.currency and rate else Decimal(1)
        for (line_id, ordered, _cost), value in zip(lines, values, strict=True):
            if ordered > 0:
                landed[line_id] = (value * factor, ordered)
    return landed


def _order_line_info(p: Posting) -> dict[int, tuple[int, int, int | None]]:
    """Return {order line id: (order id, channel id, variant sold)} for lines stock moved for
    (sold, or returned through a return line)."""
    line, order = m.OrderLine, m.Order
    sold = select(m.StockMovement.order_line_id).where(m.StockMovement.order_line_id.is_not(None))
    returned = select(m.ReturnLine.order_line_id).join(
        m.StockMovement, m.StockMovement.return_line_id == m.ReturnLine.id
    )
    return {
        line_id: (order_id, channel_id, variant_id)
        for line_id, order_id, channel_id, variant_id in p.session.execute(
            select(line.id, line.order_id, order.channel_id, line.variant_id)
            .join(order, order.id == line.order_id)
            .where(line.id.in_(sold) | line.id.in_(returned))
        )
    }


MOVEMENT_ENTRY = {
    "receipt": ("receipt", a.ACCOUNTS_PAYABLE),
    "opening": ("opening_balance", a.OPENING_BALANCE_EQUITY),
    "found": ("adjustment", a.INVENTORY_WRITE_OFFS),
    "sale": ("cogs", a.COGS),
    "return": ("return", a.COGS),
    "write_off": ("write_off", a.INVENTORY_WRITE_OFFS),
}
"""Engine event kind -> (entry kind, the account on the other side of inventory)."""


def _movement_builder(
    p: Posting, movement: _Movement, events: list[CostedEvent], info: tuple[int, int, int | None] | None
) -> Callable[[], list[EntryDraft]]:
    def build() -> list[EntryDraft]:
        kind, other_code = MOVEMENT_ENTRY[events[0].kind]
        order_id, channel_id, sold_variant = info if info else (None, None, None)
        draft = p.draft(
            kind,
            "stock_movement",
            movement.id,
            occurred_at=movement.moved_at,
            currency=p.currency,
            channel_id=channel_id,
            source_record_id=movement.source_record_id,
            memo=f"{movement.kind} of {abs(movement.quantity)} units",
        )
        inventory = p.chart.code_id(a.INVENTORY)
        other = p.chart.code_id(other_code)
        cogs = p.chart.code_id(a.COGS)
        outbound = events[0].kind in {"sale", "write_off"}
        for event in events:
            # COGS and returns carry the SKU that was sold (a bundle), inventory the one that moved.
            shown = (
                sold_variant
                if sold_variant is not None and event.kind in {"sale", "return"}
                else event.variant
            )
            signed = -event.value if outbound else event.value
            draft.add(inventory, signed, order_id=order_id, variant_id=event.variant)
            draft.add(other, -signed, order_id=order_id, variant_id=shown)
            if event.true_up:
                draft.add(cogs, event.true_up, variant_id=event.variant)
                draft.add(inventory, -event.true_up, variant_id=event.variant)
        return [draft] if draft.lines else []

    return build


def _write_layers(p: Posting, engine: CostEngine, movements: dict[int, _Movement]) -> None:
    """Replace the cost_layer table with the engine's open layers and shortfalls."""
    session = p.session
    session.execute(delete(m.CostLayer))
    columns: dict[str, list[Any]] = defaultdict(list)
    last_movement: dict[int, int] = {}
    for key, movement in movements.items():
        last_movement[movement.variant_id] = max(key, last_movement.get(movement.variant_id, key))
    for variant in engine.variants():
        rows = [(layer.key, layer.quantity, layer.remaining, layer.value) for layer in engine.layers(variant)]
        short, short_value = engine.shortfall(variant)
        if short and variant in last_movement:
            rows.append((last_movement[variant], 0, -short, -short_value))
        for key, quantity, remaining, value in rows:
            opened = movements.get(key)
            if opened is None:
                continue
            columns["variant_id"].append(variant)
            columns["location_id"].append(opened.location_id)
            columns["opened_at"].append(opened.moved_at)
            columns["quantity"].append(quantity)
            columns["remaining"].append(remaining)
            columns["remaining_value"].append(value)
            columns["unit_cost"].append(round(value / remaining, 4) if remaining else Decimal(0))
            columns["currency"].append(p.currency)
            columns["purchase_order_line_id"].append(opened.purchase_order_line_id)
            columns["stock_movement_id"].append(key)
    if columns:
        connection = session.connection()
        count = len(columns["variant_id"])
        first = next_id(connection, m.CostLayer)
        columns["id"] = list(range(first, first + count))
        write_rows(connection, m.CostLayer, columns)
        reset_sequences(connection, [m.CostLayer])
    p.counts["cost_layers"] = len(columns["variant_id"]) if columns else 0


# -- the run --------------------------------------------------------------------------------------


def start(session: Session, convert: Converter | None = None, method: Method = "fifo") -> Posting:
    """Prepare a posting run: ensure the chart, read channels and payout sources."""
    settings = store_settings(session)
    chart = a.ensure_chart(session)
    if convert is None:
        convert = _store_converter(session, settings.currency)
    p = Posting(session, chart, settings.currency, LocalDays(settings.timezone), convert, method)
    for channel_id, code, name, kind in session.execute(
        select(m.Channel.id, m.Channel.code, m.Channel.name, m.Channel.kind)
    ):
        p.channel_names[channel_id] = (code, name)
        p.channel_kind[channel_id] = kind
        p.channel_provider[channel_id] = a.PROVIDER_OF_CHANNEL_KIND.get(kind, "other")
    # A channel is paid through the source most of its payouts come from, when it has payouts.
    usage = session.execute(
        select(m.Payout.channel_id, m.Payout.provider, func.count())
        .where(m.Payout.channel_id.is_not(None))
        .group_by(m.Payout.channel_id, m.Payout.provider)
        .order_by(m.Payout.channel_id, func.count().desc(), m.Payout.provider)
    ).all()
    decided: set[int] = set()
    for paid_channel, provider, _count in usage:
        if paid_channel is not None and paid_channel not in decided:
            p.channel_provider[paid_channel] = provider
            decided.add(paid_channel)
    p.amazon_ads_in_settlement = bool(
        session.scalar(
            select(func.count())
            .select_from(m.PayoutLine)
            .join(m.Payout, m.Payout.id == m.PayoutLine.payout_id)
            .where(
                m.Payout.provider == "amazon",
                m.PayoutLine.kind == "fee",
                func.lower(m.PayoutLine.fee_type).in_(sorted(a.ADVERTISING_FEE_TYPES)),
            )
        )
    )
    return p


def _expenses_available() -> bool:
    """Whether the owner's operating expenses exist in this build (they come with the reports)."""
    try:
        import sasame.finance.expenses  # noqa: F401
    except ImportError:
        return False
    return "operating_expense" in m.Base.metadata.tables


def _store_converter(session: Session, currency: str) -> Converter:
    """Return a converter over the rate table (payout rates first) when one exists."""
    try:
        from sasame.finance.fx import RateBook
    except ImportError:  # the rate table arrives with the finance reports; without it, one currency
        from sasame.finance.ledger import identity_converter

        return identity_converter(currency)
    book = RateBook.load(session, currency)
    return book.convert


def post_everything(
    session: Session, now: datetime, *, method: Method = "fifo", convert: Converter | None = None
) -> dict[str, Any]:
    """Post every cause that is new or changed since the last run; return what happened."""
    p = start(session, convert, method)
    empty = session.scalar(select(m.JournalEntry.id).limit(1)) is None
    # A first run writes the whole history: building the ledger's indexes once afterwards is
    # several times faster than updating them row by row (later runs delete by them, so keep them).
    with deferred_indexes(session.connection(), [m.Posting] if empty else []):
        _post_all(p, now)
    summary: dict[str, Any] = dict(sorted(p.counts.items()))
    summary["waiting_for_exchange_rate"] = len(p.waiting)
    summary["method"] = method
    return summary


def _post_all(p: Posting, now: datetime) -> None:
    p.sync("order", _order_items(p))
    p.sync("refund", _refund_items(p))
    p.sync("chargeback", _chargeback_items(p))
    p.sync("payout_line", _payout_line_items(p))
    p.sync("payout", _payout_items(p))
    p.sync("shipment", _shipment_items(p))
    p.sync("return", _return_label_items(p))
    p.sync("ad_spend_day", _ad_spend_items(p))
    if _expenses_available():
        _expense_entries(p, now)
    _stock_entries(p)
    p.flush()
