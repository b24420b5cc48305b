"""Forecasts per SKU: model choice by demand class, censoring, promotions, profiles, and thin histories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sasame.inventory.forecast import (
    FALLBACK_MODEL,
    INTERMITTENT_COMBINATION,
    INTERMITTENT_MODELS,
    REGULAR_MODELS,
    Forecast,
    _cross_validate,
    _select,
    _selection_winners,
    _yearly_profile,
    forecast,
)

DAYS = pd.date_range("2024-01-01", periods=120, freq="D")


def _series(uid: str, values: np.ndarray | list[float], start: int = 0) -> pd.DataFrame:
    return pd.DataFrame({"unique_id": uid, "ds": DAYS[start : start + len(values)], "y": values})


def test_regular_and_intermittent_skus_get_models_from_their_class() -> None:
    rng = np.random.default_rng(3)
    weekly = 20 + 8 * (np.arange(120) % 7 >= 5)
    history = pd.concat(
        [
            _series("regular", rng.poisson(weekly)),
            _series("sparse", rng.poisson(0.25, 120) * rng.integers(1, 4, 120)),
        ],
        ignore_index=True,
    )
    result = forecast(history, horizon=14, level=90)
    assert result.demand_class["regular"] == "smooth"
    assert result.demand_class["sparse"] in ("intermittent", "lumpy")
    assert result.model["regular"] in REGULAR_MODELS
    assert result.model["sparse"] == INTERMITTENT_COMBINATION
    table = result.table
    assert list(table.columns) == ["unique_id", "ds", "mean", "lo", "hi"]
    assert table.groupby("unique_id").size().to_dict() == {"regular": 14, "sparse": 14}
    regular = table[table["unique_id"] == "regular"]
    assert regular["ds"].iloc[0] == pd.Timestamp("2024-04-30")
    assert (table["lo"] <= table["mean"]).all() and (table["mean"] <= table["hi"]).all()
    # The weekly cycle survives: weekend days (Sat/Sun) forecast above weekdays.
    weekend = regular["ds"].dt.dayofweek >= 5
    assert regular.loc[weekend, "mean"].mean() > regular.loc[~weekend, "mean"].mean() + 4
    assert 15 < regular["mean"].mean() < 30
    assert result.sigma["regular"] > 0


@pytest.mark.parametrize(
    ("values", "mean", "sigma"),
    [
        ([7.0], 7.0, pytest.approx(7.0**0.5)),
        ([0.0] * 30, 0.0, 0.0),
        ([4.0] * 30, 4.0, 0.0),
        ([2.0, 3.0], 2.5, pytest.approx(2.5**0.5)),
    ],
)
def test_thin_flat_and_empty_histories_fall_back_without_crashing(
    values: list[float], mean: float, sigma: object
) -> None:
    result = forecast(_series("thin", values), horizon=3)
    assert result.model["thin"] == FALLBACK_MODEL
    assert result.table["mean"].tolist() == [mean] * 3
    assert result.sigma["thin"] == sigma


def test_a_new_skus_single_sale_is_not_forecast_as_a_sale_a_day() -> None:
    # First sold yesterday, after 30 days listed with none: the series starts at the first sale but
    # spans a week, so the one unit reads as a unit a week.
    yesterday = forecast(_series("new", [0.0] * 30 + [1.0]), horizon=3)
    assert yesterday.model["new"] == FALLBACK_MODEL
    assert yesterday.table["mean"].tolist() == pytest.approx([1 / 7] * 3)
    # Eight days after its only sale: long enough for a model, but a Croston-type model would read the
    # first period as the interval between sales and forecast a unit a day (it did: 1.0).
    eight_days = forecast(_series("new", [0.0] * 30 + [1.0] + [0.0] * 7), horizon=3)
    assert eight_days.model["new"] == FALLBACK_MODEL
    assert eight_days.table["mean"].tolist() == pytest.approx([1 / 8] * 3)


def test_censored_days_are_not_read_as_zero_demand() -> None:
    values = np.full(60, 10.0)
    values[::3] = 12.0
    values[40:50] = 0.0  # stocked out: sales were zero, demand was not
    censored = pd.Series(False, index=range(60))
    censored[40:50] = True
    history = _series("sku", values)
    naive = forecast(history, horizon=7)
    honest = forecast(history, horizon=7, censored=censored)
    assert honest.table["mean"].mean() > naive.table["mean"].mean()
    assert honest.table["mean"].mean() == pytest.approx(values[values > 0].mean(), rel=0.1)


def test_promotion_uplift_is_learned_and_applied_to_future_promotions() -> None:
    rng = np.random.default_rng(5)
    promo = np.zeros(120, dtype=bool)
    promo[10::15] = True
    values = rng.poisson(10, 120) * np.where(promo, 2.0, 1.0)
    history = _series("sku", values)
    future_days = pd.date_range(DAYS[-1] + pd.Timedelta(days=1), periods=4, freq="D")
    promotions = pd.DataFrame(
        {
            "unique_id": "sku",
            "ds": list(DAYS) + list(future_days),
            "promo": [*list(promo), False, True, False, False],
        }
    )
    result = forecast(history, horizon=4, promotions=promotions)
    assert 1.5 < result.uplift["sku"] < 2.2
    without = promotions.assign(promo=list(promo) + [False] * 4)
    plain = forecast(history, horizon=4, promotions=without).table["mean"].tolist()
    lifted = result.table["mean"].tolist()
    assert lifted[1] == pytest.approx(plain[1] * result.uplift["sku"])
    assert [lifted[0], lifted[2], lifted[3]] == pytest.approx([plain[0], plain[2], plain[3]])


def test_new_sku_borrows_its_profiles_yearly_shape() -> None:
    days = pd.date_range("2023-01-01", periods=730, freq="D")
    q4 = np.where(days.month >= 10, 3.0, 1.0)
    old = pd.DataFrame({"unique_id": "old", "ds": days, "y": 10 * q4})
    new = pd.DataFrame({"unique_id": "new", "ds": days[180:240], "y": 10.0 + (np.arange(60) % 2)})
    history = pd.concat([old, new], ignore_index=True)
    plain = forecast(history, horizon=90)
    shaped = forecast(history, horizon=90, profiles={"old": "cat", "new": "cat"})

    def october(f):
        return f.table[(f.table["unique_id"] == "new") & (f.table["ds"].dt.month == 10)]["mean"].mean()

    def september(f):
        return f.table[(f.table["unique_id"] == "new") & (f.table["ds"].dt.month == 9)]["mean"].mean()

    assert october(shaped) > 1.5 * september(shaped)
    assert october(plain) == pytest.approx(september(plain), rel=0.1)


def test_a_thin_skus_own_season_is_pooled_with_its_groups_by_its_selling_days() -> None:
    """10 sales in two years, all in December: the SKU's own profile says December sells 13 times
    November (6.5 against 0.5). Its own weight is 10 / (10 + 50), the rest is its group's shape
    (flat without one)."""
    days = pd.date_range("2023-11-01", "2025-10-31", freq="D")
    thin = np.zeros(len(days))
    december = np.flatnonzero(days.month == 12)
    thin[december[[2, 9, 16, 23, 30, 33, 40, 47, 54, 61]]] = 1.0
    busy = 10 * np.where(days.month >= 10, 3.0, 1.0)
    history = pd.concat(
        [
            pd.DataFrame({"unique_id": "thin", "ds": days, "y": thin}),
            pd.DataFrame({"unique_id": "busy", "ds": days, "y": busy}),
        ],
        ignore_index=True,
    )
    own = _yearly_profile(days, thin)
    assert own is not None and (own[10], own[11]) == pytest.approx((0.5, 6.5))
    group = _yearly_profile(days, thin + busy)
    assert group is not None
    weight = 10 / 60

    def december_over_november(result: Forecast) -> float:
        table = result.table[result.table["unique_id"] == "thin"]
        by_month = table.groupby(table["ds"].dt.month)["mean"].mean()
        return float(by_month[12] / by_month[11])

    alone = forecast(history, horizon=61)
    assert december_over_november(alone) == pytest.approx(
        (weight * 6.5 + 1 - weight) / (weight * 0.5 + 1 - weight)
    )
    pooled = forecast(history, horizon=61, profiles={"thin": "cat", "busy": "cat"})
    assert december_over_november(pooled) == pytest.approx(
        (weight * 6.5 + (1 - weight) * group[11]) / (weight * 0.5 + (1 - weight) * group[10])
    )


def test_a_new_products_profile_starts_at_its_first_sale_not_at_the_padded_history() -> None:
    """Two colours of a product launched 200 days ago, in a history padded with zeros before that
    (a backtest's panel): the product has no year of sales, so no yearly shape. Read from the padding,
    its launch ramp was a season that cut the new colours' forecast (97 stockout days instead of 28
    for one of them in the demo store's own backtest)."""
    days = pd.date_range("2024-01-01", periods=700, freq="D")
    rng = np.random.default_rng(5)
    sold = np.r_[np.zeros(500), rng.poisson(10, 200)].astype(float)
    history = pd.concat(
        [pd.DataFrame({"unique_id": uid, "ds": days, "y": sold}) for uid in ("OAT", "CHA")], ignore_index=True
    )
    alone = forecast(history, horizon=60)
    pooled = forecast(history, horizon=60, profiles={"OAT": "product:stn2", "CHA": "product:stn2"})
    assert pooled.table["mean"].to_numpy() == pytest.approx(alone.table["mean"].to_numpy())


def test_yearly_profile_is_the_shrunk_month_of_year_mean() -> None:
    days = pd.date_range("2024-01-01", "2025-12-31", freq="D")
    values = days.month.to_numpy().astype(float)
    values[::10] = np.nan  # unknown (censored) days do not count
    profile = _yearly_profile(days, values)
    assert profile is not None
    # Month m sells m a day; the mean month sells 6.5: index m / 6.5, shrunk halfway to 1.
    assert profile == pytest.approx([0.5 + 0.5 * month / 6.5 for month in range(1, 13)])
    assert _yearly_profile(days[:300], values[:300]) is None  # under a year
    assert _yearly_profile(days, np.full(len(days), np.nan)) is None


def test_yearly_profile_of_a_steady_trend_is_flat() -> None:
    # Three years of monthly demand growing 5 units a month, no season. Plain month means would read
    # the growth as a season (December's mean 55 above January's: an index from 0.92 to 1.08 after
    # shrinking); against the trend every month is ordinary.
    months = pd.date_range("2014-01-01", periods=36, freq="MS")
    values = 100.0 + 5.0 * np.arange(36)
    profile = _yearly_profile(months, values)
    assert profile is not None
    assert np.abs(profile - 1.0).max() < 0.003


def test_yearly_profile_separates_the_season_from_the_trend() -> None:
    # A December peak on a series growing 2 % of its start a month: the index is the season alone.
    months = pd.date_range("2014-01-01", periods=36, freq="MS")
    season = np.array([0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.05, 1.0, 0.95, 1.0, 1.35])
    season = season / season.mean()
    values = (100.0 + 2.0 * np.arange(36)) * season[months.month - 1]
    profile = _yearly_profile(months, values)
    assert profile is not None
    assert np.abs(profile - (0.5 + 0.5 * season)).max() < 0.003
    # The plain month means read part of the growth as season: January 3.8 % under its true index,
    # December 4.4 % over it.
    plain = pd.Series(values).groupby(months.month).mean().to_numpy()
    plain_index = (0.5 + 0.5 * plain / plain.mean()) / (0.5 + 0.5 * season)
    assert plain_index[[0, 11]] == pytest.approx([0.962, 1.044], abs=1e-3)


def test_yearly_profile_without_two_years_of_every_month_keeps_the_plain_month_means() -> None:
    # 18 months: July to December seen once, so no year-over-year change for them: trend and season
    # cannot be told apart, and the index is the plain (shrunk) month means.
    months = pd.date_range("2014-01-01", periods=18, freq="MS")
    values = 100.0 + 5.0 * np.arange(18)
    plain = pd.Series(values).groupby(months.month).mean().to_numpy()
    assert _yearly_profile(months, values) == pytest.approx(0.5 + 0.5 * plain / plain.mean())


def _daily_regular(length: int) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    days = pd.date_range("2024-01-01", periods=length, freq="D")
    weekly = 10 + 4 * (days.dayofweek >= 5)
    return pd.DataFrame({"unique_id": "regular", "ds": days, "y": rng.poisson(weekly).astype(float)})


def test_selection_backtest_carries_ets_parameters_from_its_first_window() -> None:
    from statsforecast.models import AutoETS

    data = _daily_regular(300)
    y = data["y"].to_numpy()
    cv = _cross_validate(data, ("AutoETS", "SES"), 7, "D", 14, 2)
    assert len(cv) == 28
    # Window 2 is the first window's fit applied to the longer history, not a new optimisation.
    fitted = AutoETS(season_length=7, model="ANA").fit(y=y[:272])
    carried = fitted.forward(y=y[:286], h=14)["mean"]
    assert cv["AutoETS"].to_numpy()[14:] == pytest.approx(carried, abs=1e-9)
    refitted = AutoETS(season_length=7, model="ANA").forecast(y=y[:286], h=14)["mean"]
    assert not np.allclose(cv["AutoETS"].to_numpy()[14:], refitted)
    # SES has no `forward`: it is fitted on each window.
    assert cv["y"].tolist() == y[272:].tolist()


def test_selection_backtest_fits_each_window_when_carrying_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from statsforecast.models import AutoETS

    def cannot_fit(self: AutoETS, y: np.ndarray, X: np.ndarray | None = None) -> AutoETS:
        raise ValueError("no model able to be fitted")

    data = _daily_regular(300)
    y = data["y"].to_numpy()
    monkeypatch.setattr(AutoETS, "fit", cannot_fit)
    cv = _cross_validate(data, ("AutoETS", "SES"), 7, "D", 14, 2)
    per_window = np.concatenate(
        [AutoETS(season_length=7, model="ANA").forecast(y=y[:end], h=14)["mean"] for end in (272, 286)]
    )
    assert cv["AutoETS"].to_numpy() == pytest.approx(per_window, abs=1e-9)


def test_one_short_series_does_not_shorten_or_skip_the_others_selection() -> None:
    """A launch with 12 days of history beside two SKUs with 300: each is backtested over the
    longest horizon its own history allows (the old code took the shortest series' length for the
    whole group, found it too short and gave every SKU the first model, with no backtest errors)."""
    long_ones = pd.concat(
        [_daily_regular(300).assign(unique_id=uid) for uid in ("a", "b")], ignore_index=True
    )
    launch = _series("launch", [3.0, 4, 2, 5, 3, 4, 6, 3, 2, 4, 5, 3])
    errors: dict[str, np.ndarray] = {}
    picks = _select(pd.concat([long_ones, launch], ignore_index=True), REGULAR_MODELS, 7, 14, "D", 2, errors)
    alone: dict[str, np.ndarray] = {}
    assert {uid: picks[uid] for uid in ("a", "b")} == _select(long_ones, REGULAR_MODELS, 7, 14, "D", 2, alone)
    assert {uid: len(e) for uid, e in errors.items()} == {
        "a": 28,
        "b": 28,
        "launch": 4,
    }  # 2 windows of 14, of 2
    assert errors["a"] == pytest.approx(alone["a"])


def test_regular_models_are_chosen_by_absolute_error() -> None:
    """Demand 0, 0, 0, 6 per window: a forecast of 0 has the lower mean absolute error (1.5 against
    2.25) and wins among regular models."""
    cv = pd.DataFrame({"unique_id": "sku", "y": [0.0, 0.0, 0.0, 6.0] * 2, "AutoETS": 0.0, "Theta": 1.5})
    assert _selection_winners(cv, ("AutoETS", "Theta")) == {"sku": "AutoETS"}


def test_a_slow_skus_burst_moves_the_intermittent_median_not_the_tsb_level() -> None:
    """A SKU that sold 3 units one day and then 1, 2 and 1 in its last week (Black Friday): TSB keeps
    its first demand size (3) and multiplies it by the burst's sale probability, 0.65 a day; the
    forecast is the median of the five intermittent models, here Croston-SBA's 0.084."""
    from statsforecast import StatsForecast

    from sasame.inventory.forecast import _build_models

    values = np.zeros(347)
    values[[0, 342, 345, 346]] = [3.0, 1.0, 2.0, 1.0]
    days = pd.date_range("2024-12-17", periods=347, freq="D")
    history = pd.DataFrame({"unique_id": "TEE", "ds": days, "y": values})
    members = StatsForecast(models=_build_models(INTERMITTENT_MODELS, 1), freq="D").forecast(df=history, h=1)
    each = members.iloc[0][list(INTERMITTENT_MODELS)].astype(float)
    assert each["TSB"] == pytest.approx(0.6513, abs=1e-4)
    result = forecast(history, horizon=7)
    assert result.model["TEE"] == INTERMITTENT_COMBINATION
    assert result.table["mean"].to_numpy() == pytest.approx([each.median()] * 7)
    assert each.median() == pytest.approx(each["CrostonSBA"]) == pytest.approx(0.0840, abs=1e-4)


def test_monthly_selection_backtests_three_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Monthly series are chosen on 3 backtest windows (2 gave each candidate 8 errors), daily on 2."""
    from sasame.inventory import forecast as module

    windows: list[int] = []
    cross_validate = module._cross_validate

    def recording(*args: object) -> pd.DataFrame:
        windows.append(int(args[-1]))  # type: ignore[call-overload]
        return cross_validate(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "_cross_validate", recording)
    rng = np.random.default_rng(7)
    months = pd.date_range("2020-01-01", periods=40, freq="MS")
    monthly = pd.DataFrame({"unique_id": "m", "ds": months, "y": rng.poisson(30, 40).astype(float)})
    forecast(monthly, horizon=4, freq="M")
    assert windows == [3]
    windows.clear()
    forecast(_daily_regular(120), horizon=14, freq="D")
    assert windows == [2]


def test_daily_selection_backtest_fits_on_the_last_year_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from statsforecast.models import AutoETS

    seen: list[int] = []
    fit = AutoETS.fit

    def recording_fit(self: AutoETS, y: np.ndarray, X: np.ndarray | None = None) -> AutoETS:
        seen.append(len(y))
        return fit(self, y, X)

    monkeypatch.setattr(AutoETS, "fit", recording_fit)
    data = _daily_regular(700)
    _cross_validate(data, ("AutoETS",), 7, "D", 56, 2)
    assert seen == [365]  # one fit, on the year before the first cutoff (not its 588 days)
    seen.clear()
    monthly = data.iloc[:60].assign(ds=pd.date_range("2020-01-01", periods=60, freq="MS"))
    _cross_validate(monthly, ("AutoETS",), 12, "MS", 6, 2)
    assert seen == [48]  # monthly series keep their whole history


def test_monthly_smooth_sku_takes_its_yearly_shape_from_fourteen_months() -> None:
    # 14 months are too few for a model's own 12-month season (two cycles), so the shape comes from
    # the month-of-year index, shrunk half-way to flat: Nov and Dec sell twice the other months.
    months = pd.date_range("2023-01-01", periods=14, freq="MS")
    values = np.where(months.month >= 11, 200.0, 100.0) + np.arange(14) % 2
    history = pd.DataFrame({"unique_id": "sku", "ds": months, "y": values})
    result = forecast(history, horizon=12, freq="M")
    assert result.demand_class["sku"] == "smooth"
    by_month = pd.Series(values).groupby(months.month).mean()
    index = 0.5 + 0.5 * by_month / by_month.mean()
    table = result.table.set_index(result.table["ds"].dt.month)["mean"]
    assert table[11] / table[7] == pytest.approx(index[11] / index[7], rel=0.02)
    assert table[11] / table[7] > 1.4


def test_monthly_intermittent_sku_keeps_no_yearly_index() -> None:
    # Month-of-year means of an intermittent SKU are one or two lumps each: noise, not a season.
    months = pd.date_range("2023-01-01", periods=26, freq="MS")
    values = np.zeros(26)
    values[[2, 7, 11, 16, 22, 23]] = [5.0, 9.0, 3.0, 6.0, 4.0, 8.0]
    result = forecast(pd.DataFrame({"unique_id": "sku", "ds": months, "y": values}), horizon=12, freq="M")
    assert result.demand_class["sku"] in ("intermittent", "lumpy")
    means = result.table["mean"].to_numpy()
    assert means == pytest.approx(np.full(12, means[0]))


def test_monthly_level_is_half_the_model_and_half_the_last_years_mean() -> None:
    # Two years whose month means are all 100 and whose year-over-year changes cancel (a flat yearly
    # index, no trend): 1150/11 a month and 50 in December, then 1050/11 a month and 150 in December.
    # A naive model alone would forecast the last month, 150; the last year's mean is 100.
    months = pd.date_range("2023-01-01", periods=24, freq="MS")
    values = np.where(months.year == 2023, 1150.0 / 11, 1050.0 / 11)
    values[11], values[23] = 50.0, 150.0
    history = pd.DataFrame({"unique_id": "sku", "ds": months, "y": values})
    result = forecast(history, horizon=3, freq="M", models={"sku": "SeasonalNaive"}, sigma={"sku": 10.0})
    assert result.model["sku"] == "SeasonalNaive"
    assert result.table["mean"].tolist() == pytest.approx([0.5 * 150.0 + 0.5 * 100.0] * 3)
