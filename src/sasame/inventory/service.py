"""Inventory use cases the CLI, the dashboard and the daily pipeline share. Services never commit."""

from __future__ import annotations

import csv
import json
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.business.service import store_settings
from sasame.core.clock import business_day
from sasame.core.errors import InputError, UserError
from sasame.inventory import purchase_orders, queries
from sasame.inventory.demand import frames
from sasame.inventory.plan import Forecaster, Plan, PlanSettings, build_plan


def _forecaster() -> Forecaster:
    from sasame.inventory.forecast import forecast

    return forecast


def make_plan(
    session: Session,
    now: datetime,
    settings: PlanSettings | None = None,
    forecaster: Forecaster | None = None,
) -> Plan:
    """Compute today's plan (nothing is written)."""
    settings = settings or PlanSettings()
    today = business_day(now, store_settings(session).timezone)
    inputs = queries.plan_inputs(session, today)
    previous = session.scalars(select(m.InventoryPlan).order_by(m.InventoryPlan.id.desc()).limit(1)).first()
    if previous is not None and previous.summary.get("fits") and previous.summary.get("selected_on"):
        selected_on = date.fromisoformat(previous.summary["selected_on"])
        if 0 <= (today - selected_on).days < settings.reselect_days:
            # Models chosen this week are re-fitted, not re-selected: one fit per SKU instead of a backtest.
            inputs.previous_fit = {
                sku: (fit[0], float(fit[1])) for sku, fit in previous.summary["fits"].items()
            }
            inputs.selected_on = selected_on
    return build_plan(inputs, forecaster or _forecaster(), settings)


def save_plan(
    session: Session, plan: Plan, now: datetime, seconds: float, backtest: dict[str, Any] | None = None
) -> m.InventoryPlan:
    """Store a plan run, its suggestions and the first weeks of its forecasts."""
    lists = {
        "stockout_risk": [r.as_dict() for r in plan.risks],
        "slow_movers": [s.as_dict() for s in plan.slow_movers],
        "transfers": [t.as_dict() for t in plan.transfers],
    }
    summary = {
        **plan.totals(),
        "seconds": round(seconds, 3),
        "skus_forecast": len(plan.models),
        "models": _count(plan.models.values()),
        "demand_classes": _count(plan.demand_classes.values()),
        "lead_times": [lt.as_dict() for lt in plan.lead_times.values()],
        "review_days": plan.settings.review_days,
        "selected_on": plan.selected_on.isoformat(),
        "fits": {sku: [model, round(sigma, 6)] for sku, (model, sigma) in plan.fits().items()},
        "budget": None if plan.settings.budget is None else str(plan.settings.budget),
    }
    if backtest is None:
        previous = session.scalars(
            select(m.InventoryPlan)
            .where(m.InventoryPlan.backtest.is_not(None))
            .order_by(m.InventoryPlan.id.desc())
            .limit(1)
        ).first()
        backtest = previous.backtest if previous is not None else None
    row = m.InventoryPlan(
        made_at=now,
        plan_date=plan.today,
        currency=plan.currency,
        history_days=plan.settings.history_days,
        horizon_days=plan.horizon_days,
        summary=summary,
        lists=lists,
        backtest=backtest,
    )
    session.add(row)
    session.flush()
    if plan.suggestions:
        session.execute(
            insert(m.ReorderSuggestion),
            [
                {
                    "plan_id": row.id,
                    "variant_id": s.variant_id,
                    "supplier_id": s.supplier_id,
                    "quantity": s.quantity,
                    "unit_cost": s.unit_cost,
                    "cost": s.cost,
                    "currency": s.currency,
                    "order_by": s.order_by,
                    "expected_on": s.expected_on,
                    "stockout_on": s.stockout_on,
                    "inventory_position": s.inventory_position,
                    "reorder_point": s.reorder_point,
                    "order_up_to": s.order_up_to,
                    "safety_stock": s.safety_stock,
                    "service_level": s.service_level,
                    "daily_demand": s.daily_demand,
                    "lead_time_days": s.lead_time_days,
                    "is_funded": s.is_funded,
                }
                for s in plan.suggestions
            ],
        )
    table = plan.forecast_table
    if len(table):
        variant_ids = dict(session.execute(select(m.Variant.sku, m.Variant.id)).all())
        days = plan.settings.persist_forecast_days
        kept = table[(table["ds"] - table["ds"].min()).dt.days < days]
        session.execute(
            insert(m.InventoryForecast),
            [
                {
                    "plan_id": row.id,
                    "variant_id": variant_ids[sku],
                    "forecast_date": ds.date(),
                    "mean_units": float(mean),
                    "low_units": float(low),
                    "high_units": float(high),
                    "level": plan.settings.level,
                    "model": plan.models.get(sku, "")[:40],
                    "demand_class": plan.demand_classes.get(sku, "")[:20],
                }
                for sku, ds, mean, low, high in zip(
                    kept["unique_id"], kept["ds"], kept["mean"], kept["lo"], kept["hi"], strict=True
                )
                if sku in variant_ids
            ],
        )
    return row


def _count(values: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))


def run_plan(
    session: Session,
    now: datetime,
    settings: PlanSettings | None = None,
    backtest: dict[str, Any] | None = None,
    forecaster: Forecaster | None = None,
) -> tuple[Plan, m.InventoryPlan]:
    """Make today's plan and store it; the boundary commits."""
    started = time.perf_counter()
    plan = make_plan(session, now, settings, forecaster)
    row = save_plan(session, plan, now, time.perf_counter() - started, backtest)
    return plan, row


def plan_step(session: Session, now: datetime) -> dict[str, Any]:
    """The daily pipeline's `inventory.plan` step."""
    plan, row = run_plan(session, now)
    return {"plan_id": row.id, **plan.totals()}


def read_backtest(path: Path) -> dict[str, Any]:
    """Load a `sasame inventory backtest --json` document to show with the plan."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UserError(f"{path}: cannot read the backtest file ({error.strerror})") from error
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: line {error.lineno}: not valid JSON ({error.msg})") from error
    if not isinstance(document, dict):
        raise InputError(f"{path}: expected a JSON object from `sasame inventory backtest --json`")
    return document


def export_demand(session: Session, now: datetime, out: Path) -> int:
    """Write the store's daily demand per SKU in the backtest's CSV format; return the data rows."""
    today = business_day(now, store_settings(session).timezone)
    history = frames(session, today)
    count = -1  # the header is not a data row
    try:
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            for row in history.to_csv_rows():
                writer.writerow(row)
                count += 1
    except OSError as error:
        raise UserError(f"{out}: cannot write the demand file ({error.strerror})") from error
    return max(count, 0)


def draft_purchase_orders(
    session: Session, now: datetime, out_dir: Path, *, supplier: str | None = None, plan: Plan | None = None
) -> list[purchase_orders.Draft]:
    """Write a CSV, a PDF and an email text per supplier for today's funded suggestions, and log it."""
    plan = plan or make_plan(session, now)
    grouped = plan.by_supplier()
    if supplier is not None:
        matches = {name: lines for name, lines in grouped.items() if name.lower() == supplier.lower()}
        if not matches:
            known = session.scalars(select(m.Supplier.name).where(m.Supplier.name.ilike(supplier))).first()
            if known is None:
                raise UserError(f"--supplier: no supplier is named {supplier!r}")
        grouped = matches
    settings = store_settings(session)
    contacts = dict(session.execute(select(m.Supplier.name, m.Supplier.email)).all())
    drafts = purchase_orders.write_drafts(
        grouped, out_dir, store=settings.name, today=plan.today, contacts=contacts
    )
    for draft in drafts:
        session.add(
            m.AuditLog(
                occurred_at=now,
                actor="system:inventory",
                action="draft_purchase_order",
                rule="reorder point reached before the next review",
                entity_type="supplier",
                entity_id=session.scalar(select(m.Supplier.id).where(m.Supplier.name == draft.supplier)),
                inputs={
                    "plan_date": plan.today.isoformat(),
                    "lines": draft.lines,
                    "units": draft.units,
                    "total": str(draft.total),
                    "files": [str(draft.csv_path), str(draft.pdf_path), str(draft.email_path)],
                },
                outcome=f"drafted {draft.number}: {draft.lines} lines, {draft.total} {draft.currency}",
                is_reversible=True,
            )
        )
    session.flush()
    return drafts


def plan_date(session: Session, now: datetime) -> date:
    return business_day(now, store_settings(session).timezone)
