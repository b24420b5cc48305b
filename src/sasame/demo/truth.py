"""The generator's ground truth: what it really did, kept so tests and engines can check fidelity."""

from __future__ import annotations

from typing import Any

import numpy as np

from sasame import models as m
from sasame.demo.catalog import Catalog
from sasame.demo.context import DemoContext
from sasame.demo.customers import PROCESSES
from sasame.demo.sales import CHANNELS, Demand, PricedOrders
from sasame.demo.supply import ALTERNATE, SUPPLIERS, StockRun, Terms
from sasame.demo.timeline import Timeline
from sasame.ingest.bulk import next_id, write_rows

LOCATIONS = ("warehouse", "fba")


def _day(timeline: Timeline, index: int) -> str | None:
    if index < 0 or index >= 10 * timeline.count:
        return None
    return str(np.datetime64(timeline.start, "D") + index)


def collect(
    ctx: DemoContext,
    timeline: Timeline,
    catalog: Catalog,
    demand: Demand,
    run: StockRun,
    terms: Terms,
    channel: np.ndarray,
    day: np.ndarray,
    priced: PricedOrders,
    customers: dict[str, Any],
    kept_orders: np.ndarray,
) -> None:
    """Append every ground-truth fact of the commerce steps to ``ctx.truth``."""
    add = ctx.truth.append
    n_days = timeline.count
    season = timeline.seasonality() * timeline.holiday_factor()
    add(
        (
            "calendar",
            "seasonality",
            {
                "start": str(timeline.start),
                "daily_multiplier": np.round(season, 4).tolist(),
                "note": "month x weekday x growth x BFCM and December lull; promotions on top",
            },
        )
    )
    for promotion in timeline.promotions:
        add(
            (
                "promotion",
                promotion.code,
                {
                    "first": str(promotion.first),
                    "last_exclusive": str(promotion.last_exclusive),
                    "percent_off": promotion.percent_off,
                    "uplift": promotion.uplift,
                    "channels": list(promotion.channels),
                },
            )
        )
    for v in range(catalog.count):
        demanded = run.demand[:, :, v]
        stocked_out = run.stocked_out[:, :, v]
        add(
            (
                "sku_demand",
                catalog.sku[v],
                {
                    "category": catalog.category[v],
                    "popularity_weight": round(float(catalog.weight[v]), 6),
                    "launched_on": _day(timeline, int(catalog.launch_day[v])),
                    "decline_starts_on": _day(timeline, int(catalog.decline_day[v]))
                    if catalog.decline_day[v] < n_days
                    else None,
                    "discontinued_on": _day(timeline, int(catalog.discontinue_day[v]))
                    if catalog.discontinue_day[v] < n_days
                    else None,
                    "listed_on": [c for c in CHANNELS if bool(catalog.listed[c][v])],
                    "daily_demand_units": demanded.sum(axis=1).tolist(),
                    "daily_sold_units": run.consumed[:, :, v].sum(axis=1).tolist(),
                    "daily_lost_units": run.lost[:, :, v].sum(axis=1).tolist(),
                    "stockout_days": int(stocked_out.any(axis=1).sum()),
                    "supplier": SUPPLIERS[int(terms.supplier[v])].name if terms.supplier[v] >= 0 else None,
                },
            )
        )
        for location, name in enumerate(LOCATIONS):
            lost = run.lost[:, location, v]
            days = np.flatnonzero(run.stocked_out[:, location, v] | (lost > 0))
            if len(days):
                add(
                    (
                        "stockout",
                        f"{catalog.sku[v]}@{name}",
                        {
                            "days": [str(np.datetime64(timeline.start, "D") + d) for d in days.tolist()],
                            "empty_at_start": run.stocked_out[days, location, v].tolist(),
                            "lost_units": lost[days].tolist(),
                            "total_lost_units": int(lost.sum()),
                        },
                    )
                )
    add(
        (
            "demand_summary",
            "all",
            {
                "demanded_units": int(run.demand.sum()),
                "lost_units": int(run.lost.sum()),
                "stockout_sku_days": int(run.stocked_out.sum()),
                "demanded_orders": int(demand.order_count),
                "recorded_orders": len(kept_orders),
            },
        )
    )
    for profile in [*SUPPLIERS, ALTERNATE]:
        add(
            (
                "supplier",
                profile.name,
                {
                    "quoted_lead_days": profile.quoted_lead_days,
                    "mean_lead_factor": profile.lead_factor,
                    "lead_sigma": profile.lead_spread,
                    "late_probability": profile.late_probability,
                    "partial_probability": profile.partial_probability,
                },
            )
        )
    for source, process in PROCESSES.items():
        chosen = customers["source"] == source
        add(
            (
                "customer_process",
                source,
                {
                    "rate_gamma_shape": process.rate_shape,
                    "rate_gamma_scale_days": process.rate_scale,
                    "dropout_beta_a": process.dropout_a,
                    "dropout_beta_b": process.dropout_b,
                    "mean_rate_per_day": process.mean_rate,
                    "mean_dropout": process.mean_dropout,
                    "customers": int(chosen.sum()),
                    "repeat_share": float((customers["orders"][chosen] >= 2).mean()) if chosen.any() else 0.0,
                },
            )
        )
        people = customers["people"][chosen]
        add(
            (
                "customer_latent",
                source,
                {
                    "customer_ids": customers["ids"][chosen].tolist(),
                    "rate_per_day": np.round(demand.customers.rate[people], 6).tolist(),
                    "dropout_probability": np.round(demand.customers.dropout[people], 6).tolist(),
                },
            )
        )
    for c, name in enumerate(CHANNELS):
        chosen = channel == c
        gross = np.zeros(n_days, dtype=np.int64)
        np.add.at(gross, day[chosen], priced.subtotal[chosen])
        net = np.zeros(n_days, dtype=np.int64)
        np.add.at(net, day[chosen], priced.subtotal[chosen] - priced.discount[chosen])
        add(
            (
                "daily_gross_sales",
                name,
                {
                    "start": str(timeline.start),
                    "currency": ctx.currency,
                    "gross_cents": gross.tolist(),
                    "net_of_discount_cents": net.tolist(),
                    "orders": np.bincount(day[chosen], minlength=n_days).tolist(),
                },
            )
        )


def write(ctx: DemoContext) -> None:
    """Insert every collected fact as a GroundTruth row (one per kind and key)."""
    from sasame.demo.pnl_truth import PnlTruth

    if isinstance(ctx.pnl_truth, PnlTruth):
        ctx.truth.extend(ctx.pnl_truth.facts(ctx.start.isoformat(), ctx.currency))
    facts = sorted({(kind, key): value for kind, key, value in ctx.truth}.items())
    write_rows(
        ctx.connection,
        m.GroundTruth,
        {
            "id": next_id(ctx.connection, m.GroundTruth) + np.arange(len(facts)),
            "kind": [kind for (kind, _), _ in facts],
            "key": [key for (_, key), _ in facts],
            "value": [value for _, value in facts],
        },
    )
