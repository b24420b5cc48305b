"""Demand forecasts per SKU with statsforecast: the model is chosen per SKU by a short rolling backtest
among methods suited to its demand class, with prediction intervals from the backtest errors.

Input and output are long tables (`unique_id, ds, y`). Stocked-out periods are censored (demand
unknown), promotions lift demand by a learned multiplier, and short or new SKUs borrow the yearly
shape of their product or category profile.
"""

from __future__ import annotations

import itertools
import logging
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from sasame.inventory.classify import demand_class

log = logging.getLogger(__name__)

# Periods in the weekly and yearly cycles per pandas frequency alias.
WEEKLY_SEASON = {"D": 7}
YEARLY_SEASON = {"D": 365, "W": 52, "M": 12, "MS": 12, "ME": 12}
PERIODS_PER_YEAR = {"D": 365, "W": 52, "M": 12, "MS": 12, "ME": 12}

# Fewer observations than this: no model selection, a plain average (a model fitted on 3 points is noise).
MIN_MODEL_LENGTH = 8
# A series starts at its first sale but spans at least this many periods (a week of days): a SKU first
# sold yesterday was listed before, and its first unit is not a unit a day.
MIN_LISTED_PERIODS = {"D": 7}
REGULAR_MODELS = ("AutoETS", "Theta", "SeasonalNaive", "SES", "SeasonalES")
# Intermittent and lumpy SKUs take the median of these forecasts (INTERMITTENT_COMBINATION) rather than
# one chosen by backtest: with a handful of sales in the backtest windows the errors are a near tie and
# the choice follows noise (TSB read three Black Friday sales of a SKU selling 7 a year as 0.65 a day),
# while the median of the Croston family is the robust choice (Petropoulos & Kourentzes 2015,
# "Forecast combinations for intermittent demand").
INTERMITTENT_MODELS = ("CrostonClassic", "CrostonSBA", "TSB", "ADIDA", "IMAPA")
INTERMITTENT_COMBINATION = "IntermittentMedian"
FALLBACK_MODEL = "Average"
# Daily series: each window of the selection backtest fits on its last year at most. The weekly cycle
# needs a few weeks and the yearly one is divided out before fitting (`_yearly_profile`), while the
# optimisers' cost grows with the length; weekly and monthly series carry the yearly cycle in the
# model and keep their whole history.
BACKTEST_INPUT_PERIODS = {"D": 365}
# Windows of the selection backtest per frequency (default 2). A monthly series has a few dozen
# periods and each window only a few: 2 windows gave each candidate 8 errors to be chosen on, 3 give
# 12 for a backtest that costs little on monthly data (4 chose better on car parts but left Stallion
# seed 2's fill a hair under ma_rs's; see the commit).
BACKTEST_WINDOWS = {"M": 3}
PROMO_UPLIFT_BOUNDS = (1.0, 5.0)
# Selling periods at which a SKU's own yearly profile and its group's count equally (_own_season_weight).
OWN_SEASON_PRIOR_PERIODS = 50


@dataclass
class Forecast:
    """Per-period forecasts with intervals, and what the policy needs about each SKU."""

    table: pd.DataFrame  # unique_id, ds, mean, lo, hi (interval at `level`)
    model: dict[str, str] = field(default_factory=dict)
    demand_class: dict[str, str] = field(default_factory=dict)
    sigma: dict[str, float] = field(default_factory=dict)
    uplift: dict[str, float] = field(default_factory=dict)


def _season(freq: str, length: int) -> int:
    """Weekly cycle for daily data with two full weeks; yearly cycle for weekly/monthly with two years."""
    base = freq.upper().rstrip("S") if freq.upper() not in ("MS",) else "M"
    if base == "D":
        return 7 if length >= 14 else 1
    yearly = YEARLY_SEASON.get(base, 1)
    return yearly if length >= 2 * yearly else 1


def _build_models(names: tuple[str, ...], season: int) -> list[Any]:
    from statsforecast.models import (
        ADIDA,
        IMAPA,
        TSB,
        AutoETS,
        CrostonClassic,
        CrostonSBA,
        SeasonalExponentialSmoothingOptimized,
        SeasonalNaive,
        SimpleExponentialSmoothingOptimized,
        Theta,
    )

    factories: dict[str, Any] = {
        # ETS without trend (additive seasonality when there is a cycle): a full ZZZ search costs 100x
        # more without numba, and damped or not, trends extrapolated over a lead time overshoot stock.
        "AutoETS": lambda: AutoETS(
            season_length=season, model="ANA" if season > 1 else "ANN", alias="AutoETS"
        ),
        "Theta": lambda: Theta(season_length=season, alias="Theta"),
        "SeasonalNaive": lambda: SeasonalNaive(season_length=season, alias="SeasonalNaive"),
        "SES": lambda: SimpleExponentialSmoothingOptimized(alias="SES"),
        "SeasonalES": lambda: SeasonalExponentialSmoothingOptimized(season_length=season, alias="SeasonalES"),
        "CrostonClassic": lambda: CrostonClassic(alias="CrostonClassic"),
        "CrostonSBA": lambda: CrostonSBA(alias="CrostonSBA"),
        "TSB": lambda: TSB(alpha_d=0.1, alpha_p=0.1, alias="TSB"),
        "ADIDA": lambda: ADIDA(alias="ADIDA"),
        "IMAPA": lambda: IMAPA(alias="IMAPA"),
    }
    factories[INTERMITTENT_COMBINATION] = lambda: _MedianOf(
        [factories[name]() for name in INTERMITTENT_MODELS], alias=INTERMITTENT_COMBINATION
    )
    return [factories[name]() for name in names]


class _MedianOf:
    """A statsforecast model (the `forecast` interface its backtests and forecasts call) whose mean is
    the per-period median of its members' forecasts; members are re-fitted on each call."""

    uses_exog = False

    def __init__(self, members: list[Any], alias: str) -> None:
        self.members = members
        self.alias = alias

    def __repr__(self) -> str:
        return self.alias

    def new(self) -> _MedianOf:
        return _MedianOf([member.new() for member in self.members], self.alias)

    def forecast(self, y: np.ndarray, h: int, **_: Any) -> dict[str, np.ndarray]:
        means = [np.asarray(member.forecast(y=y, h=h)["mean"], dtype=float) for member in self.members]
        return {"mean": np.median(np.vstack(means), axis=0)}


def _statsforecast_freq(freq: str) -> str | int:
    return {"D": "D", "W": "W", "M": "MS", "MS": "MS", "ME": "ME"}.get(freq.upper(), freq)


def _impute_censored(values: np.ndarray, season: int) -> np.ndarray:
    """Fill unknown (censored) periods from the same position in nearby cycles, else the overall mean.

    A stocked-out day's demand is not zero; the best unbiased guess from the data the model may use is
    what the same weekday (or month) sold when stock was there.
    """
    result = values.copy()
    known = np.isfinite(values)
    if known.all():
        return result
    overall = float(values[known].mean()) if known.any() else 0.0
    for index in np.flatnonzero(~known):
        if season > 1:
            same = values[index % season :: season]
            same = same[np.isfinite(same)]
            result[index] = float(same[-8:].mean()) if len(same) else overall
        else:
            window = values[max(0, index - 8) : index + 8]
            window = window[np.isfinite(window)]
            result[index] = float(window.mean()) if len(window) else overall
    return result


def _promo_uplift(values: np.ndarray, promo: np.ndarray) -> float:
    """Mean demand on promotion over mean demand without, bounded; 1 when either side has no data."""
    known = np.isfinite(values)
    on = values[known & promo]
    off = values[known & ~promo]
    if len(on) == 0 or len(off) == 0 or off.mean() <= 0:
        return 1.0
    # Shrink towards no uplift when few promotion periods were seen.
    raw = float(on.mean() / off.mean())
    weight = len(on) / (len(on) + 3.0)
    low, high = PROMO_UPLIFT_BOUNDS
    return min(max(1.0 + weight * (raw - 1.0), low), high)


def _yearly_profile(dates: pd.DatetimeIndex, values: np.ndarray) -> np.ndarray | None:
    """Multiplicative month-of-year index (12 values, mean 1) from known values; None with under a year.

    Each month's mean is taken relative to the series' trend over the same periods: a growing series'
    latest months would otherwise read as a seasonal high and the months last seen a year earlier as a
    low (and the reverse for a declining one), so the forecast would lag the trend twice, once in the
    index and once in the level read through it."""
    known = np.isfinite(values)
    if not known.any():
        return None
    dates, values = dates[known], values[known]
    if (dates.max() - dates.min()).days < 360:
        return None
    # Month sums by bincount: a pandas groupby per SKU cost more than the statistics it computes.
    months = dates.month.to_numpy() - 1
    counts = np.bincount(months, minlength=12)
    if (counts == 0).any():
        return None
    by_month = np.bincount(months, weights=values, minlength=12) / counts
    if by_month.mean() <= 0:
        return None
    trend = _yearly_trend(dates, values, months)
    if trend is not None:
        expected = np.bincount(months, weights=trend, minlength=12) / counts
        if (expected > 0).all():
            by_month = by_month / expected
    # Shrink halfway to flat: a profile from one or two years is noisy.
    return 0.5 + 0.5 * (by_month / by_month.mean())


def _own_season_weight(selling_periods: int) -> float:
    """How far a SKU's own yearly profile is trusted over its group's (its product or category; the
    store in the backtest). A month's mean from n sales has a relative error of about sqrt(12 / n):
    the profile of a SKU that sold on a handful of days is the months of those days, not its buyers'
    year. The weight n / (n + OWN_SEASON_PRIOR_PERIODS) pools it with the group's seasonal indices."""
    return selling_periods / (selling_periods + OWN_SEASON_PRIOR_PERIODS)


def _yearly_trend(dates: pd.DatetimeIndex, values: np.ndarray, months: np.ndarray) -> np.ndarray | None:
    """The series' linear trend at each of its periods, through its mean, with the slope of its
    year-over-year change: the mean change of a month's mean from one year to the next, over every
    month seen in two consecutive years (a slope fitted to the periods themselves would take part of
    the season for a trend: over two years, a season rising to a December peak reads as growth).
    None unless every month is seen in two consecutive years: a year's change read from a few months
    (a year and a bit of daily history) would be one season's accident."""
    years = dates.year.to_numpy()
    first = int(years.min())
    cells = (years - first) * 12 + months
    size = int(cells.max()) + 1
    seen = np.bincount(cells, minlength=size)
    means = np.bincount(cells, weights=values, minlength=size) / np.maximum(seen, 1)
    both = (seen[12:] > 0) & (seen[:-12] > 0)
    if len(np.unique(np.flatnonzero(both) % 12)) < 12:
        return None
    slope_per_day = float((means[12:] - means[:-12])[both].mean()) / 365.25
    days = (dates - dates[0]).days.to_numpy(dtype=float)
    return np.asarray(values.mean() + slope_per_day * (days - days.mean()))


def _history_arrays(history: pd.DataFrame, censored: pd.Series | None) -> pd.DataFrame:
    frame = history[["unique_id", "ds", "y"]].copy()
    frame["unique_id"] = frame["unique_id"].astype(str)
    frame["ds"] = pd.to_datetime(frame["ds"])
    frame["y"] = frame["y"].astype(float)
    if censored is not None:
        mask = censored.reindex(history.index).fillna(False).to_numpy(dtype=bool)
        frame.loc[mask, "y"] = np.nan
    return frame.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


def forecast(
    history: pd.DataFrame,
    horizon: int,
    freq: str = "D",
    level: int = 90,
    censored: pd.Series | None = None,
    promotions: pd.DataFrame | None = None,
    profiles: Mapping[str, str] | None = None,
    models: Mapping[str, str] | None = None,
    sigma: Mapping[str, float] | None = None,
    backtest_windows: int | None = None,
) -> Forecast:
    """Forecast `horizon` periods for every `unique_id` in `history` (columns unique_id, ds, y).

    `censored` (aligned with `history`) marks periods whose demand is unknown because stock ran out;
    they are excluded from fitting. `promotions` has unique_id, ds, promo (bool) for past and future
    periods. `profiles` maps a SKU to the profile (product or category) whose yearly shape it borrows
    when it has less than a year of its own history. `models` skips the selection backtest and reuses
    earlier choices, and `sigma` earlier error spreads (with both, a re-fit is one fit per SKU: the
    backtest updates cheaply between full re-selections this way). `backtest_windows` defaults to
    BACKTEST_WINDOWS for the frequency.
    """
    if horizon < 1:
        raise ValueError("horizon must be at least 1 period")
    frame = _history_arrays(history, censored)
    base_freq = "M" if freq.upper() in ("MS", "ME") else freq.upper()
    sf_freq = _statsforecast_freq(base_freq)
    windows = backtest_windows or BACKTEST_WINDOWS.get(base_freq, 2)
    offset = pd.tseries.frequencies.to_offset(sf_freq)
    z = NormalDist().inv_cdf(0.5 + level / 200.0)

    # Only the promoted periods, per SKU: a lookup of every (SKU, period) cost a tenth of the forecast.
    promoted: dict[str, np.ndarray] = {}
    if promotions is not None and not promotions.empty:
        flagged = promotions[promotions["promo"].astype(bool).to_numpy()]
        flagged_days = pd.to_datetime(flagged["ds"]).to_numpy(dtype="datetime64[ns]")
        for uid, positions in flagged.groupby(flagged["unique_id"].astype(str).to_numpy()).indices.items():
            promoted[str(uid)] = flagged_days[positions]

    profile_shapes: dict[str, np.ndarray | None] = {}
    if profiles and base_freq in ("D", "W"):
        mapped = frame.assign(profile=frame["unique_id"].map(profiles))
        for profile, group in mapped.dropna(subset=["profile"]).groupby("profile"):
            total = group.dropna(subset=["y"]).groupby("ds")["y"].sum()
            # From the group's first sale, as for a SKU: days before a product's launch are not a
            # season (a history padded with them read a new product's ramp as its year).
            total = total[int(np.argmax(total.to_numpy() > 0)) :] if (total > 0).any() else total.iloc[:0]
            profile_shapes[str(profile)] = _yearly_profile(
                pd.DatetimeIndex(total.index), total.to_numpy(dtype=float)
            )

    result = Forecast(table=pd.DataFrame(columns=["unique_id", "ds", "mean", "lo", "hi"]))
    # The series to fit, as arrays joined into one long frame at the end: a small frame per SKU cost
    # more than the statistics computed on it.
    fitted_ids: list[np.ndarray] = []
    fitted_dates: list[np.ndarray] = []
    fitted_values: list[np.ndarray] = []
    fitted_seasons: list[np.ndarray] = []
    simple_rows: list[pd.DataFrame] = []
    adjustments: dict[str, tuple[float, np.ndarray | None, np.ndarray, pd.DatetimeIndex]] = {}

    # `frame` is sorted by SKU then date: each SKU is one slice of the column arrays.
    all_ids = frame["unique_id"].to_numpy()
    all_dates = frame["ds"].to_numpy(dtype="datetime64[ns]")
    all_values = frame["y"].to_numpy(dtype=float)
    bounds = np.r_[0, np.flatnonzero(all_ids[1:] != all_ids[:-1]) + 1, len(all_ids)] if len(all_ids) else []
    for first, stop in itertools.pairwise(bounds):
        uid = str(all_ids[first])
        values = all_values[first:stop]
        # An index, not a list of Timestamps: building millions of those was a tenth of the forecast.
        dates = pd.DatetimeIndex(all_dates[first:stop])
        future = pd.date_range(dates[-1] + offset, periods=horizon, freq=sf_freq)
        # Periods before the first sale are before the SKU was listed, not evidence of zero demand.
        sold = np.flatnonzero(np.nan_to_num(values) > 0)
        if len(sold) and sold[0] > 0:
            begin = min(int(sold[0]), max(0, len(values) - MIN_LISTED_PERIODS.get(base_freq, 1)))
            values, dates = values[begin:], dates[begin:]
        known = values[np.isfinite(values)]
        result.demand_class[uid] = demand_class(known)
        season = _season(base_freq, len(values))

        marks = promoted.get(uid)
        if marks is not None:
            promo_past = np.isin(dates.to_numpy(dtype="datetime64[ns]"), marks)
            promo_future = np.isin(future.to_numpy(dtype="datetime64[ns]"), marks)
        else:
            promo_past, promo_future = np.zeros(len(dates), dtype=bool), np.zeros(len(future), dtype=bool)
        uplift = _promo_uplift(values, promo_past) if promo_past.any() else 1.0
        result.uplift[uid] = uplift
        adjusted = np.where(promo_past, values / uplift, values)

        yearly: np.ndarray | None = None
        # Monthly data too, for SKUs that sell most months: a model's own 12-month season fitted on two
        # or three years (ETS, seasonal naive) follows each year's noise, and the index, shrunk half-way,
        # replaces it (season 1). An intermittent SKU's month means are a lump or two each: no index.
        monthly_regular = base_freq == "M" and result.demand_class[uid] in ("smooth", "erratic")
        if base_freq in ("D", "W") or monthly_regular:
            own = _yearly_profile(dates, adjusted)
            group = profile_shapes.get(str((profiles or {}).get(uid)))
            if own is not None and not monthly_regular:
                # A slow SKU's month means are its few sales: it takes its group's shape in proportion.
                weight = _own_season_weight(int(np.count_nonzero(np.nan_to_num(adjusted) > 0)))
                own = weight * own + (1.0 - weight) * (group if group is not None else 1.0)
            yearly = own if own is not None else group
            if monthly_regular and yearly is not None:
                season = 1
        if yearly is not None:
            months_past = dates.month.to_numpy() - 1
            adjusted = adjusted / yearly[months_past]
        future_factor = np.where(promo_future, uplift, 1.0)
        if yearly is not None:
            future_factor = future_factor * yearly[future.month.to_numpy() - 1]
        adjustments[uid] = (uplift, yearly, future_factor, future)

        filled = _impute_censored(adjusted, season)
        # One sale is no interval between sales: Croston-type models would read the series' first
        # period as the gap and forecast that sale every period.
        if (
            len(known) < MIN_MODEL_LENGTH
            or np.nanmax(np.abs(filled - filled[0])) == 0
            or np.count_nonzero(known > 0) < 2
            if len(filled)
            else True
        ):
            simple_rows.append(_average_forecast(uid, filled, future, future_factor, z, result))
            continue
        fitted_ids.append(np.full(len(filled), uid, dtype=object))
        fitted_dates.append(dates.to_numpy(dtype="datetime64[ns]"))
        fitted_values.append(filled)
        fitted_seasons.append(np.full(len(filled), season))

    tables = [frame_ for frame_ in simple_rows if not frame_.empty]
    if fitted_ids:
        inputs = pd.DataFrame(
            {
                "unique_id": np.concatenate(fitted_ids),
                "ds": np.concatenate(fitted_dates),
                "y": np.concatenate(fitted_values),
                "season": np.concatenate(fitted_seasons),
            }
        )
        tables.extend(
            _model_forecasts(inputs, horizon, sf_freq, z, models, sigma, windows, adjustments, result)
        )
    if tables:
        table = pd.concat(tables, ignore_index=True)
        result.table = table.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
    return result


def _average_forecast(
    uid: str, values: np.ndarray, future: pd.DatetimeIndex, factor: np.ndarray, z: float, result: Forecast
) -> pd.DataFrame:
    """Too little (or flat) history: the recent mean, with a Poisson-like spread when data give none."""
    recent = values[-28:] if len(values) else np.array([0.0])
    mean = float(recent.mean()) if len(recent) else 0.0
    if len(recent) >= 3 and recent.std() > 0:
        sigma = float(recent.std(ddof=1))
    else:
        sigma = math.sqrt(mean) if mean > 0 and len(recent) < 3 else 0.0
    result.model[uid] = FALLBACK_MODEL
    result.sigma[uid] = sigma
    means = mean * factor
    return pd.DataFrame(
        {
            "unique_id": uid,
            "ds": future,
            "mean": means,
            "lo": np.maximum(means - z * sigma, 0.0),
            "hi": means + z * sigma,
        }
    )


def _model_forecasts(
    inputs: pd.DataFrame,
    horizon: int,
    sf_freq: str | int,
    z: float,
    chosen: Mapping[str, str] | None,
    known_sigma: Mapping[str, float] | None,
    windows: int,
    adjustments: Mapping[str, tuple[float, np.ndarray | None, np.ndarray, pd.DatetimeIndex]],
    result: Forecast,
) -> list[pd.DataFrame]:

    tables: list[pd.DataFrame] = []
    intermittent = {uid for uid, cls in result.demand_class.items() if cls in ("intermittent", "lumpy")}
    for (season, family), group in inputs.groupby(
        [inputs["season"], inputs["unique_id"].isin(intermittent)], sort=True
    ):
        family_names: tuple[str, ...] = (INTERMITTENT_COMBINATION,) if family else REGULAR_MODELS
        data = group[["unique_id", "ds", "y"]].reset_index(drop=True)
        lengths = data.groupby("unique_id").size()
        # Reuse an earlier choice when it belongs to the SKU's current family; a SKU whose class changed
        # since, or a new one, goes through selection.
        picks = {
            str(uid): chosen[str(uid)]
            for uid in lengths.index
            if chosen is not None and chosen.get(str(uid)) in family_names
        }
        errors: dict[str, np.ndarray] = {}
        to_select = [uid for uid in lengths.index if str(uid) not in picks]
        to_score = [
            uid
            for uid in lengths.index
            if str(uid) in picks and (known_sigma is None or str(uid) not in known_sigma)
        ]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if to_select:
                selection = data[data["unique_id"].isin(to_select)]
                picks.update(_select(selection, family_names, int(season), horizon, sf_freq, windows, errors))
            if to_score:
                # Errors of the chosen model only: one backtest per model over the SKUs that use it.
                for name, uids in _by_model({str(uid): picks[str(uid)] for uid in to_score}).items():
                    subset = data[data["unique_id"].isin(uids)]
                    _select(subset, (name,), int(season), horizon, sf_freq, windows, errors)
            futures = []
            for name, uids in _by_model({str(uid): picks[str(uid)] for uid in lengths.index}).items():
                subset = data[data["unique_id"].isin(uids)]
                engine = _engine((name,), int(season), sf_freq)
                future = engine.forecast(df=subset, h=horizon)
                future = future.reset_index() if "unique_id" not in future.columns else future
                futures.append(future.rename(columns={name: "model_mean"}).assign(model_name=name))
        future_all = pd.concat(futures, ignore_index=True)
        histories = {str(uid): rows.to_numpy(dtype=float) for uid, rows in data.groupby("unique_id")["y"]}
        for uid, rows in future_all.groupby("unique_id", sort=True):
            uid = str(uid)
            name = str(rows["model_name"].iloc[0])
            means = rows["model_mean"].to_numpy(dtype=float)
            history = histories[uid]
            if not np.all(np.isfinite(means)):
                means = np.full(horizon, float(history[-28:].mean()))
                name = FALLBACK_MODEL
            means = np.maximum(means, 0.0)
            _, yearly, factor, dates = adjustments[uid]
            if sf_freq == "MS" and yearly is not None and len(history) >= 12:
                # A monthly SKU's model is fitted on two or three years and chosen on a handful of
                # errors: half of its level comes from the last year's deseasonalised mean, which a
                # noisy choice (a naive forecast, a jumpy ETS) cannot move.
                means = 0.5 * means + 0.5 * float(history[-12:].mean())
            residuals = errors.get(uid)
            if residuals is not None and len(residuals) >= 2:
                sigma = float(np.sqrt(np.mean(residuals**2)))
            elif known_sigma is not None and uid in known_sigma:
                sigma = float(known_sigma[uid])
            else:
                sigma = float(np.std(np.diff(history))) / math.sqrt(2) if len(history) > 2 else 0.0
            means = means * factor
            result.model[uid] = name
            result.sigma[uid] = sigma
            if residuals is not None and len(residuals) >= 20:
                tail = (1 - (2 * NormalDist().cdf(z) - 1)) / 2
                low_q, high_q = np.quantile(residuals, [tail, 1 - tail])
                lo, hi = means + low_q * factor, means + high_q * factor
            else:
                lo, hi = means - z * sigma * factor, means + z * sigma * factor
            tables.append(
                pd.DataFrame(
                    {
                        "unique_id": uid,
                        "ds": dates,
                        "mean": means,
                        "lo": np.maximum(lo, 0.0),
                        "hi": np.maximum(hi, means),
                    }
                )
            )
    return tables


def _engine(names: tuple[str, ...], season: int, sf_freq: str | int, *, carried: bool = False) -> Any:
    """StatsForecast over `names`; a series a model cannot fit (ETS on a degenerate one) gets SES.

    `carried`: for a backtest that carries fitted parameters across windows, where the fallback must
    be able to do so too; ETS with a level only is SES in that form."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, SimpleExponentialSmoothingOptimized

    return StatsForecast(
        models=_build_models(names, season),
        freq=sf_freq,
        n_jobs=1,
        fallback_model=AutoETS(model="ANN") if carried else SimpleExponentialSmoothingOptimized(),
    )


def _by_model(picks: Mapping[str, str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for uid, name in sorted(picks.items()):
        grouped.setdefault(name, []).append(uid)
    return grouped


def _select(
    data: pd.DataFrame,
    names: tuple[str, ...],
    season: int,
    horizon: int,
    sf_freq: str | int,
    windows: int,
    errors: dict[str, np.ndarray],
) -> dict[str, str]:
    """Rolling-origin backtest of `names` on each series: the lowest `_selection_winners` error wins.

    Fills `errors` with the winner's backtest errors (y - forecast), from which sigma and the
    intervals come. Each series is backtested over the longest horizon its own length allows (up to
    `horizon`; a shorter one rounded down to a power of two, so a few backtests cover every length),
    the series sharing a horizon in one backtest; a series too short for any gets the first candidate.
    One short series (a recent launch) must not shorten or skip the backtest of the others."""
    by_horizon: dict[int, list[Any]] = {}
    for uid, length in data.groupby("unique_id").size().items():
        by_horizon.setdefault(_backtest_horizon(int(length), horizon, windows), []).append(uid)
    picks = {str(uid): names[0] for uid in by_horizon.pop(0, [])}
    for cv_horizon, uids in sorted(by_horizon.items()):
        subset = data if len(uids) == data["unique_id"].nunique() else data[data["unique_id"].isin(uids)]
        cv = _cross_validate(subset, names, season, sf_freq, cv_horizon, windows)
        for name in names:
            cv[name] = cv[name].fillna(cv["y"].mean())
        chosen = _selection_winners(cv, names)
        picks.update(chosen)
        for uid, rows in cv.groupby("unique_id"):
            errors[str(uid)] = (rows["y"] - rows[chosen[str(uid)]]).to_numpy(dtype=float)
    return picks


def _selection_winners(cv: pd.DataFrame, names: tuple[str, ...]) -> dict[str, str]:
    """Per series of a backtest (`cv`: unique_id, y and a column per model), the model with the lowest
    mean absolute error: it is less swayed by one outlying period than the squared error. Only regular
    SKUs choose; the intermittent family has one candidate, the median (the absolute error would
    reward intermittent forecasts biased towards zero, its median)."""
    scores = cv[list(names)].sub(cv["y"], axis=0).abs().groupby(cv["unique_id"]).mean()
    return {str(uid): str(row.idxmin()) for uid, row in scores.iterrows()}


def _backtest_horizon(length: int, horizon: int, windows: int) -> int:
    """The backtest horizon for a series of `length` periods: `horizon` when the series holds
    `windows` + 2 of it and MIN_MODEL_LENGTH periods before its first window, else the largest power
    of two that does; 0 when not even a one-period horizon does."""
    longest = min(horizon, length // (windows + 2), (length - MIN_MODEL_LENGTH) // windows)
    if longest >= horizon:
        return horizon
    return 0 if longest < 1 else 1 << (longest.bit_length() - 1)


def _cross_validate(
    data: pd.DataFrame, names: tuple[str, ...], season: int, sf_freq: str | int, h: int, windows: int
) -> pd.DataFrame:
    """Rolling-origin forecasts of `names` (one column each, beside unique_id, ds, cutoff and y).

    A model statsforecast can re-apply to new data with its fitted parameters (`forward`: ETS, Theta,
    seasonal naive) is optimised on the first window only and carried to the later ones: optimising
    ETS and Theta again on every window was most of the weekly selection's CPU, and parameters from
    a history `h` periods shorter barely differ. The others are cheap and are fitted per window. If
    carrying fails (a series the model cannot fit: the fallback has no `forward`), those models are
    fitted per window too, as before."""
    carried = tuple(
        name
        for name, model in zip(names, _build_models(names, season), strict=True)
        if hasattr(model, "forward")
    )
    refitted = tuple(name for name in names if name not in carried)
    parts: list[pd.DataFrame] = []
    if carried:
        try:
            parts.append(_cv_frame(data, carried, season, sf_freq, h, windows, refit=False))
        except Exception as error:  # statsforecast raises plain Exceptions ("no model able to be fitted")
            log.debug("carrying %s across backtest windows failed (%r); fitting each window", carried, error)
            refitted = names
    if refitted:
        parts.append(_cv_frame(data, refitted, season, sf_freq, h, windows, refit=True))
    cv = parts[0]
    for part in parts[1:]:
        cv = cv.merge(part.drop(columns="y"), on=["unique_id", "ds", "cutoff"], validate="one_to_one")
    return cv


def _cv_frame(
    data: pd.DataFrame,
    names: tuple[str, ...],
    season: int,
    sf_freq: str | int,
    h: int,
    windows: int,
    *,
    refit: bool,
) -> pd.DataFrame:
    engine = _engine(names, season, sf_freq, carried=not refit)
    cv = engine.cross_validation(
        df=data,
        h=h,
        step_size=h,
        n_windows=windows,
        refit=refit,
        input_size=BACKTEST_INPUT_PERIODS.get(str(sf_freq)),
    )
    return cv.reset_index() if "unique_id" not in cv.columns else cv
