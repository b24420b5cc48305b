"""Benchmark: a full year of daily P&L over a store with about a million orders.

Run: .venv/bin/python benchmarks/pnl_year_1m_orders.py [--weeks 104] [--orders-per-week 10000]

The store is built once with the real CLI (`sasame demo --no-serve`, which also runs the daily
pipeline: `finance.post` posts the ledger and `finance.reports` builds the daily P&L rollup) and
cached in /tmp, so later runs only time the report. The timed call is the service the CLI and
dashboard use, `compute_pnl(session, first, last_exclusive, "day")`, over the last 365 days; the
same figures straight from the postings (no rollup) are timed too, for comparison.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from sasame.db import make_engine, transaction
from sasame.finance.pnl import compute_pnl, pnl_from_postings


def build(database: Path, weeks: int, orders_per_week: int, end: str) -> float:
    sasame = Path(sys.executable).with_name("sasame")
    command = [
        str(sasame),
        "demo",
        "--no-serve",
        "--db",
        f"sqlite:///{database}",
        "--seed",
        "7",
        "--weeks",
        str(weeks),
        "--orders-per-week",
        str(orders_per_week),
        "--end",
        end,
    ]
    print(" ".join(command[1:]), flush=True)
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        database.unlink(missing_ok=True)
        sys.exit(f"demo failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--orders-per-week", type=int, default=10_000)
    parser.add_argument("--end", default="2026-11-02", help="fixed end day so runs are comparable")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    database = Path(f"/tmp/sasame_bench_pnl_{args.weeks}w_{args.orders_per_week}.db")
    if database.exists():
        print(f"reusing {database}")
    else:
        seconds = build(database, args.weeks, args.orders_per_week, args.end)
        print(f"built the store and posted its ledger in {seconds:.1f} s")
    with sqlite3.connect(database) as connection:
        counts = {
            table: connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
            for table in ("order", "journal_entry", "posting", "pnl_day")
        }
    for table, count in counts.items():
        print(f"  {table:14s} {count:>12,}")
    engine = make_engine(f"sqlite:///{database}")
    last_exclusive = date.fromisoformat(args.end)
    first = last_exclusive - timedelta(days=365)
    timings, raw = [], []
    for _ in range(args.repeat):
        with transaction(engine) as session:
            started = time.perf_counter()
            report = compute_pnl(session, first, last_exclusive, "day")
            timings.append(time.perf_counter() - started)
        with transaction(engine) as session:
            started = time.perf_counter()
            pnl_from_postings(session, first, last_exclusive)
            raw.append(time.perf_counter() - started)
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cpus, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}"
    )
    print(
        f"year {first} to {last_exclusive - timedelta(days=1)}: {len(report.rows)} days, "
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
