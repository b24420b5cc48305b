"""Benchmark: post the ledger of a demo store from scratch, then again with nothing new.

Run: .venv/bin/python benchmarks/ledger_posting.py [--weeks 104] [--orders-per-week 300]

The store is generated with `generate_demo_store` (no pipeline) into a SQLite file under /tmp and
cached; each run copies it and times `post_ledger` twice: the first run posts the whole history,
the second finds nothing new (it still reads and fingerprints every cause). The default is the
demo store `sasame demo` builds (about 31k orders over two years). CPU seconds are printed beside
wall time because on a shared machine the wall time mostly measures the other processes.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sqlite3
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sasame.db import make_engine, transaction, upgrade
from sasame.demo.context import DemoScale
from sasame.demo.service import generate_demo_store
from sasame.finance.service import post_ledger


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--orders-per-week", type=int, default=300)
    parser.add_argument("--end", default="2026-11-02", help="fixed end day so runs are comparable")
    parser.add_argument("--method", default="fifo", choices=["fifo", "average"])
    args = parser.parse_args()
    cached = Path(f"/tmp/sasame_bench_ledger_{args.weeks}w_{args.orders_per_week}.db")
    end = date.fromisoformat(args.end)
    now = datetime(end.year, end.month, end.day, 12, tzinfo=UTC)
    if not cached.exists():
        engine = make_engine(f"sqlite:///{cached}")
        upgrade(engine)
        generate_demo_store(
            engine,
            seed=7,
            scale=DemoScale(weeks=args.weeks, orders_per_week=args.orders_per_week),
            end=end,
            now=now,
        )
        engine.dispose()
    work = cached.with_suffix(".posting.db")
    shutil.copyfile(cached, work)
    engine = make_engine(f"sqlite:///{work}")
    timings, cpu = [], []
    summaries = []
    for _ in range(2):
        started, started_cpu = time.perf_counter(), time.process_time()
        with transaction(engine) as session:
            summaries.append(post_ledger(session, now, method=args.method))
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    engine.dispose()
    with sqlite3.connect(work) as connection:
        counts = {
            table: connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
            for table in ("order", "payout_line", "stock_movement", "journal_entry", "posting")
        }
    work.unlink()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for table, count in counts.items():
        print(f"  {table:15s} {count:>12,}")
    second = summaries[1]
    print(
        f"  second run: {second.get('entries_written', 0)} entries written, {second['unchanged']} unchanged"
    )
    print(f"  machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(
        f"RESULT ledger_posting orders={counts['order']} first_run_s={timings[0]:.1f} "
        f"first_run_cpu_s={cpu[0]:.1f} second_run_s={timings[1]:.1f} second_run_cpu_s={cpu[1]:.1f} "
        f"postings={counts['posting']} peak_rss_mib={peak_mib:.0f} load_average={os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
