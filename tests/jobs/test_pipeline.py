from datetime import UTC, datetime, time

import pytest

from sasame.jobs import pipeline
from sasame.jobs.lease import acquire
from sasame.jobs.pipeline import PipelineStep, run_pipeline
from sasame.jobs.scheduler import next_run


def test_next_run_is_the_next_store_local_hour():
    # 05:59 in New York on a winter day is 10:59 UTC: the 06:00 run is one minute away.
    assert next_run(datetime(2026, 1, 15, 10, 59, tzinfo=UTC), "America/New_York", time(6)) == datetime(
        2026, 1, 15, 11, 0, tzinfo=UTC
    )
    # Just after 06:00 local, the next run is tomorrow; in summer 06:00 EDT is 10:00 UTC.
    assert next_run(datetime(2026, 7, 1, 10, 0, 1, tzinfo=UTC), "America/New_York", time(6)) == datetime(
        2026, 7, 2, 10, 0, tzinfo=UTC
    )


def test_a_failing_step_is_reported_and_the_rest_still_run(sqlite_engine, monkeypatch: pytest.MonkeyPatch):
    def broken(session, now):
        raise RuntimeError("boom")

    def fine(session, now):
        return {"now": now.isoformat()}

    monkeypatch.setattr(
        pipeline, "STEPS", [PipelineStep("broken", broken, "fails"), PipelineStep("fine", fine, "works")]
    )
    now = datetime(2026, 11, 27, 6, tzinfo=UTC)
    results = run_pipeline(sqlite_engine, now)
    assert [(r.name, r.succeeded, r.error) for r in results] == [
        ("broken", False, "RuntimeError('boom')"),
        ("fine", True, None),
    ]
    assert results[1].summary == {"now": "2026-11-27T06:00:00+00:00"}
    assert [r.name for r in run_pipeline(sqlite_engine, now, only=["fine"])] == ["fine"]


def test_a_step_another_run_is_doing_is_skipped_not_run_twice(sqlite_engine, monkeypatch: pytest.MonkeyPatch):
    calls = []

    def step(session, now):
        calls.append(now)
        return {"done": 1}

    monkeypatch.setattr(
        pipeline,
        "STEPS",
        [PipelineStep("support.mailbox", step, "answers"), PipelineStep("fine", step, "works")],
    )
    now = datetime(2026, 11, 29, 6, tzinfo=UTC)
    with acquire(sqlite_engine, "support.mailbox") as other:  # the scheduler's run, or a cron `sasame run`
        results = run_pipeline(sqlite_engine, now)
    assert [(r.name, r.succeeded, r.summary) for r in results] == [
        ("support.mailbox", True, {}),
        ("fine", True, {"done": 1}),
    ]
    assert results[0].skipped.startswith(f"support.mailbox is already running ({other.holder}, since 20")
    assert results[1].skipped is None
    assert len(calls) == 1
    # Once the other run lets go, the step runs again, and holds nothing after.
    assert [r.skipped for r in run_pipeline(sqlite_engine, now)] == [None, None]
    assert len(calls) == 3
