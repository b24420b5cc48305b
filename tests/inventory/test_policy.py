"""Replenishment formulas against the published known answers (references.md §3.2)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from sasame.inventory import policy
from sasame.inventory.classify import abc_classes, demand_class, xyz_class
from sasame.inventory.policy import (
    OrderLine,
    allocate_budget,
    class_levels,
    fill_rate,
    launch_rates,
    lead_time_weights,
    normal_levels,
    normal_loss,
    order_quantity,
    order_up_to,
    protection_sigma,
    reorder_point,
    safety_stock,
    service_level_for,
    shrink_bulk,
    stockout_chance,
    weekly_spread,
    z_for_fill_rate,
    z_value,
)


def test_safety_stock_and_reorder_point_with_lead_time_variance() -> None:
    # Daily demand 50 +- 5, lead time 6 +- 2 days, 90 % cycle service level.
    assert round(protection_sigma(5, 50, 6, 2), 2) == 100.75
    assert round(safety_stock(50, 5, 6, 2, 0.90), 2) == 129.11
    assert round(reorder_point(50, 5, 6, 2, 0.90), 2) == 429.11
    # The same answer from the levels the plan and the backtest's `sasame` policy share, with the
    # plain cycle service level (no fill-rate ceiling), for two SKUs at once.
    level, safety = normal_levels(
        np.array([300.0, 300.0]),
        np.array([50.0, 50.0]),
        np.array([5.0, 5.0]),
        6,
        2,
        np.array([0.9, 0.9]),
        7,
        None,
    )
    assert np.round(safety, 2).tolist() == [129.11, 129.11]
    assert np.round(level, 2).tolist() == [429.11, 429.11]
    # With the ceiling a week's 350 units would sell 98.6 % at 90 %; 97 % needs z = 0.88 only.
    level, safety = normal_levels(
        np.array([300.0]), np.array([50.0]), np.array([5.0]), 6, 2, np.array([0.9]), 7
    )
    assert fill_rate(50, 100.75, z_value(0.9), 7) == pytest.approx(0.9864, abs=1e-4)
    sigma = protection_sigma(5, 50, 6, 2)
    assert fill_rate(50, sigma, float(safety[0]) / sigma, 7) == pytest.approx(0.97)
    assert round(float(safety[0]), 2) == 88.63


def test_periodic_review_order_up_to_and_fill_rate_known_answers() -> None:
    # (R, S) with R = 7, L = 6, CSL 95 %: fixed lead time, then sd_L = 2.
    assert round(order_up_to(50, 5, 6, 0, 0.95, review_period=7), 1) == 679.7
    sigma_fixed = protection_sigma(5, 50, 13, 0)
    assert round(fill_rate(50, sigma_fixed, z_value(0.95), review_period=7), 4) == 0.9989
    sigma = protection_sigma(5, 50, 13, 2)
    assert round(sigma, 2) == 101.61
    assert round(order_up_to(50, 5, 6, 2, 0.95, review_period=7), 2) == 817.14
    assert round(sigma * normal_loss(z_value(0.95)), 2) == 2.12
    assert round(fill_rate(50, sigma, z_value(0.95), review_period=7), 4) == 0.9939


def test_fill_rate_target_inverts_the_loss_function() -> None:
    sigma = protection_sigma(5, 50, 13, 2)
    z = z_for_fill_rate(0.9939, 50, sigma, review_period=7)
    assert round(fill_rate(50, sigma, z, review_period=7), 4) == 0.9939
    # A fill-rate target needs less safety stock than the same number as a cycle service level.
    assert z_for_fill_rate(0.95, 50, sigma, review_period=7) < z_value(0.95)
    assert z_for_fill_rate(0.95, 0, sigma) == 0.0


def test_order_quantity_rounds_to_moq_and_case_pack() -> None:
    assert order_quantity(position=40, target=100) == 60
    assert order_quantity(position=40, target=100, moq=80) == 80
    assert order_quantity(position=40, target=100, case_pack=24) == 72
    assert order_quantity(position=40, target=100, moq=80, case_pack=24) == 96
    assert order_quantity(position=120, target=100, moq=80) == 0


def test_service_level_by_class_and_channel() -> None:
    assert service_level_for("A", "X") == 0.98
    assert service_level_for("C", "Z") == 0.90
    assert service_level_for("A", "X", "amazon") == pytest.approx(0.995)
    assert service_level_for("B", "Y", "wholesale") == pytest.approx(0.93)
    with pytest.raises(ValueError):
        z_value(1.0)


def test_budget_funds_the_best_value_per_dollar_first() -> None:
    lines = [
        OrderLine("a", Decimal("100"), Decimal("50")),
        OrderLine("b", Decimal("60"), Decimal("60")),
        OrderLine("c", Decimal("50"), Decimal("10")),
    ]
    assert allocate_budget(lines, Decimal("120")) == {"b": True, "a": False, "c": True}
    assert allocate_budget(lines, None) == {"b": True, "a": True, "c": True}


def test_demand_classes_abc_and_xyz() -> None:
    assert demand_class([5, 6, 5, 7, 6, 5]) == "smooth"
    assert demand_class([1, 20, 2, 30, 1, 25]) == "erratic"
    assert demand_class([0, 0, 3, 0, 0, 3, 0, 4]) == "intermittent"
    assert demand_class([0, 0, 1, 0, 0, 30, 0, 2]) == "lumpy"
    assert demand_class([]) == "smooth"
    assert demand_class([0, 0, 0, 5]) == "lumpy"
    assert abc_classes({"x": 80.0, "y": 15.0, "z": 5.0}) == {"x": "A", "y": "B", "z": "C"}
    assert xyz_class([10, 10, 11, 9]) == "X"
    assert xyz_class([0, 0, 0]) == "Z"


def test_lead_time_weights_round_a_normal_to_whole_periods() -> None:
    assert lead_time_weights(3, 0).tolist() == [0.0, 0.0, 0.0, 1.0]
    weights = lead_time_weights(7, 2)
    assert weights.sum() == pytest.approx(1.0)
    # P(6.5 <= L < 7.5) for L ~ N(7, 2): Phi(0.25) - Phi(-0.25).
    assert weights[7] == pytest.approx(0.197413, abs=1e-6)
    # Draws below zero are floored to a lead time of 0.
    assert lead_time_weights(0.5, 1)[0] == pytest.approx(0.5)


def test_stockout_chance_counts_the_protected_period_only_when_it_has_demand() -> None:
    half = np.array([[0.5, 0.5]])  # one unit on half the days
    # Lead time 1, review 1: the order covers two days; the second stocks out when it has demand
    # and more than s units came in the two: s = 0 -> 1/2, s = 1 -> 1/4 (both days), s = 2 -> never.
    chance = stockout_chance(half, np.array([0.5]), lead_time_weights(1, 0), 1, 8)
    assert chance[0, :4] == pytest.approx([0.5, 0.25, 0.0, 0.0])


def test_stockout_chance_scales_how_often_bulk_orders_come_not_their_size() -> None:
    bulk = np.zeros((1, 11))
    bulk[0, 0], bulk[0, 10] = 0.9, 0.1  # a 10-unit order on one day in ten
    same = stockout_chance(bulk, np.array([1.0]), lead_time_weights(0, 0), 1, 32)
    assert same[0, :12] == pytest.approx([0.1] * 10 + [0.0] * 2)
    half = stockout_chance(bulk, np.array([0.5]), lead_time_weights(0, 0), 1, 32)
    assert half[0, 9:11] == pytest.approx([0.05, 0.0])
    # 15 times the rate: orders on 150 % of days, so a day holds two slots, each ordering 10 with 3/4.
    busy = stockout_chance(bulk, np.array([15.0]), lead_time_weights(0, 0), 1, 64)
    assert busy[0, [0, 9, 10, 19, 20]] == pytest.approx([1 - 0.25**2, 1 - 0.25**2, 0.75**2, 0.75**2, 0.0])


def test_class_levels_follow_abc_xyz_and_scale_to_a_target() -> None:
    # A makes 80 % of the value; B the next 15 %; C the tail. X steady, Z erratic weeks.
    value = np.array([800.0, 150.0, 50.0])
    steady, erratic = [10.0, 10.0, 11.0, 9.0], [0.0, 0.0, 30.0, 0.0]
    spread = np.array([steady, erratic, erratic])
    assert class_levels(value, spread).tolist() == pytest.approx([0.98, 0.93, 0.90])
    # An Amazon SKU gets 2 points more, within the 99.5 % ceiling.
    assert class_levels(value, spread, ["amazon", None, None]).tolist() == pytest.approx([0.995, 0.93, 0.90])
    # At 99 % every shortfall is a fifth of the table's (set for 95 %): AX 99.6 %, capped at 99.5 %.
    assert class_levels(value, spread, target=0.99).tolist() == pytest.approx([0.995, 0.986, 0.98])


def test_weekly_spread_sums_whole_weeks_of_the_last_half_year() -> None:
    days = np.arange(200, dtype=float)[None, :]
    weeks = weekly_spread(days, "D")
    assert weeks.shape == (1, 26)
    assert weeks[0, 0] == sum(range(18, 25))  # the last 182 days start on day 18
    assert weekly_spread(np.ones((2, 30)), "M").shape == (2, 12)
    assert weekly_spread(np.zeros((0, 200)), "D").shape == (0, 26)  # a store without SKUs
    assert class_levels(np.zeros(0), np.zeros((0, 26))).tolist() == []


def test_launch_rates_follow_a_new_sku_for_its_first_weeks_only() -> None:
    zeros = np.zeros(30)
    ramp = zeros.copy()
    ramp[20:] = [1, 0, 2, 2, 6, 4, 6, 4, 5, 9]  # first sold on day 20, ramping
    single = zeros.copy()
    single[29] = 1  # one sale: a launch at a unit a week until it sells again
    old = np.ones(30)  # sold from the data's first day: maybe an old SKU, its history cut
    stocked_out = ramp.copy()
    censored = np.zeros((4, 30), dtype=bool)
    censored[3, 29] = True  # its last day ran out: demand unknown, left out
    values = np.array([ramp, single, old, stocked_out])
    rates = launch_rates(values, censored, launch_span=56, recent_span=7)
    assert rates.tolist() == pytest.approx([36 / 7, 1 / 7, 0.0, 27 / 6])
    # Past the launch span the forecast alone sets the rate (the single sale is a day old, still within
    # it); so it does for an empty history.
    assert launch_rates(values, censored, launch_span=9, recent_span=7).tolist() == pytest.approx(
        [0.0, 1 / 7, 0.0, 0.0]
    )
    assert launch_rates(np.zeros((2, 0)), np.zeros((2, 0), dtype=bool), 56, 7).tolist() == [0.0, 0.0]
    # A wholesale line in a launch's first week is no ramp: its rate is that of the other days (0.8 a
    # day, not 52 / 6 = 8.7, which ordered 166 units of a SKU that sold 152 in its first 145 days on
    # the seed-8 demo).
    wholesale = zeros.copy()
    wholesale[24:30] = [1, 1, 48, 1, 0, 1]
    rate = launch_rates(wholesale[None, :], np.zeros((1, 30), dtype=bool), launch_span=56, recent_span=7)
    assert rate.tolist() == pytest.approx([0.8])
    # A first sale of a wholesale line's size sets no pace: the SKU waits for a second sale.
    first_wholesale = zeros.copy()
    first_wholesale[27] = 24
    rate = launch_rates(first_wholesale[None, :], np.zeros((1, 30), dtype=bool), 56, 7)
    assert rate.tolist() == [0.0]


def test_shrink_bulk_pulls_a_slow_skus_one_wholesale_line_towards_the_stores_rate() -> None:
    counts = np.zeros((3, 37))
    # A hoodie selling 12 units in a year, plus one 36-unit wholesale line.
    counts[0, [0, 1, 36]] = [352, 12, 1]
    # A best seller: 700 units in 500 days and ten 24-unit lines.
    counts[1, [0, 1, 2, 24]] = [90, 100, 300, 10]
    # No bulk days (3 units is no bulk order), left as it is.
    counts[2, [0, 3]] = [300, 5]
    shrunk = shrink_bulk(counts)
    # The store: 11 bulk days per 727 other units. The hoodie's prior is 12 * 11 / 727 = 0.182 bulk
    # days; with its one seen, the prior worth 2: (1 + 2) / (1 + 2 / 0.182) = 0.2497 of a day.
    assert shrunk[0, 36] == pytest.approx(3 / (1 + 2 * 727 / (11 * 12)), abs=1e-12)
    assert shrunk[0, 36] == pytest.approx(0.249685, abs=1e-6)
    assert shrunk[0, 0] == pytest.approx(352 + 1 - 0.249685, abs=1e-6)
    assert shrunk[0, 1] == 12
    # The best seller's posterior, 12 / (1 + 2 / 10.59) = 10.09, is above its own 10: never raised.
    assert shrunk[1].tolist() == counts[1].tolist()
    assert shrunk[2].tolist() == counts[2].tolist()
    assert shrunk.sum(axis=1).tolist() == counts.sum(axis=1).tolist()
    # A store without bulk orders, or without SKUs, is left alone.
    assert shrink_bulk(counts[2:]).tolist() == counts[2:].tolist()
    assert shrink_bulk(np.zeros((0, 5))).shape == (0, 5)


def test_the_level_a_margin_pays_to_hold_stock_for():
    # A 20.00 item costing 6.00, reviewed weekly at 25 % a year: holding a unit a week costs
    # 6 x 0.25 x 7 / 365 = 0.02877, a lost sale 14.00: 14 / 14.02877.
    # One at 6.30: 0.30 / (0.30 + 0.02877) = 0.9125. Sold at cost: no margin, no safety stock is
    # worth holding. Without a price or a cost nothing is known: NaN, and the class level stands.
    levels = policy.margin_service_levels(
        np.array([20.0, 6.30, 6.0, 0.0, 10.0]), np.array([6.0, 6.0, 6.0, 5.0, 0.0]), 0.25, 7
    )
    assert np.round(levels[:3], 6).tolist() == [0.997949, 0.9125, 0.0]
    assert np.isnan(levels[3:]).all()
    # A month's review at twice the rate: 14 / (14 + 6 x 0.5 x 30 / 365).
    monthly = policy.margin_service_levels(np.array([20.0]), np.array([6.0]), 0.5, 30)
    assert round(float(monthly[0]), 6) == 0.982692


def test_holding_cost_is_value_times_rate_times_the_share_of_a_year():
    assert policy.holding_cost(Decimal("25633.28"), Decimal("0.25"), 365) == Decimal("6408.3200")
    assert policy.holding_cost(Decimal("730"), Decimal("0.25"), 7) == Decimal("3.5")
