"""Benchmark: a full year of daily P&L over a store with about a million orders.

Run: .venv/bin/python benchmarks/pnl_year_1m_orders.py [--weeks 104] [--orders-per-week 10000]

The store is generated once (`generate_demo_store`, seed 7, the same generator as `sasame demo`)
and its ledger posted once by the daily pipeline's finance steps (`finance.post` posts the
ledger, `finance.reports` builds the daily P&L rollup and reconciles); both are cached in /tmp,
so later runs only time the report. The timed call is the service the CLI and the dashboard use,
`compute_pnl(session, first, last_exclusive, "day")`, over the last 365 days; the same figures
straight from the postings (no rollup) are timed too, for comparison.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sasame.db import make_engine, transaction, upgrade
from sasame.demo.context import DemoScale
from sasame.demo.service import generate_demo_store
from sasame.finance.pnl import compute_pnl, pnl_from_postings
from sasame.jobs.pipeline import run_pipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--orders-per-week", type=int, default=10_000)
    parser.add_argument("--end", default="2026-11-02", help="fixed end day so runs are comparable")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    end = date.fromisoformat(args.end)
    now = datetime(end.year, end.month, end.day, 12, tzinfo=UTC)
    name = f"{args.weeks}w_{args.orders_per_week}"
    base = Path(f"/tmp/sasame_bench_pnl_base_{name}.db")
    posted = Path(f"/tmp/sasame_bench_pnl_posted_{name}.db")
    if not posted.exists():
        if not base.exists():
            engine = make_engine(f"sqlite:///{base}")
            upgrade(engine)
            started = time.perf_counter()
            scale = DemoScale(weeks=args.weeks, orders_per_week=args.orders_per_week)
            generate_demo_store(engine, seed=7, scale=scale, end=end, now=now)
            engine.dispose()
            print(f"generated the store in {time.perf_counter() - started:.1f} s", flush=True)
        work = posted.with_suffix(".partial.db")
        shutil.copyfile(base, work)
        engine = make_engine(f"sqlite:///{work}")
        for result in run_pipeline(engine, now, only=["finance.post", "finance.reports"]):
            print(
                f"  {result.name}: {result.seconds:.1f} s {result.summary} {result.error or ''}", flush=True
            )
            if not result.succeeded:
                raise SystemExit(f"{result.name} failed: {result.error}")
        engine.dispose()
        work.rename(posted)
    else:
        print(f"reusing {posted}")
    with sqlite3.connect(posted) as connection:
        counts = {
            table: connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
            for table in ("order", "journal_entry", "posting", "pnl_day")
        }
    for table, count in counts.items():
        print(f"  {table:14s} {count:>12,}")
    engine = make_engine(f"sqlite:///{posted}")
    first = end - timedelta(days=365)
    timings, raw = [], []
    for _ in range(args.repeat):
        with transaction(engine) as session:
            started = time.perf_counter()
            report = compute_pnl(session, first, end, "day")
            timings.append(time.perf_counter() - started)
        with transaction(engine) as session:
            started = time.perf_counter()
            pnl_from_postings(session, first, end)
            raw.append(time.perf_counter() - started)
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cpus, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"year {first} to {end - timedelta(days=1)}: {len(report.rows)} days, "
        f"net revenue {report.total.figures['net_revenue']} {report.currency}, "
        f"net income {report.total.figures['net_income']}"
    )
    print(
        f"RESULT pnl_year_by_day orders={counts['order']} postings={counts['posting']} "
        f"rollup_rows={counts['pnl_day']} best_seconds={min(timings):.3f} "
        f"raw_postings_best_seconds={min(raw):.3f}"
    )


if __name__ == "__main__":
    main()
