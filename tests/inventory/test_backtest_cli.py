"""`sasame inventory backtest`: JSON per policy, the trajectory file, and one-line errors."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from sasame.cli import app
from sasame.core.errors import InputError

runner = CliRunner()


def _weekly_file(path: Path) -> Path:
    rng = np.random.default_rng(5)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "date", "units", "unit_cost"])
        for sku, rate in (("MUG", 40.0), ("CAP", 9.0), ("PIN", 1.2)):
            for week in range(60):
                day = np.datetime64("2025-01-06") + np.timedelta64(7 * week, "D")
                writer.writerow([sku, str(day), int(rng.poisson(rate)), "2.00"])
    return path


def test_backtest_prints_json_and_writes_a_consistent_trajectory(tmp_path: Path) -> None:
    demand = _weekly_file(tmp_path / "weekly.csv")
    trajectory = tmp_path / "trajectory.csv"
    arguments = ["--demand", str(demand), "--freq", "W", "--lead-time", "2", "--lead-time-sd", "1"]
    command = ["inventory", "backtest", *arguments, "--seed", "3", "--json", "--trajectory", str(trajectory)]
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert set(document["policies"]) == {"sasame", "manual", "ma_rs"}
    assert document["settings"] == {
        "freq": "W",
        "lead_time": 2.0,
        "lead_time_sd": 1.0,
        "review": 1,
        "seed": 3,
        "service_level": 0.95,
        "levels": "value",
        "start": "2025-08-04",
        "end": "2026-02-23",
        "skus": 3,
        "periods": 30,
    }
    with trajectory.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3 * 3 * 30
    for name, figures in document["policies"].items():
        mine = [row for row in rows if row["policy"] == name]
        assert figures["stockout_periods"] == sum(float(r["demand"]) > float(r["sales"]) for r in mine)
        assert figures["orders"] == sum(float(r["ordered"]) > 0 for r in mine)
        sold = sum(float(r["sales"]) for r in mine)
        assert abs(figures["fill_rate"] - sold / sum(float(r["demand"]) for r in mine)) < 1e-12
    # Same seed, same figures.
    again = runner.invoke(app, command)
    assert json.loads(again.output)["policies"] == document["policies"]


def test_backtest_table_output_and_start_option(tmp_path: Path) -> None:
    demand = _weekly_file(tmp_path / "weekly.csv")
    command = ["inventory", "backtest", "--demand", str(demand), "--freq", "W", "--start", "2025-10-06"]
    result = runner.invoke(app, [*command, "--lead-time", "1", "--lead-time-sd", "0"])
    assert result.exit_code == 0, result.output
    assert "sasame" in result.output and "manual" in result.output and "ma_rs" in result.output
    assert "stockout periods reduction vs manual" in result.output


def test_bad_file_is_one_line_naming_file_row_and_column(tmp_path: Path) -> None:
    demand = tmp_path / "bad.csv"
    demand.write_text("sku,date,units\nMUG,2025-01-01,3\nMUG,2025-01-02,lots\n")
    result = runner.invoke(app, ["inventory", "backtest", "--demand", str(demand), "--json"])
    assert isinstance(result.exception, InputError)
    assert str(result.exception) == f"{demand}, row 3, column 'units': 'lots' is not a number"
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "sasame"), "inventory", "backtest", "--demand", str(demand)],
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 1
    assert completed.stderr.strip().splitlines() == [
        f"error: {demand}, row 3, column 'units': 'lots' is not a number"
    ]


def test_bad_options_are_refused(tmp_path: Path) -> None:
    demand = _weekly_file(tmp_path / "weekly.csv")
    for option, value, message in (
        ("--freq", "Q", "--freq: 'Q' is not one of D, W, M"),
        ("--start", "soon", "--start: 'soon' is not a date"),
        ("--review", "0", "review period must be at least 1"),
        ("--levels", "abc", "--levels: 'abc' is not one of value, class"),
    ):
        result = runner.invoke(
            app, ["inventory", "backtest", "--demand", str(demand), "--freq", "W", option, value]
        )
        assert message in str(result.exception), option
    missing = runner.invoke(app, ["inventory", "backtest", "--demand", str(tmp_path / "none.csv")])
    assert "cannot read the file" in str(missing.exception)


def test_the_promo_column_reaches_sasame_only(tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    plain, promoted = tmp_path / "plain.csv", tmp_path / "promoted.csv"
    with plain.open("w", newline="") as a, promoted.open("w", newline="") as b:
        without, with_promo = csv.writer(a), csv.writer(b)
        without.writerow(["sku", "date", "units"])
        with_promo.writerow(["sku", "date", "units", "promo"])
        for week in range(80):
            day = str(np.datetime64("2025-01-06") + np.timedelta64(7 * week, "D"))
            on = week % 6 == 5
            units = int(rng.poisson(60.0 if on else 20.0))
            without.writerow(["MUG", day, units])
            with_promo.writerow(["MUG", day, units, 25 if on else 0])
    options = ["--freq", "W", "--lead-time", "1", "--lead-time-sd", "0.5", "--json"]
    runs = [
        runner.invoke(app, ["inventory", "backtest", "--demand", str(path), *options])
        for path in (plain, promoted)
    ]
    assert all(run.exit_code == 0 for run in runs), [run.output for run in runs]
    blind, informed = (json.loads(run.output)["policies"] for run in runs)
    assert blind["manual"] == informed["manual"]
    assert blind["ma_rs"] == informed["ma_rs"]
    # Blind, sasame covers every week as if it could be a promotion week (its demand distribution
    # holds them); knowing them ahead, it sells as much with 31 % less stock.
    assert (blind["sasame"]["lost_sales_units"], informed["sasame"]["lost_sales_units"]) == (0.0, 0.0)
    assert (blind["sasame"]["average_inventory_value"], informed["sasame"]["average_inventory_value"]) == (
        64.0,
        44.0,
    )


def test_class_levels_are_the_plans_table_scaled_to_the_service_level(tmp_path: Path) -> None:
    demand = _weekly_file(tmp_path / "weekly.csv")
    base = ["inventory", "backtest", "--demand", str(demand), "--freq", "W", "--seed", "3", "--json"]
    value = json.loads(runner.invoke(app, base).output)
    chosen = runner.invoke(app, [*base, "--levels", "class"])
    assert chosen.exit_code == 0, chosen.output
    document = json.loads(chosen.output)
    assert document["settings"]["levels"] == "class"
    # Only sasame's levels change; the baselines replay the same decisions.
    assert document["policies"]["manual"] == value["policies"]["manual"]
    assert document["policies"]["ma_rs"] == value["policies"]["ma_rs"]
    assert document["policies"]["sasame"] != value["policies"]["sasame"]
