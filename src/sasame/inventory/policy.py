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
MIN_SERVICE_LEVEL = 0.5
"""No SKU is planned below this cycle service level: under it the safety stock would be negative."""


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
    return min(max(level, MIN_SERVICE_LEVEL), MAX_SERVICE_LEVEL)


HOLDING_RATE = Decimal("0.25")
"""What a year of holding stock costs, as a share of its value at cost: the capital tied up, space,
insurance, shrinkage and obsolescence (20-30 % a year is the usual range)."""


def holding_cost(value: Decimal, annual_rate: Decimal, days: float) -> Decimal:
    """What holding stock worth `value` at cost for `days` costs at `annual_rate` a year."""
    return value * annual_rate * Decimal(str(days)) / Decimal(365)


def margin_service_levels(
    prices: np.ndarray, unit_costs: np.ndarray, annual_rate: float, review_days: float
) -> np.ndarray:
    """Per SKU, the cycle service level past which one more unit of stock costs more to hold than the
    margin it saves: the newsvendor critical ratio m / (m + h) with lost sales, m the unit's margin
    (price - cost: what a sale lost loses) and h its holding cost over one review period (cost x rate
    x review / 365). A 70 %-margin mug reviewed weekly may be kept at 99.8 %, a SKU sold at 5 % over
    cost at 91 %. NaN where the price or the cost is unknown (0), so no level is capped on a guess."""
    prices = np.asarray(prices, dtype=float)
    unit_costs = np.asarray(unit_costs, dtype=float)
    known = (prices > 0) & (unit_costs > 0)
    margin = np.maximum(prices - unit_costs, 0.0)
    holding = unit_costs * annual_rate * review_days / 365.0
    ratio = np.divide(margin, margin + holding, out=np.zeros_like(margin), where=(margin + holding) > 0)
    return np.where(known, ratio, np.nan)


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
    # spectrum ** (k + review - 1), raised one multiplication per lead time k (a power per k costs
    # ten times more with the long lead times of overseas suppliers).
    power = spectrum ** (review - 1)
    for k, weight in enumerate(lead_weights):
        if k > 0:
            power = power * spectrum
        if weight <= 0:
            continue
        previous += weight * power
        mixed += weight * (power * spectrum)
    over = 1.0 - np.cumsum(np.fft.irfft(mixed, n=size, axis=1), axis=1)
    over_before = 1.0 - np.cumsum(np.fft.irfft(previous, n=size, axis=1), axis=1)
    chance = over - idle[:, None] * over_before
    # Rounding noise of the transforms: keep it a non-increasing probability.
    chance = np.minimum.accumulate(np.clip(chance, 0.0, 1.0), axis=1)
    return np.asarray(np.where(rates[:, None] > 0, chance, 0.0))


# --- order-up-to levels: the one implementation the plan and the backtest's `sasame` policy share ---

# Never hold more safety stock than a fill rate of 1 - FILL_CEILING_SHARE x (1 - service level) needs.
FILL_CEILING_SHARE = 0.3
# The empirical per-period demand distribution needs this many periods of known demand since the first sale.
MIN_EMPIRICAL_PERIODS = 7
# Levels the empirical distribution is evaluated at: 0 .. 2**MAX_LEVEL_BITS - 1 units.
MAX_LEVEL_BITS = 15
# How far back the empirical distribution looks, in periods of each frequency (a year, or three/five).
EMPIRICAL_SPAN = {"D": 365, "W": 156, "M": 60}


def capped_z(
    service_levels: np.ndarray,
    rates: np.ndarray,
    sigmas: np.ndarray,
    review: float,
    fill_ceiling_share: float | None = FILL_CEILING_SHARE,
) -> np.ndarray:
    """Safety factor per SKU: z of its cycle service level, capped where it would buy a fill rate above
    1 - share x (1 - level): a fast mover whose cycle demand dwarfs its spread needs less than its cycle
    service level says to sell nearly everything. `sigmas` is the spread over the protection interval.
    `fill_ceiling_share=None` keeps the plain cycle service level (the textbook answer)."""
    z = np.array([z_value(float(level)) for level in service_levels])
    if fill_ceiling_share is None:
        return z
    ceilings = 1.0 - fill_ceiling_share * (1.0 - np.asarray(service_levels, dtype=float))
    cap = np.array(
        [
            z_for_fill_rate(float(ceiling), float(rate), float(sd), review) if rate > 0 else np.inf
            for ceiling, rate, sd in zip(ceilings, rates, sigmas, strict=True)
        ]
    )
    return np.asarray(np.minimum(z, cap))


def normal_levels(
    covered: np.ndarray,
    rates: np.ndarray,
    demand_sd: np.ndarray,
    periods: np.ndarray | float,
    lead_sd: np.ndarray | float,
    service_levels: np.ndarray,
    review: float,
    fill_ceiling_share: float | None = FILL_CEILING_SHARE,
) -> tuple[np.ndarray, np.ndarray]:
    """(level, safety stock) per SKU: `covered` (the forecast demand over `periods`, summed along the
    forecast path so a coming peak raises it) plus z * sqrt(periods * sd^2 + rate^2 * sd_L^2).

    With covered = d * L, periods = L and no fill ceiling this is the textbook reorder point; with
    periods = R + L the periodic-review order-up-to level."""
    sigma = np.sqrt(
        np.maximum(periods, 0.0) * np.asarray(demand_sd) ** 2
        + np.asarray(rates) ** 2 * np.asarray(lead_sd) ** 2
    )
    z = capped_z(service_levels, rates, sigma, review, fill_ceiling_share)
    safety = np.maximum(z, 0.0) * sigma
    return np.asarray(covered) + safety, safety


# A bulk period (a wholesale line, a reseller's order): at least BULK_MIN_UNITS units and more than
# BULK_RATIO times the SKU's mean per period.
BULK_MIN_UNITS = 6
BULK_RATIO = 8.0
# How many bulk periods the store-wide rate counts as, against a SKU's own count (a gamma prior's shape).
BULK_PRIOR_STRENGTH = 2.0


def _is_bulk(units: np.ndarray, mean: np.ndarray | float) -> np.ndarray:
    """Whether each unit count is a bulk period next to a mean per period (see BULK_MIN_UNITS)."""
    return (units >= BULK_MIN_UNITS) & (units > BULK_RATIO * mean)


def demand_distribution(values: np.ndarray, skipped: np.ndarray, span: int) -> tuple[np.ndarray, np.ndarray]:
    """Each SKU's distribution of whole units per period over its last `span` periods since its first
    sale, the `skipped` periods (stocked out: demand unknown; promoted: the forecast carries their
    uplift) left out, its bulk periods' frequency shrunk to the store's (`shrink_bulk`). Returns
    (table[sku, units] summing to 1 per row, known[sku]): a SKU is known with at least
    MIN_EMPIRICAL_PERIODS such periods and some demand in them."""
    skus, periods = values.shape
    sold = values > 0
    first = np.where(sold.any(axis=1), sold.argmax(axis=1), periods)
    top = int(values[:, -span:].max()) if values.size else 0
    counts = np.zeros((skus, top + 1))
    known = np.zeros(skus, dtype=bool)
    for i in range(skus):
        begin = max(int(first[i]), periods - span)
        seen = values[i, begin:][~skipped[i, begin:]]
        if len(seen) < MIN_EMPIRICAL_PERIODS or seen.sum() <= 0:
            continue
        counts[i] = np.bincount(seen.astype(int), minlength=top + 1)[: top + 1]
        known[i] = True
    counts = shrink_bulk(counts)
    seen_periods = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, seen_periods, out=np.zeros_like(counts), where=seen_periods > 0), known


def shrink_bulk(counts: np.ndarray) -> np.ndarray:
    """Periods per unit count per SKU (counts[sku, units]), each SKU's bulk periods scaled down to a
    gamma-Poisson posterior of how often it gets one: the prior is the store's bulk periods per unit
    sold outside them, times the SKU's units sold outside them (wholesale accounts buy what sells).

    One wholesale line in a year of a SKU selling a unit a month would otherwise read as a 1-in-365
    chance a day of another, and hold a case of stock all year against it; across a store such lines
    fall on the SKUs that sell. A SKU's own count is never raised (one without bulk periods gets none:
    spreading the store's rate over every SKU bought fewer stockouts per unit of money on the demo,
    docs/benchmarks.md), and the shrunk mass counts as periods without demand."""
    if counts.size == 0:
        return counts
    units = np.arange(counts.shape[1])
    periods = counts.sum(axis=1)
    means = np.divide(counts @ units, periods, out=np.zeros(len(counts)), where=periods > 0)
    bulk = _is_bulk(units[None, :], means[:, None])
    bulk_periods = (counts * bulk).sum(axis=1)
    other_units = (counts * ~bulk * units).sum(axis=1)
    if bulk_periods.sum() <= 0 or other_units.sum() <= 0:
        return counts
    store_rate = bulk_periods.sum() / other_units.sum()
    prior = store_rate * other_units
    posterior = (bulk_periods + BULK_PRIOR_STRENGTH) / (1.0 + BULK_PRIOR_STRENGTH / np.maximum(prior, 1e-12))
    keep = np.ones(len(counts))
    has = bulk_periods > 0
    keep[has] = np.minimum(1.0, posterior[has] / bulk_periods[has])
    shrunk = np.where(bulk, counts * keep[:, None], counts)
    shrunk[:, 0] += (counts - shrunk).sum(axis=1)
    return shrunk


# A SKU is a launch for this many periods after its first sale (8 weeks of days, 8 weeks, 2 months);
# its launch rate is the mean of its last RECENT_SPAN known periods (a week, a week, a month).
LAUNCH_SPAN = {"D": 56, "W": 8, "M": 2}
RECENT_SPAN = {"D": 7, "W": 1, "M": 1}
LAUNCH_MIN_SELLING = 2


def launch_rates(values: np.ndarray, censored: np.ndarray, launch_span: int, recent_span: int) -> np.ndarray:
    """Per SKU first sold after the data's first period, in its first `launch_span` periods since that
    sale: the mean demand of its last `recent_span` known periods since that sale (stocked-out periods
    left out, a bulk period among them too) once it sold in LAUNCH_MIN_SELLING periods, its one sale
    spread over `recent_span` periods before that (none if that sale is of a bulk order's size); 0
    for every other SKU.

    A launch ramps up, and a forecast re-fitted weekly on a handful of periods lags it (a SKU first
    sold the day after a re-fit is forecast at zero for a week); a level that follows the launch's
    recent demand at every review catches up a lead time sooner. The policies take the larger of
    this and the forecast rate."""
    skus, periods = values.shape
    rates = np.zeros(skus)
    if periods == 0:
        return rates
    sold = values > 0
    first = np.where(sold.any(axis=1), sold.argmax(axis=1), periods)
    age = periods - first
    selling = sold.sum(axis=1) >= LAUNCH_MIN_SELLING
    # A SKU selling from the first period of the data may be old: its history is only cut there.
    launched = (first > 0) & (age > 0) & (age <= launch_span)
    for i in np.flatnonzero(launched):
        window = slice(max(int(first[i]), periods - recent_span), periods)
        known = values[i, window][~censored[i, window]]
        if selling[i]:
            ordinary = _without_bulk(known)
            rates[i] = ordinary.mean() if len(ordinary) else 0.0
        else:
            # One sale is a launch at a unit per `recent_span` periods, not a unit a period: a slow
            # SKU's first unit after a long silence must not read as a fast one, but a launch's stock
            # is on its way a few days sooner than from its second sale. A first sale of a bulk order's
            # size is no pace at all (a wholesale line): it waits for a second sale.
            lone = known.sum()
            rates[i] = lone / recent_span if lone < BULK_MIN_UNITS else 0.0
    return rates


def _without_bulk(values: np.ndarray) -> np.ndarray:
    """The periods that are not bulk next to the others (a wholesale line in a launch's first week is
    no ramp: the bulk-order floor covers it, at its own frequency). One period has no others to be
    judged against (weekly and monthly launches look back one period): it is kept."""
    if len(values) < 2:
        return values
    others = (values.sum() - values) / (len(values) - 1)
    return values[~_is_bulk(values, others)]


def _transform_sizes(
    table: np.ndarray, rates: np.ndarray, lead_weights: np.ndarray, review: int
) -> np.ndarray:
    """Per SKU, the levels `stockout_chance` needs (a power of two; the transform wraps what lies
    beyond): room for its demand over the longest lead time, mean plus 12 standard deviations, plus
    its largest demand in one period. The largest demand conceivable (every period a bulk order)
    would need up to 2**15 levels for an overseas supplier's 60-day lead time and cost seconds per
    plan, for mass far below any level chosen; and sizing each SKU by itself, not by the fastest SKU
    sharing its supplier, keeps a 10,000-SKU plan's transforms small (docs/benchmarks.md)."""
    width = table.shape[1]
    units = np.arange(width)
    means = table @ units
    squares = table @ units**2
    busy = 1.0 - table[:, 0]
    slots = np.clip(np.ceil(rates / np.maximum(means, 1e-12) * busy), 1, MAX_SLOTS)
    # Per period: `slots` draws, each a unit count with the table's chance times `share`, else zero.
    share = np.minimum(rates / np.maximum(means, 1e-12) / slots, 1.0 / np.maximum(busy, 1e-12))
    variance = slots * np.maximum(share * squares - (share * means) ** 2, 0.0)
    periods = len(lead_weights) - 1 + review
    largest = width - np.argmax(table[:, ::-1] > 0, axis=1)  # one past the largest unit count seen
    reach = rates * periods + 12.0 * np.sqrt(periods * variance) + largest
    bits = np.ceil(np.log2(np.maximum(16.0, reach + 1)))
    return np.asarray(1 << np.minimum(bits, MAX_LEVEL_BITS).astype(int))


def empirical_levels(
    table: np.ndarray,
    known: np.ndarray,
    rates: np.ndarray,
    unit_cost: np.ndarray,
    leads: list[tuple[float, float]],
    review: int,
    service_levels: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Order-up-to floors from each SKU's empirical demand distribution (bulk orders make demand over
    a lead time far from normal), spread over the SKUs with one Lagrange multiplier: every SKU takes
    the level s minimising cost * s + mu * chance(s), chance(s) the chance that the last period an
    order protects stocks out (`stockout_chance`, over the SKU's own lead-time distribution `leads[i]`
    = (mean, sd) in periods), and mu is set so the expected number of stocking-out SKUs is the sum of
    their allowances 1 - service level: a unit of stock goes where it removes the most stockout
    chance per unit of money. Returns (floor, chance at the floor); NaN and 0 where the SKU has no
    usable distribution or no demand forecast."""
    skus = len(rates)
    floors = np.full(skus, np.nan)
    chances = np.zeros(skus)
    use = known & (rates > 0)
    if not use.any():
        return floors, chances
    # SKUs sharing a lead-time distribution (a supplier) and a transform size share one transform.
    groups: dict[tuple[float, float], list[int]] = {}
    for i in np.flatnonzero(use):
        groups.setdefault((float(leads[i][0]), float(leads[i][1])), []).append(int(i))
    blocks = []
    for (lead_mean, lead_sd), members in groups.items():
        weights = lead_time_weights(lead_mean, lead_sd)
        supplier_rows = np.array(members)
        sizes = _transform_sizes(table[supplier_rows], rates[supplier_rows], weights, review)
        # One transform per size: a slow SKU does not pay for the fastest one's range.
        for size in np.unique(sizes):
            rows = supplier_rows[sizes == size]
            curves = stockout_chance(table[rows], rates[rows], weights, review, int(size))
            blocks.append((rows, np.maximum(unit_cost[rows], 1e-9), curves, np.arange(curves.shape[1])))
    allowed = float((1.0 - np.asarray(service_levels, dtype=float)[use]).sum())

    def pick(multiplier: float) -> list[np.ndarray]:
        return [
            np.argmin(cost[:, None] * levels[None, :] + multiplier * curves, axis=1)
            for _, cost, curves, levels in blocks
        ]

    def expected(chosen: list[np.ndarray]) -> float:
        return float(
            sum(
                curves[np.arange(len(c)), c].sum()
                for (_, _, curves, _), c in zip(blocks, chosen, strict=True)
            )
        )

    low, high = 1e-6, 1e9
    for _ in range(50):
        middle = math.sqrt(low * high)
        if expected(pick(middle)) > allowed:
            low = middle
        else:
            high = middle
    for (rows, _, curves, _), chosen in zip(blocks, pick(high), strict=True):
        floors[rows] = chosen
        chances[rows] = curves[np.arange(len(chosen)), chosen]
    return floors, chances


def value_aware_levels(unit_cost: np.ndarray, rates: np.ndarray, target: float) -> np.ndarray:
    """Cycle service level per SKU that sells the most units per unit of money tied up in stock.

    One more unit of stock saves 1 - Phi(z) lost units per cycle and costs its unit cost to hold, so
    at the optimum 1 - Phi(z) = lambda * cost for every SKU: cheap items get a high cycle service
    level, dear ones a lower one. lambda is set so that a SKU of median cost (weighted by units sold)
    gets `target`; levels stay within [50 %, MAX_SERVICE_LEVEL]."""
    selling = rates > 0
    if not selling.any():
        return np.full(len(unit_cost), 0.5)  # nothing sells: no safety stock
    order = np.argsort(unit_cost[selling])
    weights = np.cumsum(rates[selling][order]) / rates[selling].sum()
    median_cost = float(unit_cost[selling][order][np.searchsorted(weights, 0.5)])
    lam = (1.0 - target) / max(median_cost, 1e-9)
    return np.asarray(np.clip(1.0 - lam * unit_cost, MIN_SERVICE_LEVEL, MAX_SERVICE_LEVEL))


# The class table's levels are set for a store-wide 95 %; another target scales every class's
# allowed stockout chance by the same factor (at 99 % an AX SKU is allowed 0.4 %, a CZ one 2 %).
CLASS_TABLE_TARGET = 0.95


def class_levels(
    year_value: np.ndarray,
    spread: np.ndarray,
    channels: list[str | None] | None = None,
    target: float | None = None,
    keys: list[str] | None = None,
) -> np.ndarray:
    """Cycle service level per SKU by its ABC class (`year_value`: a year's units at cost) and XYZ
    class (`spread[sku, bucket]`: recent demand per week, or per period for coarser data), raised for
    a channel where a stockout costs ranking (`SERVICE_LEVEL_BY_CLASS`, `CHANNEL_SERVICE_BUMP`).
    With `target`, each level's shortfall 1 - level is scaled by (1 - target) / (1 - 0.95). `keys`
    (the SKUs) break ties in the ABC ranking."""
    # Local import: classify imports nothing from here, but keep policy importable on its own.
    from sasame.inventory.classify import abc_classes, xyz_class

    keys = keys or [f"{i:09d}" for i in range(len(year_value))]
    abc = abc_classes({key: float(value) for key, value in zip(keys, year_value, strict=True)})
    levels = np.array(
        [
            service_level_for(abc[key], xyz_class(spread[i]), (channels or [None] * len(keys))[i])
            for i, key in enumerate(keys)
        ]
    )
    if target is not None:
        levels = 1.0 - (1.0 - levels) * (1.0 - target) / (1.0 - CLASS_TABLE_TARGET)
    return np.asarray(np.clip(levels, MIN_SERVICE_LEVEL, MAX_SERVICE_LEVEL))


def weekly_spread(units: np.ndarray, freq: str) -> np.ndarray:
    """[sku, bucket] recent demand for the XYZ class: the last 26 whole weeks of daily data, the last
    26 weeks of weekly data, the last 12 months of monthly data."""
    if freq == "D":
        recent = units[:, max(units.shape[1] - 26 * 7, 0) :]
        if recent.shape[1] < 7:
            return np.asarray(recent, dtype=float)
        whole = recent.shape[1] // 7 * 7
        return np.asarray(recent[:, :whole].reshape(len(units), whole // 7, 7).sum(axis=2), dtype=float)
    return np.asarray(units[:, -(26 if freq == "W" else 12) :], dtype=float)
