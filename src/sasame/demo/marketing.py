"""Ads and email of the demo store: account structures, spend, attribution of orders, touchpoints.

The core generator has already decided *which* orders came through paid search, paid social,
email, organic search or direct traffic (``utm_source``/``utm_medium``). This step decides *which*
campaign and ad (or email) each of those orders came from, and what the platforms spent and
reported. The process runs backwards from the orders so the store's sales stay as generated:

* every ad has a latent true ROAS and a relative budget, with campaigns starting and stopping;
* each day, the paid orders of an order stream ("pool": Google, Meta, Amazon per category) are
  spread over the ads live that day with probability proportional to budget x true ROAS;
* each ad's spend that day is its budget share of the pool's (smoothed) revenue divided by the
  pool's budget-weighted ROAS, so an ad's expected attributed revenue / spend is its true ROAS.

So the attributed orders are consistent with spend, and true returns differ by ad. Platforms
then report conversions with their usual over-count (view-through, modelled conversions);
the true numbers are kept in the ground truth (kind ``ad_true_roas``, ``campaign_true_roas``,
``email_true_revenue``, ``marketing_attribution``).

Everything is vectorised: rows are proportional to orders (about two touchpoints per order)
because a 520k-order store must be generated in well under two minutes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, Connection, String, bindparam, case, func, select, type_coerce, update

from sasame.core.money import SCALE
from sasame.demo.context import DemoContext
from sasame.demo.pnl_truth import UNASSIGNED, truth_of
from sasame.demo.sales import CHANNELS
from sasame.ingest.bulk import table_of, write_rows
from sasame.models import (
    Ad,
    AdCampaign,
    AdSet,
    AdSpendDay,
    BusinessSetting,
    Channel,
    Customer,
    EmailCampaign,
    EmailPerformanceDay,
    MarketingTouchpoint,
    Order,
    OrderLine,
    Product,
    Variant,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROS_PER_DAY = 86_400 * 1_000_000
UNITS_PER_CENT = SCALE // 100

PAID_SOCIAL_SOURCES = ("facebook", "instagram")
AMAZON_AD_SHARE = 0.24
"""Share of Amazon orders whose buyer clicked a Sponsored Products ad first (ACoS-typical)."""

# How much each platform's own attribution over-counts the true ad-driven orders: view-through
# and modelled conversions on Meta, cross-device/modelled on Google, 14-day halo on Amazon.
PLATFORM_OVERCOUNT = {"google": 0.09, "meta": 0.28, "amazon_ads": 0.12}


# --------------------------------------------------------------------------------------------
# Account structures
# --------------------------------------------------------------------------------------------


@dataclass
class AdPlan:
    """One ad as generated: where it sits, when it runs, what it really returns."""

    platform: str
    pool: str
    campaign: str
    objective: str
    ad_set: str
    name: str
    creative: str
    true_roas: float
    """Latent revenue per unit of spend; the realised value is in the ground truth."""
    budget: float
    """Relative daily budget weight within its pool."""
    active: str
    """When the campaign runs: always, from:F, until:F, window:F-G, summer, bfcm, q4."""
    cost_per_click: float
    """Mean cost of a click in currency units."""
    click_through_rate: float
    keywords: tuple[str, ...] = ()
    fatigue: float = 0.0
    """Fraction of true ROAS lost per year the ad has been live (creative fatigue)."""
    campaign_external_id: str = ""
    ad_set_external_id: str = ""
    external_id: str = ""
    ad_id: int = 0
    campaign_key: str = ""
    ads_in_campaign: list[int] = field(default_factory=list)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _label(category: str) -> str:
    """Return a catalog category as people write it in campaign names ('home' -> 'Home')."""
    return category.title() if category.islower() else category


def _plans(brand: str, categories: Sequence[str], amazon_categories: Sequence[str]) -> list[AdPlan]:
    """Return the ads of the three ad accounts, named as real sellers name them."""
    top = [_label(c) for c in categories[:3]] or ["Bestsellers"]
    cat1 = top[0]
    cat2 = top[1] if len(top) > 1 else top[0]
    brand_terms = (brand.lower(), f"{brand.lower()} {cat1.lower()}", f"{brand.lower()} discount code")
    plans: list[AdPlan] = []

    def add(
        platform: str,
        pool: str,
        campaign: str,
        objective: str,
        active: str,
        ad_set: str,
        ads: Sequence[tuple[str, str, float, float]],
        cpc: float,
        ctr: float,
        keywords: tuple[str, ...] = (),
        fatigue: float = 0.0,
    ) -> None:
        for name, creative, roas, budget in ads:
            plans.append(
                AdPlan(
                    platform,
                    pool,
                    campaign,
                    objective,
                    ad_set,
                    name,
                    creative,
                    roas,
                    budget,
                    active,
                    cpc,
                    ctr,
                    keywords,
                    fatigue,
                )
            )

    # Google Ads: brand search is cheap and very profitable (it mostly catches buyers who would
    # have come anyway); non-brand search and shopping earn moderately; display and YouTube lose.
    add(
        "google",
        "google",
        "Brand | Search",
        "search",
        "always",
        "Brand - Exact",
        [
            ("RSA | Brand | Official Store", "Headline: Official Store - Free Shipping Over $75", 9.5, 0.07),
            ("RSA | Brand | Free Returns", "Headline: Free 30-Day Returns - Shop Now", 7.8, 0.05),
        ],
        0.55,
        0.14,
        brand_terms,
    )
    add(
        "google",
        "google",
        "Brand | Search",
        "search",
        "always",
        "Brand - Phrase",
        [
            ("RSA | Brand | Reviews", "Headline: 4.8 Stars From 2,000+ Reviews", 6.4, 0.03),
        ],
        0.70,
        0.10,
        brand_terms,
    )
    for category, roas_a, roas_b, budget in ((cat1, 2.9, 1.6, 0.10), (cat2, 2.2, 1.1, 0.07)):
        terms = tuple(
            t.format(c=category.lower())
            for t in ("{c}", "best {c}", "{c} for women", "organic {c}", "{c} sale", "buy {c} online")
        )
        add(
            "google",
            "google",
            f"Non-Brand | Search | {category}",
            "search",
            "from:0.15",
            f"{category} - Generic",
            [
                (
                    f"RSA | {category} | Benefits",
                    f"Headline: Soft, Durable {category} Made to Last",
                    roas_a,
                    budget,
                ),
                (
                    f"RSA | {category} | Price",
                    f"Headline: {category} From $29 - Free Shipping",
                    roas_b,
                    budget * 0.6,
                ),
            ],
            1.45,
            0.045,
            terms,
        )
    add(
        "google",
        "google",
        "PMax | All Products",
        "sales",
        "always",
        "Asset Group - All Products",
        [
            ("PMax | Bestsellers Feed", "Asset group: bestsellers, lifestyle images, 2 videos", 3.6, 0.18),
        ],
        0.80,
        0.012,
    )
    add(
        "google",
        "google",
        f"Shopping | {cat1} | High Margin",
        "sales",
        "until:0.55",
        f"{cat1} - All",
        [
            (f"Product Ads | {cat1}", "Shopping feed: custom_label_0 = high_margin", 2.6, 0.08),
        ],
        0.65,
        0.011,
    )
    add(
        "google",
        "google",
        "Display | Remarketing | 30d",
        "display",
        "window:0.2-0.75",
        "Site Visitors 30d",
        [
            ("Responsive Display | Come Back 10%", "Image: flat lay + 'Still thinking? 10% off'", 1.2, 0.04),
        ],
        0.45,
        0.004,
    )
    add(
        "google",
        "google",
        "YouTube | Prospecting | Brand Story",
        "awareness",
        "window:0.35-0.6",
        "In-Market Apparel",
        [
            ("Video | Brand Story 30s", "Video: founder story, 30 s", 0.45, 0.05),
        ],
        0.30,
        0.003,
    )

    # Meta: creatives differ a lot; UGC video wins, a static price ad loses money, the creative
    # sandbox has so little spend that nothing can be concluded from it.
    add(
        "meta",
        "meta",
        "Prospecting | Advantage+ | Evergreen",
        "sales",
        "always",
        "Advantage+ Shopping | Broad",
        [
            ("UGC Video | Try-On Haul | Sarah", "Video 9:16: customer try-on, 24 s", 3.4, 0.16),
            ("Carousel | Bestsellers", "Carousel: 5 bestsellers with prices", 2.1, 0.10),
            ("Static | Lifestyle Flat Lay", "Image 1:1: flat lay on linen", 1.3, 0.08),
            ("Static | 20% Off First Order", "Image 4:5: '20% off your first order'", 0.7, 0.06),
        ],
        1.10,
        0.011,
        fatigue=0.25,
    )
    add(
        "meta",
        "meta",
        "Prospecting | Interests | Summer",
        "sales",
        "summer",
        "Interests | Sustainable Fashion | 25-44",
        [
            ("Video | Summer Lookbook", "Video 4:5: summer lookbook, 15 s", 1.9, 0.09),
            ("Static | Beach Day", "Image 1:1: beach, linen shirt", 1.0, 0.05),
        ],
        1.25,
        0.010,
        fatigue=0.3,
    )
    add(
        "meta",
        "meta",
        "Retargeting | DPA | 7d",
        "sales",
        "always",
        "Viewed or Added to Cart 7d",
        [
            ("DPA | Catalog | Viewed Products", "Dynamic product ad: catalog 'All Products'", 5.6, 0.08),
            ("DPA | Catalog | Free Shipping Frame", "Dynamic product ad with free-shipping frame", 4.1, 0.04),
        ],
        0.85,
        0.016,
    )
    add(
        "meta",
        "meta",
        "BFCM | Sale | 30% Off",
        "sales",
        "bfcm",
        "Broad | Advantage+ Audience",
        [
            ("Video | Black Friday Countdown", "Video 9:16: countdown, 30% off sitewide", 4.3, 0.35),
            ("Static | Black Friday 30% Off", "Image 1:1: 'BLACK FRIDAY 30% OFF'", 2.7, 0.20),
        ],
        1.60,
        0.013,
    )
    add(
        "meta",
        "meta",
        "Testing | Creative Sandbox",
        "sales",
        "window:0.7-0.85",
        "Broad | US | 18-65+",
        [
            ("Test | Hook A | 'I was wrong about linen'", "Video 9:16: hook test A", 2.5, 0.006),
            ("Test | Hook B | Unboxing ASMR", "Video 9:16: hook test B", 1.2, 0.006),
            ("Test | Static | Testimonial Quote", "Image 1:1: review quote", 0.9, 0.005),
        ],
        1.20,
        0.009,
    )

    # Amazon Sponsored Products: one pool per advertised category plus a catch-all auto campaign.
    for raw_category in amazon_categories:
        pool = f"amazon:{raw_category}"
        category = _label(raw_category)
        family = _slug(category).upper()[:10] or "ALL"
        add(
            "amazon_ads",
            pool,
            f"SP - Auto - {category}",
            "sponsored_products",
            "always",
            f"{category} - Auto",
            [
                (f"SP | {category} | Auto Targeting", f"Product ads: {family} parent ASINs", 3.1, 0.10),
            ],
            0.95,
            0.0045,
        )
        add(
            "amazon_ads",
            pool,
            f"SP - Manual - Exact - {category}",
            "sponsored_products",
            "from:0.25",
            f"{category} - Exact",
            [
                (f"SP | {category} | Exact Top Keywords", f"Product ads: {family} bestsellers", 4.2, 0.06),
                (f"SP | {category} | Competitor ASINs", "Product targeting: competitor ASINs", 1.4, 0.04),
            ],
            1.20,
            0.005,
            keywords=tuple(f"{category.lower()} {w}" for w in ("women", "men", "set")),
        )
    add(
        "amazon_ads",
        "amazon:*",
        "SP - Auto - All Products",
        "sponsored_products",
        "always",
        "All Products - Auto",
        [
            ("SP | All Products | Auto Targeting", "Product ads: all active ASINs", 2.4, 0.10),
        ],
        0.90,
        0.004,
    )
    add(
        "amazon_ads",
        "amazon:*",
        "SP - Manual - Broad - Brand Defense",
        "sponsored_products",
        "from:0.4",
        "Brand Terms - Broad",
        [
            ("SP | Brand Defense | Broad", "Keyword targeting: brand terms", 6.0, 0.03),
        ],
        0.60,
        0.008,
        keywords=brand_terms,
    )
    return plans


def _external_ids(rng: np.random.Generator, count: int, digits: int, prefix: str = "") -> list[str]:
    """Return distinct numeric ids in increasing order, as ad platforms hand them out."""
    width = digits - len(prefix)
    base = int(rng.integers(10 ** (width - 1), 5 * 10 ** (width - 1)))
    steps = rng.integers(1_000, 900_000, size=count).cumsum()
    return [f"{prefix}{base + int(step)}" for step in steps]


def _assign_ids(plans: list[AdPlan], rng: np.random.Generator) -> None:
    digits = {"google": (11, 12, 12, ""), "meta": (18, 18, 18, "1202"), "amazon_ads": (15, 15, 15, "")}
    for platform, (campaign_digits, set_digits, ad_digits, prefix) in digits.items():
        mine = [p for p in plans if p.platform == platform]
        campaigns = list(dict.fromkeys(p.campaign for p in mine))
        sets = list(dict.fromkeys((p.campaign, p.ad_set) for p in mine))
        campaign_ids = dict(
            zip(campaigns, _external_ids(rng, len(campaigns), campaign_digits, prefix), strict=True)
        )
        set_ids = dict(zip(sets, _external_ids(rng, len(sets), set_digits, prefix), strict=True))
        ad_ids = _external_ids(rng, len(mine), ad_digits, prefix)
        for plan, ad_external in zip(mine, ad_ids, strict=True):
            plan.campaign_external_id = campaign_ids[plan.campaign]
            plan.ad_set_external_id = set_ids[(plan.campaign, plan.ad_set)]
            plan.external_id = ad_external
            plan.campaign_key = f"{platform}:{plan.campaign_external_id}"


def _active_mask(
    active: str, day_dates: Sequence[date], months: np.ndarray, month_days: np.ndarray
) -> np.ndarray:
    n = len(day_dates)
    position = np.arange(n) / max(n - 1, 1)
    if active == "always":
        return np.ones(n, dtype=bool)
    if active.startswith("from:"):
        return position >= float(active[5:])
    if active.startswith("until:"):
        return position < float(active[6:])
    if active.startswith("window:"):
        low, high = (float(x) for x in active[7:].split("-"))
        return (position >= low) & (position < high)
    if active == "summer":
        return ((months == 5) & (month_days >= 15)) | (months == 6) | (months == 7) | (months == 8)
    if active == "bfcm":
        return ((months == 11) & (month_days >= 10)) | ((months == 12) & (month_days <= 3))
    if active == "q4":
        return ((months == 10) & (month_days >= 15)) | (months == 11) | ((months == 12) & (month_days <= 22))
    raise ValueError(f"unknown activity rule {active!r}")


# --------------------------------------------------------------------------------------------
# Reading the store
# --------------------------------------------------------------------------------------------


@dataclass
class _Orders:
    """The columns of the store's orders this step needs, as aligned numpy arrays."""

    id: np.ndarray
    kind: np.ndarray
    day: np.ndarray
    """Index of the business day in [ctx.start, ctx.end)."""
    at_us: np.ndarray
    """ordered_at in microseconds since the epoch (UTC)."""
    customer_id: np.ndarray
    """0 where the order has no customer."""
    total_units: np.ndarray
    source: np.ndarray
    medium: np.ndarray
    referrer: np.ndarray


def _micros(instant: datetime) -> int:
    return (instant - EPOCH) // timedelta(microseconds=1)


def instant_text(column: Any, dialect: str) -> Any:
    """Select an instant as 'YYYY-MM-DD HH:MM:SS[.ffffff]' UTC text, which numpy parses at C speed.

    Going through the UTCDateTime type costs a Python call per row, which dominates on a
    520k-order store.
    """
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24:MI:SS.US")
    return type_coerce(column, String)


def parse_instants(texts: Sequence[str]) -> np.ndarray:
    """Return microseconds since the epoch for instant texts from instant_text."""
    return np.array(texts, dtype="datetime64[us]").astype(np.int64)


def _read_orders(connection: Connection, start: date, end: date, day_start_us: np.ndarray) -> _Orders:
    order, channel = table_of(Order), table_of(Channel)
    kinds = dict(connection.execute(select(channel.c.id, channel.c.kind)).all())
    dialect = connection.dialect.name
    rows = connection.execute(
        select(
            order.c.id,
            order.c.channel_id,
            instant_text(order.c.ordered_at, dialect),
            func.coalesce(order.c.customer_id, 0),
            type_coerce(order.c.total, BigInteger),
            func.coalesce(func.lower(order.c.utm_source), ""),
            func.coalesce(func.lower(order.c.utm_medium), ""),
            case((order.c.referrer.like("%google.%"), "google"), else_=""),
        )
        .where(order.c.order_date >= start, order.c.order_date < end)
        .order_by(order.c.id)
    ).all()
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        text = np.zeros(0, dtype=object)
        return _Orders(empty, text, empty, empty, empty, empty, text, text, text)
    ids, channels, ats, customers, totals, sources, mediums, referrers = zip(*rows, strict=True)
    at_us = parse_instants(ats)
    channel_ids = np.fromiter(channels, dtype=np.int64, count=len(rows))
    kind_of = np.array([kinds.get(i, "") for i in range(int(channel_ids.max()) + 1)], dtype=object)
    return _Orders(
        id=np.fromiter(ids, dtype=np.int64, count=len(rows)),
        kind=kind_of[channel_ids],
        # The business day from the instant and the store's day boundaries (DST-aware).
        day=np.searchsorted(day_start_us, at_us, side="right") - 1,
        at_us=at_us,
        customer_id=np.fromiter(customers, dtype=np.int64, count=len(rows)),
        total_units=np.fromiter(totals, dtype=np.int64, count=len(rows)),
        source=np.array(sources, dtype=object),
        medium=np.array(mediums, dtype=object),
        referrer=np.array(referrers, dtype=object),
    )


def _first_line_categories(connection: Connection, order_ids: np.ndarray) -> dict[int, str]:
    """Return the product category of each Amazon order's first line (for Amazon ad pools)."""
    if len(order_ids) == 0:
        return {}
    line, variant, product = table_of(OrderLine), table_of(Variant), table_of(Product)
    order, channel = table_of(Order), table_of(Channel)
    rows = connection.execute(
        select(line.c.order_id, product.c.category)
        .join(order, order.c.id == line.c.order_id)
        .join(channel, channel.c.id == order.c.channel_id)
        .join(variant, variant.c.id == line.c.variant_id)
        .join(product, product.c.id == variant.c.product_id)
        .where(channel.c.kind == "amazon")
        .order_by(line.c.id)
    ).all()
    wanted = set(order_ids.tolist())
    first: dict[int, str] = {}
    for order_id, category in rows:
        if order_id in wanted and order_id not in first:
            first[order_id] = category
    return first


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _smooth(values: np.ndarray, window: int = 7) -> np.ndarray:
    """Centered moving average along the last axis, so spend does not chase daily order noise."""
    kernel = np.ones(window) / window
    padded = np.pad(values, [(0, 0)] * (values.ndim - 1) + [(window // 2, window // 2)], mode="edge")
    if values.ndim == 1:
        return np.convolve(padded, kernel, mode="valid")
    return np.stack([np.convolve(row, kernel, mode="valid") for row in padded])


def _choose(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Pick one column per row with probability proportional to the row's weights."""
    cumulative = weights.cumsum(axis=1)
    totals = cumulative[:, -1:]
    draws = rng.random((len(weights), 1)) * totals
    return np.minimum((cumulative <= draws).sum(axis=1), weights.shape[1] - 1)


def _money_text(units: int | np.integer) -> str:
    return str((Decimal(int(units)) / SCALE).quantize(Decimal("0.01")))


def _insert_returning_ids(connection: Connection, target: type, rows: list[dict[str, Any]]) -> list[int]:
    table = table_of(target)
    return [connection.execute(table.insert().returning(table.c.id), row).scalar_one() for row in rows]


# --------------------------------------------------------------------------------------------
# The step
# --------------------------------------------------------------------------------------------


def generate_marketing(ctx: DemoContext) -> None:
    """Create the ad accounts, email program and touchpoints, and attribute the orders to them."""
    rng = ctx.rng("marketing")
    connection = ctx.connection
    n_days = (ctx.end - ctx.start).days
    day_dates = [ctx.start + timedelta(days=i) for i in range(n_days)]
    months = np.array([d.month for d in day_dates])
    month_days = np.array([d.day for d in day_dates])
    day_start_us = np.array(
        [_micros(datetime.combine(d, time(0), tzinfo=ctx.timezone).astimezone(UTC)) for d in day_dates]
        + [_micros(datetime.combine(ctx.end, time(0), tzinfo=ctx.timezone).astimezone(UTC))],
        dtype=np.int64,
    )

    brand = connection.execute(select(BusinessSetting.__table__.c.name)).scalar() or "Our Store"
    product = Product.__table__
    categories = [
        c
        for c, _ in connection.execute(
            select(product.c.category, func.count())
            .group_by(product.c.category)
            .order_by(func.count().desc(), product.c.category)
        ).all()
    ]
    orders = _read_orders(connection, ctx.start, ctx.end, day_start_us)
    in_range = (orders.day >= 0) & (orders.day < n_days)

    # Amazon orders: a share came through a Sponsored Products click, pooled by category.
    amazon = np.flatnonzero((orders.kind == "amazon") & in_range)
    amazon_ad = amazon[rng.random(len(amazon)) < AMAZON_AD_SHARE]
    first_category = _first_line_categories(connection, orders.id[amazon_ad])
    amazon_categories = categories[:3]
    amazon_pool = np.array(
        [
            f"amazon:{c}" if (c := first_category.get(int(i))) in amazon_categories else "amazon:*"
            for i in orders.id[amazon_ad]
        ],
        dtype=object,
    )

    # Campaigns whose season never falls inside the history (a short store) are not created.
    # An Amazon pool without orders (every category has its own campaign) gets no campaign.
    amazon_pools = set(amazon_pool.tolist())
    plans = [
        p
        for p in _plans(brand, categories, amazon_categories)
        if _active_mask(p.active, day_dates, months, month_days).any()
        and (p.platform != "amazon_ads" or p.pool in amazon_pools)
    ]
    _assign_ids(plans, rng)
    _write_accounts(connection, plans)

    is_shopify = (orders.kind == "shopify") & in_range
    pools: dict[str, np.ndarray] = {
        "google": np.flatnonzero(is_shopify & (orders.source == "google") & (orders.medium == "cpc")),
        "meta": np.flatnonzero(is_shopify & np.isin(orders.source, PAID_SOCIAL_SOURCES)),
    }
    for pool in dict.fromkeys(p.pool for p in plans if p.platform == "amazon_ads"):
        pools[pool] = amazon_ad[amazon_pool == pool]

    ad_of_order = np.full(len(orders.id), -1, dtype=np.int64)
    spend_cents = np.zeros((len(plans), n_days), dtype=np.int64)
    latent = np.zeros((len(plans), n_days))
    for pool, members in pools.items():
        index = [i for i, p in enumerate(plans) if p.pool == pool]
        budget = np.zeros((len(index), n_days))
        for row, plan_index in enumerate(index):
            plan = plans[plan_index]
            mask = _active_mask(plan.active, day_dates, months, month_days)
            # Daily true ROAS: competition lowers it in Nov-Dec (CPMs rise), creatives fatigue
            # with age, and the day-to-day auction adds noise.
            age_years = np.maximum(np.cumsum(mask) - 1, 0) / 365.0
            q4 = np.where((months == 11) | (months == 12), 0.82, 1.0)
            noise = rng.lognormal(0.0, 0.18, n_days)
            latent[plan_index] = plan.true_roas * q4 * np.maximum(1 - plan.fatigue * age_years, 0.4) * noise
            budget[row] = plan.budget * mask * rng.lognormal(0.0, 0.1, n_days)
        weight = budget * latent[index]
        revenue = np.bincount(
            orders.day[members], weights=orders.total_units[members].astype(float), minlength=n_days
        )
        if len(members):
            order_weights = weight[:, orders.day[members]].T
            # A day with orders but nothing live cannot happen for 'always' campaigns; guard anyway.
            order_weights[order_weights.sum(axis=1) == 0] = 1.0
            chosen = _choose(order_weights, rng)
            ad_of_order[members] = np.array(index)[chosen]
        pool_weight = weight.sum(axis=0)
        safe = np.where(pool_weight > 0, pool_weight, 1.0)
        spend = budget * (_smooth(revenue) / safe)[None, :] / UNITS_PER_CENT
        spend_cents[index] = np.rint(spend).astype(np.int64)

    paid = np.flatnonzero(ad_of_order >= 0)
    _write_utm(connection, orders, paid, ad_of_order, plans, rng)
    metrics = _write_spend(ctx, plans, orders, paid, ad_of_order, spend_cents, rng)
    email = _email_program(ctx, orders, in_range, day_dates, day_start_us, rng)
    _write_touchpoints(ctx, orders, in_range, paid, ad_of_order, plans, email, metrics, day_start_us, rng)
    _truth_ads(ctx, plans, metrics)


def _write_accounts(connection: Connection, plans: list[AdPlan]) -> None:
    campaign_ids: dict[str, int] = {}
    set_ids: dict[tuple[str, str], int] = {}
    for plan in plans:
        if plan.campaign_key not in campaign_ids:
            campaign_ids[plan.campaign_key] = _insert_returning_ids(
                connection,
                AdCampaign,
                [
                    {
                        "platform": plan.platform,
                        "external_id": plan.campaign_external_id,
                        "name": plan.campaign,
                        "objective": plan.objective,
                    }
                ],
            )[0]
        set_key = (plan.campaign_key, plan.ad_set_external_id)
        if set_key not in set_ids:
            set_ids[set_key] = _insert_returning_ids(
                connection,
                AdSet,
                [
                    {
                        "campaign_id": campaign_ids[plan.campaign_key],
                        "external_id": plan.ad_set_external_id,
                        "name": plan.ad_set,
                    }
                ],
            )[0]
        plan.ad_id = _insert_returning_ids(
            connection,
            Ad,
            [
                {
                    "ad_set_id": set_ids[set_key],
                    "external_id": plan.external_id,
                    "name": plan.name,
                    "creative": plan.creative,
                }
            ],
        )[0]


def _write_utm(
    connection: Connection,
    orders: _Orders,
    paid: np.ndarray,
    ad_of_order: np.ndarray,
    plans: list[AdPlan],
    rng: np.random.Generator,
) -> None:
    """Fill utm_campaign/utm_content (and utm_term for search) of the paid Shopify orders."""
    order = table_of(Order)
    keyword_draw = rng.random(len(paid))
    rows = []
    for position, order_index in enumerate(paid):
        if orders.kind[order_index] != "shopify":
            continue  # Amazon ad orders carry no UTM: the touchpoint records the click.
        plan = plans[ad_of_order[order_index]]
        term = None
        if plan.objective == "search" and plan.keywords:
            term = plan.keywords[int(keyword_draw[position] * len(plan.keywords))]
        rows.append(
            {
                "b_id": int(orders.id[order_index]),
                "b_campaign": plan.campaign,
                "b_content": plan.external_id,
                "b_term": term,
            }
        )
    statement = (
        update(order)
        .where(order.c.id == bindparam("b_id"))
        .values(
            utm_campaign=bindparam("b_campaign"),
            utm_content=bindparam("b_content"),
            utm_term=bindparam("b_term"),
        )
    )
    for offset in range(0, len(rows), 20_000):
        connection.execute(statement, rows[offset : offset + 20_000])


@dataclass
class _AdMetrics:
    spend_cents: np.ndarray
    true_conversions: np.ndarray
    true_value_units: np.ndarray
    reported_conversions: np.ndarray
    reported_value_units: np.ndarray
    impressions: np.ndarray
    average_order_units: int


def _write_spend(
    ctx: DemoContext,
    plans: list[AdPlan],
    orders: _Orders,
    paid: np.ndarray,
    ad_of_order: np.ndarray,
    spend_cents: np.ndarray,
    rng: np.random.Generator,
) -> _AdMetrics:
    """Write ad_spend_day from spend and the attributed orders, with platform over-counting."""
    n_ads, n_days = spend_cents.shape
    flat = ad_of_order[paid] * n_days + orders.day[paid]
    true_conversions = np.bincount(flat, minlength=n_ads * n_days).reshape(n_ads, n_days)
    true_value = (
        np.bincount(flat, weights=orders.total_units[paid].astype(float), minlength=n_ads * n_days)
        .reshape(n_ads, n_days)
        .astype(np.int64)
    )
    average_value = int(orders.total_units[paid].mean()) if len(paid) else 60 * SCALE

    cpc = np.array([p.cost_per_click for p in plans])[:, None] * rng.lognormal(0, 0.15, (n_ads, n_days))
    clicks = rng.poisson(spend_cents / 100.0 / cpc)
    clicks = np.maximum(clicks, true_conversions + rng.poisson(true_conversions * 2.0))
    ctr = np.array([p.click_through_rate for p in plans])[:, None] * rng.lognormal(0, 0.12, (n_ads, n_days))
    impressions = np.maximum(np.rint(clicks / ctr).astype(np.int64), clicks)
    overcount = np.array([PLATFORM_OVERCOUNT[p.platform] for p in plans])[:, None]
    # Platforms also claim some conversions on days the true attribution had none (view-through).
    extra = rng.poisson(overcount * (true_conversions + 0.05 * (spend_cents > 0)))
    reported_conversions = true_conversions + extra
    extra_value = np.rint(extra * average_value * rng.lognormal(0, 0.3, (n_ads, n_days))).astype(np.int64)
    reported_value = true_value + extra_value

    ad_index, day = np.nonzero((spend_cents > 0) | (true_conversions > 0))
    amazon_ads = np.array([p.platform == "amazon_ads" for p in plans], dtype=bool)
    truth_of(ctx, n_days).add(
        "advertising",
        np.where(amazon_ads[ad_index], CHANNELS.index("amazon"), UNASSIGNED),
        day,
        -spend_cents[ad_index, day],
    )
    write_rows(
        ctx.connection,
        AdSpendDay,
        {
            "ad_id": np.array([p.ad_id for p in plans], dtype=np.int64)[ad_index],
            "spend_date": np.datetime64(ctx.start, "D") + day,
            "spend": spend_cents[ad_index, day] * UNITS_PER_CENT,
            "currency": np.full(len(day), ctx.currency, dtype=object),
            "impressions": impressions[ad_index, day],
            "clicks": clicks[ad_index, day],
            "conversions": reported_conversions[ad_index, day],
            "conversion_value": reported_value[ad_index, day],
        },
    )
    return _AdMetrics(
        spend_cents,
        true_conversions,
        true_value,
        reported_conversions,
        reported_value,
        impressions,
        average_value,
    )


def _truth_ads(ctx: DemoContext, plans: list[AdPlan], metrics: _AdMetrics) -> None:
    """Record each ad's and campaign's true economics next to what its platform reported."""
    campaigns: dict[str, dict[str, Any]] = {}
    for index, plan in enumerate(plans):
        spend = int(metrics.spend_cents[index].sum()) * UNITS_PER_CENT
        conversions = int(metrics.true_conversions[index].sum())
        value = int(metrics.true_value_units[index].sum())
        reported = int(metrics.reported_conversions[index].sum())
        reported_value = int(metrics.reported_value_units[index].sum())
        ctx.truth.append(
            (
                "ad_true_roas",
                f"{plan.platform}:{plan.external_id}",
                {
                    "platform": plan.platform,
                    "campaign": plan.campaign,
                    "ad_set": plan.ad_set,
                    "ad": plan.name,
                    "ad_external_id": plan.external_id,
                    "latent_roas": plan.true_roas,
                    "spend": _money_text(spend),
                    "true_conversions": conversions,
                    "true_revenue": _money_text(value),
                    "true_roas": round(value / spend, 3) if spend else None,
                    "reported_conversions": reported,
                    "reported_revenue": _money_text(reported_value),
                    # An ad can be judged once it has enough orders, or has spent what ~15 orders would
                    # have earned at break-even without getting them.
                    "enough_data": conversions >= 30 or spend >= 15 * metrics.average_order_units,
                },
            )
        )
        total = campaigns.setdefault(
            plan.campaign_key,
            {
                "platform": plan.platform,
                "campaign": plan.campaign,
                "spend_units": 0,
                "true_conversions": 0,
                "true_revenue_units": 0,
                "reported_conversions": 0,
                "reported_revenue_units": 0,
                "active": plan.active,
            },
        )
        total["spend_units"] += spend
        total["true_conversions"] += conversions
        total["true_revenue_units"] += value
        total["reported_conversions"] += reported
        total["reported_revenue_units"] += reported_value
    for key, total in campaigns.items():
        spend, value = total.pop("spend_units"), total.pop("true_revenue_units")
        reported_value = total.pop("reported_revenue_units")
        total.update(
            spend=_money_text(spend),
            true_revenue=_money_text(value),
            reported_revenue=_money_text(reported_value),
            true_roas=round(value / spend, 3) if spend else None,
        )
        ctx.truth.append(("campaign_true_roas", key, total))


# --------------------------------------------------------------------------------------------
# Email
# --------------------------------------------------------------------------------------------

FLOWS = {
    "welcome": ("Welcome Series", ("Our Story", "Meet The Bestsellers", "Your 10% Code Expires Soon")),
    "abandoned_cart": (
        "Abandoned Cart",
        ("You Left Something Behind", "Still Thinking It Over?", "10% Off To Help You Decide"),
    ),
    "post_purchase": ("Post-Purchase", ("Thank You For Your Order", "How Did It Fit?", "Complete The Look")),
}
FLOW_STEP_SHARE = np.array([0.55, 0.30, 0.15])
"""Later messages of a flow reach fewer people and earn less."""
FLOW_OPEN_RATE = {"welcome": 0.52, "abandoned_cart": 0.46, "post_purchase": 0.55}
FLOW_CLICK_RATE = {"welcome": 0.055, "abandoned_cart": 0.07, "post_purchase": 0.035}
CAMPAIGN_DAY_SHARE = np.array([0.64, 0.19, 0.08, 0.05, 0.03, 0.01])
"""How a campaign's opens spread over the send day and the five days after."""
CAMPAIGN_WINDOW_DAYS = 5
"""Klaviyo's default attribution window after a click or open."""

THEMES = {
    1: ("New Year, New Basics", "Winter Sale - Up To 40% Off", "Last Call: Winter Sale"),
    2: ("Valentine's Gift Guide", "Cosy Layers Are Back", "Meet The Makers"),
    3: ("The Spring Edit", "New Arrivals: Spring Colours", "How To Wash Linen"),
    4: ("Earth Month: Our Fabrics", "Spring Restock Is Here", "Customer Favourites"),
    5: ("Mother's Day Gift Guide", "Summer Preview", "Back In Stock"),
    6: ("Summer Sale Starts Now", "Vacation Packing List", "Summer Sale - Final Days"),
    7: ("Mid-Season Sale", "Behind The Seams", "New Colours Just Dropped"),
    8: ("Back To Routine", "End Of Summer Sale", "Sneak Peek: Autumn"),
    9: ("The Autumn Edit", "Layering 101", "New Arrivals: Autumn"),
    10: ("Cosy Season", "Early Access: Black Friday List", "Halloween Flash Sale"),
    11: ("Black Friday Early Access", "Black Friday - 30% Off Sitewide", "Cyber Monday - Last Chance"),
    12: ("Holiday Gift Guide", "Last Shipping Day For Christmas", "Gift Cards - Instant Delivery"),
}


@dataclass
class _EmailProgram:
    """The email campaigns and flow messages and the orders attributed to each."""

    ids: list[int]
    names: list[str]
    kinds: list[str]
    flows: list[str | None]
    sent_us: np.ndarray
    """Send instant of campaigns; -1 for flow messages."""
    order_index: np.ndarray
    """Indices of email-attributed orders."""
    email_of_order: np.ndarray
    """Email (index into ids) of each attributed order."""
    opens: np.ndarray
    """Total opens per email, for sampling non-converting opens."""


def _email_program(
    ctx: DemoContext,
    orders: _Orders,
    in_range: np.ndarray,
    day_dates: list[date],
    day_start_us: np.ndarray,
    rng: np.random.Generator,
) -> _EmailProgram:
    """Create Klaviyo flows and weekly campaigns and attribute the klaviyo-tagged orders to them."""
    connection = ctx.connection
    n_days = len(day_dates)
    customer = table_of(Customer)
    first_seen = (
        connection.execute(
            select(instant_text(customer.c.first_seen_at, connection.dialect.name)).where(
                customer.c.accepts_marketing.is_(True)
            )
        )
        .scalars()
        .all()
    )
    subscriber_since = np.sort(parse_instants(first_seen))

    # Weekly campaigns on Tuesdays at 10:00 (a Thursday send every other week), more around BFCM.
    sends: list[tuple[datetime, str]] = []
    for day in day_dates:
        weekday, week = day.weekday(), day.isocalendar()[1]
        is_bfcm = (day.month == 11 and day.day >= 20) or (day.month == 12 and day.day <= 2)
        if weekday == 1 or (weekday == 3 and week % 2 == 0) or (is_bfcm and weekday in (4, 0)):
            themes = THEMES[day.month]
            theme = themes[(week + weekday) % len(themes)]
            send_at = datetime.combine(day, time(10 if weekday != 4 else 7), tzinfo=ctx.timezone)
            sends.append((send_at.astimezone(UTC), f"{theme} | {day.isoformat()}"))
    n_campaigns = len(sends)
    campaign_sent_us = np.array([_micros(s) for s, _ in sends], dtype=np.int64)
    campaign_appeal = rng.lognormal(0.0, 0.45, n_campaigns)
    for i, (_, name) in enumerate(sends):
        if "Black Friday" in name or "Cyber Monday" in name:
            campaign_appeal[i] *= 3.0
    list_size = np.searchsorted(subscriber_since, campaign_sent_us)
    # Non-buying subscribers (pop-up sign-ups) roughly double the list; sends go to an engaged
    # segment of 55-95 % of it.
    recipients = np.rint((list_size * 2.1 + 40) * rng.uniform(0.55, 0.95, n_campaigns)).astype(np.int64)

    external = _external_ids(rng, n_campaigns, 6, "")
    rows: list[dict[str, Any]] = []
    names: list[str] = []
    kinds: list[str] = []
    flows: list[str | None] = []
    for flow, (flow_title, messages) in FLOWS.items():
        flow_id = "".join(chr(65 + int(x)) for x in rng.integers(0, 26, 6))
        for step, message in enumerate(messages):
            name = f"{flow_title} - Email {step + 1}: {message}"
            rows.append(
                {
                    "platform": "klaviyo",
                    "external_id": f"{flow_id}-{step + 1}",
                    "kind": "flow",
                    "name": name,
                    "flow_name": flow,
                    "sent_at": None,
                }
            )
            names.append(name)
            kinds.append("flow")
            flows.append(flow)
    n_flow = len(rows)
    for (sent, name), ext in zip(sends, external, strict=True):
        rows.append(
            {
                "platform": "klaviyo",
                "external_id": f"01H{ext}",
                "kind": "campaign",
                "name": name,
                "flow_name": None,
                "sent_at": sent,
            }
        )
        names.append(name)
        kinds.append("campaign")
        flows.append(None)
    ids = _insert_returning_ids(connection, EmailCampaign, rows)

    # Attribute each klaviyo order: recent campaigns pull in proportion to their reach and appeal,
    # decaying over the days after the send; flows take the rest.
    members = np.flatnonzero((orders.kind == "shopify") & in_range & (orders.source == "klaviyo"))
    at = orders.at_us[members]
    latest = np.searchsorted(campaign_sent_us, at, side="right") - 1
    lookback = 6
    candidate = latest[:, None] - np.arange(lookback)[None, :]
    valid = candidate >= 0
    safe = np.where(valid, candidate, 0)
    age_days = (at[:, None] - campaign_sent_us[safe]) / MICROS_PER_DAY
    valid &= age_days < CAMPAIGN_WINDOW_DAYS
    reach = recipients[safe] / np.maximum(recipients.mean() if n_campaigns else 1, 1)
    campaign_weight = np.where(valid, campaign_appeal[safe] * reach * np.exp(-age_days / 1.2), 0.0)
    flow_weight = np.full((len(members), 1), 0.9)
    chosen = _choose(np.hstack([flow_weight, campaign_weight]), rng)
    email_of_order = np.empty(len(members), dtype=np.int64)
    is_campaign = chosen > 0
    email_of_order[is_campaign] = n_flow + safe[is_campaign, chosen[is_campaign] - 1]

    # Flow orders: new customers come through welcome or abandoned cart, repeat buyers through
    # abandoned cart or post-purchase cross-sell.
    first_order_at = _first_order_at(orders)
    flow_members = np.flatnonzero(~is_campaign)
    customer_ids = orders.customer_id[members[flow_members]]
    is_first = (customer_ids > 0) & (first_order_at[customer_ids] >= at[flow_members])
    draw = rng.random(len(flow_members))
    flow_index = np.where(is_first, np.where(draw < 0.55, 0, 1), np.where(draw < 0.4, 1, 2))
    flow_step = _choose(np.tile(FLOW_STEP_SHARE, (len(flow_members), 1)), rng)
    email_of_order[flow_members] = flow_index * 3 + flow_step

    _write_email_utm(connection, orders.id[members], [names[e] for e in email_of_order])
    opens = _write_email_performance(
        ctx,
        ids,
        orders,
        members,
        email_of_order,
        n_flow,
        campaign_sent_us,
        recipients,
        flows,
        day_start_us,
        n_days,
        rng,
    )
    for index, name in enumerate(names):
        mine = members[email_of_order == index]
        ctx.truth.append(
            (
                "email_true_revenue",
                f"klaviyo:{rows[index]['external_id']}",
                {
                    "name": name,
                    "kind": kinds[index],
                    "flow_name": flows[index],
                    "attributed_orders": len(mine),
                    "attributed_revenue": _money_text(int(orders.total_units[mine].sum())),
                },
            )
        )
    return _EmailProgram(
        ids,
        names,
        kinds,
        flows,
        np.concatenate([np.full(n_flow, -1, dtype=np.int64), campaign_sent_us]),
        members,
        email_of_order,
        opens,
    )


def _write_email_utm(connection: Connection, order_ids: np.ndarray, names: list[str]) -> None:
    """Set utm_campaign of the klaviyo orders to the campaign or flow message that brought them."""
    order = table_of(Order)
    statement = update(order).where(order.c.id == bindparam("b_id")).values(utm_campaign=bindparam("b_name"))
    rows = [{"b_id": int(i), "b_name": name} for i, name in zip(order_ids, names, strict=True)]
    for offset in range(0, len(rows), 20_000):
        connection.execute(statement, rows[offset : offset + 20_000])


def _first_order_at(orders: _Orders) -> np.ndarray:
    """Return, indexed by customer id, the instant (micros) of the customer's first order."""
    size = int(orders.customer_id.max()) + 1 if len(orders.customer_id) else 1
    first = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
    known = orders.customer_id > 0
    np.minimum.at(first, orders.customer_id[known], orders.at_us[known])
    return first


def _write_email_performance(
    ctx: DemoContext,
    ids: list[int],
    orders: _Orders,
    members: np.ndarray,
    email_of_order: np.ndarray,
    n_flow: int,
    campaign_sent_us: np.ndarray,
    recipients: np.ndarray,
    flows: list[str | None],
    day_start_us: np.ndarray,
    n_days: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Write email_performance_day; conversions and revenue equal the attributed orders exactly."""
    n_emails = n_flow + len(campaign_sent_us)
    flat = email_of_order * n_days + orders.day[members]
    conversions = np.bincount(flat, minlength=n_emails * n_days).reshape(n_emails, n_days)
    revenue = (
        np.bincount(flat, weights=orders.total_units[members].astype(float), minlength=n_emails * n_days)
        .reshape(n_emails, n_days)
        .astype(np.int64)
    )

    sent = np.zeros((n_emails, n_days), dtype=np.int64)
    open_rate = np.zeros((n_emails, n_days))
    click_rate = np.zeros((n_emails, n_days))
    # Flows trigger every day with store traffic: sign-ups, carts left, orders placed.
    shopify = (orders.kind == "shopify") & (orders.day >= 0) & (orders.day < n_days)
    daily_orders = _smooth(np.bincount(orders.day[shopify], minlength=n_days).astype(float))
    trigger_base = {"welcome": 0.9, "abandoned_cart": 2.4, "post_purchase": 0.95}
    for index in range(n_flow):
        flow = flows[index]
        assert flow is not None
        step = index % 3
        sent[index] = rng.poisson(daily_orders * trigger_base[flow] * (1.0, 0.78, 0.62)[step])
        open_rate[index] = FLOW_OPEN_RATE[flow] * (1.0, 0.9, 0.85)[step]
        click_rate[index] = FLOW_CLICK_RATE[flow] * (1.0, 0.8, 0.7)[step]
    # Campaigns are sent on one day; opens and clicks trail over the following days.
    send_day = np.searchsorted(day_start_us, campaign_sent_us, side="right") - 1
    campaign_opens = np.zeros((n_emails, n_days))
    campaign_clicks = np.zeros((n_emails, n_days))
    for offset, share in enumerate(CAMPAIGN_DAY_SHARE):
        day = send_day + offset
        ok = day < n_days
        rows = n_flow + np.flatnonzero(ok)
        campaign_opens[rows, day[ok]] = recipients[ok] * 0.38 * share
        campaign_clicks[rows, day[ok]] = recipients[ok] * 0.016 * share
    rows_c = n_flow + np.arange(len(campaign_sent_us))
    sent[rows_c, send_day] = recipients

    delivered = rng.binomial(sent, 0.986)
    open_noise = rng.lognormal(0, 0.08, open_rate.shape)
    click_noise = rng.lognormal(0, 0.15, click_rate.shape)
    flow_opens = rng.binomial(delivered, np.clip(open_rate * open_noise, 0, 1))
    flow_clicks = rng.binomial(delivered, np.clip(click_rate * click_noise, 0, 1))
    opens = np.where(np.arange(n_emails)[:, None] < n_flow, flow_opens, rng.poisson(campaign_opens))
    clicks = np.where(np.arange(n_emails)[:, None] < n_flow, flow_clicks, rng.poisson(campaign_clicks))
    clicks = np.maximum(clicks, conversions)
    opens = np.maximum(opens, clicks)
    # A conversion needs a delivered email: if orders exist on a quiet flow day, the triggers
    # (and deliveries) were at least that many times higher.
    delivered = np.maximum(delivered, opens)
    sent = np.maximum(sent, delivered)
    unsubscribes = rng.binomial(delivered, 0.0025)

    email, day = np.nonzero((sent > 0) | (opens > 0) | (conversions > 0))
    write_rows(
        ctx.connection,
        EmailPerformanceDay,
        {
            "email_campaign_id": np.array(ids, dtype=np.int64)[email],
            "performance_date": np.datetime64(ctx.start, "D") + day,
            "recipients": sent[email, day],
            "delivered": delivered[email, day],
            "opens": opens[email, day],
            "clicks": clicks[email, day],
            "unsubscribes": unsubscribes[email, day],
            "conversions": conversions[email, day],
            "revenue": revenue[email, day],
            "currency": np.full(len(day), ctx.currency, dtype=object),
        },
    )
    return opens.sum(axis=1)


# --------------------------------------------------------------------------------------------
# Touchpoints
# --------------------------------------------------------------------------------------------


def _write_touchpoints(
    ctx: DemoContext,
    orders: _Orders,
    in_range: np.ndarray,
    paid: np.ndarray,
    ad_of_order: np.ndarray,
    plans: list[AdPlan],
    email: _EmailProgram,
    metrics: _AdMetrics,
    day_start_us: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Write the converting touch before each attributed order and non-converting touches."""
    minute = 60_000_000
    parts: list[dict[str, np.ndarray]] = []
    n_days = len(day_start_us) - 1

    def part(
        kind: str,
        source: np.ndarray | str,
        medium: np.ndarray | str | None,
        campaign: np.ndarray | None,
        at_us: np.ndarray,
        customer: np.ndarray,
        order_id: np.ndarray | None,
        ad_id: np.ndarray | None,
        email_id: np.ndarray | None,
    ) -> None:
        n = len(at_us)
        if n == 0:
            return

        def text(value: np.ndarray | str | None) -> np.ndarray:
            if isinstance(value, np.ndarray):
                return value.astype(object)
            return np.full(n, value, dtype=object)

        def ids(value: np.ndarray | None) -> np.ndarray:
            return np.zeros(n, dtype=np.int64) if value is None else value.astype(np.int64)

        parts.append(
            {
                "kind": text(kind),
                "source": text(source),
                "medium": text(medium),
                "campaign": text(campaign),
                "at": at_us,
                "customer": ids(customer),
                "order": ids(order_id),
                "ad": ids(ad_id),
                "email": ids(email_id),
            }
        )

    plan_ad_id = np.array([p.ad_id for p in plans], dtype=np.int64)
    plan_campaign = np.array([p.campaign for p in plans], dtype=object)
    plan_source = np.array(
        ["amazon" if p.platform == "amazon_ads" else p.platform for p in plans], dtype=object
    )

    # Ad clicks minutes before the order; for Shopify the source is the order's own utm_source.
    ads = ad_of_order[paid]
    lag = np.rint(rng.lognormal(np.log(18), 0.9, len(paid)) * minute).astype(np.int64) + minute
    source = np.where(orders.kind[paid] == "shopify", orders.source[paid], plan_source[ads])
    medium = np.where(orders.kind[paid] == "shopify", orders.medium[paid], "cpc")
    part(
        "ad_click",
        source,
        medium,
        plan_campaign[ads],
        orders.at_us[paid] - lag,
        _nullable(orders.customer_id[paid]),
        orders.id[paid],
        plan_ad_id[ads],
        None,
    )
    # A quarter of ad buyers had seen an ad of the same campaign in the days before.
    saw = paid[rng.random(len(paid)) < 0.25]
    lag = np.rint(rng.uniform(0.1, 6.0, len(saw)) * MICROS_PER_DAY).astype(np.int64)
    part(
        "ad_view",
        np.where(orders.kind[saw] == "shopify", orders.source[saw], plan_source[ad_of_order[saw]]),
        np.where(orders.kind[saw] == "shopify", orders.medium[saw], "cpc"),
        plan_campaign[ad_of_order[saw]],
        orders.at_us[saw] - lag,
        _nullable(orders.customer_id[saw]),
        orders.id[saw],
        plan_ad_id[ad_of_order[saw]],
        None,
    )

    # Email clicks before email-attributed orders.
    members = email.order_index
    lag = np.rint(rng.lognormal(np.log(12), 1.0, len(members)) * minute).astype(np.int64) + minute
    campaign_sent = email.sent_us[email.email_of_order]
    click_at = orders.at_us[members] - lag
    click_at = np.where(campaign_sent >= 0, np.maximum(click_at, campaign_sent + minute), click_at)
    click_at = np.minimum(click_at, orders.at_us[members] - minute)
    email_ids = np.array(email.ids, dtype=np.int64)
    email_names = np.array(email.names, dtype=object)
    part(
        "email_click",
        "klaviyo",
        "email",
        email_names[email.email_of_order],
        click_at,
        _nullable(orders.customer_id[members]),
        orders.id[members],
        None,
        email_ids[email.email_of_order],
    )

    # Organic search visits that converted.
    organic = np.flatnonzero(
        in_range & (orders.kind == "shopify") & (orders.source == "") & (orders.referrer == "google")
    )
    lag = np.rint(rng.lognormal(np.log(9), 0.8, len(organic)) * minute).astype(np.int64) + minute
    part(
        "organic_visit",
        "google",
        "organic",
        None,
        orders.at_us[organic] - lag,
        _nullable(orders.customer_id[organic]),
        orders.id[organic],
        None,
        None,
    )

    # Non-converting touches, proportional to orders: opens of emails by subscribers, ad views,
    # organic visits by past buyers.
    customers = orders.customer_id[in_range & (orders.customer_id > 0)]
    customer_at = orders.at_us[in_range & (orders.customer_id > 0)]
    n_orders = int(in_range.sum())
    if len(customers):
        order_by_time = np.argsort(customer_at, kind="stable")
        customers, customer_at = customers[order_by_time], customer_at[order_by_time]

        def known_customer(at_us: np.ndarray) -> np.ndarray:
            """Pick customers who had bought before the touch (so the customer id is known)."""
            known = np.searchsorted(customer_at, at_us)
            pick = (rng.random(len(at_us)) * np.maximum(known, 1)).astype(np.int64)
            return np.where(known > 0, customers[np.minimum(pick, len(customers) - 1)], 0)

        opens_weight = email.opens.astype(float)
        if opens_weight.sum() > 0:
            n = int(0.22 * n_orders)
            which = rng.choice(len(opens_weight), size=n, p=opens_weight / opens_weight.sum())
            base = np.where(
                email.sent_us[which] >= 0, email.sent_us[which], day_start_us[rng.integers(0, n_days, n)]
            )
            at = base + np.rint(rng.exponential(0.6, n) * MICROS_PER_DAY).astype(np.int64)
            ok = at < day_start_us[-1]
            part(
                "email_open",
                "klaviyo",
                "email",
                email_names[which][ok],
                at[ok],
                _nullable(known_customer(at[ok])),
                None,
                None,
                email_ids[which][ok],
            )
        impressions = metrics.impressions.astype(float)
        if impressions.sum() > 0:
            n = int(0.1 * n_orders)
            cell = rng.choice(impressions.size, size=n, p=(impressions / impressions.sum()).ravel())
            ad_index, day = np.divmod(cell, n_days)
            day_length = day_start_us[day + 1] - day_start_us[day]
            at = day_start_us[day] + (rng.random(n) * day_length).astype(np.int64)
            part(
                "ad_view",
                plan_source[ad_index],
                np.array(
                    ["cpc" if plans[a].platform != "meta" else "paid_social" for a in ad_index], dtype=object
                ),
                plan_campaign[ad_index],
                at,
                _nullable(known_customer(at)),
                None,
                plan_ad_id[ad_index],
                None,
            )
        n = int(0.08 * n_orders)
        at = day_start_us[0] + (rng.random(n) * (day_start_us[-1] - day_start_us[0])).astype(np.int64)
        part("organic_visit", "google", "organic", None, at, _nullable(known_customer(at)), None, None, None)

    _insert_touchpoints(ctx, parts)
    ctx.truth.append(
        (
            "marketing_attribution",
            "summary",
            {
                "utm_content": "the ad's external_id",
                "paid_orders": len(paid),
                "shopify_paid_orders": int((orders.kind[paid] == "shopify").sum()),
                "amazon_sponsored_products_orders": int((orders.kind[paid] == "amazon").sum()),
                "email_orders": len(members),
                "organic_orders": len(organic),
                "platform_overcount_rate": PLATFORM_OVERCOUNT,
            },
        )
    )


def _nullable(ids: np.ndarray) -> np.ndarray:
    """Keep ids as int64 with 0 meaning 'none'; written as NULL by _masked."""
    return np.asarray(ids, dtype=np.int64)


def _masked(ids: np.ndarray) -> np.ma.MaskedArray:
    return np.ma.masked_array(ids, mask=ids <= 0)


def _insert_touchpoints(ctx: DemoContext, parts: list[dict[str, np.ndarray]]) -> None:
    if not parts:
        return
    merged = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    # Write in order-id order (touches without an order last, by time): the order_id index and
    # its foreign-key lookups then walk the B-tree sequentially, which is ~2x faster on SQLite.
    order_key = np.where(merged["order"] > 0, merged["order"], np.iinfo(np.int64).max)
    order = np.lexsort((merged["at"], order_key))
    write_rows(
        ctx.connection,
        MarketingTouchpoint,
        {
            "customer_id": _masked(merged["customer"][order].astype(np.int64)),
            "order_id": _masked(merged["order"][order].astype(np.int64)),
            "occurred_at": merged["at"][order].astype("datetime64[us]"),
            "kind": merged["kind"][order],
            "source": merged["source"][order],
            "medium": merged["medium"][order],
            "campaign": merged["campaign"][order],
            "ad_id": _masked(merged["ad"][order].astype(np.int64)),
            "email_campaign_id": _masked(merged["email"][order].astype(np.int64)),
        },
    )
