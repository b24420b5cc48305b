"""What every step of the demo generator shares: the connection, the seeded randomness, the calendar."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection


@dataclass
class DemoScale:
    """How big a store to generate; the defaults are a typical small seller."""

    weeks: int = 104
    orders_per_week: int = 300
    skus: int = 120


@dataclass
class DemoContext:
    """Shared state of one generation run; steps read earlier steps' rows from the database."""

    connection: Connection
    seed: int
    scale: DemoScale
    start: date
    """First business day of the history."""
    end: date
    """Business day after the last one of the history (half-open), normally 'today'."""
    now: datetime
    """The injected clock's instant at generation time (aware, UTC)."""
    timezone: ZoneInfo
    currency: str = "USD"
    truth: list[tuple[str, str, dict]] = field(default_factory=list)
    """Ground-truth facts (kind, key, value) collected by the steps, written at the end."""
    pnl_truth: object | None = None
    """The generator's own daily P&L (sasame.demo.pnl_truth.PnlTruth), filled by the money steps."""

    def rng(self, step: str) -> np.random.Generator:
        """Return a generator seeded by (seed, step), so each step is reproducible on its own."""
        return np.random.default_rng([self.seed, *step.encode()])
