"""Reads of the inventory engine: what the plan needs from the store, and the latest plan as saved."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.business.service import store_settings
from sasame.core.clock import business_day
from sasame.core.money import from_units, round_money
from sasame.inventory.demand import DemandFrames, frames
from sasame.inventory.lead_times import lead_times
from sasame.inventory.plan import OpenOrder, PlanInputs, SupplyTerm
from sasame.models.supply import OPEN_PURCHASE_ORDER_STATUSES


def supply_terms(session: Session) -> dict[str, SupplyTerm]:
    """SKU -> its preferred supplier term (the cheapest preferred one when several are marked)."""
    rows = session.execute(
        select(
            m.Variant.sku,
            m.Supplier.id,
            m.Supplier.name,
            m.Supplier.email,
            m.SupplierTerm.supplier_sku,
            m.SupplierTerm.unit_cost,
            m.SupplierTerm.currency,
            m.SupplierTerm.minimum_order_quantity,
            m.SupplierTerm.case_pack,
            m.SupplierTerm.quoted_lead_time_days,
            m.SupplierTerm.is_preferred,
        )
        .join(m.Variant, m.Variant.id == m.SupplierTerm.variant_id)
        .join(m.Supplier, m.Supplier.id == m.SupplierTerm.supplier_id)
        .order_by(
            m.Variant.sku, m.SupplierTerm.is_preferred.desc(), m.SupplierTerm.unit_cost, m.Supplier.name
        )
    ).all()
    terms: dict[str, SupplyTerm] = {}
    for row in rows:
        if row[0] in terms:
            continue
        terms[row[0]] = SupplyTerm(
            supplier_id=row[1],
            supplier=row[2],
            supplier_email=row[3],
            supplier_sku=row[4],
            unit_cost=row[5],
            currency=row[6],
            minimum_order_quantity=max(int(row[7]), 1),
            case_pack=max(int(row[8]), 1),
            quoted_lead_days=int(row[9]),
        )
    return terms


def available_stock(session: Session) -> dict[str, dict[str, int]]:
    """SKU -> location code -> units on hand less reserved."""
    stock: dict[str, dict[str, int]] = defaultdict(dict)
    for sku, code, on_hand, reserved in session.execute(
        select(m.Variant.sku, m.Location.code, m.StockLevel.on_hand, m.StockLevel.reserved)
        .join(m.Variant, m.Variant.id == m.StockLevel.variant_id)
        .join(m.Location, m.Location.id == m.StockLevel.location_id)
    ):
        stock[sku][code] = int(on_hand) - int(reserved or 0)
    return dict(stock)


def open_orders(session: Session, timezone: str) -> dict[str, list[OpenOrder]]:
    """SKU -> units still to come on sent or partly received purchase orders."""
    remaining = m.PurchaseOrderLine.quantity_ordered - m.PurchaseOrderLine.quantity_received
    found: dict[str, list[OpenOrder]] = defaultdict(list)
    for sku, variant_id, supplier_id, units, ordered_at, expected_on in session.execute(
        select(
            m.Variant.sku,
            m.Variant.id,
            m.PurchaseOrder.supplier_id,
            remaining,
            m.PurchaseOrder.ordered_at,
            m.PurchaseOrder.expected_on,
        )
        .join(m.PurchaseOrder, m.PurchaseOrder.id == m.PurchaseOrderLine.purchase_order_id)
        .join(m.Variant, m.Variant.id == m.PurchaseOrderLine.variant_id)
        .where(m.PurchaseOrder.status.in_(OPEN_PURCHASE_ORDER_STATUSES), remaining > 0)
    ):
        found[sku].append(
            OpenOrder(variant_id, supplier_id, int(units), business_day(ordered_at, timezone), expected_on)
        )
    return dict(found)


def in_transit(session: Session) -> dict[str, int]:
    """SKU -> units shipped out to another location (transfer_out) that have not arrived (transfer_in)."""
    # Summed here rather than by SQL's GROUP BY over a join with variant: SQLite answers that by
    # walking every variant's movements through the (variant, moved_at) index, random reads across
    # the whole movement table (15 s of a 10,000-SKU store's 4 million movements, against 1 s here).
    balance: dict[int, int] = defaultdict(int)
    for variant_id, quantity in session.execute(
        select(m.StockMovement.variant_id, m.StockMovement.quantity).where(
            m.StockMovement.kind.in_(("transfer_out", "transfer_in"))
        )
    ):
        # A transfer out takes units (negative), its arrival puts them back (positive).
        balance[variant_id] -= quantity
    skus = dict(session.execute(select(m.Variant.id, m.Variant.sku)).all())
    return {skus[variant_id]: units for variant_id, units in balance.items() if units > 0}


def plan_inputs(session: Session, today: date, *, demand: DemandFrames | None = None) -> PlanInputs:
    """Gather everything `plan.build_plan` reads, for the business day `today`."""
    timezone = store_settings(session).timezone
    history = demand if demand is not None else frames(session, today)
    titles = dict(session.execute(select(m.Variant.sku, m.Variant.title)).all())
    return PlanInputs(
        today=today,
        frames=history,
        titles=titles,
        terms=supply_terms(session),
        lead_times=lead_times(session),
        on_hand=available_stock(session),
        open_orders=open_orders(session, timezone),
        in_transit=in_transit(session),
        channel_kinds=dict(session.execute(select(m.Channel.code, m.Channel.kind)).all()),
        location_kinds=dict(session.execute(select(m.Location.code, m.Location.kind)).all()),
    )


# --- the latest saved plan, as the dashboard shows it --------------------------------------------


@dataclass
class SavedPlan:
    plan: m.InventoryPlan
    suggestions: list[dict[str, Any]]
    suggestions_total: int
    """How many suggestions the plan made (more than `suggestions` when those were limited)."""


def latest_plan_id(session: Session) -> int | None:
    """The id of the most recent plan run (the one `latest_plan` reads), without loading it."""
    return session.scalar(
        select(m.InventoryPlan.id)
        .order_by(m.InventoryPlan.made_at.desc(), m.InventoryPlan.id.desc())
        .limit(1)
    )


def latest_plan(session: Session, suggestions_limit: int | None = None) -> SavedPlan | None:
    """The most recent plan run with its suggestions (SKU, title and supplier names joined in),
    the earliest order-by date first; with `suggestions_limit`, only the first that many."""
    plan = session.scalars(
        select(m.InventoryPlan).order_by(m.InventoryPlan.made_at.desc(), m.InventoryPlan.id.desc()).limit(1)
    ).first()
    if plan is None:
        return None
    query = (
        select(m.ReorderSuggestion, m.Variant.sku, m.Variant.title, m.Supplier.name)
        .join(m.Variant, m.Variant.id == m.ReorderSuggestion.variant_id)
        .join(m.Supplier, m.Supplier.id == m.ReorderSuggestion.supplier_id)
        .where(m.ReorderSuggestion.plan_id == plan.id)
        .order_by(m.ReorderSuggestion.order_by, m.Supplier.name, m.Variant.sku)
    )
    if suggestions_limit is not None:
        query = query.limit(suggestions_limit)
    rows = session.execute(query).all()
    suggestions = [
        {
            "sku": sku,
            "title": title,
            "supplier": supplier,
            "quantity": s.quantity,
            "cost": s.cost,
            "currency": s.currency,
            "order_by": s.order_by,
            "expected_on": s.expected_on,
            "stockout_on": s.stockout_on,
            "inventory_position": s.inventory_position,
            "reorder_point": s.reorder_point,
            "daily_demand": s.daily_demand,
            "is_funded": s.is_funded,
            "is_due": s.order_by <= plan.plan_date,
        }
        for s, sku, title, supplier in rows
    ]
    if suggestions_limit is None or len(suggestions) < suggestions_limit:
        total = len(suggestions)
    else:
        total = (
            session.scalar(
                select(func.count())
                .select_from(m.ReorderSuggestion)
                .where(m.ReorderSuggestion.plan_id == plan.id)
            )
            or 0
        )
    return SavedPlan(plan, suggestions, total)


def forecast_skus(session: Session, plan_id: int, limit: int | None = None) -> list[tuple[str, str]]:
    """(sku, title) of the SKUs the plan forecast, busiest first (the first `limit` of them)."""
    # Summed per variant id, which the (plan_id, variant_id) index yields in order, and joined to
    # the variant only for the SKUs kept: grouping by SKU and title sorted every forecast row of the
    # plan (0.39 s on a 10,000-SKU store, to list SKUs nobody could scroll through anyway).
    busiest = func.sum(m.InventoryForecast.mean_units).label("busiest")
    totals = (
        select(m.InventoryForecast.variant_id, busiest)
        .where(m.InventoryForecast.plan_id == plan_id)
        .group_by(m.InventoryForecast.variant_id)
        .subquery()
    )
    query = (
        select(m.Variant.sku, m.Variant.title)
        .join(totals, totals.c.variant_id == m.Variant.id)
        .order_by(totals.c.busiest.desc(), m.Variant.sku)
    )
    if limit is not None:
        query = query.limit(limit)
    return [(sku, title) for sku, title in session.execute(query)]


def _forecast_by(plan_id: int) -> Any:
    """Whether a variant has forecasts in the plan (the (plan_id, variant_id) index answers it)."""
    return (
        select(m.InventoryForecast.id)
        .where(m.InventoryForecast.plan_id == plan_id, m.InventoryForecast.variant_id == m.Variant.id)
        .exists()
    )


def search_forecast_skus(session: Session, plan_id: int, text: str, limit: int = 20) -> list[tuple[str, str]]:
    """(sku, title) of the plan's forecast SKUs whose SKU or title contains `text` (any case), the
    exact SKU first, then SKUs starting with it, then the rest, each by SKU; at most `limit`."""
    text = text.strip()
    if not text or limit <= 0:
        return []
    exact = func.lower(m.Variant.sku) == text.lower()
    starts = m.Variant.sku.istartswith(text, autoescape=True)
    query = (
        select(m.Variant.sku, m.Variant.title)
        .where(
            _forecast_by(plan_id),
            m.Variant.sku.icontains(text, autoescape=True) | m.Variant.title.icontains(text, autoescape=True),
        )
        .order_by(exact.desc(), starts.desc(), m.Variant.sku)
        .limit(limit)
    )
    return [(sku, title) for sku, title in session.execute(query)]


def is_forecast_sku(session: Session, plan_id: int, sku: str) -> bool:
    """Whether `sku` (exactly) is one the plan forecast, so the chart can show it."""
    found = session.scalar(select(m.Variant.id).where(m.Variant.sku == sku, _forecast_by(plan_id)).limit(1))
    return found is not None


def forecast_vs_actual(
    session: Session, sku: str, today: date, history_days: int = 120
) -> dict[str, Any] | None:
    """Daily units sold of one SKU over recent history and every saved forecast for those and later days.

    Forecasts come from the latest plan for the days ahead and from earlier plans for days already
    past, so the chart sets what was forecast against what sold."""
    variant = session.scalars(select(m.Variant).where(m.Variant.sku == sku)).first()
    if variant is None:
        return None
    first = today - timedelta(days=history_days)
    history = frames(session, today, first=first, skus=[sku])
    i = history.index()[sku]
    latest = session.scalar(select(func.max(m.InventoryPlan.id)))
    rows = session.execute(
        select(
            m.InventoryForecast.forecast_date,
            m.InventoryForecast.mean_units,
            m.InventoryForecast.low_units,
            m.InventoryForecast.high_units,
            m.InventoryForecast.plan_id,
            m.InventoryForecast.model,
            m.InventoryForecast.level,
        )
        .where(m.InventoryForecast.variant_id == variant.id, m.InventoryForecast.forecast_date >= first)
        .order_by(m.InventoryForecast.forecast_date, m.InventoryForecast.plan_id.desc())
    ).all()
    # Per day, the newest forecast made before that day (for the past) or by the latest plan.
    chosen: dict[date, tuple[float, float, float]] = {}
    model, level = None, None
    for day, mean, low, high, plan_id, name, coverage in rows:
        if day not in chosen:
            chosen[day] = (mean, low, high)
        if plan_id == latest:
            model, level = name, coverage
    days_ = sorted(set(history.dates) | set(chosen))
    actual = {
        history.start + timedelta(days=d): int(history.units[i, d])
        for d in range(history.days)
        if history.active[i, d]
    }
    censored = {history.start + timedelta(days=d) for d in range(history.days) if history.censored[i, d]}
    promoted = {history.start + timedelta(days=d) for d in range(history.days) if history.promoted[i, d]}
    repriced: dict[date, list[str]] = defaultdict(list)
    for change in history.price_changes:
        if change.sku == i:
            before, after = (
                round_money(from_units(units), history.currency)
                for units in (change.before_units, change.after_units)
            )
            repriced[history.start + timedelta(days=change.day)].append(
                f"{change.channel} {before} → {after}"
            )
    return {
        "sku": sku,
        "title": variant.title,
        "model": model,
        "level": level,
        "dates": [d.isoformat() for d in days_],
        "actual": [actual.get(d) for d in days_],
        "stocked_out": [d in censored for d in days_],
        "promoted": [d in promoted for d in days_],
        "price_changes": ["; ".join(repriced[d]) if d in repriced else None for d in days_],
        "mean": [round(chosen[d][0], 3) if d in chosen else None for d in days_],
        "low": [round(chosen[d][1], 3) if d in chosen else None for d in days_],
        "high": [round(chosen[d][2], 3) if d in chosen else None for d in days_],
    }


BACKTEST_METRICS = (
    ("stockout_periods", "Stockout periods"),
    ("fill_rate", "Fill rate"),
    ("lost_sales_units", "Lost sales (units)"),
    ("lost_sales_value", "Lost sales (value)"),
    ("average_inventory_value", "Average inventory value"),
    ("inventory_turns", "Inventory turns"),
    ("orders", "Orders"),
)


def backtest_table(document: dict[str, Any] | None) -> dict[str, Any] | None:
    """Policies side by side from a `sasame inventory backtest --json` document, for the page: the
    figures, what was replayed under which settings, and the comparisons in words."""
    if not document:
        return None
    candidates = document.get("policies") or document.get("metrics") or document
    policies = {
        name: metrics
        for name, metrics in candidates.items()
        if isinstance(metrics, dict) and "fill_rate" in metrics
    }
    if not policies:
        return None
    rows = []
    for key, label in BACKTEST_METRICS:
        values = []
        for metrics in policies.values():
            value = metrics.get(key)
            if isinstance(value, int | float) and key == "fill_rate":
                values.append(f"{value:.2%}")
            elif isinstance(value, int) or (
                key == "lost_sales_units" and isinstance(value, float) and value.is_integer()
            ):
                values.append(f"{value:,.0f}")
            elif isinstance(value, float):
                values.append(f"{value:,.2f}")
            else:
                values.append("—")
        rows.append({"label": label, "values": values})
    comparison = document.get("comparison") if isinstance(document.get("comparison"), dict) else None
    return {
        "policies": list(policies),
        "rows": rows,
        "comparison": comparison or {},
        "settings": _backtest_settings(document.get("settings")),
        "verdicts": _backtest_verdicts(comparison or {}),
        "replayed_on": _iso_day(document.get("replayed_on")),
    }


def _iso_day(value: Any) -> date | None:
    """A stored ISO day, or None when absent or not one (a file from `--backtest` may carry anything)."""
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


_PERIOD_WORDS = {"D": ("day", "days"), "W": ("week", "weeks"), "M": ("month", "months")}


def _backtest_settings(settings: Any) -> str | None:
    """'120 SKUs over 364 days from 2025-11-28 to 2026-11-26; lead time 7 ± 2 days, ...' or None."""
    if not isinstance(settings, dict):
        return None
    try:
        one, many = _PERIOD_WORDS[str(settings["freq"])]
        review = int(settings["review"])
        fixed = f"{float(settings['lead_time']):g} ± {float(settings['lead_time_sd']):g} {many}"
        own = settings.get("own_lead_times")
        lead = (
            f"each SKU's lead time its supplier's as learned from the store's purchase orders "
            f"({float(own['shortest']):g}–{float(own['longest']):g} {many} on average"
            + (f"; {fixed} for the {int(settings['skus']) - int(own['skus']):,} without a supplier)"
               if int(own["skus"]) < int(settings["skus"]) else ")")
            if isinstance(own, dict)
            else f"lead time {fixed}"
        )  # fmt: skip
        return (
            f"{int(settings['skus']):,} SKUs over {int(settings['periods']):,} {many} from "
            f"{settings['start']} to {settings['end']}; {lead}, stock reviewed every "
            f"{f'{review} {many}' if review > 1 else one}; service level "
            f"{float(settings['service_level']) * 100:g}% for sasame and ma_rs; a sale that finds no stock "
            "is lost."
        )
    except (KeyError, TypeError, ValueError):
        return None


def _backtest_verdicts(comparison: dict[str, Any]) -> list[str]:
    """The done-when comparisons as sentences: more or fewer, and by how much."""

    def change(value: Any, fewer: str, more: str) -> str:
        return f"{abs(float(value)):.1%} {fewer if float(value) >= 0 else more}"

    verdicts = []
    if {"stockout_periods_reduction_vs_manual", "inventory_value_reduction_vs_manual"} <= comparison.keys():
        verdicts.append(
            "Against the manual rule: "
            + change(comparison["stockout_periods_reduction_vs_manual"], "fewer", "more")
            + " stockout periods with "
            + change(comparison["inventory_value_reduction_vs_manual"], "less", "more")
            + " stock at cost."
        )
    if {"fill_rate_difference_vs_ma_rs", "inventory_value_reduction_vs_ma_rs"} <= comparison.keys():
        points = float(comparison["fill_rate_difference_vs_ma_rs"]) * 100
        direction = "higher" if points >= 0 else "lower"
        verdicts.append(
            f"Against ma_rs: a fill rate {abs(points):.2f} points {direction} with "
            + change(comparison["inventory_value_reduction_vs_ma_rs"], "less", "more")
            + " stock at cost."
        )
    return verdicts
