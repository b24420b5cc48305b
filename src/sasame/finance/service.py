"""Finance use cases: post the ledger (and, below, the reports built on it).

Services take a session and never commit; the CLI command, request or pipeline job does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from sasame import models as m
from sasame.core.errors import UserError
from sasame.finance.cogs import METHODS, Method
from sasame.finance.pnl import PnlReport, compute_pnl, refresh_pnl_days
from sasame.finance.posting import post_everything
from sasame.finance.reconcile import Reconciliation, reconcile

DEFAULT_COST_METHOD: Method = "fifo"


def post_ledger(session: Session, now: datetime, method: str = DEFAULT_COST_METHOD) -> dict[str, Any]:
    """Post every business event that is new or changed into the ledger; return a summary.

    Idempotent: a second run with nothing new writes nothing. ``method`` is the cost method of
    goods sold: ``fifo`` (cost layers) or ``average`` (moving average).
    """
    if method not in METHODS:
        from sasame.core.errors import ConfigError

        raise ConfigError(f"cost method: {method!r} is not one of {', '.join(METHODS)}")
    chosen: Method = "average" if method == "average" else "fifo"
    return post_everything(session, now, method=chosen)


COST_METHOD_SETTING = "SASAME_COST_METHOD"


def configured_cost_method(environ: Mapping[str, str] | None = None) -> str:
    """Return the cost method the owner chose (SASAME_COST_METHOD: fifo or average; fifo if unset).

    Changing it re-costs every stock movement on the next posting run.
    """
    value = (os.environ if environ is None else environ).get(COST_METHOD_SETTING, DEFAULT_COST_METHOD)
    method = value.strip().lower() or DEFAULT_COST_METHOD
    if method not in METHODS:
        from sasame.core.errors import ConfigError

        raise ConfigError(f"{COST_METHOD_SETTING}: {value!r} is not one of {', '.join(METHODS)}")
    return method


# --- Finance reports (P&L, reconciliation, rollup): the use cases the CLI, web and pipeline call.


def default_range(session: Session) -> tuple[date, date]:
    """Return the last 30 business days that have postings (first, last inclusive)."""
    from sqlalchemy import func, select

    last = session.scalar(select(func.max(m.Posting.business_day)))
    if last is None:
        raise UserError("the ledger is empty: run `sasame run` (or `sasame demo`) to post it first")
    return last - timedelta(days=29), last


def pnl_report(session: Session, first: date, last_exclusive: date, by: str = "day") -> PnlReport:
    """The P&L of a range of business days, by day/week/month/channel/product/sku."""
    return compute_pnl(session, first, last_exclusive, by)


def reconcile_books(
    session: Session, now: datetime, first: date | None = None, last_exclusive: date | None = None
) -> Reconciliation:
    """Match deposits, check payouts and clearing accounts, keep the exceptions; return the report."""
    return reconcile(session, now, first, last_exclusive)


def refresh_reports(session: Session, now: datetime) -> dict[str, Any]:
    """Pipeline step: rebuild the daily P&L rollup from the postings and reconcile the payouts."""
    rows = refresh_pnl_days(session)
    report = reconcile(session, now)
    return {"pnl_day_rows": rows, "reconciled_payouts": report.reconciled, "exceptions": len(report.issues)}
