"""Work a page starts that may outlast a request: re-planning a store of thousands of SKUs takes
minutes (docs/benchmarks.md, the plan at 10,000 SKUs).

The route starts the work in a thread with its own transaction and waits a little: a store of the
size sasame is made for (a plan of a few seconds) gets its answer as before, a bigger one gets the
page back at once, saying what is still running, and the page reloads until it is done. One run of a
kind at a time: pressing the button again while it runs joins the run instead of starting another.
A run also holds its kind's lease (`jobs.lease`) while it works, so a run of the same kind elsewhere
(this morning's pipeline step, a cron `sasame run`) is waited for, never overlapped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sasame.db import transaction
from sasame.jobs.lease import LEASE_SECONDS, acquire

log = logging.getLogger(__name__)

WAIT_SECONDS = 20.0
"""How long a route waits for its work before answering that it still runs."""


@dataclass
class Run:
    """One run of a kind of work: when it started, and once finished whether it failed."""

    kind: str
    started_at: datetime
    finished: threading.Event = field(default_factory=threading.Event)
    error: Exception | None = None


class BackgroundWork:
    """The runs the dashboard started, one per kind at a time, each in its own thread and transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._runs: dict[str, Run] = {}

    def start(self, kind: str, started_at: datetime, work: Callable[[Session], object]) -> Run:
        """Run `work` in a new transaction in a thread, unless a run of `kind` is still going: then
        that run is returned and `work` is dropped."""
        with self._lock:
            current = self._runs.get(kind)
            if current is not None and not current.finished.is_set():
                return current
            run = Run(kind, started_at)
            self._runs[kind] = run
        threading.Thread(target=self._run, args=(run, work), name=f"sasame-{kind}", daemon=True).start()
        return run

    def _run(self, run: Run, work: Callable[[Session], object]) -> None:
        try:
            with (
                acquire(self._engine, run.kind, wait_seconds=LEASE_SECONDS),
                transaction(self._engine) as session,
            ):
                work(session)
        except Exception as error:  # reported to the request waiting for it, or on the page after
            log.exception("background %s started at %s failed", run.kind, run.started_at.isoformat())
            run.error = error
        finally:
            run.finished.set()

    def wait(self, run: Run, seconds: float) -> bool:
        """Wait up to `seconds` for `run` to finish: False while it still goes. A run that failed
        raises its error here, to the request that waited, and is not told of again (`failed`)."""
        if not run.finished.wait(seconds):
            return False
        if run.error is not None:
            with self._lock:
                if self._runs.get(run.kind) is run:
                    del self._runs[run.kind]
            raise run.error
        return True

    def running(self, kind: str) -> Run | None:
        """The run of `kind` still going, if any."""
        with self._lock:
            run = self._runs.get(kind)
        return run if run is not None and not run.finished.is_set() else None

    def failed(self, kind: str) -> Run | None:
        """The last run of `kind` if it finished with an error nobody has been told of; telling is
        once (the page shows it, then forgets it)."""
        with self._lock:
            run = self._runs.get(kind)
            if run is None or not run.finished.is_set() or run.error is None:
                return None
            del self._runs[kind]
            return run
