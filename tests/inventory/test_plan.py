"""The replenishment plan on the tiny store, with a fixed forecast so every figure is exact."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from statistics import NormalDist
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tiny_store import NOW, build

from sasame import models as m
from sasame.inventory.plan import PlanSettings, first_day_at_or_below, markdown_percent, stockout_day
from sasame.inventory.policy import empirical_levels, fill_rate, z_for_fill_rate
from sasame.inventory.service import make_plan, run_plan

RATES = {"MUG": 3.0, "TEE-S": 2.0, "TEE-M": 0.0}
Z90 = NormalDist().inv_cdf(0.9)


def fixed_forecaster(seen: dict):
    """A forecaster with known output: a constant daily mean and sigma 1 per SKU."""

    def forecaster(history, horizon, freq="D", level=90, censored=None, promotions=None, profiles=None):
        seen.update(history=history, censored=censored, horizon=horizon, profiles=profiles)
        start = history["ds"].max() + pd.Timedelta(days=1)
        frames = []
        for uid in sorted(history["unique_id"].unique()):
            mean = RATES.get(uid, 0.0)
            frames.append(
                pd.DataFrame(
                    {
                        "unique_id": uid,
                        "ds": pd.date_range(start, periods=horizon, freq="D"),
                        "mean": mean,
                        "lo": max(mean - 1.28, 0.0),
                        "hi": mean + 1.28,
                    }
                )
            )
        table = pd.concat(frames, ignore_index=True)
        uids = list(history["unique_id"].unique())
        return SimpleNamespace(
            table=table,
            model={u: "Fixed" for u in uids},
            demand_class={u: "smooth" for u in uids},
            sigma={u: 1.0 for u in uids},
        )

    return forecaster


def _plan(engine: Engine, **settings):
    """The plan at one 90 % cycle service level with the textbook levels (no fill-rate ceiling, no
    empirical floor), so every figure below is a formula worked by hand; the policy's own levels are
    tested in test_the_plan_sets_its_levels_by_the_backtests_policy."""
    build(engine)
    return _replan(engine, **settings)


def _replan(engine: Engine, **settings):
    seen: dict = {}
    chosen = {"service_level": 0.9, "fill_ceiling_share": None, "empirical": False, **settings}
    with Session(engine) as session:
        plan = make_plan(session, NOW, PlanSettings(**chosen), fixed_forecaster(seen))
    return plan, seen


def test_the_plan_is_for_the_store_day_and_passes_censored_days_to_the_forecast(engine: Engine):
    plan, seen = _plan(engine)
    assert plan.today == date(2025, 3, 11)  # 03:30 UTC on the 12th is the 11th in New York
    history, censored = seen["history"], seen["censored"]
    assert sorted(history["unique_id"].unique()) == ["MUG", "TEE-M", "TEE-S"]  # no bundle
    mug = history["unique_id"] == "MUG"
    assert history[mug]["y"].tolist()[:4] == [2.0, 3.0, 0.0, 2.0]
    assert censored[mug].tolist()[:4] == [False, True, True, False]
    assert seen["profiles"]["TEE-S"] == "product:tee"


def test_reorder_suggestions_with_order_by_dates_and_case_pack_rounding(engine: Engine):
    plan, _ = _plan(engine)
    by_sku = {s.sku: s for s in plan.suggestions}
    assert sorted(by_sku) == ["MUG", "TEE-S"]  # TEE-M sells nothing: never reordered

    mug = by_sku["MUG"]
    # Acme's learned lead time 12 ± 2 days; 3 a day, sigma 1, 90% cycle service level.
    safety = Z90 * math.sqrt(12 * 1 + 3**2 * 2**2)
    assert mug.safety_stock == pytest.approx(safety)
    assert round(mug.safety_stock, 2) == 8.88
    assert round(mug.reorder_point, 2) == 44.88  # 36 + 8.88
    assert round(mug.order_up_to, 2) == 66.50  # 3 x (12 + 7) + z sqrt(19 + 36)
    assert mug.inventory_position == 30
    assert mug.order_by == date(2025, 3, 11)  # already below the reorder point
    assert mug.quantity == 48  # 36.5 needed, MOQ 10, whole cases of 12
    assert mug.cost == Decimal("288.00")
    assert mug.expected_on == date(2025, 3, 23)
    assert mug.stockout_on == date(2025, 3, 21)  # 30 units at 3 a day: day 11 falls short
    assert mug.supplier == "Acme"

    tee = by_sku["TEE-S"]
    # 40 units at 2 a day reach the reorder point 30.78 at the end of the 5th day.
    assert round(tee.reorder_point, 2) == 30.78
    assert tee.order_by == date(2025, 3, 15)
    assert tee.quantity == 24  # 13.6 needed, raised to the MOQ of 24 (4 cases of 6)
    assert tee.cost == Decimal("192.00")
    assert tee.expected_on == date(2025, 3, 27)
    assert tee.stockout_on == date(2025, 3, 31)


def test_the_plan_sets_its_levels_by_the_backtests_policy(engine: Engine):
    """By default the plan's levels are those of the backtest's `sasame` policy: z capped at the
    fill-rate ceiling, then floored by each SKU's own distribution of daily units."""
    ceiling_only, _ = _plan(engine, fill_ceiling_share=0.3)
    mug = {s.sku: s for s in ceiling_only.suggestions}["MUG"]
    ceiling_tee = {s.sku: s for s in ceiling_only.suggestions}["TEE-S"]
    # 3 a day over a 7-day review: a 90 % cycle level would sell 98.4 % of demand; the ceiling
    # 1 - 0.3 x 10 % = 97 % needs less: G(z) = 0.03 x 21 / sqrt(12 + 36).
    sigma_lead = math.sqrt(12 * 1 + 3**2 * 2**2)
    assert fill_rate(3, sigma_lead, Z90, 7) == pytest.approx(0.9843, abs=1e-4)
    z = z_for_fill_rate(0.97, 3, sigma_lead, 7)
    assert mug.safety_stock == pytest.approx(z * sigma_lead)
    assert fill_rate(3, sigma_lead, z, 7) == pytest.approx(0.97)
    assert round(mug.safety_stock, 2) == 6.61

    plan, _ = _replan(engine, fill_ceiling_share=0.3, empirical=True)
    by_sku = {s.sku: s for s in plan.suggestions}
    # MUG's known days (not stocked out, not promoted) since its first sale: 2, 2 and nothing on 5
    # (03-02/03 out, 03-05 SPRING). TEE-S first sold on 03-04: 6 known days, too few for a
    # distribution (7), so it keeps its normal levels and MUG alone takes the 10 % allowance.
    table, known = np.array([[5 / 7, 0, 2 / 7]]), np.array([True])
    rates, costs, levels = np.array([3.0]), np.array([6.0]), np.array([0.9])
    # The reorder point protects the lead time and the day after; the order-up-to level a review more.
    floor_rop, _ = empirical_levels(table, known, rates, costs, [(12, 2)], 1, levels)
    floor_s, _ = empirical_levels(table, known, rates, costs, [(12, 2)], 7, levels)
    mug, tee = by_sku["MUG"], by_sku["TEE-S"]
    # Lumps of 2 need more than the normal model's 42.61: the floor sets the reorder point.
    assert (floor_rop[0], floor_s[0]) == (48.0, 70.0)
    assert (mug.reorder_point, mug.order_up_to, mug.safety_stock) == (48.0, 70.0, 12.0)
    assert mug.quantity == 48  # 70 - 30 = 40, in whole cases of 12
    assert (tee.reorder_point, tee.order_up_to) == (
        ceiling_tee.reorder_point,
        ceiling_tee.order_up_to,
    )
    assert round(tee.reorder_point, 2) == 29.43


def test_stockout_risk_slow_movers_and_totals(engine: Engine):
    plan, _ = _plan(engine)
    assert [r.sku for r in plan.risks] == ["MUG"]
    risk = plan.risks[0]
    assert risk.stockout_on == date(2025, 3, 21) and risk.next_arrival_on is None
    # Over the 12 days before a new order could arrive 36 are expected against 30 on hand.
    assert risk.probability == pytest.approx(1 - NormalDist().cdf((30.5 - 36) / math.sqrt(12)))
    assert round(risk.probability, 4) == 0.9438
    assert [
        (s.sku, s.on_hand, s.weeks_of_cover, s.cash_tied_up, s.markdown_percent) for s in plan.slow_movers
    ] == [("TEE-M", 3, None, Decimal("22.50"), 40)]
    assert plan.totals()["order_value"] == "480.00"
    assert [supplier for supplier in plan.by_supplier()] == ["Acme"]


def test_a_cash_budget_funds_the_most_margin_per_dollar_first(engine: Engine):
    plan, _ = _plan(engine, budget=Decimal("200.00"))
    funded = {s.sku: s.is_funded for s in plan.suggestions}
    # MUG alone costs 288.00, more than the budget; TEE-S (192.00) fits.
    assert funded == {"MUG": False, "TEE-S": True}
    assert plan.totals()["order_value"] == "192.00"


def test_the_plan_run_is_stored(engine: Engine):
    build(engine)
    with Session(engine) as session, session.begin():
        _, row = run_plan(session, NOW, PlanSettings(service_level=0.9), forecaster=fixed_forecaster({}))
        plan_id = row.id
    with Session(engine) as session:
        stored = session.get(m.InventoryPlan, plan_id)
        assert stored.plan_date == date(2025, 3, 11)
        assert stored.summary["suggestions"] == 2
        assert stored.lists["stockout_risk"][0]["sku"] == "MUG"
        costs = session.scalars(select(m.ReorderSuggestion.cost).order_by(m.ReorderSuggestion.cost)).all()
        assert costs == [Decimal("192.0000"), Decimal("288.0000")]
        forecasts = session.scalar(
            select(func.count())
            .select_from(m.InventoryForecast)
            .where(m.InventoryForecast.plan_id == plan_id)
        )
        assert forecasts == 3 * 56  # three SKUs, eight weeks kept


def test_projection_helpers():
    assert first_day_at_or_below(10.0, [1.0] * 10, 5.0) == 4  # 10 - 5 = 5 at the end of day 5
    assert first_day_at_or_below(4.0, [1.0] * 3, 5.0) == 0
    assert first_day_at_or_below(10.0, [0.0] * 3, 5.0) is None
    assert stockout_day(3.0, [0.0, 0.0, 0.0, 0.0], [1.0] * 4) == 3
    assert stockout_day(3.0, [0.0, 5.0, 0.0, 0.0], [1.0] * 4) is None
    assert [markdown_percent(w, False) for w in (10, 30, 60)] == [0, 15, 30]
    assert markdown_percent(None, False) == 40 and markdown_percent(5, True) == 40


def test_models_chosen_this_week_are_refitted_not_reselected(engine: Engine):
    build(engine)
    calls: list[dict] = []
    fixed = fixed_forecaster({})

    def reusing(
        history,
        horizon,
        freq="D",
        level=90,
        censored=None,
        promotions=None,
        profiles=None,
        models=None,
        sigma=None,
    ):
        calls.append({"models": models, "sigma": sigma})
        return fixed(history, horizon)

    days = [0, 3, 8]
    for offset in days:
        with Session(engine) as session, session.begin():
            _, row = run_plan(session, NOW + pd.Timedelta(days=offset), forecaster=reusing)
            assert row.summary["fits"]["MUG"] == ["Fixed", 1.0]
            calls[-1]["selected_on"] = row.summary["selected_on"]
    assert calls[0]["models"] is None  # the first plan selects
    assert calls[1]["models"] == {"MUG": "Fixed", "TEE-M": "Fixed", "TEE-S": "Fixed"}
    assert calls[1]["sigma"] == {"MUG": 1.0, "TEE-M": 1.0, "TEE-S": 1.0}
    assert calls[1]["selected_on"] == "2025-03-11"
    assert calls[2]["models"] is None and calls[2]["selected_on"] == "2025-03-19"  # a week on: select again


def test_a_series_the_forecaster_fails_on_gets_its_recent_mean(engine: Engine):
    fixed = fixed_forecaster({})

    def fragile(history, horizon, **options):
        if "TEE-S" in set(history["unique_id"]):
            raise ValueError("no model able to be fitted")
        return fixed(history, horizon)

    build(engine)
    with Session(engine) as session:
        plan = make_plan(session, NOW, PlanSettings(service_level=0.9), fragile)
    assert plan.models == {"MUG": "Fixed", "TEE-M": "Fixed", "TEE-S": "Average (forecast failed)"}
    tee = plan.forecast_table[plan.forecast_table["unique_id"] == "TEE-S"]
    assert tee["mean"].iloc[0] == 0.5  # 5 units in its 10 in-stock days
    assert len(tee) == plan.horizon_days
    assert plan.sigmas["TEE-S"] == pytest.approx(1.0801234497)  # sample sd of 0,0,0,2,3,0,0,0,0,0


def test_chunks_forecast_in_worker_processes_give_the_same_plan(engine: Engine):
    from forecasters import ConstantForecaster

    build(engine)
    with Session(engine) as session:
        alone = make_plan(session, NOW, PlanSettings(service_level=0.9), ConstantForecaster())
        side_by_side = make_plan(
            session,
            NOW,
            PlanSettings(service_level=0.9, forecast_chunk_size=1, forecast_workers=2),
            ConstantForecaster(),
        )
    assert [s.as_dict() for s in side_by_side.suggestions] == [s.as_dict() for s in alone.suggestions]
    assert [(s.sku, s.quantity) for s in alone.suggestions] == [("MUG", 48), ("TEE-S", 24)]
    assert side_by_side.models == {"MUG": "Constant", "TEE-M": "Constant", "TEE-S": "Constant"}
