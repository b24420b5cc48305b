"""Demand → orders: who buys what, when, on which channel; and the money of each order that happened."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sasame.demo.catalog import Catalog
from sasame.demo.context import DemoContext
from sasame.demo.customers import REPEAT_VISIT_SOURCES, Purchases, simulate_channel
from sasame.demo.timeline import Timeline

CHANNELS = ("shopify", "amazon", "etsy", "wholesale")
SHOPIFY, AMAZON, ETSY, WHOLESALE = range(4)
# Shares of orders (not revenue): Amazon baskets are small and wholesale ones huge, so these give
# roughly 50 / 30 / 12 / 8 % of revenue.
ORDER_SHARE = np.array([0.43, 0.42, 0.15, 0.0045])
LINES_PER_ORDER = {
    SHOPIFY: [0.50, 0.29, 0.14, 0.07],
    AMAZON: [0.86, 0.11, 0.03, 0.0],
    ETSY: [0.74, 0.19, 0.07, 0.0],
    WHOLESALE: [0.10, 0.25, 0.35, 0.30],
}
CATEGORY_AFFINITY = {
    SHOPIFY: {},
    AMAZON: {"accessories": 1.3},
    ETSY: {"home": 2.0, "apparel": 0.7},
    WHOLESALE: {"home": 0.6},
}
WHOLESALE_PRICE_SHARE = 0.5
LOST_DEMAND_ALLOWANCE = 1.05
"""Demand is generated ~5% above the order target because stockouts lose some of it."""

# US ship-to places: (city, state, postal code, population weight, sales tax basis points).
PLACES = [
    ("New York", "NY", "10001", 8.3, 888),
    ("Brooklyn", "NY", "11211", 2.6, 888),
    ("Los Angeles", "CA", "90012", 3.9, 950),
    ("San Francisco", "CA", "94110", 0.9, 863),
    ("San Diego", "CA", "92101", 1.4, 775),
    ("Chicago", "IL", "60614", 2.7, 1025),
    ("Houston", "TX", "77002", 2.3, 825),
    ("Austin", "TX", "78701", 1.0, 825),
    ("Dallas", "TX", "75201", 1.3, 825),
    ("Phoenix", "AZ", "85004", 1.6, 860),
    ("Philadelphia", "PA", "19103", 1.6, 800),
    ("Seattle", "WA", "98101", 0.8, 1035),
    ("Portland", "OR", "97205", 0.7, 0),
    ("Denver", "CO", "80202", 0.7, 881),
    ("Boston", "MA", "02116", 0.7, 625),
    ("Atlanta", "GA", "30303", 0.5, 890),
    ("Miami", "FL", "33130", 0.5, 700),
    ("Orlando", "FL", "32801", 0.3, 650),
    ("Minneapolis", "MN", "55401", 0.4, 903),
    ("Nashville", "TN", "37203", 0.7, 925),
    ("Charlotte", "NC", "28202", 0.9, 725),
    ("Columbus", "OH", "43215", 0.9, 750),
    ("Detroit", "MI", "48226", 0.6, 600),
    ("Baltimore", "MD", "21202", 0.6, 600),
    ("Salt Lake City", "UT", "84101", 0.2, 775),
    ("Wilmington", "DE", "19801", 0.1, 0),
    ("Manchester", "NH", "03101", 0.1, 0),
    ("Billings", "MT", "59101", 0.1, 0),
    ("Richmond", "VA", "23219", 0.2, 600),
    ("New Orleans", "LA", "70112", 0.4, 945),
    ("Kansas City", "MO", "64105", 0.5, 868),
    ("Madison", "WI", "53703", 0.3, 550),
]
PLACE_WEIGHT = np.array([p[3] for p in PLACES]) / sum(p[3] for p in PLACES)
TAX_BASIS_POINTS = np.array([p[4] for p in PLACES], dtype=np.int64)


@dataclass
class Demand:
    """Every order customers tried to place (before stockouts), sorted by when they placed it."""

    channel: np.ndarray
    customer: np.ndarray
    """Global customer position (see ``customers``)."""
    day: np.ndarray
    placed_at: np.ndarray
    """datetime64[us] UTC."""
    is_first: np.ndarray
    visit: np.ndarray
    """Index into REPEAT_VISIT_SOURCES for Shopify orders, -1 elsewhere."""
    place: np.ndarray
    line_order: np.ndarray
    line_variant: np.ndarray
    line_quantity: np.ndarray
    line_location: np.ndarray
    """0 = own warehouse, 1 = Amazon FBA."""
    customers: CustomerBook
    share: dict[int, np.ndarray]
    """Per channel: the [day, variant] probability that a line is for each variant."""

    @property
    def order_count(self) -> int:
        return len(self.channel)


@dataclass
class CustomerBook:
    """The latent customers of every channel, concatenated (wholesale accounts last)."""

    channel: np.ndarray
    source: list[str]
    rate: np.ndarray
    dropout: np.ndarray
    acquired_day: np.ndarray
    place: np.ndarray
    is_business: np.ndarray


def choice_matrix(catalog: Catalog, timeline: Timeline, channel: int) -> np.ndarray:
    """Return the [day, variant] probabilities that a line on a channel is for each variant."""
    life = catalog.lifecycle(timeline.count)
    affinity = np.array([CATEGORY_AFFINITY[channel].get(c, 1.0) for c in catalog.category])
    listed = catalog.listed[CHANNELS[channel]]
    weights = life * (catalog.weight * affinity * listed)[None, :]
    return weights / weights.sum(axis=1, keepdims=True)


def _draw_variants(rng: np.random.Generator, share: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Draw one variant per line from its day's row of ``share`` (one vectorised search)."""
    n_variants = share.shape[1]
    cdf = np.cumsum(share, axis=1)
    cdf[:, -1] = 1.0
    flat = (cdf + np.arange(share.shape[0])[:, None]).ravel()
    found = np.searchsorted(flat, day + rng.random(len(day)) * (1 - 1e-12), side="right")
    return np.minimum(found - day * n_variants, n_variants - 1)


def build_demand(ctx: DemoContext, timeline: Timeline, catalog: Catalog) -> Demand:
    """Generate the customers and every order they try to place over the history."""
    rng = ctx.rng("sales.demand")
    n_days = timeline.count
    total_orders = ctx.scale.orders_per_week * n_days / 7 * LOST_DEMAND_ALLOWANCE
    season = timeline.seasonality() * timeline.holiday_factor()

    parts: list[tuple[int, Purchases]] = []
    for code in (SHOPIFY, AMAZON, ETSY):
        intensity = season * timeline.promotion_factor(CHANNELS[code])
        parts.append(
            (
                code,
                simulate_channel(ctx, timeline, CHANNELS[code], intensity, total_orders * ORDER_SHARE[code]),
            )
        )

    channel_of, source_of, rate, dropout, acquired, offset = [], [], [], [], [], 0
    order_parts = []
    for code, purchases in parts:
        count = len(purchases.rate)
        channel_of.append(np.full(count, code))
        source_of += [purchases.sources[s] for s in purchases.customer_source.tolist()]
        rate.append(purchases.rate)
        dropout.append(purchases.dropout)
        acquired.append(purchases.acquired_day)
        visit = purchases.visit if code == SHOPIFY else np.full(len(purchases.day), -1)
        order_parts.append(
            (
                np.full(len(purchases.day), code),
                purchases.customer + offset,
                purchases.day,
                purchases.fraction,
                purchases.is_first,
                visit,
            )
        )
        offset += count

    # Wholesale: a few boutique accounts order on weekdays, more before the holidays.
    wholesale_rng = ctx.rng("sales.wholesale")
    wholesale_orders = total_orders * ORDER_SHARE[WHOLESALE]
    accounts = max(5, round(wholesale_orders / (n_days / 30.0) * 1.2))
    account_weight = wholesale_rng.lognormal(0, 0.7, accounts)
    trade = np.where(timeline.weekday < 5, 1.0, 0.0) * np.where(np.isin(timeline.month, [7, 8, 9]), 1.6, 1.0)
    trade *= timeline.seasonality() / timeline.seasonality().mean()
    per_day = wholesale_rng.poisson(wholesale_orders * trade / trade.sum())
    w_day = np.repeat(np.arange(n_days), per_day)
    w_account = wholesale_rng.choice(accounts, size=len(w_day), p=account_weight / account_weight.sum())
    w_fraction = (9 + wholesale_rng.random(len(w_day)) * 8) / 24.0
    first_seen = np.full(accounts, n_days, dtype=np.int64)
    np.minimum.at(first_seen, w_account, w_day)
    order_parts.append(
        (
            np.full(len(w_day), WHOLESALE),
            w_account + offset,
            w_day,
            w_fraction,
            np.zeros(len(w_day), dtype=bool),
            np.full(len(w_day), -1),
        )
    )
    channel_of.append(np.full(accounts, WHOLESALE))
    source_of += ["wholesale"] * accounts
    rate.append(np.zeros(accounts))
    dropout.append(np.zeros(accounts))
    acquired.append(first_seen)
    n_customers = offset + accounts

    channel = np.concatenate([p[0] for p in order_parts])
    customer = np.concatenate([p[1] for p in order_parts])
    day = np.concatenate([p[2] for p in order_parts])
    fraction = np.concatenate([p[3] for p in order_parts])
    is_first = np.concatenate([p[4] for p in order_parts])
    visit = np.concatenate([p[5] for p in order_parts])
    placed_at = timeline.instants(day, fraction)
    order = np.lexsort((customer, channel, placed_at))
    channel, customer, day, placed_at, is_first, visit = (
        a[order] for a in (channel, customer, day, placed_at, is_first, visit)
    )
    # First orders are the earliest of each customer by construction of the sort.
    customer_place = rng.choice(len(PLACES), size=n_customers, p=PLACE_WEIGHT)

    # Lines: how many per order, which variant (by the channel's daily shares), how many units.
    share = {c: choice_matrix(catalog, timeline, c) for c in range(4)}
    n_orders = len(channel)
    lines_per = np.empty(n_orders, dtype=np.int64)
    for c in range(4):
        chosen = channel == c
        lines_per[chosen] = 1 + rng.choice(4, size=int(chosen.sum()), p=LINES_PER_ORDER[c])
    line_order = np.repeat(np.arange(n_orders), lines_per)
    line_channel = channel[line_order]
    line_day = day[line_order]
    line_variant = np.empty(len(line_order), dtype=np.int64)
    for c in range(4):
        chosen = line_channel == c
        line_variant[chosen] = _draw_variants(rng, share[c], line_day[chosen])
    # A basket holds each variant once: drop repeated draws within an order.
    key = line_order * catalog.count + line_variant
    _, first_index = np.unique(key, return_index=True)
    keep = np.zeros(len(key), dtype=bool)
    keep[first_index] = True
    line_order, line_variant, line_channel = line_order[keep], line_variant[keep], line_channel[keep]
    quantity = 1 + rng.choice(3, size=len(line_order), p=[0.86, 0.11, 0.03])
    wholesale_line = line_channel == WHOLESALE
    quantity[wholesale_line] = 6 * rng.integers(1, 9, size=int(wholesale_line.sum()))
    location = np.where(line_channel == AMAZON, 1, 0)

    return Demand(
        channel=channel,
        customer=customer,
        day=day,
        placed_at=placed_at,
        is_first=is_first,
        visit=visit,
        place=customer_place[customer],
        line_order=line_order,
        line_variant=line_variant,
        line_quantity=quantity,
        line_location=location,
        customers=CustomerBook(
            channel=np.concatenate(channel_of),
            source=source_of,
            rate=np.concatenate(rate),
            dropout=np.concatenate(dropout),
            acquired_day=np.concatenate(acquired),
            place=customer_place,
            is_business=np.concatenate(channel_of) == WHOLESALE,
        ),
        share=share,
    )


def group_sum(values: np.ndarray, groups: np.ndarray, count: int) -> np.ndarray:
    """Return exact int64 sums of integer values per group (money never passes through a float)."""
    total = np.zeros(count, dtype=np.int64)
    np.add.at(total, groups, values.astype(np.int64))
    return total


@dataclass
class PricedOrders:
    """The money of every order that happened, in integer cents."""

    subtotal: np.ndarray
    discount: np.ndarray
    shipping: np.ndarray
    tax: np.ndarray
    total: np.ndarray
    code: list[str | None]
    line_unit_price: np.ndarray
    line_discount: np.ndarray
    line_tax: np.ndarray


def price_orders(
    ctx: DemoContext,
    timeline: Timeline,
    catalog: Catalog,
    channel: np.ndarray,
    day: np.ndarray,
    is_first: np.ndarray,
    visit: np.ndarray,
    place: np.ndarray,
    line_order: np.ndarray,
    line_variant: np.ndarray,
    line_quantity: np.ndarray,
) -> PricedOrders:
    """Price the orders that happened: list prices, discount codes, shipping and sales tax (cents)."""
    rng = ctx.rng("sales.pricing")
    n = len(channel)
    line_channel = channel[line_order]
    unit = catalog.price_cents[line_variant].copy()
    wholesale_line = line_channel == WHOLESALE
    unit[wholesale_line] = (unit[wholesale_line] * WHOLESALE_PRICE_SHARE).astype(np.int64)
    gross = unit * line_quantity
    subtotal = group_sum(gross, line_order, n)

    # Discount codes: most Shopify orders in a promotion window use its code; some first orders
    # from email sign-ups use the welcome code.
    running = timeline.active_code()
    percent = np.zeros(n, dtype=np.int64)
    code: list[str | None] = [None] * n
    uses_promo = rng.random(n) < 0.68
    welcome = (rng.random(n) < 0.35) & is_first & (visit == REPEAT_VISIT_SOURCES.index("email"))
    welcome |= (rng.random(n) < 0.06) & is_first
    shopify_orders = np.flatnonzero(channel == SHOPIFY).tolist()
    day_list = day.tolist()
    for i in shopify_orders:
        promotion = running[day_list[i]]
        if promotion is not None and uses_promo[i]:
            percent[i], code[i] = promotion.percent_off, promotion.code
        elif welcome[i]:
            percent[i], code[i] = 10, "WELCOME10"
    line_discount = (gross * percent[line_order] + 50) // 100
    discount = group_sum(line_discount, line_order, n)
    net = subtotal - discount

    shipping = np.zeros(n, dtype=np.int64)
    shipping[(channel == SHOPIFY) & (net < 7500)] = 695
    shipping[(channel == ETSY) & (net < 3500)] = 495
    wholesale = channel == WHOLESALE
    shipping[wholesale] = np.maximum(1500, (net[wholesale] * 4 + 99) // 100 // 100 * 100)

    # Sales tax on merchandise by ship-to state, rounded half up per line; resale is exempt.
    rate = TAX_BASIS_POINTS[place][line_order]
    rate[wholesale_line] = 0
    line_net = gross - line_discount
    line_tax = (line_net * rate + 5_000) // 10_000
    tax = group_sum(line_tax, line_order, n)
    total = subtotal - discount + shipping + tax
    return PricedOrders(subtotal, discount, shipping, tax, total, code, unit, line_discount, line_tax)
