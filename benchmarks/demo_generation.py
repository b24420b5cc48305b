"""Benchmark: generate a 100x demo store into SQLite with the CLI; print wall time, peak RSS, row counts.

Run: .venv/bin/python benchmarks/demo_generation.py [--weeks 104] [--orders-per-week 5000] [--import-path]
The command runs in a subprocess so its peak memory is measured alone (RUSAGE_CHILDREN). It measures
the generator itself (`sasame demo --direct`: rows written straight into the database); with
--import-path it measures what `sasame demo` does by default (export files, then `import_file`).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TABLES = (
    "order",
    "order_line",
    "customer",
    "shipment",
    "tracking_event",
    "stock_movement",
    "payout_line",
    "payout",
    "bank_transaction",
    "return",
    "refund",
    "marketing_touchpoint",
    "ad_spend_day",
    "support_message",
    "ground_truth",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--orders-per-week", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--end", default="2026-11-02", help="fixed end day so runs are comparable")
    parser.add_argument(
        "--import-path", action="store_true", help="load through the export files and import_file"
    )
    args = parser.parse_args()
    sasame = Path(sys.executable).with_name("sasame")
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "bench.db"
        command = [
            str(sasame),
            "demo",
            "--no-serve",
            *(["--exports", str(Path(folder) / "exports")] if args.import_path else []),
            "--db",
            f"sqlite:///{database}",
            "--seed",
            str(args.seed),
            "--weeks",
            str(args.weeks),
            "--orders-per-week",
            str(args.orders_per_week),
            "--end",
            args.end,
            *([] if args.import_path else ["--direct"]),
        ]
        started = time.perf_counter()
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
        if completed.returncode != 0:
            sys.exit(f"demo failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}")
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux reports KiB
        with sqlite3.connect(database) as connection:
            rows = {t: connection.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in TABLES}
        size_mib = database.stat().st_size / 2**20
    print(" ".join(command[1:]).replace(str(database), "bench.db"))
    versions = f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    print(f"machine: {platform.machine()} {os.cpu_count()} cpus, {versions}")
    for table, count in rows.items():
        print(f"  {table:22s} {count:>10,}")
    print(
        f"RESULT demo_generation weeks={args.weeks} orders_per_week={args.orders_per_week} "
        f"wall_seconds={elapsed:.1f} peak_rss_mib={peak_mib:.0f} database_mib={size_mib:.0f} "
        f"orders={rows['order']}"
    )


if __name__ == "__main__":
    main()
