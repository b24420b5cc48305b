"""Replenishment formulas against the published known answers (references.md §3.2)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sasame.inventory.classify import abc_classes, demand_class, xyz_class
from sasame.inventory.policy import (
    OrderLine,
    allocate_budget,
    fill_rate,
    normal_loss,
    order_quantity,
    order_up_to,
    protection_sigma,
    reorder_point,
    safety_stock,
    service_level_for,
    z_for_fill_rate,
    z_value,
)


def test_safety_stock_and_reorder_point_with_lead_time_variance() -> None:
    # Daily demand 50 +- 5, lead time 6 +- 2 days, 90 % cycle service level.
    assert round(protection_sigma(5, 50, 6, 2), 2) == 100.75
    assert round(safety_stock(50, 5, 6, 2, 0.90), 2) == 129.11
    assert round(reorder_point(50, 5, 6, 2, 0.90), 2) == 429.11


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
