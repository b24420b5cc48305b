"""Leases: one run at a time of each kind of background work, across threads and processes.

The daily pipeline runs from `sasame serve`'s scheduler or from a cron `sasame run`, and the
Inventory page re-plans on demand. Without a lease two of them could run the same step at once: two
plans stored side by side, two mailbox runs answering one customer twice. A run holds the lease of
its kind (the step's name, e.g. 'inventory.plan') as a row of `job_lease`; a second run either
steps aside (the pipeline: the work is being done) or waits for the first (the page: the owner asked
for a plan after the one running).

Each acquire and release is one statement in its own short transaction, so it is atomic on SQLite
and PostgreSQL alike and never holds a lock while the work runs. A run that dies holding a lease
(a server stopped or killed mid-run) is let go as soon as another run on the same machine finds its
process gone; one on another machine blocks its kind until the lease expires (`LEASE_SECONDS`, wall
clock).
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sasame.core.clock import Clock, system_clock
from sasame.db import transaction
from sasame.models.jobs import JobLease

LEASE_SECONDS = 3600.0
"""How long a lease lasts without its holder letting go: far above the longest run (a 10,000-SKU
plan takes under 2 minutes, docs/benchmarks.md), so only a dead holder's lease ever expires."""
POLL_SECONDS = 1.0
"""How often a run waiting for a lease asks again."""


class LeaseBusy(Exception):
    """Another run holds the lease; says who and since when."""

    def __init__(self, name: str, holder: str, since: datetime) -> None:
        super().__init__(f"{name} is already running ({holder}, since {since:%Y-%m-%d %H:%M:%S} UTC)")
        self.name, self.holder, self.since = name, holder, since


@dataclass
class Lease:
    """A held lease; leaving its `with` block lets it go."""

    engine: Engine
    name: str
    holder: str

    def release(self) -> None:
        with transaction(self.engine) as session:
            session.execute(
                delete(JobLease).where(JobLease.name == self.name, JobLease.holder == self.holder)
            )

    def __enter__(self) -> Lease:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.release()


def _holder() -> str:
    return (
        f"{socket.gethostname()} pid {os.getpid()} {threading.current_thread().name} {uuid.uuid4().hex[:8]}"
    )


def _gone(lease: JobLease) -> bool:
    """Whether the lease's process is known to be gone: it ran on this machine and no process has its
    id any more (a server killed or restarted mid-run). A holder on another machine is taken at its
    word until the lease expires."""
    if lease.host != socket.gethostname():
        return False
    try:
        os.kill(lease.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's process: alive
        return False
    return False


def _try_acquire(engine: Engine, name: str, holder: str, now: datetime, seconds: float) -> JobLease | None:
    """Take the lease, or return the row of the run holding it. An expired lease, or one whose
    process is gone, is let go first."""
    with transaction(engine) as session:
        session.execute(delete(JobLease).where(JobLease.name == name, JobLease.expires_at <= now))
        current = session.scalars(select(JobLease).where(JobLease.name == name)).one_or_none()
        if current is not None and _gone(current):
            session.execute(delete(JobLease).where(JobLease.name == name, JobLease.holder == current.holder))
    try:
        with transaction(engine) as session:
            session.add(
                JobLease(
                    name=name,
                    holder=holder,
                    host=socket.gethostname(),
                    pid=os.getpid(),
                    acquired_at=now,
                    expires_at=now + timedelta(seconds=seconds),
                )
            )
        return None
    except IntegrityError:
        with transaction(engine) as session:
            current = session.scalars(select(JobLease).where(JobLease.name == name)).one_or_none()
        # Released between the insert and this read: report it as held a moment ago, the caller retries.
        return current or JobLease(
            name=name, holder="a run that just finished", acquired_at=now, expires_at=now
        )


def acquire(
    engine: Engine,
    name: str,
    *,
    wait_seconds: float = 0.0,
    seconds: float = LEASE_SECONDS,
    clock: Clock = system_clock,
) -> Lease:
    """Hold the lease `name`, waiting up to `wait_seconds` for its holder to let go; `LeaseBusy` if
    it is still held then."""
    holder = _holder()
    deadline = time.monotonic() + wait_seconds
    while True:
        current = _try_acquire(engine, name, holder, clock(), seconds)
        if current is None:
            return Lease(engine, name, holder)
        if time.monotonic() >= deadline:
            raise LeaseBusy(name, current.holder, current.acquired_at)
        time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))


def holding(session: Session, name: str, now: datetime) -> JobLease | None:
    """The lease `name` as a live run holds it now (not expired, its process not gone), if any: what
    a page shows as running."""
    current = session.scalars(
        select(JobLease).where(JobLease.name == name, JobLease.expires_at > now)
    ).one_or_none()
    return None if current is None or _gone(current) else current


def acquire_telling(engine: Engine, name: str, tell: Callable[[str], None]) -> Lease:
    """Hold `name` for a command the owner typed: if another run holds it, `tell` them so once and
    wait for it to finish (up to `LEASE_SECONDS`), rather than refuse or run beside it."""
    try:
        return acquire(engine, name)
    except LeaseBusy as busy:
        tell(f"{busy}; waiting for it to finish")
        return acquire(engine, name, wait_seconds=LEASE_SECONDS)
