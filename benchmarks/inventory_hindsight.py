"""Benchmark: how little stock a fixed order-up-to level per SKU needs when it is chosen with hindsight.

Run: .venv/bin/python benchmarks/inventory_hindsight.py --demand FILE.csv [--freq D|W|M] [--lead-time 7]
     [--lead-time-sd 2] [--seed 0] --stockouts 111,371

For every SKU and every order-up-to level S on a grid, the script replays the backtest's protocol
(same start, same lead-time draws from the seed, lost sales, review every period, starting with S on
hand) and records the stockout periods and the average inventory value at cost. It then picks one S
per SKU, knowing the evaluation period's demand, to minimise the total inventory value for at most
the given total of stockout periods (a Lagrange multiplier over the SKUs' curves, so a point on the
convex hull of the frontier).

What it shows: the frontier of the best *fixed* level per SKU with hindsight. No forecasting policy
can pick these levels (it does not know which SKUs will get bulk orders or launch), but a policy whose
levels vary over time could, in principle, do better than any fixed level. It is evidence of what a
target costs, not a proof that nothing can meet it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from sasame.inventory.backtest import default_start, read_demand_csv


def level_curves(
    units: np.ndarray, cost: np.ndarray, lead_times: np.ndarray, start: int, integral: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For one SKU: the level grid, stockout periods per level and average inventory value per level."""
    periods = len(units)
    high = max(1.0, float(units[start:].max())) * (float(lead_times.max()) + 2)
    grid = np.unique(np.concatenate([np.linspace(0, high, 400), np.arange(0, min(high, 400) + 1)]))
    if integral:
        grid = np.unique(np.ceil(grid))
    on_hand = grid.copy()
    arrivals = np.zeros((len(grid), periods + int(lead_times.max()) + 3))
    stockouts = np.zeros(len(grid))
    value = np.zeros(len(grid))
    for t in range(start, periods):
        on_hand += arrivals[:, t]
        sales = np.minimum(on_hand, units[t])
        stockouts += (units[t] - sales) > 1e-9
        on_hand -= sales
        value += on_hand * cost[t]
        position = on_hand + arrivals[:, t + 1 :].sum(axis=1)
        arrivals[:, t + 1 + lead_times[t]] += np.maximum(grid - position, 0.0)
    return grid, stockouts, value / (periods - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demand", type=Path, required=True)
    parser.add_argument("--freq", default="D")
    parser.add_argument("--lead-time", type=float, default=7.0)
    parser.add_argument("--lead-time-sd", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stockouts", required=True, help="comma-separated totals of stockout periods")
    args = parser.parse_args()
    data = read_demand_csv(args.demand, args.freq)
    skus, periods = data.units.shape
    start = default_start(data)
    # The backtest's draws: same generator, same shape, same rounding.
    rng = np.random.default_rng(args.seed)
    lead_times = np.maximum(
        np.rint(rng.normal(args.lead_time, args.lead_time_sd, size=(skus, periods))), 0
    ).astype(int)
    curves = [
        level_curves(data.units[i], data.unit_cost[i], lead_times[i], start, data.integral)
        for i in range(skus)
    ]
    for allowed in (float(text) for text in args.stockouts.split(",")):
        low, high = 0.0, 1e12
        for _ in range(200):
            multiplier = (low + high) / 2
            total = sum(
                stockouts[np.argmin(value + multiplier * stockouts)] for _, stockouts, value in curves
            )
            if total > allowed:
                low = multiplier
            else:
                high = multiplier
        picks = [np.argmin(value + high * stockouts) for _, stockouts, value in curves]
        stockout_total = sum(curve[1][pick] for curve, pick in zip(curves, picks, strict=True))
        value_total = sum(curve[2][pick] for curve, pick in zip(curves, picks, strict=True))
        print(
            f"at most {allowed:,.0f} stockout periods: {stockout_total:,.0f} stockout periods, "
            f"average inventory value {value_total:,.1f}"
        )


if __name__ == "__main__":
    main()
