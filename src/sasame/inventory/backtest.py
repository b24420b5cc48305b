"""Replay a demand history against replenishment policies, one period at a time, with lost sales.

Protocol (references.md §3.3, issue 6 item 5). For every period t from the start:
1. receive the orders that arrive at t (an order placed at the end of period u with lead time L
   arrives at the end of u + L, so it can be sold from period u + L + 1);
2. serve that period's demand from stock; what cannot be served is lost;
3. on review periods every policy may order, seeing only the recorded demand of the periods before t
   (nothing from t on) and its current stock and pipeline.

Lead times are drawn once per (SKU, period) from a normal distribution rounded to whole periods and
floored at zero, with the seed; every policy draws the same lead time for an order placed on the same
SKU and day (common random numbers), so differences come from decisions, not luck.

Every policy starts from the same rule: the stock it would itself order for an empty shelf on the eve
of the start (its order-up-to level; for the manual rule its 42-day order), delivered at once, with
nothing on order.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from sasame.core.errors import InputError
from sasame.inventory.forecast import _statsforecast_freq, forecast
from sasame.inventory.policy import (
    EMPIRICAL_SPAN,
    LAUNCH_SPAN,
    RECENT_SPAN,
    class_levels,
    demand_distribution,
    empirical_levels,
    launch_rates,
    normal_levels,
    value_aware_levels,
    weekly_spread,
    z_value,
)

PERIOD_DAYS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}
PERIODS_PER_YEAR = {"D": 365.0, "W": 52.0, "M": 12.0}
POLICIES = ("sasame", "manual", "ma_rs")
REQUIRED_COLUMNS = ("sku", "date", "units")


@dataclass
class DemandData:
    """A regular panel: one row per SKU, one column per period."""

    skus: list[str]
    dates: list[date]
    freq: str
    units: np.ndarray  # (sku, period) demand
    unit_cost: np.ndarray  # (sku, period) cost per unit used to value stock
    price: np.ndarray  # (sku, period) price per unit used to value lost sales
    integral: bool  # all demand in whole units: orders are rounded up to whole units
    # (sku, period) planned promotion (> 0: promoted, 1 or the percent off), or None without a `promo`
    # column. Promotions are scheduled in advance, so unlike demand a policy may read future periods.
    promo: np.ndarray | None = None
    # SKU -> the profile (product or category) whose yearly shape a thin SKU pools with, as the plan
    # does; None for a demand file, which has no products: every SKU pools with the whole store.
    profiles: dict[str, str] | None = None


# The defaults, in periods: a week's lead time, give or take two days, on daily data.
DEFAULT_LEAD_TIME = 7.0
DEFAULT_LEAD_TIME_SD = 2.0


@dataclass
class BacktestConfig:
    freq: str = "D"
    lead_time: float = DEFAULT_LEAD_TIME
    lead_time_sd: float = DEFAULT_LEAD_TIME_SD
    review: int = 1
    start: date | None = None
    seed: int = 0
    service_level: float = 0.95  # cycle service level; `ma_rs` uses it as is, `sasame` as its fill-rate floor
    refit_every: int | None = None  # periods between full forecast re-fits (default: ~4 weeks of periods)
    # What policies learn from: the recorded demand of past periods (the replay's data), or only the
    # sales each policy made itself (lost demand unseen; stocked-out periods flagged as censored).
    observe: str = "demand"
    # For whole-unit demand, floor sasame's order-up-to level with each SKU's empirical demand
    # distribution over the lead time (bulk orders; see SasamePolicy). On by default.
    empirical: bool = True
    # How `sasame` sets each SKU's cycle service level around `service_level`: "value" (cheap items
    # higher, dear ones lower: the most units sold per unit of money) or "class" (the plan's ABC/XYZ
    # table, scaled to `service_level`).
    levels: str = "value"
    # For SKUs just launched, let the level follow their recent demand at every review
    # (`policy.launch_rates`), not only the weekly forecast.
    launch_ramp: bool = True
    # Lead time (mean, sd) in periods per SKU, for the SKUs listed (`--store`: each SKU's supplier, as
    # the plan learns it from the store's purchase orders); the others take lead_time, lead_time_sd.
    sku_lead_times: Mapping[str, tuple[float, float]] | None = None


def lead_time_parameters(config: BacktestConfig, skus: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of the lead time per SKU, in periods."""
    means = np.full(len(skus), float(config.lead_time))
    sds = np.full(len(skus), float(config.lead_time_sd))
    for i, sku in enumerate(skus):
        if config.sku_lead_times and sku in config.sku_lead_times:
            means[i], sds[i] = config.sku_lead_times[sku]
    return means, sds


@dataclass
class PolicyRun:
    """What one policy did: per (SKU, period) arrays over the simulated periods."""

    demand: np.ndarray
    sales: np.ndarray
    on_hand_end: np.ndarray
    ordered: np.ndarray
    received: np.ndarray


@dataclass
class BacktestResult:
    config: BacktestConfig
    data: DemandData
    start_index: int
    runs: dict[str, PolicyRun] = field(default_factory=dict)
    metrics: dict[str, dict[str, float | int]] = field(default_factory=dict)


def _period_key(value: date, freq: str) -> date:
    """The canonical date of the period containing `value` (first of month for monthly data)."""
    return value.replace(day=1) if freq == "M" else value


def _next_period(value: date, freq: str) -> date:
    if freq == "D":
        return value + timedelta(days=1)
    if freq == "W":
        return value + timedelta(days=7)
    return date(value.year + (value.month == 12), value.month % 12 + 1, 1)


def read_demand_csv(path: Path, freq: str = "D") -> DemandData:
    """Read `sku,date,units[,unit_cost,price,promo]` into a regular panel; one clear error per bad cell.

    `promo` is the store's promotion calendar: 0 (or empty) for none, otherwise 1 or the percent off."""
    freq = freq.upper()
    if freq not in PERIOD_DAYS:
        raise InputError(f"unknown frequency {freq!r}: use D, W or M", file=str(path))
    name = str(path)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as error:
        raise InputError(f"cannot read the file ({error.strerror})", file=name) from error
    records: dict[tuple[str, date], tuple[float, float | None, float | None]] = {}
    promotions: dict[tuple[str, date], float] = {}
    with handle:
        reader = csv.DictReader(handle)
        header = [column.strip() for column in reader.fieldnames or []]
        missing = [column for column in REQUIRED_COLUMNS if column not in header]
        if missing:
            raise InputError(
                f"missing column(s) {', '.join(missing)}; expected sku,date,units", file=name, row=1
            )
        reader.fieldnames = header
        has_cost, has_price = "unit_cost" in header, "price" in header
        has_promo = "promo" in header
        for row_number, row in enumerate(reader, start=2):
            sku = (row.get("sku") or "").strip()
            if not sku:
                raise InputError("empty SKU", file=name, row=row_number, column="sku")
            text = (row.get("date") or "").strip()
            try:
                day = date.fromisoformat(text[:10])
            except ValueError:
                raise InputError(
                    f"{text!r} is not a date (YYYY-MM-DD)", file=name, row=row_number, column="date"
                ) from None
            units = _number(row.get("units"), name, row_number, "units")
            cost = (
                _number(row.get("unit_cost"), name, row_number, "unit_cost", optional=True)
                if has_cost
                else None
            )
            price = _number(row.get("price"), name, row_number, "price", optional=True) if has_price else None
            key = (sku, _period_key(day, freq))
            if key in records:
                raise InputError(
                    f"second row for SKU {sku} on {key[1]}", file=name, row=row_number, column="date"
                )
            records[key] = (units, cost, price)
            if has_promo:
                promotions[key] = _number(row.get("promo"), name, row_number, "promo", optional=True) or 0.0
    if not records:
        raise InputError("no demand rows", file=name, row=2)
    return demand_data(records, freq, name, promotions if has_promo else None)


def demand_data(
    records: Mapping[tuple[str, date], tuple[float, float | None, float | None]],
    freq: str,
    name: str,
    promotions: Mapping[tuple[str, date], float] | None = None,
) -> DemandData:
    """The panel of (SKU, period) -> (units, unit cost, price) records, with the promotion calendar
    (SKU, period) -> promo when there is one; `name` says where they came from in errors."""
    data = _panel(records, freq, name)
    if promotions is not None:
        data.promo = np.zeros_like(data.units)
        row_of = {sku: index for index, sku in enumerate(data.skus)}
        column_of = {day: index for index, day in enumerate(data.dates)}
        for (sku, day), value in promotions.items():
            data.promo[row_of[sku], column_of[day]] = value
    return data


def _number(text: str | None, file: str, row: int, column: str, optional: bool = False) -> Any:
    value = (text or "").strip()
    if not value:
        if optional:
            return None
        raise InputError("empty value", file=file, row=row, column=column)
    try:
        number = float(value)
    except ValueError:
        raise InputError(f"{value!r} is not a number", file=file, row=row, column=column) from None
    if not math.isfinite(number) or number < 0:
        raise InputError(f"{value!r} must be a non-negative number", file=file, row=row, column=column)
    return number


def _panel(
    records: Mapping[tuple[str, date], tuple[float, float | None, float | None]], freq: str, name: str
) -> DemandData:
    days = sorted({day for _, day in records})
    dates = [days[0]]
    while dates[-1] < days[-1]:
        dates.append(_next_period(dates[-1], freq))
    position = {day: index for index, day in enumerate(dates)}
    for (sku, day), _ in records.items():
        if day not in position:
            raise InputError(
                f"date {day} for SKU {sku} is off the {freq} grid that starts on {dates[0]}",
                file=name,
                column="date",
            )
    skus = sorted({sku for sku, _ in records})
    row_of = {sku: index for index, sku in enumerate(skus)}
    shape = (len(skus), len(dates))
    units = np.zeros(shape)
    cost = np.full(shape, np.nan)
    price = np.full(shape, np.nan)
    for (sku, day), (quantity, unit_cost, unit_price) in records.items():
        i, j = row_of[sku], position[day]
        units[i, j] = quantity
        if unit_cost is not None:
            cost[i, j] = unit_cost
        if unit_price is not None:
            price[i, j] = unit_price
    cost = _fill_along_time(cost)
    price = _fill_along_time(price)
    # Stock is valued at cost; without a cost column the price stands in, without either one unit = 1.
    cost = np.where(np.isnan(cost), price, cost)
    cost = np.where(np.isnan(cost), 1.0, cost)
    price = np.where(np.isnan(price), cost, price)
    integral = bool(np.all(np.abs(units - np.round(units)) < 1e-9))
    return DemandData(skus, dates, freq, units, cost, price, integral)


def _fill_along_time(values: np.ndarray) -> np.ndarray:
    """Carry each SKU's last known value forward, then its first known value backward."""
    frame = pd.DataFrame(values.T)
    return frame.ffill().bfill().to_numpy().T


class Policy(Protocol):
    name: str

    def order(self, t: int, position: np.ndarray, history: np.ndarray, censored: np.ndarray) -> np.ndarray:
        """Units to order at the end of period t; `history` and `censored` hold only periods before t."""
        ...


def _window(freq: str, days: float) -> float:
    return days / PERIOD_DAYS[freq]


class ManualPolicy:
    """The spreadsheet rule: when stock (on hand + on order) falls below 14 days of the trailing 28-day
    average sales, order 42 days of that average. Days convert to periods of the data's frequency."""

    name = "manual"

    def __init__(self, freq: str) -> None:
        self.window = max(1, round(_window(freq, 28)))
        self.trigger_periods = _window(freq, 14)
        self.order_periods = _window(freq, 42)

    def order(self, t: int, position: np.ndarray, history: np.ndarray, censored: np.ndarray) -> np.ndarray:
        average = history[:, max(0, t - self.window) : t].mean(axis=1) if t > 0 else np.zeros(len(position))
        below = position < average * self.trigger_periods
        return np.where(below, average * self.order_periods, 0.0)


class MovingAverageOrderUpTo:
    """(R, S) with a 28-day moving average: S = m(R+L) + z·sqrt((R+L)s² + m²·sd_L²) at the target CSL.

    s is the standard deviation of per-period sales over the same window, but over at least 3 periods
    (one month of monthly data has no spread)."""

    name = "ma_rs"

    def __init__(self, config: BacktestConfig, data: DemandData) -> None:
        freq = config.freq
        self.window = max(1, round(_window(freq, 28)))
        self.spread_window = max(self.window, 3)
        self.lead_mean, self.lead_sd = lead_time_parameters(config, data.skus)
        self.periods = config.review + self.lead_mean
        self.z = z_value(config.service_level)

    def order(self, t: int, position: np.ndarray, history: np.ndarray, censored: np.ndarray) -> np.ndarray:
        if t == 0:
            return np.zeros(len(position))
        mean = history[:, max(0, t - self.window) : t].mean(axis=1)
        spread_window = history[:, max(0, t - self.spread_window) : t]
        sd = spread_window.std(axis=1, ddof=1) if spread_window.shape[1] > 1 else np.zeros(len(position))
        sigma = np.sqrt(self.periods * sd**2 + mean**2 * self.lead_sd**2)
        target = mean * self.periods + self.z * sigma
        return np.maximum(target - position, 0.0)


class SasamePolicy:
    """(R, S) on statsforecast forecasts: S covers the forecast demand over R + L (read from the daily
    forecast path, so a coming peak raises it) plus z times the spread of demand over R + L, from the
    forecast error (at least Poisson for counts) and the lead-time spread.

    z differs per SKU: one more unit of stock saves 1 - Phi(z) lost units per cycle and ties up its
    unit cost, so stock goes where it sells the most per unit of money (cheap items get a high cycle
    service level, dear ones a lower one); a SKU of median cost gets the target service level. z is
    capped where it would buy a fill rate above 1 - 0.3 x (1 - service level) (98.5 % at 95 %).

    For whole-unit demand the level has a floor from each SKU's empirical per-period distribution
    (bulk orders make demand over a lead time far from normal), rescaled to the forecast rate and
    convolved over the lead-time distribution; the floors are spread over the SKUs so the store-wide
    expected share of stocked-out selling SKU-periods is 1 - service level at the least stock value.

    Forecasts are re-fitted every `refit_every` periods on the demand seen so far, models re-chosen
    every `reselect_every`; between re-fits the policy reads further along the last forecast path."""

    name = "sasame"

    def __init__(self, config: BacktestConfig, data: DemandData, start_index: int) -> None:
        self.config = config
        self.data = data
        self.freq = config.freq
        self.lead_mean, self.lead_sd = lead_time_parameters(config, data.skus)
        self.periods = config.review + self.lead_mean
        default_refit = {"D": 7, "W": 1, "M": 1}[config.freq]
        self.refit_every = config.refit_every or default_refit
        self.horizon = self.refit_every + math.ceil(float(self.periods.max(initial=0.0))) + 1
        self.fitted_at = -1
        self.path = np.zeros((len(data.skus), self.horizon))
        self.sigma = np.zeros(len(data.skus))
        # Model choice (a rolling backtest per SKU) is redone every `reselect_every` periods; re-fits in
        # between keep the choice and the error spread and cost one model fit per SKU.
        self.reselect_every = {"D": 91, "W": 13, "M": 6}[config.freq]
        self.selected_at = -1
        self.chosen: dict[str, str] | None = None
        self.sigma_of: dict[str, float] | None = None
        # Empirical per-period demand distribution per SKU (whole units), and which SKUs have enough of it.
        self.daily = np.zeros((len(data.skus), 1))
        self.has_daily = np.zeros(len(data.skus), dtype=bool)
        # Per SKU, the chance of a stockout in the last period the latest order protects (diagnostics).
        self.expected_chance = np.zeros(len(data.skus))
        self.class_level = np.full(len(data.skus), config.service_level)

    def _refit(self, t: int, history: np.ndarray, censored: np.ndarray) -> None:
        history_dates = pd.to_datetime(self.data.dates[:t])
        skus = self.data.skus
        values = history[:, :t]
        frame = pd.DataFrame(
            {
                "unique_id": np.repeat(np.array(skus, dtype=object), t),
                "ds": np.tile(history_dates, len(skus)),
                "y": values.reshape(-1),
            }
        )
        censored_series = pd.Series(censored[:, :t].reshape(-1))
        freq = {"D": "D", "W": "W", "M": "M"}[self.freq]
        reselect = self.selected_at < 0 or t - self.selected_at >= self.reselect_every
        result = forecast(
            frame,
            self.horizon,
            freq=freq,
            censored=censored_series,
            promotions=self._promotions(t),
            profiles=self.data.profiles or dict.fromkeys(skus, "store"),
            models=None if reselect else self.chosen,
            sigma=None if reselect else self.sigma_of,
        )
        if reselect:
            self.chosen, self.sigma_of, self.selected_at = dict(result.model), dict(result.sigma), t
        means = result.table.pivot(index="unique_id", columns="ds", values="mean").reindex(skus)
        self.path = np.nan_to_num(means.to_numpy(dtype=float)[:, : self.horizon])
        self.sigma = np.array([result.sigma.get(sku, 0.0) for sku in skus])
        self.fitted_at = t
        if self.data.integral and self.config.empirical:
            self._fit_daily(values, censored[:, :t])
        if self.config.levels == "class":
            year = round(PERIODS_PER_YEAR[self.freq])
            self.class_level = class_levels(
                values[:, -year:].sum(axis=1) * self.data.unit_cost[:, t - 1],
                weekly_spread(values, self.freq),
                target=self.config.service_level,
                keys=skus,
            )

    def _promotions(self, t: int) -> pd.DataFrame | None:
        """The promotion calendar for the periods before t and the forecast horizon from t on.

        Only flags are read after t, never demand: the owner schedules promotions in advance. The
        forecaster learns each SKU's uplift from the promoted periods before t."""
        if self.data.promo is None:
            return None
        sf_freq = _statsforecast_freq(self.freq)
        last = pd.Timestamp(self.data.dates[t - 1])
        # The forecaster labels its horizon from the last history date on its own grid; use the same.
        future = pd.date_range(
            last + pd.tseries.frequencies.to_offset(sf_freq), periods=self.horizon, freq=sf_freq
        )
        past = pd.to_datetime(self.data.dates[:t])
        ahead = self.data.promo[:, t : t + self.horizon]
        ahead = np.pad(ahead, ((0, 0), (0, self.horizon - ahead.shape[1])))
        flags = np.concatenate([self.data.promo[:, :t], ahead], axis=1) > 0
        days = past.append(future)
        return pd.DataFrame(
            {
                "unique_id": np.repeat(np.array(self.data.skus, dtype=object), len(days)),
                "ds": np.tile(days, len(self.data.skus)),
                "promo": flags.reshape(-1),
            }
        )

    def _fit_daily(self, values: np.ndarray, censored: np.ndarray) -> None:
        """Each SKU's distribution of whole units per period over its recent history, stocked-out and
        promoted periods left out (planned promotions are in the forecast's rate; their periods would
        double-count the uplift here)."""
        promoted = (
            self.data.promo[:, : values.shape[1]] > 0
            if self.data.promo is not None
            else np.zeros_like(censored)
        )
        self.daily, self.has_daily = demand_distribution(
            values, censored | promoted, EMPIRICAL_SPAN[self.freq]
        )

    def order(self, t: int, position: np.ndarray, history: np.ndarray, censored: np.ndarray) -> np.ndarray:
        if t == 0:
            return np.zeros(len(position))
        if self.fitted_at < 0 or t - self.fitted_at >= self.refit_every:
            self._refit(t, history, censored)
        # The path starts at period `fitted_at`; this order protects periods t+1 .. t+R+L.
        offset = t - self.fitted_at + 1
        whole = np.floor(self.periods).astype(int)
        covered = np.zeros(len(position))
        # SKUs sharing a protection interval are summed together (one group when every SKU has the same
        # lead time): the same sums, in the same order, as one slice of the path.
        for length in np.unique(whole):
            rows = whole == length
            covered[rows] = self.path[rows, offset : offset + length].sum(axis=1)
        fraction = self.periods - whole
        partial = fraction > 0
        if partial.any():
            last = np.minimum(offset + whole, self.horizon - 1)
            covered = np.where(
                partial, covered + fraction * self.path[np.arange(len(position)), last], covered
            )
        if self.config.launch_ramp:
            launch = launch_rates(
                history[:, :t], censored[:, :t], LAUNCH_SPAN[self.freq], RECENT_SPAN[self.freq]
            )
            covered = np.maximum(covered, launch * self.periods)
        mean_rate = covered / self.periods
        per_period_sd = self.sigma
        if self.data.integral:
            # Counts are at least Poisson-dispersed: a backtest on a quiet stretch must not promise less.
            per_period_sd = np.maximum(per_period_sd, np.sqrt(mean_rate))
        unit_cost = self.data.unit_cost[:, t - 1]
        if self.config.levels == "class":
            levels = self.class_level
        else:
            levels = value_aware_levels(unit_cost, mean_rate, self.config.service_level)
        target, _ = normal_levels(
            covered,
            mean_rate,
            per_period_sd,
            self.periods,
            self.lead_sd,
            levels,
            self.config.review,
        )
        if self.data.integral and self.config.empirical:
            empirical, self.expected_chance = empirical_levels(
                self.daily,
                self.has_daily,
                mean_rate,
                unit_cost,
                list(zip(self.lead_mean.tolist(), self.lead_sd.tolist(), strict=True)),
                self.config.review,
                np.full(len(mean_rate), self.config.service_level),
            )
            target = np.where(np.isnan(empirical), target, np.maximum(target, empirical))
        return np.maximum(target - position, 0.0)


def default_start(data: DemandData) -> int:
    """After the first half of the history."""
    return max(1, len(data.dates) // 2)


def run_backtest(
    data: DemandData,
    config: BacktestConfig,
    policies: Mapping[str, Callable[[BacktestConfig, DemandData, int], Policy]] | None = None,
) -> BacktestResult:
    """Simulate every policy over the periods from the start; fill `metrics` per policy."""
    if config.review < 1:
        raise InputError("review period must be at least 1")
    means, sds = lead_time_parameters(config, data.skus)
    if config.lead_time < 0 or config.lead_time_sd < 0 or (means < 0).any() or (sds < 0).any():
        raise InputError("lead time and its standard deviation must not be negative")
    start = default_start(data)
    if config.start is not None:
        key = _period_key(config.start, data.freq)
        if key not in data.dates:
            raise InputError(
                f"start date {config.start} is outside the demand history {data.dates[0]}..{data.dates[-1]}"
            )
        start = data.dates.index(key)
        if start < 1:
            raise InputError("start date must leave at least one period of history before it")
    factories = policies or {
        "sasame": lambda c, d, s: SasamePolicy(c, d, s),
        "manual": lambda c, d, s: ManualPolicy(c.freq),
        "ma_rs": lambda c, d, s: MovingAverageOrderUpTo(c, d),
    }
    skus, periods = data.units.shape
    rng = np.random.default_rng(config.seed)
    lead_times = np.maximum(
        np.rint(rng.normal(means[:, None], sds[:, None], size=(skus, periods))), 0
    ).astype(int)
    result = BacktestResult(config=config, data=data, start_index=start)
    for name, factory in factories.items():
        policy = factory(config, data, start)
        result.runs[name] = _simulate(policy, data, config, start, lead_times)
        result.metrics[name] = _metrics(result.runs[name], data, start)
    return result


def _simulate(
    policy: Policy, data: DemandData, config: BacktestConfig, start: int, lead_times: np.ndarray
) -> PolicyRun:
    skus, periods = data.units.shape
    span = periods - start
    max_lead = int(lead_times.max()) + 2
    arrivals = np.zeros((skus, periods + max_lead + 1))
    # What the policy sees: the recorded demand, or (observe="sales") its own sales after the start.
    seen = data.units.copy()
    censored = np.zeros((skus, periods), dtype=bool)
    # Every policy starts with what it would order for an empty shelf on the eve of the start, delivered
    # at once: its own order-up-to level (or, for the manual rule, its order of 42 days) from the history.
    initial = np.maximum(
        policy.order(start, np.zeros(skus), seen[:, :start].copy(), censored[:, :start].copy()), 0.0
    )
    on_hand = np.ceil(initial - 1e-9) if data.integral else initial
    run = PolicyRun(*(np.zeros((skus, span)) for _ in range(5)))
    for step, t in enumerate(range(start, periods)):
        received = arrivals[:, t].copy()
        on_hand += received
        demand = data.units[:, t]
        sales = np.minimum(on_hand, demand)
        on_hand -= sales
        on_hand[np.abs(on_hand) < 1e-9] = 0.0
        if config.observe == "sales":
            seen[:, t] = sales
            # Stock ran out: the seller cannot know how much more would have sold.
            censored[:, t] = (on_hand <= 0) & (demand > 0)
        ordered = np.zeros(skus)
        if step % config.review == 0:
            position = on_hand + arrivals[:, t + 1 :].sum(axis=1)
            # Only the past is handed over: a policy cannot peek at period t or later.
            ordered = np.maximum(policy.order(t, position, seen[:, :t].copy(), censored[:, :t].copy()), 0.0)
            if data.integral:
                ordered = np.ceil(ordered - 1e-9)
            ordered[ordered < 1e-9] = 0.0
            arrive = t + 1 + lead_times[:, t]
            np.add.at(arrivals, (np.arange(skus), arrive), ordered)
        run.demand[:, step] = demand
        run.sales[:, step] = sales
        run.on_hand_end[:, step] = on_hand
        run.ordered[:, step] = ordered
        run.received[:, step] = received
    return run


def _metrics(run: PolicyRun, data: DemandData, start: int) -> dict[str, float | int]:
    cost = data.unit_cost[:, start:]
    price = data.price[:, start:]
    lost = run.demand - run.sales
    span = run.demand.shape[1]
    inventory_value = (run.on_hand_end * cost).sum(axis=0).mean()
    cogs_per_year = (run.sales * cost).sum() * PERIODS_PER_YEAR[data.freq] / span
    total_demand = run.demand.sum()
    return {
        "stockout_periods": int((lost > 1e-9).sum()),
        "fill_rate": float(run.sales.sum() / total_demand) if total_demand > 0 else 1.0,
        "lost_sales_units": float(lost.sum()),
        "lost_sales_value": float((lost * price).sum()),
        "average_inventory_value": float(inventory_value),
        "inventory_turns": float(cogs_per_year / inventory_value) if inventory_value > 0 else 0.0,
        "orders": int((run.ordered > 0).sum()),
        "skus": len(data.skus),
        "periods": span,
    }


def write_trajectory(result: BacktestResult, path: Path) -> None:
    """policy,sku,date,demand,sales,on_hand_end,ordered,received: a row per policy, SKU and period."""
    dates = result.data.dates[result.start_index :]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["policy", "sku", "date", "demand", "sales", "on_hand_end", "ordered", "received"])
        for name, run in result.runs.items():
            for i, sku in enumerate(result.data.skus):
                for j, day in enumerate(dates):
                    writer.writerow(
                        [
                            name,
                            sku,
                            day.isoformat(),
                            _format(run.demand[i, j]),
                            _format(run.sales[i, j]),
                            _format(run.on_hand_end[i, j]),
                            _format(run.ordered[i, j]),
                            _format(run.received[i, j]),
                        ]
                    )


def _format(value: float) -> str:
    rounded = round(float(value), 6)
    return str(int(rounded)) if rounded == int(rounded) else repr(rounded)


def comparison(metrics: Mapping[str, Mapping[str, float | int]]) -> dict[str, float]:
    """The done-when ratios: sasame against manual and ma_rs."""
    ours, manual, ma_rs = metrics["sasame"], metrics["manual"], metrics["ma_rs"]

    def reduction(a: float, b: float) -> float:
        return 1.0 - a / b if b > 0 else 0.0

    return {
        "stockout_periods_reduction_vs_manual": reduction(
            float(ours["stockout_periods"]), float(manual["stockout_periods"])
        ),
        "inventory_value_reduction_vs_manual": reduction(
            float(ours["average_inventory_value"]), float(manual["average_inventory_value"])
        ),
        "fill_rate_difference_vs_ma_rs": float(ours["fill_rate"]) - float(ma_rs["fill_rate"]),
        "inventory_value_reduction_vs_ma_rs": reduction(
            float(ours["average_inventory_value"]), float(ma_rs["average_inventory_value"])
        ),
    }


def _own_lead_times(config: BacktestConfig, data: DemandData) -> dict[str, Any]:
    """For per-SKU lead times: how many SKUs have their own and the range of their means."""
    own = [
        config.sku_lead_times[sku]
        for sku in data.skus
        if config.sku_lead_times and sku in config.sku_lead_times
    ]
    if not own:
        return {}
    means = [mean for mean, _ in own]
    return {
        "own_lead_times": {
            "skus": len(own),
            "shortest": round(min(means), 2),
            "longest": round(max(means), 2),
        }
    }


def backtest_document(result: BacktestResult, seconds: float | None = None) -> dict[str, Any]:
    """The `--json` output: settings, per-policy figures and the done-when comparison."""
    config, data = result.config, result.data
    document: dict[str, Any] = {
        "settings": {
            "freq": config.freq,
            "lead_time": config.lead_time,
            "lead_time_sd": config.lead_time_sd,
            **_own_lead_times(config, data),
            "review": config.review,
            "seed": config.seed,
            "service_level": config.service_level,
            "levels": config.levels,
            "start": data.dates[result.start_index].isoformat(),
            "end": data.dates[-1].isoformat(),
            "skus": len(data.skus),
            "periods": len(data.dates) - result.start_index,
        },
        "policies": {name: dict(figures) for name, figures in result.metrics.items()},
    }
    if all(name in result.metrics for name in POLICIES):
        document["comparison"] = comparison(result.metrics)
    if seconds is not None:
        document["seconds"] = round(seconds, 2)
    return document
