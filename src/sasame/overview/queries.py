"""Queries behind the overview and area pages: a Session in, plain dataclasses out.

Money sums run in SQL over the integer ``Amount`` columns, so totals are exact; rounding to the
currency's minor unit happens only where a figure is serialised or shown. Revenue counts only
orders in the store currency: there are no exchange rates yet, and adding amounts in different
currencies would be wrong, so orders in other currencies are counted but reported apart.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal

from sqlalchemy import Subquery, case, func, select, union
from sqlalchemy.orm import Session

from sasame.business.service import StoreSettings
from sasame.core.clock import business_day, zone
from sasame.models import Ad as AdModel
from sasame.models import (
    AdCampaign,
    AdSet,
    AdSpendDay,
    Alert,
    Channel,
    EmailCampaign,
    EmailPerformanceDay,
    Location,
    Order,
    Payout,
    PayoutLine,
    PurchaseOrder,
    PurchaseOrderLine,
    StockLevel,
    SupportMessage,
    SupportTicket,
    Variant,
)
from sasame.models.supply import OPEN_PURCHASE_ORDER_STATUSES

Grain = Literal["day", "week", "month"]
GRAINS: tuple[Grain, ...] = ("day", "week", "month")

UNFULFILLED_STATUSES = ("unfulfilled", "partial")
ALERT_SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}


# --- the store ---------------------------------------------------------------------------------


def store_today(store: StoreSettings, now: datetime) -> date:
    """Return the business day ``now`` falls on in the store's timezone."""
    return business_day(now, zone(store.timezone))


# --- sales: headline and series ----------------------------------------------------------------


@dataclass(frozen=True)
class ChannelRef:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class _DayFigures:
    """Non-cancelled orders of one business day, channel and currency."""

    order_date: date
    channel_id: int
    currency: str
    orders: int
    revenue: Decimal


def _daily_sales(
    session: Session, first: date | None = None, last_exclusive: date | None = None
) -> list[_DayFigures]:
    """Return order counts and exact revenue per business day, channel and currency."""
    query = (
        select(
            Order.order_date,
            Order.channel_id,
            Order.currency,
            func.count(Order.id),
            func.sum(Order.total),
        )
        .where(Order.cancelled_at.is_(None))
        .group_by(Order.order_date, Order.channel_id, Order.currency)
    )
    if first is not None:
        query = query.where(Order.order_date >= first)
    if last_exclusive is not None:
        query = query.where(Order.order_date < last_exclusive)
    return [
        _DayFigures(day, channel_id, currency.upper(), count, total or Decimal(0))
        for day, channel_id, currency, count, total in session.execute(query)
    ]


def _channels(session: Session) -> dict[int, ChannelRef]:
    return {c.id: ChannelRef(c.id, c.code, c.name) for c in session.scalars(select(Channel))}


@dataclass(frozen=True)
class PeriodFigures:
    """Sales of a window: every non-cancelled order, revenue from those in the store currency."""

    orders: int = 0
    revenue: Decimal = Decimal(0)
    revenue_orders: int = 0
    """Orders in the store currency: the denominator of the average order value."""

    @property
    def average_order_value(self) -> Decimal | None:
        return self.revenue / self.revenue_orders if self.revenue_orders else None

    def plus(self, day: _DayFigures, currency: str) -> PeriodFigures:
        if day.currency != currency:
            return PeriodFigures(self.orders + day.orders, self.revenue, self.revenue_orders)
        return PeriodFigures(
            self.orders + day.orders, self.revenue + day.revenue, self.revenue_orders + day.orders
        )


@dataclass(frozen=True)
class ChannelFigures:
    channel: ChannelRef
    current: PeriodFigures
    previous: PeriodFigures


@dataclass(frozen=True)
class Headline:
    """The last ``days`` business days (through today) against the ``days`` before them."""

    currency: str
    days: int
    current_window: tuple[date, date]
    """Half-open [first, last_exclusive) business days."""
    previous_window: tuple[date, date]
    current: PeriodFigures
    previous: PeriodFigures
    channels: list[ChannelFigures]
    """Every channel with orders in either window, biggest current revenue first."""
    other_currency_orders: dict[str, int]
    """Current-window orders in currencies other than the store's, by currency (not in revenue)."""


def headline(session: Session, today: date, currency: str, days: int = 30) -> Headline:
    """Return orders, revenue and average order value for the last ``days`` days vs the ones before."""
    if days < 1:
        raise ValueError("days must be at least 1")
    current_window = (today - timedelta(days=days - 1), today + timedelta(days=1))
    previous_window = (current_window[0] - timedelta(days=days), current_window[0])
    current, previous = PeriodFigures(), PeriodFigures()
    by_channel: dict[int, list[PeriodFigures]] = defaultdict(lambda: [PeriodFigures(), PeriodFigures()])
    other: dict[str, int] = defaultdict(int)
    for day in _daily_sales(session, previous_window[0], current_window[1]):
        is_current = day.order_date >= current_window[0]
        slot = 0 if is_current else 1
        by_channel[day.channel_id][slot] = by_channel[day.channel_id][slot].plus(day, currency)
        if is_current:
            current = current.plus(day, currency)
            if day.currency != currency:
                other[day.currency] += day.orders
        else:
            previous = previous.plus(day, currency)
    refs = _channels(session)
    channels = [ChannelFigures(refs[cid], now_, before) for cid, (now_, before) in by_channel.items()]
    channels.sort(key=lambda c: (-c.current.revenue, -c.current.orders, c.channel.code))
    return Headline(
        currency=currency,
        days=days,
        current_window=current_window,
        previous_window=previous_window,
        current=current,
        previous=previous,
        channels=channels,
        other_currency_orders=dict(sorted(other.items())),
    )


def period_start(day: date, grain: Grain) -> date:
    """Return the first day of the bucket a business day falls in (weeks start on Monday)."""
    if grain == "day":
        return day
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    raise ValueError(f"grain must be one of {', '.join(GRAINS)}, not {grain!r}")


def _next_period(start: date, grain: Grain) -> date:
    if grain == "day":
        return start + timedelta(days=1)
    if grain == "week":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


@dataclass(frozen=True)
class ChannelSeries:
    channel: ChannelRef
    orders: list[int]
    revenue: list[Decimal]
    """Store-currency revenue per period, aligned with ``SalesSeries.periods``."""


@dataclass(frozen=True)
class SalesSeries:
    grain: Grain
    currency: str
    periods: list[date]
    """First day of every period from the first order's to the last order's (or today's)."""
    channels: list[ChannelSeries]
    """Biggest total revenue first."""
    total_orders: list[int] = field(default_factory=list)
    total_revenue: list[Decimal] = field(default_factory=list)


def sales_series(session: Session, grain: Grain, currency: str, today: date | None = None) -> SalesSeries:
    """Return orders and revenue per channel for every period of the whole history.

    Bucketing happens here rather than in SQL because date truncation differs between SQLite
    and PostgreSQL, while the per-day rows SQL returns are few (days x channels).
    """
    period_start(date.min, grain)  # validates the grain before touching the database
    daily = _daily_sales(session)
    if not daily:
        return SalesSeries(grain, currency, [], [], [], [])
    first = period_start(min(d.order_date for d in daily), grain)
    last_day = max(d.order_date for d in daily)
    if today is not None and today > last_day:
        last_day = today
    periods: list[date] = []
    cursor = first
    while cursor <= last_day:
        periods.append(cursor)
        cursor = _next_period(cursor, grain)
    index = {start: i for i, start in enumerate(periods)}
    orders: dict[int, list[int]] = defaultdict(lambda: [0] * len(periods))
    revenue: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * len(periods))
    for day in daily:
        i = index[period_start(day.order_date, grain)]
        orders[day.channel_id][i] += day.orders
        if day.currency == currency:
            revenue[day.channel_id][i] += day.revenue
        else:
            revenue[day.channel_id]  # a channel selling only in other currencies still gets a row
    refs = _channels(session)
    channels = [ChannelSeries(refs[cid], orders[cid], revenue[cid]) for cid in orders]
    channels.sort(key=lambda s: (-sum(s.revenue), -sum(s.orders), s.channel.code))
    return SalesSeries(
        grain=grain,
        currency=currency,
        periods=periods,
        channels=channels,
        total_orders=[sum(s.orders[i] for s in channels) for i in range(len(periods))],
        total_revenue=[sum((s.revenue[i] for s in channels), Decimal(0)) for i in range(len(periods))],
    )


# --- support -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageRow:
    ticket_id: int
    ticket_status: str
    intent: str | None
    direction: str
    from_address: str
    subject: str
    snippet: str
    sent_at: datetime


@dataclass(frozen=True)
class SupportOverview:
    open_tickets_by_status: list[tuple[str, int]]
    """Every status but 'closed', most tickets first."""
    closed_tickets: int
    latest_messages: list[MessageRow]


def _snippet(text: str, length: int = 140) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"


def support_overview(session: Session, limit: int = 20) -> SupportOverview:
    """Return ticket counts by status and the most recent messages."""
    counts = session.execute(
        select(SupportTicket.status, func.count(SupportTicket.id)).group_by(SupportTicket.status)
    ).all()
    open_counts = sorted(((s, n) for s, n in counts if s != "closed"), key=lambda x: (-x[1], x[0]))
    closed = sum(n for s, n in counts if s == "closed")
    rows = session.execute(
        select(SupportMessage, SupportTicket.status, SupportTicket.intent)
        .join(SupportTicket, SupportTicket.id == SupportMessage.ticket_id)
        .order_by(SupportMessage.sent_at.desc(), SupportMessage.id.desc())
        .limit(limit)
    ).all()
    latest = [
        MessageRow(
            ticket_id=message.ticket_id,
            ticket_status=status,
            intent=intent,
            direction=message.direction,
            from_address=message.from_address,
            subject=message.subject,
            snippet=_snippet(message.body),
            sent_at=message.sent_at,
        )
        for message, status, intent in rows
    ]
    return SupportOverview(open_tickets_by_status=open_counts, closed_tickets=closed, latest_messages=latest)


# --- inventory ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockRow:
    sku: str
    title: str
    location_code: str
    location_name: str
    on_hand: int
    reserved: int
    on_order: int
    """Units on sent or partly received purchase orders not yet received."""
    next_expected_on: date | None

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def _stock_cells() -> tuple[Subquery, Subquery]:
    """The (variant, location) cells of the stock table, a stock level or an open purchase order's
    line there or both, and the units on order per cell, as subqueries."""
    remaining = PurchaseOrderLine.quantity_ordered - PurchaseOrderLine.quantity_received
    on_order = (
        select(
            PurchaseOrderLine.variant_id,
            PurchaseOrder.location_id,
            func.sum(case((remaining > 0, remaining), else_=0)).label("units"),
            func.min(PurchaseOrder.expected_on).label("expected_on"),
        )
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(PurchaseOrder.status.in_(OPEN_PURCHASE_ORDER_STATUSES))
        .group_by(PurchaseOrderLine.variant_id, PurchaseOrder.location_id)
        .subquery()
    )
    cells = union(
        select(StockLevel.variant_id, StockLevel.location_id),
        select(on_order.c.variant_id, on_order.c.location_id),
    ).subquery()
    return cells, on_order


def count_stock_rows(session: Session) -> int:
    """How many rows `inventory_overview` lists without a limit."""
    cells, _ = _stock_cells()
    return session.scalar(select(func.count()).select_from(cells)) or 0


def inventory_overview(
    session: Session, *, limit: int | None = None, nothing_available_first: bool = False
) -> list[StockRow]:
    """Return stock on hand per SKU and location, with what is on order for it, by SKU and location
    (with `nothing_available_first`, the rows with no unit available before the rest); with
    `limit`, the first `limit` rows only, chosen and read by the database."""
    cells, on_order = _stock_cells()
    on_hand = func.coalesce(StockLevel.on_hand, 0)
    reserved = func.coalesce(StockLevel.reserved, 0)
    query = (
        select(
            Variant.sku,
            Variant.title,
            Location.code,
            Location.name,
            on_hand,
            reserved,
            func.coalesce(on_order.c.units, 0),
            on_order.c.expected_on,
        )
        .select_from(cells)
        .join(Variant, Variant.id == cells.c.variant_id)
        .join(Location, Location.id == cells.c.location_id)
        .outerjoin(
            StockLevel,
            (StockLevel.variant_id == cells.c.variant_id) & (StockLevel.location_id == cells.c.location_id),
        )
        .outerjoin(
            on_order,
            (on_order.c.variant_id == cells.c.variant_id) & (on_order.c.location_id == cells.c.location_id),
        )
    )
    if limit is not None:
        first = [(on_hand - reserved) > 0] if nothing_available_first else []
        query = query.order_by(*first, Variant.sku, Location.code).limit(limit)
    rows = [
        StockRow(
            sku=sku,
            title=title,
            location_code=code,
            location_name=name,
            on_hand=int(units_on_hand),
            reserved=int(units_reserved),
            on_order=int(units_on_order),
            next_expected_on=expected,
        )
        for sku, title, code, name, units_on_hand, units_reserved, units_on_order, expected in (
            session.execute(query)
        )
    ]
    # Sorted here as well: the database's collation may order SKUs otherwise than Python does (a
    # PostgreSQL locale collation weighs hyphens and case differently), and the page and
    # /api/inventory have always listed them in Python's order.
    rows.sort(key=lambda r: (nothing_available_first and r.available > 0, r.sku, r.location_code))
    return rows


# --- finance -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayoutRow:
    id: int
    provider: str
    channel_name: str | None
    external_id: str
    paid_on: date
    status: str
    amount: Decimal
    currency: str
    line_totals: dict[str, Decimal]
    """Sum of the payout's lines per kind (principal, fee, refund, ...), in the payout currency."""
    lines_total: Decimal

    @property
    def is_balanced(self) -> bool:
        """Whether the lines add up to the deposit, as a payout's lines must."""
        return self.lines_total == self.amount


def finance_overview(session: Session, limit: int = 20) -> list[PayoutRow]:
    """Return the latest payouts with their line totals by kind."""
    payouts = session.execute(
        select(Payout, Channel.name)
        .outerjoin(Channel, Channel.id == Payout.channel_id)
        .order_by(Payout.paid_on.desc(), Payout.id.desc())
        .limit(limit)
    ).all()
    if not payouts:
        return []
    currency_of = {payout.id: payout.currency.upper() for payout, _ in payouts}
    totals: dict[int, dict[str, Decimal]] = defaultdict(dict)
    balances: dict[int, Decimal] = defaultdict(Decimal)
    for payout_id, kind, currency, amount in session.execute(
        select(PayoutLine.payout_id, PayoutLine.kind, PayoutLine.currency, func.sum(PayoutLine.amount))
        .where(PayoutLine.payout_id.in_([p.id for p, _ in payouts]))
        .group_by(PayoutLine.payout_id, PayoutLine.kind, PayoutLine.currency)
    ):
        # A line in another currency than its payout cannot be added to it; keep it visible apart.
        key = kind if currency.upper() == currency_of[payout_id] else f"{kind} ({currency})"
        totals[payout_id][key] = totals[payout_id].get(key, Decimal(0)) + (amount or Decimal(0))
        if key == kind:
            balances[payout_id] += amount or Decimal(0)
    rows = []
    for payout, channel_name in payouts:
        lines = dict(sorted(totals.get(payout.id, {}).items()))
        rows.append(
            PayoutRow(
                id=payout.id,
                provider=payout.provider,
                channel_name=channel_name,
                external_id=payout.external_id,
                paid_on=payout.paid_on,
                status=payout.status,
                amount=payout.amount,
                currency=payout.currency.upper(),
                line_totals=lines,
                lines_total=balances[payout.id],
            )
        )
    return rows


# --- marketing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdPlatformRow:
    platform: str
    currency: str
    spend: Decimal
    conversion_value: Decimal
    """What the platform itself reports (its own attribution), not incremental revenue."""
    impressions: int
    clicks: int
    conversions: int

    @property
    def reported_roas(self) -> Decimal | None:
        return self.conversion_value / self.spend if self.spend else None


@dataclass(frozen=True)
class EmailRow:
    kind: str
    """'flow' or 'campaign'."""
    name: str
    platform: str
    currency: str
    recipients: int
    conversions: int
    revenue: Decimal


@dataclass(frozen=True)
class MarketingOverview:
    window: tuple[date, date]
    """Half-open [first, last_exclusive) business days."""
    ad_platforms: list[AdPlatformRow]
    email: list[EmailRow]


def marketing_overview(session: Session, today: date, days: int = 30) -> MarketingOverview:
    """Return ad spend and platform-reported value by platform, and email revenue by flow/campaign."""
    first, last_exclusive = today - timedelta(days=days - 1), today + timedelta(days=1)
    ads = session.execute(
        select(
            AdCampaign.platform,
            AdSpendDay.currency,
            func.sum(AdSpendDay.spend),
            func.sum(AdSpendDay.conversion_value),
            func.sum(AdSpendDay.impressions),
            func.sum(AdSpendDay.clicks),
            func.sum(AdSpendDay.conversions),
        )
        .join(AdModel, AdModel.id == AdSpendDay.ad_id)
        .join(AdSet, AdSet.id == AdModel.ad_set_id)
        .join(AdCampaign, AdCampaign.id == AdSet.campaign_id)
        .where(AdSpendDay.spend_date >= first, AdSpendDay.spend_date < last_exclusive)
        .group_by(AdCampaign.platform, AdSpendDay.currency)
    ).all()
    ad_rows = [
        AdPlatformRow(
            platform=platform,
            currency=currency.upper(),
            spend=spend or Decimal(0),
            conversion_value=value or Decimal(0),
            impressions=int(impressions or 0),
            clicks=int(clicks or 0),
            conversions=int(conversions or 0),
        )
        for platform, currency, spend, value, impressions, clicks, conversions in ads
    ]
    ad_rows.sort(key=lambda r: (-r.spend, r.platform))
    # Flow messages roll up to their flow (welcome, abandoned cart, ...); campaigns stand alone.
    name = case(
        (EmailCampaign.kind == "flow", func.coalesce(EmailCampaign.flow_name, EmailCampaign.name)),
        else_=EmailCampaign.name,
    )
    emails = session.execute(
        select(
            EmailCampaign.kind,
            name,
            EmailCampaign.platform,
            EmailPerformanceDay.currency,
            func.sum(EmailPerformanceDay.recipients),
            func.sum(EmailPerformanceDay.conversions),
            func.sum(EmailPerformanceDay.revenue),
        )
        .join(EmailCampaign, EmailCampaign.id == EmailPerformanceDay.email_campaign_id)
        .where(
            EmailPerformanceDay.performance_date >= first,
            EmailPerformanceDay.performance_date < last_exclusive,
        )
        .group_by(EmailCampaign.kind, name, EmailCampaign.platform, EmailPerformanceDay.currency)
    ).all()
    email_rows = [
        EmailRow(
            kind=kind,
            name=label,
            platform=platform,
            currency=currency.upper(),
            recipients=int(recipients or 0),
            conversions=int(conversions or 0),
            revenue=revenue or Decimal(0),
        )
        for kind, label, platform, currency, recipients, conversions, revenue in emails
    ]
    email_rows.sort(key=lambda r: (-r.revenue, r.kind, r.name))
    return MarketingOverview(window=(first, last_exclusive), ad_platforms=ad_rows, email=email_rows)


# --- operations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LateOrderRow:
    id: int
    number: str
    channel_name: str
    ordered_at: datetime
    age_days: int
    fulfillment_status: str
    total: Decimal
    currency: str


@dataclass(frozen=True)
class AlertRow:
    id: int
    kind: str
    severity: str
    subject: str
    detail: str
    raised_at: datetime


@dataclass(frozen=True)
class OperationsOverview:
    late_order_count: int
    late_orders: list[LateOrderRow]
    """The oldest first, at most ``limit`` of them."""
    open_alerts: list[AlertRow]
    """Most severe first, then newest."""


def operations_overview(
    session: Session, now: datetime, older_than_days: int = 3, limit: int = 100
) -> OperationsOverview:
    """Return orders still unfulfilled ``older_than_days`` after they were placed, and open alerts."""
    cutoff = now - timedelta(days=older_than_days)
    late = (
        Order.fulfillment_status.in_(UNFULFILLED_STATUSES),
        Order.cancelled_at.is_(None),
        Order.ordered_at < cutoff,
    )
    count = session.scalar(select(func.count(Order.id)).where(*late)) or 0
    orders = session.execute(
        select(Order, Channel.name)
        .join(Channel, Channel.id == Order.channel_id)
        .where(*late)
        .order_by(Order.ordered_at, Order.id)
        .limit(limit)
    ).all()
    late_rows = [
        LateOrderRow(
            id=order.id,
            number=order.number,
            channel_name=channel_name,
            ordered_at=order.ordered_at,
            age_days=(now - order.ordered_at).days,
            fulfillment_status=order.fulfillment_status,
            total=order.total,
            currency=order.currency.upper(),
        )
        for order, channel_name in orders
    ]
    severity = case(ALERT_SEVERITY_RANK, value=Alert.severity, else_=len(ALERT_SEVERITY_RANK))
    alerts = session.scalars(
        select(Alert)
        .where(Alert.resolved_at.is_(None))
        .order_by(severity, Alert.raised_at.desc(), Alert.id.desc())
        .limit(limit)
    )
    alert_rows = [AlertRow(a.id, a.kind, a.severity, a.subject, a.detail, a.raised_at) for a in alerts]
    return OperationsOverview(late_order_count=count, late_orders=late_rows, open_alerts=alert_rows)
