"""How long the replenishment plan takes: the demo store end to end, and a scaling curve.

    .venv/bin/python benchmarks/inventory_plan.py --demo
    .venv/bin/python benchmarks/inventory_plan.py --sizes 100,1000,3000,10000
    .venv/bin/python benchmarks/inventory_plan.py --store 10000 --db /tmp/store10000.db

--demo generates the demo store (seed 7, 120 SKUs, two years of daily history) into a temporary
SQLite file, then times `inventory.service.run_plan`: reading the history from the database,
forecasting every SKU, planning and storing the plan, exactly what the daily pipeline step does.
It also checks the demand history against the generator's ground truth: sold units per SKU and day
equal `sku_demand.daily_sold_units`, and the stocked-out days found agree with the `stockout` facts.

--sizes builds synthetic stores in memory (no database): N SKUs with two years of daily demand
drawn from a mix of smooth (Poisson with weekly and yearly cycles), intermittent and lumpy
processes, random stockout spells marked censored, five suppliers with learned lead times, MOQs,
case packs, stock on hand and open POs. It times `plan.build_plan` with the real forecaster, so
the curve shows how forecasting and planning scale; database reading is timed on the demo store.

--store N times the daily pipeline's step end to end on a demo store with N SKUs (orders scaled with
them): `run_plan` reads the history from SQLite, chooses every SKU's model, plans and stores the
plan; then the next morning's run re-fits. Both runs are rolled back, so a store kept with --db
(generated there if the file does not exist; about 10 minutes and 4 GB at 10,000 SKUs) can be
timed again.

Each size is timed twice: the weekly run that chooses every SKU's model by backtest ("select"),
and a daily run that re-fits the chosen models ("refit"), as `service.make_plan` does between
weekly selections. Wall-clock and CPU seconds are both printed: other jobs on a shared machine
stretch the first.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from sasame.inventory.demand import DemandFrames
from sasame.inventory.lead_times import LeadTime
from sasame.inventory.plan import OpenOrder, PlanInputs, PlanSettings, SupplyTerm, build_plan

END = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)


def _cpu() -> float:
    """CPU seconds of this process and of its finished workers (the forecast's process pool)."""
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def synthetic_inputs(skus: int, days: int = 730, seed: int = 1) -> PlanInputs:
    """A store of `skus` SKUs with `days` of daily history, built directly as arrays."""
    rng = np.random.default_rng(seed)
    start = END - timedelta(days=days)
    t = np.arange(days)
    weekday = (np.datetime64(start, "D") + t).astype("datetime64[D]").view("int64") % 7
    week_shape = np.array([1.0, 0.9, 0.9, 1.0, 1.1, 1.3, 1.2])[weekday]
    doy = (np.datetime64(start, "D") + t - np.datetime64(start, "Y").astype("datetime64[D]")).astype(
        int
    ) % 365
    year_shape = 1.0 + 0.35 * np.exp(-(((doy - 335) / 25.0) ** 2))  # a Q4 peak
    kind = rng.choice(["smooth", "intermittent", "lumpy"], size=skus, p=[0.35, 0.45, 0.2])
    units = np.zeros((skus, days), dtype=np.int64)
    for i in range(skus):
        if kind[i] == "smooth":
            rate = rng.uniform(1.0, 12.0) * week_shape * year_shape
            units[i] = rng.poisson(rate)
        elif kind[i] == "intermittent":
            happens = rng.random(days) < rng.uniform(0.05, 0.5)
            units[i] = happens * rng.poisson(rng.uniform(1.0, 3.0), days).clip(1)
        else:
            happens = rng.random(days) < rng.uniform(0.02, 0.15)
            units[i] = happens * rng.geometric(rng.uniform(0.1, 0.4), days)
    stocked_out = np.zeros((skus, days), dtype=bool)
    for i in np.flatnonzero(rng.random(skus) < 0.4):
        for _ in range(int(rng.integers(1, 5))):
            first = int(rng.integers(0, days - 20))
            stocked_out[i, first : first + int(rng.integers(2, 15))] = True
    units[stocked_out] = 0
    launch = np.where(rng.random(skus) < 0.1, rng.integers(days - 200, days - 20, skus), 0)
    active = t[None, :] >= launch[:, None]
    units[~active] = 0
    sku = [f"SKU-{i:05d}" for i in range(skus)]
    products = [f"product-{i // 4}" for i in range(skus)]
    categories = [f"category-{i % 12}" for i in range(skus)]
    cost = rng.integers(20_000, 400_000, skus)  # $2 .. $40 in 1/10,000ths
    frames = DemandFrames(
        start=start,
        days=days,
        currency="USD",
        timezone="America/New_York",
        sku=sku,
        variant_id=np.arange(1, skus + 1),
        product=products,
        category=categories,
        is_bundle=np.zeros(skus, dtype=bool),
        list_price_units=cost * 3,
        unit_cost_units=cost,
        units=units,
        by_channel={"shopify": units},
        by_location={"warehouse": units},
        available={"warehouse": np.where(stocked_out, 0, 10)},
        stocked_out={"warehouse": stocked_out},
        active=active,
        promoted=np.zeros((skus, days), dtype=bool),
        net_price_units=np.zeros((skus, days), dtype=np.int64),
    )
    suppliers = {
        s: LeadTime(s, f"Supplier {s}", quoted, 30, quoted * 1.1, quoted * 0.2, 0.6, "history")
        for s, quoted in enumerate((7, 14, 21, 35, 45), start=1)
    }
    terms, on_hand, open_orders = {}, {}, {}
    recent = units[:, -56:].mean(axis=1)
    for i, name in enumerate(sku):
        supplier = int(rng.integers(1, 6))
        terms[name] = SupplyTerm(
            supplier_id=supplier,
            supplier=f"Supplier {supplier}",
            supplier_email=None,
            supplier_sku=None,
            unit_cost=Decimal(int(cost[i])) / 10_000,
            currency="USD",
            minimum_order_quantity=int(rng.choice([1, 12, 24, 50])),
            case_pack=int(rng.choice([1, 6, 12])),
            quoted_lead_days=suppliers[supplier].quoted_days,
        )
        on_hand[name] = {"warehouse": int(rng.poisson(recent[i] * rng.uniform(5, 60)))}
        if rng.random() < 0.3:
            open_orders[name] = [
                OpenOrder(
                    i + 1,
                    supplier,
                    int(recent[i] * 30) + 1,
                    END - timedelta(days=10),
                    END + timedelta(days=5),
                )
            ]
    return PlanInputs(
        today=END,
        frames=frames,
        titles={name: name for name in sku},
        terms=terms,
        lead_times=suppliers,
        on_hand=on_hand,
        open_orders=open_orders,
        channel_kinds={"shopify": "shopify"},
        location_kinds={"warehouse": "warehouse"},
    )


def time_synthetic(sizes: list[int]) -> list[dict[str, object]]:
    from sasame.inventory.forecast import forecast

    # Load statsforecast once so the first size does not pay for the import.
    build_plan(synthetic_inputs(10, days=60), forecast)
    results = []
    for size in sizes:
        inputs = synthetic_inputs(size)
        wall, cpu = time.perf_counter(), _cpu()
        plan = build_plan(inputs, forecast, PlanSettings())
        result: dict[str, object] = {
            "skus": size,
            "select_wall_seconds": round(time.perf_counter() - wall, 2),
            "select_cpu_seconds": round(_cpu() - cpu, 2),
        }
        # The next days' plans re-fit the week's chosen models instead of selecting again.
        inputs.previous_fit, inputs.selected_on = plan.fits(), END
        wall, cpu = time.perf_counter(), _cpu()
        refit = build_plan(inputs, forecast, PlanSettings())
        models = list(refit.models.values())
        result.update(
            refit_wall_seconds=round(time.perf_counter() - wall, 2),
            refit_cpu_seconds=round(_cpu() - cpu, 2),
            suggestions=len(refit.suggestions),
            models=dict(sorted((name, models.count(name)) for name in set(models))),
        )
        print(json.dumps(result), flush=True)
        results.append(result)
    return results


def time_demo() -> dict[str, object]:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from sasame import models as m
    from sasame.db import make_engine, transaction
    from sasame.demo.service import generate_demo_store
    from sasame.inventory.demand import frames, stockout_agreement
    from sasame.inventory.service import run_plan

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'demo.db'}")
        generate_demo_store(engine, seed=7, end=END, now=NOW)
        import statsforecast.models  # noqa: F401  (imported once, as a long-running server would)

        wall, cpu = time.perf_counter(), _cpu()
        with transaction(engine) as session:
            plan, _ = run_plan(session, NOW)
        result: dict[str, object] = {
            "skus_forecast": len(plan.models),
            "select_wall_seconds": round(time.perf_counter() - wall, 2),
            "select_cpu_seconds": round(_cpu() - cpu, 2),
        }
        # The next morning's run re-fits the models chosen this week.
        wall, cpu = time.perf_counter(), _cpu()
        with transaction(engine) as session:
            plan, _ = run_plan(session, NOW + timedelta(days=1))
        result.update(
            refit_wall_seconds=round(time.perf_counter() - wall, 2),
            refit_cpu_seconds=round(_cpu() - cpu, 2),
            **plan.totals(),
        )
        with Session(engine) as session:
            wall = time.perf_counter()
            history = frames(session, END)
            result["read_history_seconds"] = round(time.perf_counter() - wall, 2)
            truth = dict(
                session.execute(
                    select(m.GroundTruth.key, m.GroundTruth.value).where(m.GroundTruth.kind == "sku_demand")
                ).all()
            )
            at = history.index()
            equal = sum(
                np.array_equal(np.array(value["daily_sold_units"][: history.days]), history.units[at[sku]])
                for sku, value in truth.items()
            )
            result["sold_units_equal_truth"] = f"{equal}/{len(truth)} SKUs"
            outs = {
                tuple(key.split("@")): value["days"]
                for key, value in session.execute(
                    select(m.GroundTruth.key, m.GroundTruth.value).where(m.GroundTruth.kind == "stockout")
                ).all()
            }
            agreement = stockout_agreement(history, outs)
            result["stockout_agreement"] = {
                key: round(value, 4) if isinstance(value, float) else value
                for key, value in agreement.items()
            }
        engine.dispose()
    print(json.dumps(result, indent=2), flush=True)
    return result


def generate_scaled_store(engine: Any, skus: int) -> dict[str, Any]:
    """The demo store (seed 7) with `skus` SKUs and its orders scaled with them (300 a week per 120)."""
    from sasame.demo.context import DemoScale
    from sasame.demo.service import generate_demo_store

    scale = DemoScale(skus=skus, orders_per_week=max(300, 300 * skus // 120))
    return generate_demo_store(engine, seed=7, scale=scale, end=END, now=NOW)


def time_read(skus: int) -> dict[str, object]:
    """Generate a demo store with `skus` SKUs (orders scaled with them) and time reading the plan's inputs."""
    from sqlalchemy.orm import Session

    from sasame.db import make_engine
    from sasame.inventory.queries import plan_inputs

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'demo.db'}")
        summary = generate_scaled_store(engine, skus)
        with Session(engine) as session:
            wall, cpu = time.perf_counter(), _cpu()
            inputs = plan_inputs(session, END)
            result: dict[str, object] = {
                "skus": len(inputs.frames.sku),
                "order_lines": summary["order_lines"],
                "stock_movements": summary["stock_movements"],
                "read_wall_seconds": round(time.perf_counter() - wall, 2),
                "read_cpu_seconds": round(_cpu() - cpu, 2),
            }
        engine.dispose()
    print(json.dumps(result), flush=True)
    return result


def time_store(skus: int, db: Path | None) -> dict[str, object]:
    """The plan step end to end on a demo store of `skus` SKUs: the weekly selection, then the re-fit."""
    from sasame.db import make_engine, session_factory
    from sasame.inventory.service import run_plan

    with tempfile.TemporaryDirectory() as folder:
        path = db or Path(folder) / "store.db"
        engine = make_engine(f"sqlite:///{path}")
        if not path.exists() or path.stat().st_size == 0:
            generate_scaled_store(engine, skus)
        import statsforecast.models  # noqa: F401  (imported once, as a long-running server would)

        result: dict[str, object] = {"skus": skus}
        with session_factory(engine)() as session:
            for run, now in (("select", NOW), ("refit", NOW + timedelta(days=1))):
                wall, cpu = time.perf_counter(), _cpu()
                plan, _ = run_plan(session, now)
                session.flush()
                result[f"{run}_wall_seconds"] = round(time.perf_counter() - wall, 2)
                result[f"{run}_cpu_seconds"] = round(_cpu() - cpu, 2)
                result[f"{run}_skus_forecast"] = len(plan.models)
            result.update(plan.totals())
            session.rollback()
        engine.dispose()
    print(json.dumps(result, indent=2), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", action="store_true", help="time the plan on the demo store")
    parser.add_argument("--sizes", help="comma-separated SKU counts for the synthetic scaling curve")
    parser.add_argument(
        "--read", type=int, help="time reading the inputs of a demo store with this many SKUs"
    )
    parser.add_argument("--store", type=int, help="time the plan step end to end on a demo store of N SKUs")
    parser.add_argument("--db", type=Path, help="with --store: the SQLite file to keep the store in")
    args = parser.parse_args()
    if not args.demo and not args.sizes and not args.read and not args.store:
        parser.error("give --demo, --sizes, --read and/or --store")
    if args.store:
        time_store(args.store, args.db)
    if args.read:
        time_read(args.read)
    if args.demo:
        time_demo()
    if args.sizes:
        time_synthetic([int(size) for size in args.sizes.split(",")])
    sys.stdout.flush()


if __name__ == "__main__":
    main()
