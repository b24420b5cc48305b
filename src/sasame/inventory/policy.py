"""Replenishment policy: safety stock for demand and lead-time variance, reorder point, order-up-to
level, fill-rate targets through the normal loss function, order rounding and a cash budget.

Units are per period of the demand series (days, weeks or months); lead times and review periods are
in the same periods. Quantities are floats here (statistics); money stays Decimal where it appears.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from statistics import NormalDist

import numpy as np

_NORMAL = NormalDist()

# Cycle service level (CSL) per ABC x XYZ class: valuable, steady items get the highest target; the
# long tail of erratic, cheap items the lowest, because their safety stock buys the least.
SERVICE_LEVEL_BY_CLASS: dict[str, float] = {
    "AX": 0.98, "AY": 0.97, "AZ": 0.95,
    "BX": 0.96, "BY": 0.95, "BZ": 0.93,
    "CX": 0.94, "CY": 0.92, "CZ": 0.90,
}  # fmt: skip

# How much a stockout costs on a channel beyond the lost margin, as a service-level bump: an Amazon
# stockout costs ranking (the listing drops and takes weeks to recover), a wholesale one rarely does.
CHANNEL_SERVICE_BUMP: dict[str, float] = {
    "amazon": 0.02,
    "shopify": 0.0,
    "etsy": 0.0,
    "woocommerce": 0.0,
    "wholesale": -0.02,
}

MAX_SERVICE_LEVEL = 0.995


def z_value(service_level: float) -> float:
    """Standard normal quantile for a cycle service level in (0, 1)."""
    if not 0.0 < service_level < 1.0:
        raise ValueError(f"service level must be between 0 and 1 (exclusive), got {service_level}")
    return _NORMAL.inv_cdf(service_level)


def protection_sigma(demand_sd: float, demand_mean: float, periods: float, lead_sd: float) -> float:
    """Standard deviation of demand over `periods` when the lead-time part of it is itself uncertain."""
    return math.sqrt(max(periods, 0.0) * demand_sd**2 + demand_mean**2 * lead_sd**2)


def safety_stock(
    demand_mean: float, demand_sd: float, lead_mean: float, lead_sd: float, service_level: float
) -> float:
    """SS = z * sqrt(L * sd_d^2 + d^2 * sd_L^2) for a cycle service level (continuous review)."""
    return z_value(service_level) * protection_sigma(demand_sd, demand_mean, lead_mean, lead_sd)


def reorder_point(
    demand_mean: float, demand_sd: float, lead_mean: float, lead_sd: float, service_level: float
) -> float:
    """s = d * L + SS: order when the inventory position falls to this level."""
    return demand_mean * lead_mean + safety_stock(demand_mean, demand_sd, lead_mean, lead_sd, service_level)


def order_up_to(
    demand_mean: float,
    demand_sd: float,
    lead_mean: float,
    lead_sd: float,
    service_level: float,
    review_period: float = 1.0,
) -> float:
    """S = d * (R + L) + z * sqrt((R + L) * sd_d^2 + d^2 * sd_L^2) for periodic review (R, S)."""
    periods = review_period + lead_mean
    sigma = protection_sigma(demand_sd, demand_mean, periods, lead_sd)
    return demand_mean * periods + z_value(service_level) * sigma


def normal_loss(z: float) -> float:
    """G(z) = phi(z) - z * (1 - Phi(z)): expected shortage per unit of sigma."""
    return _NORMAL.pdf(z) - z * (1.0 - _NORMAL.cdf(z))


def fill_rate(demand_mean: float, sigma: float, z: float, review_period: float = 1.0) -> float:
    """Analytic fill rate of (R, S): 1 - sigma * G(z) / (d * R)."""
    cycle_demand = demand_mean * review_period
    if cycle_demand <= 0:
        return 1.0
    return 1.0 - sigma * normal_loss(z) / cycle_demand


def z_for_fill_rate(
    target_fill: float, demand_mean: float, sigma: float, review_period: float = 1.0
) -> float:
    """Smallest safety factor whose expected shortage per cycle keeps the fill rate at `target_fill`.

    Solves G(z) = (1 - target) * d * R / sigma by bisection (G is decreasing). Targets a fill rate
    rather than a cycle service level, which for fast movers needs far less safety stock.
    """
    if sigma <= 0 or demand_mean <= 0:
        return 0.0
    wanted = (1.0 - target_fill) * demand_mean * review_period / sigma
    low, high = -4.0, 6.0
    if normal_loss(low) <= wanted:
        return low
    for _ in range(60):
        middle = (low + high) / 2
        if normal_loss(middle) > wanted:
            low = middle
        else:
            high = middle
    return high


def order_quantity(position: float, target: float, moq: float = 0.0, case_pack: float = 1.0) -> float:
    """Units to order to lift the inventory position to `target`, at least the MOQ, in whole case packs."""
    needed = target - position
    if needed <= 1e-9:
        return 0.0
    quantity = max(needed, moq)
    pack = case_pack if case_pack and case_pack > 0 else 1.0
    return math.ceil(quantity / pack - 1e-9) * pack


def service_level_for(abc: str, xyz: str, channel: str | None = None) -> float:
    """Target cycle service level for an ABC/XYZ class, raised for channels where a stockout costs ranking."""
    level = SERVICE_LEVEL_BY_CLASS.get(f"{abc}{xyz}", 0.95)
    if channel:
        level += CHANNEL_SERVICE_BUMP.get(channel.lower(), 0.0)
    return min(max(level, 0.5), MAX_SERVICE_LEVEL)


def holding_cost(
    average_units: float, unit_cost: Decimal, annual_rate: Decimal, periods_per_year: int
) -> Decimal:
    """Holding cost per period: average units on hand x unit cost x annual carrying rate / periods a year."""
    return Decimal(str(average_units)) * unit_cost * annual_rate / Decimal(periods_per_year)


@dataclass(frozen=True)
class OrderLine:
    """A candidate order line for the budget: value is what it protects (e.g. expected margin saved)."""

    key: str
    cost: Decimal
    value: Decimal


def allocate_budget(lines: Iterable[OrderLine], budget: Decimal | None) -> dict[str, bool]:
    """Greedy by value per unit of cash: fund what protects the most per dollar until the budget runs out."""
    ordered = sorted(
        lines,
        key=lambda line: (-(line.value / line.cost) if line.cost > 0 else Decimal("-Infinity"), line.key),
    )
    if budget is None:
        return {line.key: True for line in ordered}
    funded: dict[str, bool] = {}
    remaining = budget
    for line in ordered:
        if line.cost <= remaining:
            funded[line.key] = True
            remaining -= line.cost
        else:
            funded[line.key] = False
    return funded


def class_service_levels(
    abc: Mapping[str, str], xyz: Mapping[str, str], channels: Mapping[str, str] | None = None
) -> dict[str, float]:
    """Service level per SKU from its ABC and XYZ classes and its main channel."""
    return {key: service_level_for(abc[key], xyz.get(key, "Z"), (channels or {}).get(key)) for key in abc}


def lead_time_weights(lead_mean: float, lead_sd: float) -> np.ndarray:
    """P(lead time = k periods) for k = 0, 1, ...: a normal rounded to whole periods, floored at zero.

    The same discretisation the backtest draws its lead times from (and a supplier's history gives)."""
    if lead_sd <= 0:
        weights = np.zeros(max(0, round(lead_mean)) + 1)
        weights[-1] = 1.0
        return weights
    spread = NormalDist(lead_mean, lead_sd)
    top = max(0, math.ceil(lead_mean + 5 * lead_sd))
    edges = [spread.cdf(k + 0.5) for k in range(top + 1)]
    weights = np.diff(np.array([0.0, *edges]))
    weights[-1] += 1.0 - edges[-1]
    return np.asarray(weights / weights.sum())


# At most this many times an empirical period's demand fits in one period (the rest is capped).
MAX_SLOTS = 32


def stockout_chance(
    daily: np.ndarray, rates: np.ndarray, lead_weights: np.ndarray, review: int, size: int
) -> np.ndarray:
    """Per SKU and order-up-to level s = 0 .. size-1: the chance that the last period an order protects
    is a stockout period (it has demand and demand since the order exceeds s).

    `daily` holds each SKU's empirical distribution of whole units per period (rows sum to 1); it is
    rescaled to the forecast `rates` by changing how often demand comes, not how big it comes: a
    store that sells twice as much gets twice the orders (and twice the bulk orders), each the same
    size. Over a lead time of k the order protects k + R periods, so the chance is
    P(D[k+R] > s) - P(no demand in the last one) P(D[k+R-1] > s), mixed over k. The sums are
    convolutions, done in the frequency domain; `size` must exceed the largest level of interest
    (mass beyond it wraps around, so it should be well above the lead-time demand's upper tail)."""
    skus, width = daily.shape
    means = daily @ np.arange(width)
    busy = 1.0 - daily[:, 0]
    ratio = np.divide(rates, means, out=np.zeros(skus), where=means > 0)
    # More demand than one empirical period can carry at this ratio: split a period into n slots.
    slots = np.clip(np.ceil(ratio * busy - 1e-12), 1, MAX_SLOTS).astype(int)
    share = np.minimum(ratio / slots, np.divide(1.0, busy, out=np.zeros(skus), where=busy > 0))
    slot = np.zeros((skus, size))
    slot[:, 1:width] = daily[:, 1 : min(width, size)] * share[:, None]
    slot[:, 0] = 1.0 - slot[:, 1:].sum(axis=1)
    spectrum = np.fft.rfft(slot, axis=1) ** slots[:, None]
    idle = slot[:, 0] ** slots  # P(a period has no demand)
    mixed = np.zeros_like(spectrum)
    previous = np.zeros_like(spectrum)
    for k, weight in enumerate(lead_weights):
        if weight <= 0:
            continue
        mixed += weight * spectrum ** (k + review)
        previous += weight * spectrum ** (k + review - 1)
    over = 1.0 - np.cumsum(np.fft.irfft(mixed, n=size, axis=1), axis=1)
    over_before = 1.0 - np.cumsum(np.fft.irfft(previous, n=size, axis=1), axis=1)
    chance = over - idle[:, None] * over_before
    # Rounding noise of the transforms: keep it a non-increasing probability.
    chance = np.minimum.accumulate(np.clip(chance, 0.0, 1.0), axis=1)
    return np.asarray(np.where(rates[:, None] > 0, chance, 0.0))
