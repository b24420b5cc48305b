"""The replenishment plan: what to order, how much, from whom and by when, and what is at risk.

Pure computation over what `queries.plan_inputs` read and what `forecast.forecast` predicts:

- **Reorder suggestions.** For every stocked SKU the inventory position (available on all
  locations + on order) is projected forward with the daily forecast; the order-by date is the
  first day it falls to the reorder point. Lines due before the next review are suggested, sized
  to lift the position to the order-up-to level, then raised to the MOQ and whole case packs.
  Safety stock covers demand and lead-time variance (`policy`); the service level follows the
  SKU's ABC/XYZ class and its main channel (a stockout on Amazon costs ranking).
- **Stockout risk.** SKUs whose projected stock runs out before the next arrival (or before a new
  order could arrive), with the probability of running out in that window.
- **Slow movers and dead stock** with weeks of cover, the cash tied up, and a suggested markdown.
- **Transfers** from the warehouse to FBA/3PL locations that run short.
- An optional **cash budget** funds the lines that protect the most margin per unit of cash first.

Dates are business days in the store's timezone; `today` is the day the plan is made for.
"""

from __future__ import annotations

import inspect
import logging
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np

from sasame.core.money import SCALE, from_units, round_money
from sasame.inventory import policy
from sasame.inventory.demand import DemandFrames
from sasame.inventory.lead_times import QUOTED_SPREAD, LeadTime

if TYPE_CHECKING:
    import pandas as pd

_NORMAL = NormalDist()
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlanSettings:
    """How the plan behaves; the defaults suit a small seller reviewing stock weekly."""

    review_days: int = 7
    """Days between reviews: anything due before the next review is ordered now."""
    lookahead_days: int = 28
    """Suggestions also list what falls due in this many days, so the owner sees what is coming."""
    history_days: int = 730
    """How much history the forecast sees."""
    level: int = 90
    """Prediction-interval coverage shown with the forecast, in percent."""
    budget: Decimal | None = None
    """Optional cash limit for today's orders, in the store currency."""
    service_level: float | None = None
    """One cycle service level for every SKU; None sets it per SKU by ABC/XYZ class and channel."""
    transfer_days: int = 10
    """Days a warehouse-to-FBA/3PL shipment takes."""
    transfer_cover_days: int = 35
    """A short FBA/3PL location is refilled to this many days of its own demand."""
    transfer_trigger_days: int = 14
    """... when its stock and shipments in transit cover fewer than this many days after arrival."""
    warehouse_keep_days: int = 14
    """Days of the warehouse's own demand never shipped out to FBA/3PL."""
    dead_after_days: int = 90
    """No sale for this long while stock sits: dead stock."""
    slow_cover_weeks: float = 26.0
    """More weeks of cover than this: a slow mover."""
    risk_window_days: int = 14
    """Also list SKUs that run out within this many days even if an arrival is due before."""
    persist_forecast_days: int = 56
    reselect_days: int = 7
    """Choose each SKU's model afresh this often; in between, re-fit the chosen model only (cheap)."""
    forecast_chunk_size: int = 500
    """SKUs forecast per call (whole product/category profiles stay together)."""
    forecast_workers: int | None = None
    """Processes forecasting chunks side by side; None: one per core (at most 4) above 1,000 SKUs."""
    holding_rate: Decimal = policy.HOLDING_RATE
    """A year's cost of holding stock as a share of its value at cost. It lowers a SKU's class level
    where one more unit would cost more to hold over a review than the margin it saves
    (`policy.margin_service_levels`), and prices the slow movers' stock by the year."""
    fill_ceiling_share: float | None = policy.FILL_CEILING_SHARE
    """Safety stock never buys a fill rate above 1 - share x (1 - service level); None: plain cycle
    service level (the textbook reorder point)."""
    levels: str = "class"
    """How each SKU's cycle service level is set: "class" (ABC/XYZ table and main channel, or
    `service_level` for all) or "value" (cheap items higher, dear ones lower around `service_level`,
    default 95 %: the backtest's default rule, `policy.value_aware_levels`)."""
    empirical: bool = True
    """Floor the reorder point and order-up-to level with each SKU's own distribution of daily units
    (bulk orders), spread over the SKUs by one Lagrange multiplier: the backtest's `sasame` policy."""
    launch_ramp: bool = True
    """A SKU launched in the last 8 weeks is planned at the larger of its forecast and its last week's
    mean (`policy.launch_rates`): the backtest's `sasame` policy."""


@dataclass(frozen=True)
class SupplyTerm:
    """How one SKU is bought: from whom, at what cost, in what lots."""

    supplier_id: int
    supplier: str
    supplier_email: str | None
    supplier_sku: str | None
    unit_cost: Decimal
    currency: str
    minimum_order_quantity: int
    case_pack: int
    quoted_lead_days: int


def sku_lead_time(
    terms: Mapping[str, SupplyTerm], learned: Mapping[int, LeadTime], sku: str
) -> tuple[float, float]:
    """(mean, sd) in days of a SKU's lead time from its preferred supplier: learned from the supplier's
    received POs when there are enough, else the quoted lead time with the learned spread scaled to
    it (or QUOTED_SPREAD of it without history); (0, 0) for a SKU without a supplier."""
    term = terms.get(sku)
    if term is None:
        return 0.0, 0.0
    lead = learned.get(term.supplier_id)
    if lead is not None and lead.source == "history":
        return lead.mean_days, lead.sd_days
    quoted = float(term.quoted_lead_days)
    sd = lead.sd_days * quoted / lead.quoted_days if lead and lead.quoted_days else QUOTED_SPREAD * quoted
    return quoted, sd


@dataclass(frozen=True)
class OpenOrder:
    """Units still to come on a sent or partly received PO."""

    variant_id: int
    supplier_id: int
    units: int
    ordered_on: date
    expected_on: date


@dataclass
class PlanInputs:
    """Everything the plan reads, gathered by `queries.plan_inputs` (or built by hand in tests)."""

    today: date
    frames: DemandFrames
    titles: dict[str, str]
    terms: dict[str, SupplyTerm]
    """SKU -> preferred supply term; SKUs without one are not ordered."""
    lead_times: dict[int, LeadTime]
    on_hand: dict[str, dict[str, int]]
    """SKU -> location code -> units on hand less reserved (may be missing: then 0)."""
    open_orders: dict[str, list[OpenOrder]]
    in_transit: dict[str, int] = field(default_factory=dict)
    """SKU -> units shipped to FBA/3PL and not yet arrived."""
    channel_kinds: dict[str, str] = field(default_factory=dict)
    """channel code -> kind (shopify, amazon, ...)."""
    location_kinds: dict[str, str] = field(default_factory=dict)
    """location code -> kind (warehouse, fba, 3pl)."""
    previous_fit: dict[str, tuple[str, float]] = field(default_factory=dict)
    """SKU -> (model, per-day error sd) chosen by a recent plan, reused instead of re-selecting."""
    selected_on: date | None = None
    """When the reused models were selected; None when this plan selects them."""


@dataclass
class Suggestion:
    sku: str
    title: str
    variant_id: int
    supplier_id: int
    supplier: str
    quantity: int
    unit_cost: Decimal
    cost: Decimal
    currency: str
    order_by: date
    expected_on: date
    stockout_on: date | None
    inventory_position: int
    reorder_point: float
    order_up_to: float
    safety_stock: float
    service_level: float
    daily_demand: float
    lead_time_days: float
    minimum_order_quantity: int
    case_pack: int
    supplier_sku: str | None
    is_funded: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "title": self.title,
            "supplier": self.supplier,
            "quantity": self.quantity,
            "unit_cost": str(self.unit_cost),
            "cost": str(self.cost),
            "currency": self.currency,
            "order_by": self.order_by.isoformat(),
            "expected_on": self.expected_on.isoformat(),
            "stockout_on": self.stockout_on.isoformat() if self.stockout_on else None,
            "inventory_position": self.inventory_position,
            "reorder_point": round(self.reorder_point, 2),
            "order_up_to": round(self.order_up_to, 2),
            "safety_stock": round(self.safety_stock, 2),
            "service_level": round(self.service_level, 4),
            "daily_demand": round(self.daily_demand, 3),
            "lead_time_days": round(self.lead_time_days, 2),
            "is_funded": self.is_funded,
        }


@dataclass
class Risk:
    sku: str
    title: str
    available: int
    daily_demand: float
    days_of_cover: float | None
    stockout_on: date | None
    next_arrival_on: date | None
    probability: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "title": self.title,
            "available": self.available,
            "daily_demand": round(self.daily_demand, 3),
            "days_of_cover": None if self.days_of_cover is None else round(self.days_of_cover, 1),
            "stockout_on": self.stockout_on.isoformat() if self.stockout_on else None,
            "next_arrival_on": self.next_arrival_on.isoformat() if self.next_arrival_on else None,
            "probability": round(self.probability, 4),
        }


@dataclass
class SlowMover:
    sku: str
    title: str
    on_hand: int
    daily_demand: float
    weeks_of_cover: float | None
    """None when nothing is expected to sell at all."""
    last_sold_on: date | None
    cash_tied_up: Decimal
    is_dead: bool
    markdown_percent: int
    holding_cost_per_year: Decimal = Decimal(0)
    """What keeping that stock costs a year (`PlanSettings.holding_rate` of the cash tied up)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "title": self.title,
            "on_hand": self.on_hand,
            "daily_demand": round(self.daily_demand, 3),
            "weeks_of_cover": None if self.weeks_of_cover is None else round(self.weeks_of_cover, 1),
            "last_sold_on": self.last_sold_on.isoformat() if self.last_sold_on else None,
            "cash_tied_up": str(self.cash_tied_up),
            "is_dead": self.is_dead,
            "markdown_percent": self.markdown_percent,
            "holding_cost_per_year": str(self.holding_cost_per_year),
        }


@dataclass
class Transfer:
    sku: str
    title: str
    from_location: str
    to_location: str
    quantity: int
    days_of_cover: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "title": self.title,
            "from": self.from_location,
            "to": self.to_location,
            "quantity": self.quantity,
            "days_of_cover": round(self.days_of_cover, 1),
        }


@dataclass
class Plan:
    today: date
    currency: str
    horizon_days: int
    suggestions: list[Suggestion]
    risks: list[Risk]
    slow_movers: list[SlowMover]
    transfers: list[Transfer]
    forecast_table: Any
    """The forecaster's long table (unique_id, ds, mean, lo, hi)."""
    models: dict[str, str]
    demand_classes: dict[str, str]
    lead_times: dict[int, LeadTime]
    settings: PlanSettings
    selected_on: date
    """The day the forecast models were last chosen by backtest."""
    sigmas: dict[str, float] = field(default_factory=dict)
    margin_lowered: list[str] = field(default_factory=list)
    """The SKUs planned below their class's service level because their margin does not pay for
    holding stock at it (`PlanSettings.holding_rate`), in SKU order."""

    def fits(self) -> dict[str, tuple[str, float]]:
        """SKU -> (model, per-day error sd), for the next plan to reuse."""
        return {sku: (model, float(self.sigmas.get(sku, 0.0))) for sku, model in self.models.items()}

    def due_today(self) -> list[Suggestion]:
        return [s for s in self.suggestions if s.order_by <= self.today and s.is_funded]

    def due_before_next_review(self) -> list[Suggestion]:
        """What must be ordered now because the next review would be too late."""
        last = self.today + timedelta(days=self.settings.review_days)
        return [s for s in self.suggestions if s.order_by < last]

    def by_supplier(self, *, funded_only: bool = True) -> dict[str, list[Suggestion]]:
        """Lines to order now (due before the next review), grouped per supplier: the draft POs."""
        grouped: dict[str, list[Suggestion]] = {}
        for suggestion in self.due_before_next_review():
            if funded_only and not suggestion.is_funded:
                continue
            grouped.setdefault(suggestion.supplier, []).append(suggestion)
        return dict(sorted(grouped.items()))

    def totals(self) -> dict[str, Any]:
        funded = [s for s in self.due_before_next_review() if s.is_funded]
        return {
            "suggestions": len(self.suggestions),
            "due_before_next_review": len(self.due_before_next_review()),
            "funded": len(funded),
            "due_today": len(self.due_today()),
            "order_value": str(round_money(sum((s.cost for s in funded), Decimal(0)), self.currency)),
            "stockout_risks": len(self.risks),
            "slow_movers": sum(1 for s in self.slow_movers if not s.is_dead),
            "dead_stock": sum(1 for s in self.slow_movers if s.is_dead),
            "cash_tied_up": str(
                round_money(sum((s.cash_tied_up for s in self.slow_movers), Decimal(0)), self.currency)
            ),
            "transfers": len(self.transfers),
            "levels_lowered_by_margin": len(self.margin_lowered),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "currency": self.currency,
            "totals": self.totals(),
            "suggestions": [s.as_dict() for s in self.suggestions],
            "purchase_orders": {
                supplier: {
                    "lines": len(lines),
                    "units": sum(s.quantity for s in lines),
                    "cost": str(sum((s.cost for s in lines), Decimal(0))),
                }
                for supplier, lines in self.by_supplier().items()
            },
            "stockout_risk": [r.as_dict() for r in self.risks],
            "slow_movers": [s.as_dict() for s in self.slow_movers],
            "transfers": [t.as_dict() for t in self.transfers],
            "lead_times": [lt.as_dict() for lt in self.lead_times.values()],
        }


Forecaster = Callable[..., Any]
"""`forecast.forecast` or anything with its signature (tests pass a fixed one)."""


def markdown_percent(weeks_of_cover: float | None, is_dead: bool) -> int:
    """Suggested markdown: deeper the longer the stock would take to sell at today's pace."""
    if is_dead or weeks_of_cover is None:
        return 40
    if weeks_of_cover > 52:
        return 30
    if weeks_of_cover > 26:
        return 15
    return 0


def first_day_at_or_below(start: float, daily: np.ndarray, level: float) -> int | None:
    """Index of the first day whose end-of-day projection start - cumsum(daily) is <= level."""
    if start <= level:
        return 0
    projected = start - np.cumsum(daily)
    hits = np.flatnonzero(projected <= level + 1e-9)
    return int(hits[0]) if len(hits) else None


def stockout_day(available: float, arrivals: np.ndarray, daily: np.ndarray) -> int | None:
    """Index of the first day on which expected demand exceeds stock plus arrivals so far."""
    if len(daily) == 0:
        return None
    balance = available + np.cumsum(arrivals) - np.cumsum(daily)
    hits = np.flatnonzero(balance < -1e-9)
    return int(hits[0]) if len(hits) else None


def _money(units: int | float | Decimal, unit_cost: Decimal, currency: str) -> Decimal:
    return round_money(Decimal(int(units)) * unit_cost, currency)


def build_plan(
    inputs: PlanInputs,
    forecaster: Forecaster,
    settings: PlanSettings | None = None,
) -> Plan:
    """Forecast every stocked SKU and derive suggestions, risks, slow movers and transfers."""
    settings = settings or PlanSettings()
    frames = inputs.frames
    today = inputs.today
    index = frames.index()
    physical = [
        sku
        for sku in frames.sku
        if not frames.is_bundle[index[sku]] and frames.days > 0 and frames.active[index[sku], -1]
    ]

    leads = {sku: sku_lead_time(inputs.terms, inputs.lead_times, sku) for sku in physical}
    longest = max((mean + 2 * sd for mean, sd in leads.values()), default=0.0)
    horizon = int(min(max(math.ceil(longest) + settings.review_days + 14, 56), 240))

    history, censored, promotions = frames.history(physical)
    if not history.empty:
        cut = np.datetime64(today - timedelta(days=settings.history_days), "D")
        keep = (history["ds"] >= cut).to_numpy()
        history, censored, promotions = (
            history[keep].reset_index(drop=True),
            censored[keep].reset_index(drop=True),
            promotions[keep].reset_index(drop=True),
        )
        reuse: dict[str, Any] = {}
        if reuse_used(inputs, forecaster):
            reuse = {
                "models": {sku: fit[0] for sku, fit in inputs.previous_fit.items()},
                "sigma": {sku: fit[1] for sku, fit in inputs.previous_fit.items()},
            }
        table, models, classes, sigmas = forecast_in_chunks(
            forecaster,
            history,
            censored,
            promotions,
            frames.profiles(),
            horizon,
            level=settings.level,
            chunk_size=settings.forecast_chunk_size,
            reuse=reuse,
            workers=settings.forecast_workers
            if settings.forecast_workers is not None
            else (min(os.cpu_count() or 1, 4) if len(physical) > 1000 else 1),
        )
    else:
        import pandas as pd

        table = pd.DataFrame(columns=["unique_id", "ds", "mean", "lo", "hi"])
        models, classes, sigmas = {}, {}, {}

    daily_means: dict[str, np.ndarray] = {}
    if len(table):
        for sku, group in table.groupby("unique_id", sort=False):
            daily_means[str(sku)] = np.clip(group["mean"].to_numpy(dtype=float)[:horizon], 0.0, None)

    # Service level per SKU: ABC by a year's value at cost, XYZ by weekly variability, main channel.
    year = slice(max(frames.days - 365, 0), frames.days)
    main_channel: dict[str, str] = {}
    for sku in physical:
        i = index[sku]
        best = max(
            frames.by_channel.items(), key=lambda item: int(item[1][i, year].sum()), default=(None, None)
        )[0]
        main_channel[sku] = inputs.channel_kinds.get(best, best) if best else ""
    rows = [index[sku] for sku in physical]
    costs = np.where(frames.unit_cost_units[rows] > 0, frames.unit_cost_units[rows], 1).astype(float)
    class_level = dict(
        zip(
            physical,
            policy.class_levels(
                frames.units[rows, year].sum(axis=1) * costs,
                policy.weekly_spread(frames.units[rows], "D"),
                [main_channel[sku] for sku in physical],
                keys=physical,
            ),
            strict=True,
        )
    )

    warehouse_codes = [code for code, kind in inputs.location_kinds.items() if kind == "warehouse"]
    remote_codes = [code for code, kind in inputs.location_kinds.items() if kind in ("fba", "3pl")]

    review = settings.review_days

    # A SKU just launched: its demand follows its recent days when they are above the forecast (as in
    # the backtest's `sasame`; `policy.launch_rates`).
    launch_rate = dict(
        zip(
            physical,
            policy.launch_rates(
                frames.units[rows], frames.censored[rows], policy.LAUNCH_SPAN["D"], policy.RECENT_SPAN["D"]
            ),
            strict=True,
        )
    )

    def daily_of(sku: str) -> np.ndarray:
        daily = daily_means.get(sku, np.zeros(horizon))
        if len(daily) < horizon:
            daily = np.concatenate([daily, np.full(horizon - len(daily), daily[-1] if len(daily) else 0.0)])
        return np.maximum(daily, launch_rate.get(sku, 0.0)) if settings.launch_ramp else daily

    def rate_of(sku: str) -> float:
        """Forecast demand per day over the lead time + review: a coming peak raises it."""
        daily = daily_of(sku)
        protection = max(math.ceil(leads[sku][0] + review), 1)
        return float(daily[:protection].mean()) if protection <= len(daily) else float(daily.mean())

    orderable = [sku for sku in physical if sku in inputs.terms and rate_of(sku) > 0]
    rates = np.array([rate_of(sku) for sku in orderable])
    unit_costs = np.array([float(inputs.terms[sku].unit_cost) for sku in orderable])
    margin_lowered: list[str] = []
    if settings.levels == "value":
        target = settings.service_level or policy.CLASS_TABLE_TARGET
        service_levels = policy.value_aware_levels(unit_costs, rates, target)
        # As in the backtest: the floor's stockout budget is the target's, spread by value.
        allowances = np.full(len(orderable), target)
    else:
        service_levels = np.array([settings.service_level or class_level[sku] for sku in orderable])
        if settings.service_level is None:
            # No class level worth more in holding cost than in margin (one level set for all stands).
            prices = np.array([int(frames.list_price_units[index[sku]]) / SCALE for sku in orderable])
            worth = policy.margin_service_levels(prices, unit_costs, float(settings.holding_rate), review)
            lowered = np.where(
                np.isnan(worth),
                service_levels,
                np.maximum(np.minimum(service_levels, worth), policy.MIN_SERVICE_LEVEL),
            )
            margin_lowered = sorted(
                sku for sku, level, low in zip(orderable, service_levels, lowered, strict=True) if low < level
            )
            service_levels = lowered
        allowances = service_levels
    levels = _stock_levels(
        orderable,
        rates=rates,
        sigmas=np.array([float(sigmas.get(sku, 0.0)) for sku in orderable]),
        leads=[leads[sku] for sku in orderable],
        service_levels=service_levels,
        allowances=allowances,
        unit_costs=unit_costs,
        frames=frames,
        index=index,
        settings=settings,
    )

    suggestions: list[Suggestion] = []
    risks: list[Risk] = []
    slow: list[SlowMover] = []
    transfers: list[Transfer] = []
    for sku in physical:
        i = index[sku]
        title = inputs.titles.get(sku, sku)
        daily = daily_of(sku)
        sigma = float(sigmas.get(sku, 0.0))
        lead_mean = leads[sku][0]
        stock = inputs.on_hand.get(sku, {})
        available = sum(max(units, 0) for units in stock.values()) + inputs.in_transit.get(sku, 0)
        orders = inputs.open_orders.get(sku, [])
        arrivals = np.zeros(horizon)
        next_arrival: date | None = None
        for order in orders:
            # Expect the goods when this supplier usually delivers, never before tomorrow.
            usual = order.ordered_on + timedelta(days=round(lead_mean)) if lead_mean else order.expected_on
            arrive = max(usual, today + timedelta(days=1))
            offset = (arrive - today).days
            if offset < horizon:
                arrivals[offset] += order.units
            next_arrival = arrive if next_arrival is None else min(next_arrival, arrive)
        on_order = sum(order.units for order in orders)
        position = available + on_order

        out_index = stockout_day(available, arrivals, daily)
        stockout_on = today + timedelta(days=out_index) if out_index is not None else None
        demand_rate = rate_of(sku)

        # Stockout risk: runs out before anything can arrive, or very soon.
        window_end = next_arrival or today + timedelta(days=max(math.ceil(lead_mean), 1))
        window = max((window_end - today).days, 1)
        if stockout_on is not None and (
            stockout_on < window_end or stockout_on <= today + timedelta(days=settings.risk_window_days)
        ):
            expected = float(daily[:window].sum())
            spread = sigma * math.sqrt(window)
            if spread > 0:
                probability = 1.0 - _NORMAL.cdf((available + 0.5 - expected) / spread)
            else:
                probability = 1.0 if expected > available else 0.0
            risks.append(
                Risk(
                    sku,
                    title,
                    int(available),
                    demand_rate,
                    available / demand_rate if demand_rate > 0 else None,
                    stockout_on,
                    next_arrival,
                    probability,
                )
            )

        # Slow movers and dead stock: stock that sits.
        on_shelf = sum(max(units, 0) for units in stock.values())
        if on_shelf > 0:
            sold_days = np.flatnonzero(frames.units[i] > 0)
            last_sold = frames.start + timedelta(days=int(sold_days[-1])) if len(sold_days) else None
            active_days = int(frames.active[i].sum())
            is_dead = active_days >= settings.dead_after_days and (
                last_sold is None or (today - last_sold).days > settings.dead_after_days
            )
            long_rate = float(daily[: min(90, horizon)].mean())
            weeks = on_shelf / (long_rate * 7) if long_rate > 1e-9 else None
            if is_dead or weeks is None or weeks > settings.slow_cover_weeks:
                unit_cost = inputs.terms[sku].unit_cost if sku in inputs.terms else None
                if unit_cost is None and frames.unit_cost_units[i] >= 0:
                    unit_cost = from_units(int(frames.unit_cost_units[i]))
                tied_up = _money(on_shelf, unit_cost or Decimal(0), frames.currency)
                slow.append(
                    SlowMover(
                        sku,
                        title,
                        on_shelf,
                        long_rate,
                        weeks,
                        last_sold,
                        tied_up,
                        is_dead,
                        markdown_percent(weeks, is_dead),
                        round_money(
                            policy.holding_cost(tied_up, settings.holding_rate, 365), frames.currency
                        ),
                    )
                )

        # Transfers: refill FBA/3PL locations from the warehouse.
        total_recent = float(frames.units[i, max(frames.days - 56, 0) :].sum())
        for remote in remote_codes:
            if remote not in stock or total_recent <= 0:
                continue
            share = (
                float(frames.by_location.get(remote, np.zeros_like(frames.units))[i, -56:].sum())
                / total_recent
            )
            remote_rate = demand_rate * share
            if remote_rate <= 0:
                continue
            covered = max(stock.get(remote, 0), 0) + inputs.in_transit.get(sku, 0)
            if covered >= remote_rate * (settings.transfer_days + settings.transfer_trigger_days):
                continue
            source = next((code for code in warehouse_codes if stock.get(code, 0) > 0), None)
            if source is None:
                continue
            keep = math.ceil(demand_rate * (1 - share) * settings.warehouse_keep_days)
            units = min(
                math.ceil(remote_rate * (settings.transfer_days + settings.transfer_cover_days) - covered),
                stock[source] - keep,
            )
            if units > 0:
                transfers.append(
                    Transfer(sku, title, source, remote, int(units), (covered + units) / remote_rate)
                )

        # Reorder suggestion: when the position meets the reorder point, before the next review.
        term = inputs.terms.get(sku)
        if term is None or sku not in levels:
            continue
        reorder, target, safety, level = levels[sku]
        projection = daily - arrivals  # arrivals already count in the position
        due = first_day_at_or_below(position, projection[: max(settings.lookahead_days, review)], reorder)
        if due is None:
            continue
        position_then = position - float(np.sum(projection[:due]))
        quantity = int(
            policy.order_quantity(position_then, target, term.minimum_order_quantity, max(term.case_pack, 1))
        )
        if quantity <= 0:
            continue
        order_by = today + timedelta(days=due)
        suggestions.append(
            Suggestion(
                sku=sku,
                title=title,
                variant_id=int(frames.variant_id[i]),
                supplier_id=term.supplier_id,
                supplier=term.supplier,
                quantity=quantity,
                unit_cost=term.unit_cost,
                cost=_money(quantity, term.unit_cost, term.currency),
                currency=term.currency,
                order_by=order_by,
                expected_on=order_by + timedelta(days=math.ceil(lead_mean)),
                stockout_on=stockout_on,
                inventory_position=round(position),
                reorder_point=reorder,
                order_up_to=target,
                safety_stock=safety,
                service_level=level,
                daily_demand=demand_rate,
                lead_time_days=lead_mean,
                minimum_order_quantity=term.minimum_order_quantity,
                case_pack=term.case_pack,
                supplier_sku=term.supplier_sku,
            )
        )

    if settings.budget is not None:
        now_due = [s for s in suggestions if s.order_by < today + timedelta(days=review)]
        _apply_budget(now_due, settings.budget, frames, index, today)
    suggestions.sort(key=lambda s: (s.order_by, s.stockout_on or date.max, s.supplier, s.sku))
    risks.sort(key=lambda r: (r.stockout_on or date.max, -r.probability, r.sku))
    slow.sort(key=lambda s: (-s.cash_tied_up, s.sku))
    transfers.sort(key=lambda t: (t.days_of_cover, t.sku))
    return Plan(
        today=today,
        currency=frames.currency,
        horizon_days=horizon,
        suggestions=suggestions,
        risks=risks,
        slow_movers=slow,
        transfers=transfers,
        forecast_table=table,
        models=models,
        demand_classes=classes,
        lead_times=dict(inputs.lead_times),
        settings=settings,
        selected_on=inputs.selected_on if reuse_used(inputs, forecaster) and inputs.selected_on else today,
        sigmas=sigmas,
        margin_lowered=margin_lowered,
    )


def _stock_levels(
    skus: list[str],
    *,
    rates: np.ndarray,
    sigmas: np.ndarray,
    leads: list[tuple[float, float]],
    service_levels: np.ndarray,
    allowances: np.ndarray,
    unit_costs: np.ndarray,
    frames: DemandFrames,
    index: Mapping[str, int],
    settings: PlanSettings,
) -> dict[str, tuple[float, float, float, float]]:
    """SKU -> (reorder point, order-up-to level, safety stock, service level), by the policy the
    backtest's `sasame` replays (`policy.normal_levels`, `policy.empirical_levels`).

    The normal levels: ROP = d*L + z*sqrt(L*sd^2 + d^2*sd_L^2) and S = d*(L+R) + z*sqrt((L+R)*sd^2 +
    d^2*sd_L^2), z capped at the fill-rate ceiling. For whole-unit demand each is floored by the SKU's
    own distribution of daily units over the last year (stocked-out and promoted days left out),
    convolved over its supplier's lead-time distribution: the reorder point protects the lead time and
    the day after (the position is checked daily), the order-up-to level the lead time and a review."""
    if not skus:
        return {}
    lead_mean = np.array([lead for lead, _ in leads])
    lead_sd = np.array([sd for _, sd in leads])
    share = settings.fill_ceiling_share
    review = settings.review_days
    reorder, _ = policy.normal_levels(
        rates * lead_mean, rates, sigmas, lead_mean, lead_sd, service_levels, review, share
    )
    target, _ = policy.normal_levels(
        rates * (lead_mean + review),
        rates,
        sigmas,
        lead_mean + review,
        lead_sd,
        service_levels,
        review,
        share,
    )
    if settings.empirical:
        rows = [index[sku] for sku in skus]
        span = policy.EMPIRICAL_SPAN["D"]
        values = frames.units[rows, -span:].astype(float)
        skipped = (frames.censored[rows] | frames.promoted[rows])[:, -span:]
        table, known = policy.demand_distribution(values, skipped, span)
        floor, _ = policy.empirical_levels(table, known, rates, unit_costs, leads, 1, allowances)
        reorder = np.fmax(reorder, floor)
        floor, _ = policy.empirical_levels(table, known, rates, unit_costs, leads, review, allowances)
        target = np.fmax(target, floor)
    target = np.maximum(target, reorder)
    safety = reorder - rates * lead_mean
    return {
        sku: (float(reorder[k]), float(target[k]), float(safety[k]), float(service_levels[k]))
        for k, sku in enumerate(skus)
    }


FALLBACK_MODEL = "Average (forecast failed)"


def forecast_in_chunks(
    forecaster: Forecaster,
    history: pd.DataFrame,
    censored: pd.Series,
    promotions: pd.DataFrame,
    profiles: Mapping[str, str],
    horizon: int,
    *,
    level: int,
    chunk_size: int,
    reuse: Mapping[str, Any],
    workers: int = 1,
) -> tuple[pd.DataFrame, dict[str, str], dict[str, str], dict[str, float]]:
    """Forecast in chunks of whole profiles, in `workers` processes when more than one.

    A chunk the forecaster fails on is halved until the failing series is alone; that SKU gets its
    recent in-stock mean (FALLBACK_MODEL, logged), so one odd series cannot stop the store's plan."""
    import pandas as pd

    skus = sorted(history["unique_id"].unique(), key=lambda sku: (profiles.get(sku, ""), sku))
    chunks: list[list[str]] = [[]]
    for position, sku in enumerate(skus):
        starts_profile = position == 0 or profiles.get(sku) != profiles.get(skus[position - 1])
        if starts_profile and len(chunks[-1]) >= chunk_size:
            chunks.append([])
        chunks[-1].append(sku)
    jobs = []
    for chunk in chunks:
        if not chunk:
            continue
        rows = history["unique_id"].isin(chunk).to_numpy()
        jobs.append(
            _ChunkJob(
                forecaster=forecaster,
                history=history[rows].reset_index(drop=True),
                censored=censored[rows].reset_index(drop=True),
                promotions=promotions[rows].reset_index(drop=True),
                profiles={sku: profiles[sku] for sku in chunk if sku in profiles},
                horizon=horizon,
                level=level,
                reuse={
                    key: {sku: value[sku] for sku in chunk if sku in value} for key, value in reuse.items()
                },
            )
        )
    if workers > 1 and len(jobs) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # Spawned, not forked: the dashboard runs the pipeline in a thread, and forking a threaded
        # process can copy a held lock.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
            results = list(pool.map(_forecast_chunk, jobs))
    else:
        results = [_forecast_chunk(job) for job in jobs]
    tables: list[pd.DataFrame] = []
    models: dict[str, str] = {}
    classes: dict[str, str] = {}
    sigmas: dict[str, float] = {}
    for part_tables, part_models, part_classes, part_sigmas in results:
        tables.extend(part_tables)
        models.update(part_models)
        classes.update(part_classes)
        sigmas.update(part_sigmas)
    table = (
        pd.concat([t for t in tables if len(t)], ignore_index=True)
        if any(len(t) for t in tables)
        else pd.DataFrame(columns=["unique_id", "ds", "mean", "lo", "hi"])
    )
    return table, models, classes, sigmas


@dataclass
class _ChunkJob:
    forecaster: Forecaster
    history: pd.DataFrame
    censored: pd.Series
    promotions: pd.DataFrame
    profiles: dict[str, str]
    horizon: int
    level: int
    reuse: dict[str, dict[str, Any]]


def _forecast_chunk(
    job: _ChunkJob,
) -> tuple[list[pd.DataFrame], dict[str, str], dict[str, str], dict[str, float]]:
    """Forecast one chunk (in this process or a worker), splitting it around a failing series."""
    tables: list[pd.DataFrame] = []
    models: dict[str, str] = {}
    classes: dict[str, str] = {}
    sigmas: dict[str, float] = {}
    history, censored = job.history, job.censored

    def run(group: list[str]) -> None:
        rows = history["unique_id"].isin(group).to_numpy()
        part = {key: {sku: value[sku] for sku in group if sku in value} for key, value in job.reuse.items()}
        result = job.forecaster(
            history[rows].reset_index(drop=True),
            job.horizon,
            freq="D",
            level=job.level,
            censored=censored[rows].reset_index(drop=True),
            promotions=job.promotions[rows].reset_index(drop=True),
            profiles=job.profiles,
            **part,
        )
        tables.append(result.table)
        models.update(result.model)
        classes.update(result.demand_class)
        sigmas.update(result.sigma)

    def run_or_split(group: list[str]) -> None:
        try:
            run(group)
        except Exception as error:  # a forecaster bug on one series must not stop every SKU's plan
            if len(group) == 1:
                log.warning("forecast failed for %s (%r); using its recent mean", group[0], error)
                tables.append(
                    _fallback(group[0], history, censored, job.horizon, job.level, models, classes, sigmas)
                )
                return
            # Halve until the failing series is alone: about twice the chunk's work, not a call per SKU.
            log.warning("forecast failed for %d SKUs (%r); splitting them", len(group), error)
            middle = len(group) // 2
            run_or_split(group[:middle])
            run_or_split(group[middle:])

    run_or_split(sorted(history["unique_id"].unique()))
    return tables, models, classes, sigmas


def _fallback(
    sku: str,
    history: pd.DataFrame,
    censored: pd.Series,
    horizon: int,
    level: int,
    models: dict[str, str],
    classes: dict[str, str],
    sigmas: dict[str, float],
) -> pd.DataFrame:
    import pandas as pd

    rows = (history["unique_id"] == sku).to_numpy() & ~censored.to_numpy(dtype=bool)
    recent = history.loc[rows, "y"].to_numpy(dtype=float)[-28:]
    mean = float(recent.mean()) if len(recent) else 0.0
    sigma = float(recent.std(ddof=1)) if len(recent) > 1 else math.sqrt(mean)
    spread = _NORMAL.inv_cdf(0.5 + level / 200.0) * sigma
    last = history.loc[history["unique_id"] == sku, "ds"].max()
    models[sku], classes[sku], sigmas[sku] = FALLBACK_MODEL, "smooth", sigma
    return pd.DataFrame(
        {
            "unique_id": sku,
            "ds": pd.date_range(last + pd.Timedelta(days=1), periods=horizon, freq="D"),
            "mean": mean,
            "lo": max(mean - spread, 0.0),
            "hi": mean + spread,
        }
    )


def _accepts(forecaster: Forecaster, name: str) -> bool:
    try:
        return name in inspect.signature(forecaster).parameters
    except (TypeError, ValueError):
        return False


def reuse_used(inputs: PlanInputs, forecaster: Forecaster) -> bool:
    """Whether the plan re-fits earlier model choices rather than selecting afresh."""
    return bool(
        inputs.previous_fit
        and inputs.selected_on is not None
        and _accepts(forecaster, "models")
        and _accepts(forecaster, "sigma")
    )


def _apply_budget(
    suggestions: list[Suggestion],
    budget: Decimal,
    frames: DemandFrames,
    index: Mapping[str, int],
    today: date,
) -> None:
    """Fund first the lines protecting the most margin per unit of cash, the soonest stockouts first."""
    lines = []
    for s in suggestions:
        price = from_units(int(frames.list_price_units[index[s.sku]]))
        margin = max(price - s.unit_cost, Decimal("0.01"))
        days_left = (s.stockout_on - today).days if s.stockout_on else 365
        urgency = Decimal(1) / Decimal(1 + max(days_left, 0))
        value = (margin * s.quantity * urgency).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        lines.append(policy.OrderLine(key=s.sku, cost=s.cost, value=value))
    funded = policy.allocate_budget(lines, budget)
    for s in suggestions:
        s.is_funded = funded.get(s.sku, False)
