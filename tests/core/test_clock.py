from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from sasame.core.clock import business_day, day_start, day_window, ensure_utc, fixed_clock, zone
from sasame.core.errors import ConfigError


def test_business_day_is_store_local():
    # 03:30 UTC on 1 March is still 28 February in New York (UTC-5).
    instant = datetime(2026, 3, 1, 3, 30, tzinfo=UTC)
    assert business_day(instant, "America/New_York") == date(2026, 2, 28)
    assert business_day(instant, "Asia/Tokyo") == date(2026, 3, 1)


def test_day_windows_follow_daylight_saving():
    # 8 March 2026: US clocks spring forward, so that business day lasts 23 hours.
    start, end = day_window(date(2026, 3, 8), date(2026, 3, 9), "America/New_York")
    assert start == datetime(2026, 3, 8, 5, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=23)
    assert day_start(date(2026, 11, 1), "America/New_York") == datetime(2026, 11, 1, 4, 0, tzinfo=UTC)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive datetime"):
        ensure_utc(datetime(2026, 1, 1))
    assert ensure_utc(datetime(2026, 1, 1, 9, tzinfo=timezone(timedelta(hours=9)))) == datetime(
        2026, 1, 1, tzinfo=UTC
    )


def test_fixed_clock_is_frozen_and_utc():
    clock = fixed_clock(datetime(2026, 6, 1, 12, tzinfo=timezone(timedelta(hours=2))))
    assert clock() == clock() == datetime(2026, 6, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize("name", ["Mars/Olympus", "America", "x" * 300])
def test_unknown_timezone_names_the_setting(name: str) -> None:
    # 'America' is a folder of zones and a 300-letter name is too long for a file: both used to
    # escape as OSError tracebacks.
    with pytest.raises(ConfigError, match=f"timezone: '{name}' is not an IANA timezone"):
        zone(name)
