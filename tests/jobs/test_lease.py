"""Leases keep two runs of one kind of work apart, on SQLite and PostgreSQL alike."""

import os
import socket
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sasame.core.clock import fixed_clock
from sasame.jobs import lease as lease_module
from sasame.jobs.lease import LeaseBusy, acquire, holding
from sasame.models.jobs import JobLease

T0 = datetime(2026, 11, 29, 6, tzinfo=UTC)


def test_a_held_lease_turns_the_second_run_away_naming_the_first(engine: Engine):
    with acquire(engine, "inventory.plan", clock=fixed_clock(T0)) as first:
        with pytest.raises(LeaseBusy) as busy:
            acquire(engine, "inventory.plan", clock=fixed_clock(T0 + timedelta(minutes=5)))
        assert (
            str(busy.value)
            == f"inventory.plan is already running ({first.holder}, since 2026-11-29 06:00:00 UTC)"
        )
        # Other kinds of work are not held up by it.
        with acquire(engine, "support.mailbox", clock=fixed_clock(T0)):
            pass
    # Let go, it is free again, and no row is left behind.
    with acquire(engine, "inventory.plan", clock=fixed_clock(T0)):
        pass
    with Session(engine) as session:
        assert session.scalars(select(JobLease)).all() == []


def test_a_lease_its_holder_never_let_go_expires(engine: Engine):
    acquire(engine, "inventory.plan", seconds=3600, clock=fixed_clock(T0))  # a run killed while holding it
    with pytest.raises(LeaseBusy):
        acquire(engine, "inventory.plan", clock=fixed_clock(T0 + timedelta(seconds=3599)))
    with Session(engine) as session:
        assert holding(session, "inventory.plan", T0 + timedelta(seconds=3599)) is not None
        assert holding(session, "inventory.plan", T0 + timedelta(seconds=3600)) is None
    later = fixed_clock(T0 + timedelta(seconds=3600))
    with acquire(engine, "inventory.plan", clock=later) as taken, Session(engine) as session:
        assert session.scalars(select(JobLease.holder)).all() == [taken.holder]


def test_a_run_may_wait_for_the_holder_to_let_go(engine: Engine, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(lease_module, "POLL_SECONDS", 0.02)
    first = acquire(engine, "inventory.plan")
    threading.Timer(0.2, first.release).start()
    started = time.monotonic()
    with acquire(engine, "inventory.plan", wait_seconds=10) as second:
        assert second.holder != first.holder
    assert 0.15 < time.monotonic() - started < 5
    first = acquire(engine, "inventory.plan")
    with pytest.raises(LeaseBusy):
        acquire(engine, "inventory.plan", wait_seconds=0.1)
    first.release()


def test_of_many_threads_racing_for_a_lease_exactly_one_holds_it(engine: Engine):
    held, turned_away = [], []
    barrier = threading.Barrier(6)

    def race() -> None:
        barrier.wait()
        try:
            held.append(acquire(engine, "support.mailbox"))
        except LeaseBusy:
            turned_away.append(1)

    threads = [threading.Thread(target=race) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(held), len(turned_away)) == (1, 5)
    held[0].release()


def test_a_lease_whose_process_is_gone_from_this_machine_is_let_go_at_once(engine: Engine):
    ended = subprocess.Popen(["true"])  # a process that has come and gone
    ended.wait()

    def left_behind(host: str) -> None:  # by a server killed mid-run
        with Session(engine) as session, session.begin():
            session.add(
                JobLease(
                    name="inventory.backtest",
                    holder=f"{host} pid {ended.pid} sasame-inventory.backtest 0badc0de",
                    host=host,
                    pid=ended.pid,
                    acquired_at=T0,
                    expires_at=T0 + timedelta(hours=1),
                )
            )

    left_behind(socket.gethostname())
    with Session(engine) as session:
        assert holding(session, "inventory.backtest", T0) is None  # the page no longer shows it running
    with acquire(engine, "inventory.backtest", clock=fixed_clock(T0)) as taken:
        assert taken.holder.startswith(f"{socket.gethostname()} pid {os.getpid()} ")
    # Another machine's process cannot be looked at: its lease stands until it expires.
    left_behind("another-host")
    with Session(engine) as session:
        assert holding(session, "inventory.backtest", T0).host == "another-host"
    with pytest.raises(LeaseBusy):
        acquire(engine, "inventory.backtest", clock=fixed_clock(T0))
