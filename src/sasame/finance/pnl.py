"""The daily P&L over the ledger, in the layers the owner reads top to bottom.

Every figure is a *profit effect* in the store currency: revenue is positive, every cost and
contra-revenue is negative, so each subtotal is a plain sum of the lines above it:

    gross sales + discounts + shipping income + returns + chargebacks   = net revenue
    + COGS                                                               = gross margin
    + marketplace fees + payment processing + shipping                   = contribution after fulfilment
    + advertising                                                        = contribution after marketing
    + operating expenses                                                 = net operating income
    + FX gain/loss + other                                               = net income

Figures come from ``pnl_day``, a rollup of the P&L postings per business day, account, channel
and SKU that ``refresh_pnl_days`` rebuilds from ``posting`` (the pipeline step ``finance.rollup``
runs it after the ledger is posted), so a year over a million orders sums a few hundred
thousand rows instead of millions of postings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.business.service import store_settings
from sasame.core.errors import UserError
from sasame.core.money import round_money
from sasame.ingest.bulk import table_of
from sasame.models.base import Amount

REVENUE_LINES = ("gross_sales", "discounts", "shipping_income", "returns", "chargebacks")
FULFILMENT_LINES = ("marketplace_fees", "payment_processing", "shipping")
BELOW_LINES = ("fx", "other")
LINES = (*REVENUE_LINES, "cogs", *FULFILMENT_LINES, "advertising", "operating_expenses", *BELOW_LINES)
SUBTOTALS = (
    "net_revenue",
    "gross_margin",
    "contribution_after_fulfilment",
    "contribution_after_marketing",
    "net_operating_income",
    "net_income",
)
FIGURES = (
    "gross_sales",
    "discounts",
    "shipping_income",
    "returns",
    "chargebacks",
    "net_revenue",
    "cogs",
    "gross_margin",
    "marketplace_fees",
    "payment_processing",
    "shipping",
    "contribution_after_fulfilment",
    "advertising",
    "contribution_after_marketing",
    "operating_expenses",
    "net_operating_income",
    "fx",
    "other",
    "net_income",
)
"""Every figure of a P&L row, in reading order."""
LABELS = {
    "gross_sales": "Gross sales",
    "discounts": "Discounts",
    "shipping_income": "Shipping income",
    "returns": "Returns",
    "chargebacks": "Chargebacks",
    "net_revenue": "Net revenue",
    "cogs": "COGS",
    "gross_margin": "Gross margin",
    "marketplace_fees": "Marketplace fees",
    "payment_processing": "Payment processing",
    "shipping": "Shipping",
    "contribution_after_fulfilment": "Contribution after fulfilment",
    "advertising": "Advertising",
    "contribution_after_marketing": "Contribution after marketing",
    "operating_expenses": "Operating expenses",
    "net_operating_income": "Net operating income",
    "fx": "FX gain/loss",
    "other": "Other",
    "net_income": "Net income",
}
GROUPINGS = ("day", "week", "month", "channel", "product", "sku")
UNASSIGNED = "(not assigned)"
"""The key of amounts that have no channel or SKU (ad spend, operating expenses, payout-level fees)."""


def pairs(rows: Iterable[Any]) -> dict[Any, Any]:
    """Return {first column: second column} of two-column result rows."""
    return {row[0]: row[1] for row in rows}


def _subtotals(lines: dict[str, Decimal]) -> dict[str, Decimal]:
    net_revenue = sum((lines[name] for name in REVENUE_LINES), Decimal(0))
    gross_margin = net_revenue + lines["cogs"]
    after_fulfilment = gross_margin + sum((lines[name] for name in FULFILMENT_LINES), Decimal(0))
    after_marketing = after_fulfilment + lines["advertising"]
    operating = after_marketing + lines["operating_expenses"]
    return {
        "net_revenue": net_revenue,
        "gross_margin": gross_margin,
        "contribution_after_fulfilment": after_fulfilment,
        "contribution_after_marketing": after_marketing,
        "net_operating_income": operating,
        "net_income": operating + sum((lines[name] for name in BELOW_LINES), Decimal(0)),
    }


def break_even_roas(net_revenue: Decimal, contribution_after_fulfilment: Decimal) -> Decimal | None:
    """Return 1 / (contribution after fulfilment / net revenue): the ad return that only breaks even.

    None when nothing is earned before marketing (no ad spend can pay for itself then).
    """
    if net_revenue <= 0 or contribution_after_fulfilment <= 0:
        return None
    return (net_revenue / contribution_after_fulfilment).quantize(Decimal("0.01"))


@dataclass
class PnlRow:
    """One row of the report: a period or a channel/product/SKU, with every figure."""

    key: str
    label: str
    figures: dict[str, Decimal]
    ref: dict[str, Any] = field(default_factory=dict)
    """What the key means for drill-down: {'first': ..., 'last_exclusive': ...} or {'channel_id': 3}."""

    @property
    def margin(self) -> Decimal | None:
        """Contribution after fulfilment as a share of net revenue (None without revenue)."""
        revenue = self.figures["net_revenue"]
        if revenue == 0:
            return None
        return (self.figures["contribution_after_fulfilment"] / revenue).quantize(Decimal("0.0001"))

    @property
    def break_even_roas(self) -> Decimal | None:
        return break_even_roas(self.figures["net_revenue"], self.figures["contribution_after_fulfilment"])

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            **{name: str(value) for name, value in self.figures.items()},
            "margin": None if self.margin is None else str(self.margin),
            "break_even_roas": None if self.break_even_roas is None else str(self.break_even_roas),
            **({"ref": self.ref} if self.ref else {}),
        }


@dataclass
class PnlReport:
    currency: str
    first: date
    last_exclusive: date
    by: str
    rows: list[PnlRow]
    total: PnlRow

    def as_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "from": self.first.isoformat(),
            "to": (self.last_exclusive - timedelta(days=1)).isoformat(),
            "by": self.by,
            "rows": [row.as_json() for row in self.rows],
            "total": self.total.as_json(),
        }


def _row(key: str, label: str, lines: dict[str, Decimal], currency: str, ref: dict[str, Any]) -> PnlRow:
    rounded = {name: round_money(lines.get(name, Decimal(0)), currency) for name in LINES}
    figures = {**rounded, **_subtotals(rounded)}
    return PnlRow(key, label, {name: figures[name] for name in FIGURES}, ref)


def _period(day: date, by: str) -> tuple[str, date, date]:
    """Return the period key of a day and its half-open range of days."""
    if by == "day":
        return day.isoformat(), day, day + timedelta(days=1)
    if by == "week":
        monday = day - timedelta(days=day.weekday())
        iso = monday.isocalendar()
        return f"{iso.year}-W{iso.week:02d}", monday, monday + timedelta(days=7)
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first.strftime("%Y-%m"), first, following


def _grouped(
    session: Session, first: date, last_exclusive: date, by: str
) -> Iterable[tuple[Any, str, Decimal]]:
    """Yield (group value, pnl_line, profit effect) summed over the rollup."""
    rollup = m.PnlDay
    account = m.LedgerAccount
    group: Any
    if by in ("day", "week", "month"):
        group = rollup.business_day
    elif by == "channel":
        group = rollup.channel_id
    elif by == "sku":
        group = rollup.variant_id
    else:
        group = m.Variant.product_id
    query: Select[Any] = (
        select(group, account.pnl_line, func.sum(rollup.store_amount, type_=Amount))
        .join(account, account.id == rollup.account_id)
        .where(rollup.business_day >= first, rollup.business_day < last_exclusive)
        .group_by(group, account.pnl_line)
    )
    if by == "product":
        query = query.outerjoin(m.Variant, m.Variant.id == rollup.variant_id)
    for value, line, amount in session.execute(query):
        # Postings are debit-positive: income is a credit, so its profit effect is the negation.
        yield value, line, -(amount or Decimal(0))


def compute_pnl(session: Session, first: date, last_exclusive: date, by: str = "day") -> PnlReport:
    """Return the P&L of the half-open range of business days, grouped by period or dimension."""
    if by not in GROUPINGS:
        raise UserError(f"--by: {by!r} is not one of {', '.join(GROUPINGS)}")
    if last_exclusive <= first:
        raise UserError(f"--to {last_exclusive - timedelta(days=1)} is before --from {first}")
    currency = store_settings(session).currency
    buckets: dict[Any, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for value, line, amount in _grouped(session, first, last_exclusive, by):
        name = line if line in LINES else "other"
        key = _period(value, by)[0] if by in ("day", "week", "month") else value
        buckets[key][name] += amount
        totals[name] += amount
    rows: list[PnlRow] = []
    if by in ("day", "week", "month"):
        seen: set[str] = set()
        day = first
        while day < last_exclusive:
            key, start, end = _period(day, by)
            if key not in seen:
                seen.add(key)
                ref = {
                    "first": max(start, first).isoformat(),
                    "last_exclusive": min(end, last_exclusive).isoformat(),
                }
                rows.append(_row(key, key, buckets.get(key, {}), currency, ref))
            day = end
    else:
        names = _dimension_names(session, by, [k for k in buckets if k is not None])
        for key, lines in buckets.items():
            label = UNASSIGNED if key is None else names.get(key, str(key))
            ref_name = {"channel": "channel_id", "sku": "variant_id", "product": "product_id"}[by]
            rows.append(_row(str(key) if key is not None else "", label, lines, currency, {ref_name: key}))
        rows.sort(key=lambda row: (row.key == "", row.label))
    total_ref = {"first": first.isoformat(), "last_exclusive": last_exclusive.isoformat()}
    return PnlReport(
        currency, first, last_exclusive, by, rows, _row("total", "Total", totals, currency, total_ref)
    )


def _dimension_names(session: Session, by: str, keys: list[Any]) -> dict[Any, str]:
    if not keys:
        return {}
    if by == "channel":
        return pairs(session.execute(select(m.Channel.id, m.Channel.name).where(m.Channel.id.in_(keys))))
    if by == "sku":
        return pairs(session.execute(select(m.Variant.id, m.Variant.sku).where(m.Variant.id.in_(keys))))
    return pairs(session.execute(select(m.Product.id, m.Product.title).where(m.Product.id.in_(keys))))


def refresh_pnl_days(session: Session, first: date | None = None, last_exclusive: date | None = None) -> int:
    """Rebuild the ``pnl_day`` rollup from the P&L postings (of a range of days, or all); return rows."""
    rollup = table_of(m.PnlDay)
    posting = m.Posting
    in_range = []
    if first is not None:
        in_range.append(posting.business_day >= first)
    if last_exclusive is not None:
        in_range.append(posting.business_day < last_exclusive)
    stale = delete(rollup)
    if first is not None:
        stale = stale.where(rollup.c.business_day >= first)
    if last_exclusive is not None:
        stale = stale.where(rollup.c.business_day < last_exclusive)
    session.execute(stale)
    pnl_accounts = select(m.LedgerAccount.id).where(m.LedgerAccount.pnl_line.is_not(None))
    summed = (
        select(
            posting.business_day,
            posting.account_id,
            posting.channel_id,
            posting.variant_id,
            func.sum(posting.store_amount),
            func.count(),
        )
        .where(posting.account_id.in_(pnl_accounts), *in_range)
        .group_by(posting.business_day, posting.account_id, posting.channel_id, posting.variant_id)
    )
    result = session.execute(
        insert(rollup).from_select(
            ["business_day", "account_id", "channel_id", "variant_id", "store_amount", "postings"], summed
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def pnl_from_postings(session: Session, first: date, last_exclusive: date) -> dict[tuple[date, str], Decimal]:
    """Return the profit effect per (business day, pnl_line) straight from the postings.

    A cross-check of the rollup (tests compare both); reports read the rollup.
    """
    account = m.LedgerAccount
    rows = session.execute(
        select(m.Posting.business_day, account.pnl_line, func.sum(m.Posting.store_amount, type_=Amount))
        .join(account, account.id == m.Posting.account_id)
        .where(
            account.pnl_line.is_not(None),
            m.Posting.business_day >= first,
            m.Posting.business_day < last_exclusive,
        )
        .group_by(m.Posting.business_day, account.pnl_line)
    )
    return {(day, str(line)): -(amount or Decimal(0)) for day, line, amount in rows}
