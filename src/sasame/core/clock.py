"""Time: instants are timezone-aware UTC; a business day is a date in the store's IANA timezone.

Windows are half-open [start, end). The clock is read once at the edge (CLI, request, job) and
``now`` is passed in, so tests and backtests can run on any day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sasame.core.errors import ConfigError

Clock = Callable[[], datetime]
"""A function returning the current instant (aware, UTC)."""


def system_clock() -> datetime:
    """Return the real current instant in UTC."""
    return datetime.now(UTC)


def fixed_clock(instant: datetime) -> Clock:
    """Return a clock frozen at ``instant`` (for tests and backtests)."""
    frozen = ensure_utc(instant)
    return lambda: frozen


def zone(name: str) -> ZoneInfo:
    """Return the IANA timezone, or a ConfigError naming the setting."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:  # 'America' is a folder of zones
        raise ConfigError(f"timezone: {name!r} is not an IANA timezone such as 'America/New_York'") from error


def ensure_utc(instant: datetime) -> datetime:
    """Return the instant in UTC; a naive datetime is refused since its zone is unknowable."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"naive datetime has no timezone: {instant.isoformat()}")
    return instant.astimezone(UTC)


def business_day(instant: datetime, timezone: str | ZoneInfo) -> date:
    """Return the store-local date on which an instant falls."""
    tz = zone(timezone) if isinstance(timezone, str) else timezone
    return ensure_utc(instant).astimezone(tz).date()


def day_start(day: date, timezone: str | ZoneInfo) -> datetime:
    """Return the UTC instant at which a store-local business day begins (DST-aware)."""
    tz = zone(timezone) if isinstance(timezone, str) else timezone
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def day_window(first: date, last_exclusive: date, timezone: str | ZoneInfo) -> tuple[datetime, datetime]:
    """Return the half-open UTC window [start, end) covering business days first..last_exclusive."""
    return day_start(first, timezone), day_start(last_exclusive, timezone)


def days(first: date, last_exclusive: date) -> list[date]:
    """Return the dates in the half-open range [first, last_exclusive)."""
    return [first + timedelta(days=i) for i in range((last_exclusive - first).days)]
