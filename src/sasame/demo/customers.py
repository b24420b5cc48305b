"""Customers and when they buy: a BG/NBD-style process whose parameters differ by acquisition source.

Each customer buys once when acquired, then keeps buying at a personal rate λ ~ Gamma(r, 1/α) per
day until they silently drop out, which they do after any purchase with probability p ~ Beta(a, b).
Repeat purchases run in seasonal 'operational time' so that they, too, peak in Q4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sasame.demo.context import DemoContext
from sasame.demo.timeline import ANNUAL_GROWTH, Timeline


@dataclass(frozen=True)
class BuyingProcess:
    """Latent repeat-purchase parameters of one acquisition source (rates per day)."""

    rate_shape: float
    rate_scale: float
    dropout_a: float
    dropout_b: float

    @property
    def mean_rate(self) -> float:
        return self.rate_shape * self.rate_scale

    @property
    def mean_dropout(self) -> float:
        return self.dropout_a / (self.dropout_a + self.dropout_b)


PROCESSES = {
    "google": BuyingProcess(0.9, 1 / 110, 2.0, 2.2),
    "meta": BuyingProcess(0.7, 1 / 120, 2.6, 1.6),
    "email": BuyingProcess(1.3, 1 / 90, 1.4, 2.8),
    "organic": BuyingProcess(1.0, 1 / 100, 1.8, 2.4),
    "direct": BuyingProcess(1.0, 1 / 95, 1.6, 2.4),
    "amazon": BuyingProcess(0.5, 1 / 160, 3.0, 1.5),
    "etsy": BuyingProcess(0.5, 1 / 170, 3.0, 1.3),
}
SHOPIFY_SOURCES = ("google", "meta", "email", "organic", "direct")
SHOPIFY_SOURCE_SHARE = np.array([0.30, 0.27, 0.10, 0.18, 0.15])
REPEAT_VISIT_SOURCES = ("email", "direct", "organic", "google", "meta")
REPEAT_VISIT_SHARE = np.array([0.34, 0.28, 0.16, 0.12, 0.10])


@dataclass
class Purchases:
    """Every purchase of one channel's customers, in no particular order."""

    customer: np.ndarray
    """Customer position within the channel's customers."""
    day: np.ndarray
    fraction: np.ndarray
    """Fraction of the local day at which the order was placed."""
    is_first: np.ndarray
    source: np.ndarray
    """Index into the channel's source names: acquisition source of the customer."""
    visit: np.ndarray
    """Index into REPEAT_VISIT_SOURCES for repeat orders, the acquisition source for first ones."""
    sources: tuple[str, ...]
    rate: np.ndarray
    """Per customer: latent purchase rate per day."""
    dropout: np.ndarray
    acquired_day: np.ndarray
    customer_source: np.ndarray


WARM_UP_DAYS = 364
"""Customers are simulated from a year before the history, so it opens with a base of existing
customers whose repeat orders fall into it, as a real store's data does."""


def simulate_channel(
    ctx: DemoContext, timeline: Timeline, channel: str, intensity: np.ndarray, target_orders: float
) -> Purchases:
    """Simulate a channel's customers so their purchases inside the history total ``target_orders``."""
    reps = -(-WARM_UP_DAYS // len(intensity))
    warm_up = np.tile(intensity, reps)[:WARM_UP_DAYS] / ANNUAL_GROWTH
    extended = np.concatenate([warm_up, intensity])
    # A pilot run measures history orders per acquisition, then the real run scales acquisitions.
    pilot = _simulate(ctx.rng(f"customers.{channel}.pilot"), timeline, channel, extended, target_orders)
    per_acquisition = int((pilot.day >= WARM_UP_DAYS).sum()) / max(1.0, target_orders)
    purchases = _simulate(
        ctx.rng(f"customers.{channel}"),
        timeline,
        channel,
        extended,
        target_orders / max(per_acquisition, 1e-9),
    )
    inside = purchases.day >= WARM_UP_DAYS
    purchases.customer = purchases.customer[inside]
    purchases.day = purchases.day[inside] - WARM_UP_DAYS
    purchases.fraction = purchases.fraction[inside]
    purchases.is_first = purchases.is_first[inside]
    purchases.source = purchases.source[inside]
    purchases.visit = purchases.visit[inside]
    purchases.acquired_day = purchases.acquired_day - WARM_UP_DAYS
    return purchases


def _simulate(
    rng: np.random.Generator, timeline: Timeline, channel: str, intensity: np.ndarray, acquisitions: float
) -> Purchases:
    n_days = len(intensity)
    daily = rng.poisson(acquisitions * intensity / intensity.sum())
    acquired_day = np.repeat(np.arange(n_days), daily)
    n = len(acquired_day)
    sources: tuple[str, ...]
    if channel == "shopify":
        sources = SHOPIFY_SOURCES
        source = rng.choice(len(sources), size=n, p=SHOPIFY_SOURCE_SHARE)
    else:
        sources = (channel,)
        source = np.zeros(n, dtype=np.int64)
    rate = np.empty(n)
    dropout = np.empty(n)
    for i, name in enumerate(sources):
        process = PROCESSES[name]
        chosen = source == i
        rate[chosen] = rng.gamma(process.rate_shape, process.rate_scale, size=int(chosen.sum()))
        dropout[chosen] = rng.beta(process.dropout_a, process.dropout_b, size=int(chosen.sum()))
    acquired_fraction = timeline.hour_fractions(rng, n)

    # Repeats: after each purchase the customer drops out with probability p, so the number of
    # repeats before dropping out is geometric; gaps between purchases are exponential in λ.
    repeats = np.minimum(rng.geometric(np.clip(dropout, 1e-3, 1.0)) - 1, 80)
    owner = np.repeat(np.arange(n), repeats)
    gaps = rng.exponential(1.0 / np.maximum(rate[owner], 1e-6))
    ends = np.cumsum(repeats)
    starts = ends - repeats
    running = np.cumsum(gaps)
    before = np.concatenate([[0.0], running])[starts]
    elapsed = running - np.repeat(before, repeats)
    # Operational time: the cumulative seasonal intensity, scaled to average one unit per day.
    clock = np.concatenate([[0.0], np.cumsum(intensity / intensity.mean())])
    grid = np.arange(n_days + 1, dtype=np.float64)
    acquired_at = acquired_day + acquired_fraction
    moment = np.interp(acquired_at, grid, clock)[owner] + elapsed
    inside = moment < clock[-1]
    repeat_time = np.interp(moment[inside], clock, grid)
    repeat_owner = owner[inside]
    repeat_day = np.minimum(repeat_time.astype(np.int64), n_days - 1)

    visit_repeat = (
        rng.choice(len(REPEAT_VISIT_SOURCES), size=len(repeat_owner), p=REPEAT_VISIT_SHARE)
        if channel == "shopify"
        else np.zeros(len(repeat_owner), dtype=np.int64)
    )
    if channel == "shopify":
        # Visits are recorded as indices into REPEAT_VISIT_SOURCES for both kinds of order.
        remap = np.array([REPEAT_VISIT_SOURCES.index(name) for name in SHOPIFY_SOURCES])
        visit_first = remap[source]
    else:
        visit_first = np.zeros(n, dtype=np.int64)
    return Purchases(
        customer=np.concatenate([np.arange(n), repeat_owner]),
        day=np.concatenate([acquired_day, repeat_day]),
        fraction=np.concatenate([acquired_fraction, timeline.hour_fractions(rng, len(repeat_owner))]),
        is_first=np.concatenate([np.ones(n, dtype=bool), np.zeros(len(repeat_owner), dtype=bool)]),
        source=np.concatenate([source, source[repeat_owner]]),
        visit=np.concatenate([visit_first, visit_repeat]),
        sources=sources,
        rate=rate,
        dropout=dropout,
        acquired_day=acquired_day,
        customer_source=source,
    )


FIRST_NAMES = [
    "Emma",
    "Liam",
    "Olivia",
    "Noah",
    "Ava",
    "Elijah",
    "Sophia",
    "James",
    "Isabella",
    "Lucas",
    "Mia",
    "Mason",
    "Amelia",
    "Ethan",
    "Harper",
    "Logan",
    "Evelyn",
    "Aiden",
    "Abigail",
    "Jackson",
    "Emily",
    "Sebastian",
    "Ella",
    "Mateo",
    "Elizabeth",
    "Jack",
    "Camila",
    "Owen",
    "Luna",
    "Daniel",
    "Sofia",
    "Henry",
    "Avery",
    "Michael",
    "Mila",
    "Alexander",
    "Aria",
    "Carter",
    "Scarlett",
    "Jayden",
    "Penelope",
    "Wyatt",
    "Layla",
    "John",
    "Chloe",
    "Leo",
    "Victoria",
    "Luke",
    "Madison",
    "Grayson",
    "Eleanor",
    "Julian",
    "Grace",
    "Levi",
    "Nora",
    "Isaac",
    "Riley",
    "Gabriel",
    "Zoey",
    "Priya",
    "Wei",
    "Hiroshi",
    "Fatima",
    "Diego",
    "Aisha",
    "Chen",
    "Yuki",
    "Omar",
    "Ana",
]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Patel",
    "Kim",
    "Chen",
    "Okafor",
    "Silva",
    "Novak",
]
EMAIL_DOMAINS = (
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "yahoo.com",
    "icloud.com",
    "outlook.com",
    "hotmail.com",
    "aol.com",
    "proton.me",
)
EMAIL_STYLES = ("{f}.{l}{n}", "{f}{l}{n}", "{f}_{l}{n}", "{f0}{l}{n}", "{l}.{f}{n}")


def names_and_emails(
    rng: np.random.Generator, ids: np.ndarray, has_email: np.ndarray
) -> tuple[list[str], list[str | None]]:
    """Return a realistic name per customer and a unique lower-case email where they have one."""
    first = rng.integers(0, len(FIRST_NAMES), size=len(ids)).tolist()
    last = rng.integers(0, len(LAST_NAMES), size=len(ids)).tolist()
    domain = rng.integers(0, len(EMAIL_DOMAINS), size=len(ids)).tolist()
    style = rng.integers(0, len(EMAIL_STYLES), size=len(ids)).tolist()
    names: list[str] = []
    emails: list[str | None] = []
    for i, customer in enumerate(ids.tolist()):
        f, last_name = FIRST_NAMES[first[i]], LAST_NAMES[last[i]]
        names.append(f"{f} {last_name}")
        if has_email[i]:
            # The customer id in the local part keeps every address unique, as the column requires.
            local = EMAIL_STYLES[style[i]].format(
                f=f.lower(), l=last_name.lower(), f0=f[0].lower(), n=customer
            )
            emails.append(f"{local}@{EMAIL_DOMAINS[domain[i]]}")
        else:
            emails.append(None)
    return names, emails
