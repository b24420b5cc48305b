"""The daily pipeline: an explicit, ordered list of steps; each runs in its own transaction.

A step is a use case `(session, now) -> summary dict`. Steps are listed here, not discovered,
so the order is visible and a reader sees at once what `sasame run` does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sasame.db import transaction
from sasame.jobs.lease import LeaseBusy, acquire

log = logging.getLogger(__name__)

Step = Callable[[Session, datetime], dict[str, Any]]


@dataclass(frozen=True)
class PipelineStep:
    name: str
    run: Step
    description: str


@dataclass
class StepResult:
    name: str
    succeeded: bool
    seconds: float
    summary: dict[str, Any]
    error: str | None = None
    skipped: str | None = None
    """Why the step did not run: another run of it held its lease (`jobs.lease`)."""


def _post_ledger(session: Session, now: datetime) -> dict[str, Any]:
    from sasame.finance.service import configured_cost_method, post_ledger

    return post_ledger(session, now, method=configured_cost_method())


def _finance_reports(session: Session, now: datetime) -> dict[str, Any]:
    from sasame.finance.service import refresh_reports

    return refresh_reports(session, now)


def _refresh_alerts(session: Session, now: datetime) -> dict[str, Any]:
    from sasame.ops.service import refresh_alerts

    return refresh_alerts(session, now)


def _support_mailbox(session: Session, now: datetime) -> dict[str, Any]:
    from sasame.support.mailbox import pipeline_step

    return pipeline_step(session, now)


def _plan_inventory(session: Session, now: datetime) -> dict[str, Any]:
    from sasame.inventory.service import plan_step

    return plan_step(session, now)


def _backtest_inventory(session: Session, now: datetime) -> dict[str, Any]:
    from sasame.inventory.service import backtest_step

    return backtest_step(session, now)


SUPPORT_MAILBOX_STEP = "support.mailbox"
"""The step that answers the support inbox (`sasame demo --leave-inbox` runs every step but it)."""
INVENTORY_PLAN_STEP = "inventory.plan"
"""The step that makes the day's plan; its lease also keeps the Inventory page's re-plan and
`sasame inventory plan` / `po draft` from planning beside it (`jobs.lease`)."""
INVENTORY_BACKTEST_STEP = "inventory.backtest"
"""The weekly replay of the store's history (`sasame demo --no-backtest` runs every step but it)."""

STEPS: list[PipelineStep] = [
    PipelineStep("finance.post", _post_ledger, "post new and changed business events to the ledger"),
    PipelineStep(
        "finance.reports", _finance_reports, "roll the P&L up by day and reconcile payouts with the bank"
    ),
    PipelineStep("ops.alerts", _refresh_alerts, "raise alerts for late POs and unshipped orders"),
    PipelineStep(
        SUPPORT_MAILBOX_STEP, _support_mailbox, "fetch customer mail, answer routine messages, queue the rest"
    ),
    PipelineStep(INVENTORY_PLAN_STEP, _plan_inventory, "forecast every SKU and plan what to order"),
    PipelineStep(
        INVENTORY_BACKTEST_STEP,
        _backtest_inventory,
        "once a week, replay the store's history against the manual rule for the Inventory page",
    ),
]
"""Engines add their step here as they land (finance postings, forecasts, support mailbox, ...)."""


def run_pipeline(engine: Engine, now: datetime, only: list[str] | None = None) -> list[StepResult]:
    """Run every step (or the named ones) in order; one failing step is reported, not hidden, and
    does not stop the steps after it, because they read the database, not each other's output.

    Each step holds its lease while it runs: a step another run is doing at this moment (the
    scheduler and a cron `sasame run`, or the Inventory page's re-plan) is skipped and says so,
    not run twice at once."""
    results = []
    for step in STEPS:
        if only and step.name not in only:
            continue
        started = time.perf_counter()
        try:
            # No step takes a lease of its own: a LeaseBusy can only be this step's.
            with acquire(engine, step.name), transaction(engine) as session:
                summary = step.run(session, now)
        except LeaseBusy as busy:
            log.info("pipeline step %s skipped: %s", step.name, busy)
            results.append(StepResult(step.name, True, time.perf_counter() - started, {}, skipped=str(busy)))
            continue
        except Exception as error:  # a bug in one engine must not silence the others' steps
            log.exception("pipeline step %s failed", step.name)
            results.append(StepResult(step.name, False, time.perf_counter() - started, {}, repr(error)))
            continue
        results.append(StepResult(step.name, True, time.perf_counter() - started, summary))
    return results
