"""The calendar of the demo history: business days, their UTC boundaries, seasonality and promotions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from sasame.core.clock import day_start

# Relative daily demand by month (Jan..Dec) for a gift-friendly apparel and home-goods store.
MONTH_FACTOR = np.array([0.80, 0.84, 0.93, 0.96, 1.00, 0.93, 0.90, 0.95, 1.00, 1.10, 1.50, 1.80])
# Monday..Sunday: DTC stores sell most on Sunday evening and Monday, least on Friday and Saturday.
WEEKDAY_FACTOR = np.array([1.12, 1.05, 1.00, 0.97, 0.90, 0.88, 1.08])
ANNUAL_GROWTH = 1.25
# Share of orders placed in each local hour: quiet at night, peaks at lunch and in the evening.
FUTURE_DAYS = 120
"""Days past the end of the history that plans (deliveries, returns, payouts) may reach."""
HOUR_WEIGHT = np.array(
    [
        1.2,
        0.8,
        0.5,
        0.4,
        0.4,
        0.6,
        1.2,
        2.2,
        3.2,
        3.8,
        4.2,
        4.6,
        5.0,
        4.9,
        4.5,
        4.3,
        4.4,
        4.8,
        5.4,
        6.0,
        6.4,
        6.0,
        4.4,
        2.5,
    ]
)


@dataclass(frozen=True)
class Promotion:
    """A store-wide discount-code promotion (or a marketplace event) with its true demand uplift."""

    code: str
    first: date
    last_exclusive: date
    percent_off: int
    uplift: float
    channels: tuple[str, ...]
    """Channels whose demand it lifts; the code itself is only redeemable on Shopify."""


def thanksgiving(year: int) -> date:
    """Return the fourth Thursday of November."""
    first = date(year, 11, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 21)


def promotions_between(start: date, end: date) -> list[Promotion]:
    """Return the store's yearly promotion calendar for the years the history touches."""
    dtc = ("shopify", "etsy")
    found: list[Promotion] = []
    for year in range(start.year, end.year + 1):
        yy = year % 100
        black_friday = thanksgiving(year) + timedelta(days=1)
        prime_day = date(year, 7, 9) + timedelta(days=(1 - date(year, 7, 9).weekday()) % 7)
        found += [
            Promotion(f"WINTER{yy}", date(year, 1, 20), date(year, 1, 25), 15, 1.35, dtc),
            Promotion(f"SPRING{yy}", date(year, 4, 10), date(year, 4, 14), 20, 1.50, dtc),
            Promotion(f"SUMMER{yy}", date(year, 7, 1), date(year, 7, 6), 20, 1.45, dtc),
            Promotion(f"PRIMEDAY{yy}", prime_day, prime_day + timedelta(days=2), 0, 2.10, ("amazon",)),
            Promotion(f"LABORDAY{yy}", date(year, 9, 1), date(year, 9, 5), 15, 1.30, dtc),
            Promotion(f"BFCM{yy}", black_friday, black_friday + timedelta(days=4), 25, 1.25, dtc),
            Promotion(f"GIFT{yy}", date(year, 12, 8), date(year, 12, 13), 15, 1.20, dtc),
        ]
    return [p for p in found if p.last_exclusive > start and p.first < end]


@dataclass
class Timeline:
    """Business days [start, end) of the history with their UTC boundaries and demand multipliers."""

    start: date
    end: date
    timezone: ZoneInfo
    boundaries: np.ndarray
    """datetime64[us] UTC start of every business day from the start to FUTURE_DAYS past the end."""
    days: np.ndarray
    """datetime64[D] of every business day."""
    weekday: np.ndarray
    month: np.ndarray
    promotions: list[Promotion]

    @classmethod
    def build(cls, start: date, end: date, timezone: ZoneInfo) -> Timeline:
        count = (end - start).days
        # Boundaries run FUTURE_DAYS past the end so shipments and returns can be planned beyond it.
        boundaries = np.array(
            [
                day_start(start + timedelta(days=i), timezone).replace(tzinfo=None)
                for i in range(count + FUTURE_DAYS + 1)
            ],
            dtype="datetime64[us]",
        )
        days = np.datetime64(start, "D") + np.arange(count)
        weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        month = days.astype("datetime64[M]").astype(np.int64) % 12
        return cls(start, end, timezone, boundaries, days, weekday, month, promotions_between(start, end))

    @property
    def count(self) -> int:
        return len(self.days)

    def index(self, day: date) -> int:
        """Return the index of a business day (may fall outside the history)."""
        return (day - self.start).days

    def cutoff(self) -> np.datetime64:
        """Return the UTC instant the history ends: nothing at or after it has happened yet."""
        return self.boundaries[self.count]

    def instants(self, day_index: np.ndarray, fraction: np.ndarray) -> np.ndarray:
        """Return UTC instants at a fraction [0, 1) of the way through business days (DST-aware)."""
        day_index = np.minimum(day_index, len(self.boundaries) - 2)
        begin = self.boundaries[day_index]
        length = (self.boundaries[day_index + 1] - begin).astype(np.int64)
        return begin + (fraction * length).astype(np.int64).astype("timedelta64[us]")

    def local_hours(self, day_index: np.ndarray, hour: float | np.ndarray) -> np.ndarray:
        """Return UTC instants at a local clock hour of business days (approximate on DST days)."""
        return self.instants(day_index, np.asarray(hour, dtype=np.float64) / 24.0)

    def day_of(self, instants: np.ndarray) -> np.ndarray:
        """Return the business-day index of UTC instants (up to FUTURE_DAYS past the end)."""
        return np.searchsorted(self.boundaries, instants, side="right") - 1

    def seasonality(self) -> np.ndarray:
        """Return the smooth yearly × weekly × growth multiplier of every day, shared by all channels."""
        day_of_month = self.days.astype(np.int64) - self.days.astype("datetime64[M]").astype(
            "datetime64[D]"
        ).astype(np.int64)
        # Interpolate between month centres so the year has no step at month boundaries.
        position = self.month + (day_of_month + 0.5) / 30.5 - 0.5
        low = np.floor(position).astype(np.int64)
        weight = position - low
        yearly = MONTH_FACTOR[low % 12] * (1 - weight) + MONTH_FACTOR[(low + 1) % 12] * weight
        years = np.arange(self.count) / 365.25
        return yearly * WEEKDAY_FACTOR[self.weekday] * ANNUAL_GROWTH**years

    def holiday_factor(self) -> np.ndarray:
        """Return the Black Friday / Cyber Monday spikes and the post-cutoff December lull."""
        factor = np.ones(self.count)
        for year in range(self.start.year, self.end.year + 1):
            black_friday = thanksgiving(year) + timedelta(days=1)
            for offset, lift in ((0, 2.6), (1, 1.9), (2, 1.7), (3, 2.3), (4, 1.4), (-1, 0.8)):
                self._scale(factor, black_friday + timedelta(days=offset), lift)
            for day, lift in ((20, 0.8), (21, 0.7), (22, 0.6), (23, 0.5), (24, 0.45), (25, 0.8)):
                self._scale(factor, date(year, 12, day + 1), lift)
        return factor

    def promotion_factor(self, channel: str) -> np.ndarray:
        """Return each day's true promotional uplift for a channel."""
        factor = np.ones(self.count)
        for promotion in self.promotions:
            if channel in promotion.channels:
                first = max(self.index(promotion.first), 0)
                last = min(self.index(promotion.last_exclusive), self.count)
                factor[first:last] *= promotion.uplift
        return factor

    def active_code(self) -> list[Promotion | None]:
        """Return the Shopify discount-code promotion running on each day, if any."""
        running: list[Promotion | None] = [None] * self.count
        for promotion in self.promotions:
            if promotion.percent_off and "shopify" in promotion.channels:
                for i in range(
                    max(self.index(promotion.first), 0), min(self.index(promotion.last_exclusive), self.count)
                ):
                    running[i] = promotion
        return running

    def _scale(self, factor: np.ndarray, day: date, lift: float) -> None:
        i = self.index(day)
        if 0 <= i < self.count:
            factor[i] *= lift

    def hour_fractions(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Return fractions of the local day at which orders are placed, following HOUR_WEIGHT."""
        hours = rng.choice(24, size=size, p=HOUR_WEIGHT / HOUR_WEIGHT.sum())
        return (hours + rng.random(size)) / 24.0


def business_days_after(day: np.ndarray, count: int | np.ndarray) -> np.ndarray:
    """Return the weekday `count` business days (Mon–Fri) after each datetime64[D] day."""
    return np.busday_offset(day, count, roll="forward")


def as_date(value: np.datetime64) -> date:
    """Return a datetime64 day as a date."""
    return date.fromisoformat(str(value.astype("datetime64[D]")))
