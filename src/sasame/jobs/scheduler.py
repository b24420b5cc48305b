"""In-process scheduler for `sasame serve`: runs the daily pipeline at a store-local hour.

The embedded default needs nothing more than a thread; a worker queue replaces it for users who
outgrow one process (see docs/architecture.md).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, time, timedelta

from sqlalchemy import Engine

from sasame.business.service import store_settings
from sasame.core.clock import Clock, zone
from sasame.db import session_factory
from sasame.jobs.pipeline import run_pipeline

log = logging.getLogger(__name__)


def next_run(now: datetime, timezone: str, at: time) -> datetime:
    """The next instant (UTC) when the store-local wall clock reads `at`, strictly after now."""
    tz = zone(timezone)
    local = now.astimezone(tz)
    candidate = datetime.combine(local.date(), at, tzinfo=tz)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=tz)
    return candidate.astimezone(now.tzinfo)


class DailyScheduler:
    """Runs the pipeline every day at `at` (store-local) in a daemon thread until stopped."""

    def __init__(self, engine: Engine, clock: Clock, at: time = time(6, 0)) -> None:
        self.engine, self.clock, self.at = engine, clock, at
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sasame-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            with session_factory(self.engine)() as session:
                timezone = store_settings(session).timezone
            now = self.clock()
            wait = (next_run(now, timezone, self.at) - now).total_seconds()
            if self._stop.wait(timeout=wait):
                return
            for result in run_pipeline(self.engine, self.clock()):
                log.info(
                    "pipeline step %s: %s", result.name, result.skipped or result.error or result.summary
                )
