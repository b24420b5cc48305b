"""Store-local days of many instants at once (`upsert._business_days`, used by the columnar orders
path) are business_day's, also around clock changes and in zones with odd offsets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from sasame.core.clock import business_day
from sasame.ingest.upsert import _business_days


@pytest.mark.parametrize(
    "timezone", ["America/Toronto", "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Chatham", "UTC"]
)
def test_same_days_as_one_at_a_time(timezone: str) -> None:
    zone = ZoneInfo(timezone)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    # every 21 minutes 41 seconds for two years: every hour, so every clock change and local midnight
    instants = [start + timedelta(seconds=1301 * step, microseconds=step % 1000) for step in range(48_600)]
    stamps = np.array([instant.replace(tzinfo=None) for instant in instants], dtype="datetime64[us]")
    assert _business_days(stamps, zone).tolist() == [business_day(instant, zone) for instant in instants]
