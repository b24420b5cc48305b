"""Benchmark: import a 100k-order Shopify orders export (about 300k rows, 79 columns) into a fresh
SQLite database, against pandas.read_csv of the same file in the same run; print both and the ratio.

Run: .venv/bin/python benchmarks/import_shopify_orders.py [--orders 100000] [--seed 7] [--profile] [--records]
The file is generated deterministically into a temporary folder. sasame's side is measured
in-process: `import_file` inside one `transaction` (detect → parse → keep the file → upsert →
commit), exactly what `sasame import` does per file, without the interpreter start-up. A fresh
store's export takes the columnar path; `--records` switches it off to time the record path
(what every file took before it, and what a file naming stored orders still takes).
Target (issue 3): sasame at most 3x pandas.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import gc
import os
import platform
import pstats
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sasame.connectors.shopify.orders_csv import COLUMNS, ShopifyOrdersCsv
from sasame.db import make_engine, transaction, upgrade
from sasame.ingest.service import import_file

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
CENT = Decimal("0.01")
PROVINCES = [
    ("ON", "Ontario", "Toronto"),
    ("BC", "British Columbia", "Vancouver"),
    ("QC", "Quebec", "Montreal"),
]
UTM = ["facebook", "google", "klaviyo", "instagram", "tiktok"]


def generate(path: Path, orders: int, seed: int) -> int:
    """Write a realistic 79-column export: 1-6 lines per order (about 3 on average); return rows."""
    rng = random.Random(seed)
    products = [
        (
            f"SKU-{i:04d}",
            f"Product {i} - {rng.choice(['S', 'M', 'L'])}",
            Decimal(rng.randint(500, 9000)) / 100,
        )
        for i in range(400)
    ]
    customers = [f"buyer{i}@example.com" for i in range(int(orders * 0.7))]
    start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    index = {name: position for position, name in enumerate(COLUMNS)}
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for number in range(orders):
            created = start + timedelta(seconds=number * 600 + rng.randint(0, 500))
            created_text = (created - timedelta(hours=5)).strftime("%Y-%m-%d %H:%M:%S -0500")
            lines = [rng.choice(products) for _ in range(rng.choice((1, 1, 2, 3, 3, 4, 5, 5, 6)))]
            quantities = [rng.choice((1, 1, 1, 2, 3)) for _ in lines]
            gross = sum((price * q for (_, _, price), q in zip(lines, quantities, strict=True)), Decimal(0))
            discount = (gross * Decimal("0.1")).quantize(CENT) if rng.random() < 0.2 else Decimal("0.00")
            shipping = Decimal("9.99") if gross < 75 else Decimal("0.00")
            taxes = ((gross - discount + shipping) * Decimal("0.13")).quantize(CENT)
            total = gross - discount + shipping + taxes
            email = rng.choice(customers)
            province, province_name, city = rng.choice(PROVINCES)
            note = (
                f"UTM source: {rng.choice(UTM)}\nUTM medium: paid\nUTM campaign: c{rng.randint(1, 40)}"
                if rng.random() < 0.3
                else ""
            )
            name = f"#{1001 + number}"
            for position, ((sku, title, price), quantity) in enumerate(zip(lines, quantities, strict=True)):
                cells = [""] * len(COLUMNS)

                def put(column: str, value: object, cells: list[str] = cells) -> None:
                    cells[index[column]] = str(value)

                for column, value in (
                    ("Name", name),
                    ("Email", email),
                    ("Created at", created_text),
                    ("Lineitem quantity", quantity),
                    ("Lineitem name", title),
                    ("Lineitem price", price),
                    ("Lineitem sku", sku),
                    ("Lineitem requires shipping", "true"),
                    ("Lineitem taxable", "true"),
                    ("Lineitem fulfillment status", "fulfilled"),
                    ("Vendor", "My Store"),
                    ("Lineitem discount", "0.00"),
                ):
                    put(column, value)
                if position == 0:
                    for column, value in (
                        ("Financial Status", "paid"),
                        ("Paid at", created_text),
                        ("Fulfillment Status", "fulfilled"),
                        ("Fulfilled at", created_text),
                        ("Accepts Marketing", rng.choice(("yes", "no"))),
                        ("Currency", "CAD"),
                        ("Subtotal", gross - discount),
                        ("Shipping", shipping),
                        ("Taxes", taxes),
                        ("Total", total),
                        ("Discount Code", "SAVE10" if discount else ""),
                        ("Discount Amount", discount),
                        ("Shipping Method", "Standard"),
                        ("Billing Name", f"Buyer {number}"),
                        ("Billing Street", f"{number % 900 + 1} Main Street"),
                        ("Billing Address1", f"{number % 900 + 1} Main Street"),
                        ("Billing City", city),
                        ("Billing Zip", "M5V 2T6"),
                        ("Billing Province", province),
                        ("Billing Country", "CA"),
                        ("Billing Phone", "'4165550100"),
                        ("Shipping Name", f"Buyer {number}"),
                        ("Shipping Street", f"{number % 900 + 1} Main Street"),
                        ("Shipping Address1", f"{number % 900 + 1} Main Street"),
                        ("Shipping City", city),
                        ("Shipping Zip", "M5V 2T6"),
                        ("Shipping Province", province),
                        ("Shipping Country", "CA"),
                        ("Shipping Phone", "'4165550100"),
                        ("Note Attributes", note),
                        ("Payment Method", "Shopify Payments"),
                        ("Payment Reference", f"r{number:012d}"),
                        ("Refunded Amount", "0.00"),
                        ("Outstanding Balance", "0.00"),
                        ("Id", 5_000_000_000_000 + number),
                        ("Risk Level", "Low"),
                        ("Source", "web"),
                        ("Tax 1 Name", "HST 13%"),
                        ("Tax 1 Value", taxes),
                        ("Billing Province Name", province_name),
                        ("Shipping Province Name", province_name),
                        ("Payment ID", f"r{number:012d}"),
                        ("Payment References", f"r{number:012d}"),
                    ):
                        put(column, value)
                writer.writerow(cells)
                rows += 1
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile of the import")
    parser.add_argument("--records", action="store_true", help="time the record path (columnar path off)")
    arguments = parser.parse_args()
    import pandas

    with tempfile.TemporaryDirectory() as folder:
        export = Path(folder) / "orders_export_1.csv"
        started = time.perf_counter()
        rows = generate(export, arguments.orders, arguments.seed)
        print(
            f"generated {rows:,} rows for {arguments.orders:,} orders, "
            f"{export.stat().st_size / 2**20:.1f} MiB in {time.perf_counter() - started:.1f} s"
        )

        gc.collect()
        started, cpu_started = time.perf_counter(), time.process_time()
        frame = pandas.read_csv(export)
        pandas_seconds = time.perf_counter() - started
        pandas_cpu = time.process_time() - cpu_started
        assert len(frame) == rows
        del frame
        gc.collect()

        if arguments.records:
            ShopifyOrdersCsv.order_columns = lambda self, file, context: None  # type: ignore[method-assign]
        database = Path(folder) / "bench.db"
        engine = make_engine(f"sqlite:///{database}")
        upgrade(engine)
        profiler = cProfile.Profile() if arguments.profile else None
        started, cpu_started = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        with transaction(engine) as session:
            summary = import_file(session, export, now=NOW)
        if profiler:
            profiler.disable()
        sasame_seconds = time.perf_counter() - started
        sasame_cpu = time.process_time() - cpu_started
        engine.dispose()
        with sqlite3.connect(database) as connection:
            orders = connection.execute('select count(*) from "order"').fetchone()[0]
            lines = connection.execute("select count(*) from order_line").fetchone()[0]
        assert orders == arguments.orders and lines == rows, (orders, lines)
        print(
            f"machine: {platform.machine()} {platform.system()}, Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}, pandas {pandas.__version__}"
        )
        # CPU time (all threads of this process) alongside wall time: on a machine shared with other
        # jobs wall times swing; CPU time says how much work each side did.
        print(f"load average:    {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"pandas.read_csv: {pandas_seconds:.2f} s (CPU {pandas_cpu:.2f} s)")
        path = "record path" if arguments.records else "columnar path"
        print(
            f"sasame import ({path}): {sasame_seconds:.2f} s (CPU {sasame_cpu:.2f} s; "
            f"{summary.records['order']['created']:,} orders, "
            f"{lines:,} lines, {summary.records.get('customer', {}).get('created', 0):,} customers)"
        )
        ratio = sasame_seconds / pandas_seconds
        print(
            f"RESULT import_shopify_orders path={path.split()[0]} rows={rows} pandas_s={pandas_seconds:.2f} "
            f"sasame_s={sasame_seconds:.2f} ratio={ratio:.2f} target<=3.0 {'OK' if ratio <= 3 else 'OVER'}"
        )
        if profiler:
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(35)


if __name__ == "__main__":
    main()
