"""Inventory use cases the CLI, the dashboard and the daily pipeline share. Services never commit."""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.business.service import store_settings
from sasame.core.clock import business_day
from sasame.core.errors import ConfigError, InputError, UserError
from sasame.core.money import SCALE, round_money
from sasame.inventory import policy, purchase_orders, queries
from sasame.inventory.backtest import (
    BacktestConfig,
    BacktestResult,
    DemandData,
    backtest_document,
    demand_data,
    run_backtest,
)
from sasame.inventory.demand import frames
from sasame.inventory.lead_times import lead_times
from sasame.inventory.plan import Forecaster, Plan, PlanSettings, build_plan, sku_lead_time


def _forecaster() -> Forecaster:
    from sasame.inventory.forecast import forecast

    return forecast


HOLDING_RATE_SETTING = "SASAME_HOLDING_RATE"


def holding_rate(text: str, source: str) -> Decimal:
    """A year's holding cost as a share of stock value, from `text` (an option or a setting, named
    by `source` in the one-line error)."""
    try:
        rate = Decimal(text.strip())
    except InvalidOperation as error:
        raise ConfigError(f"{source}: {text!r} is not a share like 0.25") from error
    if not rate.is_finite() or not Decimal(0) <= rate <= Decimal(2):
        raise ConfigError(f"{source}: {text!r} must be a share of a year between 0 and 2")
    return rate


def configured_holding_rate(environ: Mapping[str, str] | None = None) -> Decimal:
    """The holding rate the owner set (SASAME_HOLDING_RATE), else `policy.HOLDING_RATE` (0.25)."""
    value = (os.environ if environ is None else environ).get(HOLDING_RATE_SETTING, "").strip()
    return holding_rate(value, HOLDING_RATE_SETTING) if value else policy.HOLDING_RATE


def make_plan(
    session: Session,
    now: datetime,
    settings: PlanSettings | None = None,
    forecaster: Forecaster | None = None,
) -> Plan:
    """Compute today's plan (nothing is written); without `settings`, the defaults with the
    configured holding rate (the daily pipeline's plan, the Inventory page's)."""
    settings = settings or PlanSettings(holding_rate=configured_holding_rate())
    today = plan_date(session, now)
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
        "holding_rate": str(plan.settings.holding_rate),
    }
    if backtest is None:
        backtest = latest_backtest(session)
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


def store_demand(session: Session, now: datetime) -> DemandData:
    """The store's own daily demand per SKU, as `sasame inventory demand --out` writes it (bundles in
    their components, active days, unit cost and list price), with the days the plan reads as
    promoted as the promotion calendar and the plan's product and category profiles. Amounts become
    floats here: the backtest values stock and lost sales for its figures, it books nothing."""
    today = plan_date(session, now)
    history = frames(session, today)
    records: dict[tuple[str, date], tuple[float, float | None, float | None]] = {}
    promotions: dict[tuple[str, date], float] = {}
    for i, day, units in history.demand_rows():
        key = (history.sku[i], day)
        cost = int(history.unit_cost_units[i])
        records[key] = (
            float(units),
            None if cost < 0 else cost / SCALE,
            int(history.list_price_units[i]) / SCALE,
        )
        promotions[key] = float(history.promoted[i, (day - history.start).days])
    if not records:
        raise UserError("the store has no sales to replay yet: import its orders first")
    data = demand_data(records, "D", "the store's history", promotions)
    profiles = history.profiles()
    data.profiles = {sku: profiles[sku] for sku in data.skus}
    return data


def store_lead_times(session: Session) -> dict[str, tuple[float, float]]:
    """Per SKU with a supplier, the (mean, sd) lead time in days the plan uses: learned from the
    supplier's received purchase orders, else its quoted one."""
    terms = queries.supply_terms(session)
    learned = lead_times(session)
    return {sku: sku_lead_time(terms, learned, sku) for sku in terms}


# The pipeline's replay of the store's own history for the Inventory page (`backtest_step`): once a
# week, at the benchmark's service level, for stores with enough history and few enough SKUs (it
# re-fits every SKU's forecast every week of a year: about 35 s for the demo's 122; a bigger store
# runs `sasame inventory backtest --store` when it chooses).
BACKTEST_EVERY_DAYS = 7
BACKTEST_SERVICE_LEVEL = 0.99
BACKTEST_MIN_DAYS = 56
BACKTEST_MAX_SKUS = 1_000


def backtest_store(
    session: Session, now: datetime, config: BacktestConfig | None = None, data: DemandData | None = None
) -> tuple[BacktestResult, dict[str, Any], int | None]:
    """Replay the store's own history (`store_demand`) and show it with the latest plan: the result,
    its document (dated `replayed_on`, the store's day) and the plan it went with (None without
    one). Without a `config`, the pipeline's: BACKTEST_SERVICE_LEVEL and each SKU's supplier's lead
    time (`store_lead_times`)."""
    started = time.perf_counter()
    data = store_demand(session, now) if data is None else data
    if config is None:
        config = BacktestConfig(
            service_level=BACKTEST_SERVICE_LEVEL, sku_lead_times=store_lead_times(session)
        )
    result = run_backtest(data, config)
    document = backtest_document(result, seconds=time.perf_counter() - started)
    document["replayed_on"] = plan_date(session, now).isoformat()
    return result, document, attach_backtest(session, document)


class CannotReplay(UserError):
    """The store's history cannot be replayed yet (no sales, too short), or not by this caller."""


def replay_store(session: Session, now: datetime, max_skus: int | None = None) -> dict[str, Any]:
    """Replay the store's history now (`backtest_store` with the pipeline's settings) and show it on
    the Inventory page; what the replay found, in brief. `CannotReplay` says why it cannot."""
    try:
        data = store_demand(session, now)
    except UserError as error:
        raise CannotReplay(str(error)) from error
    if len(data.dates) < BACKTEST_MIN_DAYS:
        raise CannotReplay(f"{len(data.dates)} days of sales history; the replay needs {BACKTEST_MIN_DAYS}")
    if max_skus is not None and len(data.skus) > max_skus:
        raise CannotReplay(f"{len(data.skus):,} SKUs: run `sasame inventory backtest --store` for them")
    _, document, plan_id = backtest_store(session, now, data=data)
    policies = document["policies"]
    return {
        "plan_id": plan_id,
        "periods": document["settings"]["periods"],
        "stockout_periods": {name: figures["stockout_periods"] for name, figures in policies.items()},
        "average_inventory_value": {
            name: round(figures["average_inventory_value"], 2) for name, figures in policies.items()
        },
    }


def backtest_step(session: Session, now: datetime) -> dict[str, Any]:
    """The daily pipeline's `inventory.backtest` step: replay the store's history when the replay
    shown is a week old or missing (see BACKTEST_EVERY_DAYS), for a store of at most
    BACKTEST_MAX_SKUS; the Inventory page's "Replay now" is the owner's way round both."""
    today = plan_date(session, now)
    shown = latest_backtest(session)
    replayed = shown.get("replayed_on") if shown else None
    if replayed and (today - date.fromisoformat(replayed)).days < BACKTEST_EVERY_DAYS:
        return {"skipped": f"replayed on {replayed}"}
    try:
        return replay_store(session, now, max_skus=BACKTEST_MAX_SKUS)
    except CannotReplay as reason:
        return {"skipped": str(reason)}


def latest_backtest(session: Session) -> dict[str, Any] | None:
    """The backtest shown with the plans: the latest one stored with any."""
    shown = session.scalars(
        select(m.InventoryPlan.backtest)
        .where(m.InventoryPlan.backtest.is_not(None))
        .order_by(m.InventoryPlan.id.desc())
        .limit(1)
    ).first()
    return shown if isinstance(shown, dict) else None


def attach_backtest(session: Session, document: dict[str, Any]) -> int | None:
    """Show a backtest with the latest stored plan, the one the Inventory page shows (later plans carry
    it on); the plan's id, or None when no plan has been stored yet."""
    plan_id = queries.latest_plan_id(session)
    if plan_id is not None:
        session.get_one(m.InventoryPlan, plan_id).backtest = document
    return plan_id


def export_demand(session: Session, now: datetime, out: Path) -> int:
    """Write the store's daily demand per SKU in the backtest's CSV format; return the data rows."""
    today = plan_date(session, now)
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


# The numbers of the drafts sasame records (purchase_orders.po_number); other drafts are the owner's.
DRAFT_PREFIX = "DRAFT-"


@dataclass(frozen=True)
class DraftOrder:
    """A draft purchase order as recorded: one per supplier with lines to order now."""

    id: int
    number: str
    supplier: str
    lines: int
    units: int
    total: Decimal
    currency: str
    expected_on: date
    action: str
    """'created' or 'updated' (a draft already open for that supplier was refreshed)."""


def record_draft_orders(
    session: Session, plan: Plan, now: datetime, *, supplier: str | None = None
) -> tuple[list[DraftOrder], list[str]]:
    """Write the plan's purchase orders as `purchase_order` rows with status 'draft', and their lines.

    Only sasame's own drafts (numbers DRAFT-...) are refreshed or withdrawn; a draft the owner keeps
    under another number is left alone. One open draft per supplier: running again (the same day or
    later) refreshes it in place — its lines replaced by the plan's, its number, date and expected
    day moved to today's — instead of adding another. A draft whose supplier has nothing to order
    any more is withdrawn (deleted: a draft is a proposal nobody has sent). Only status 'draft' is
    ever touched: sent, partly received, received and cancelled orders are the owner's. Drafts are
    not on order for the plan (only sent and partial orders are), so the next plan proposes the
    same lines until the draft is sent.
    Returns the drafts written and the numbers withdrawn; `supplier` limits both to one supplier."""
    grouped = plan.by_supplier()
    supplier_ids = dict(session.execute(select(m.Supplier.name, m.Supplier.id)).all())
    if supplier is not None:
        grouped = {name: lines for name, lines in grouped.items() if name.lower() == supplier.lower()}
    open_drafts = {
        po.supplier_id: po
        for po in session.scalars(
            select(m.PurchaseOrder)
            .where(m.PurchaseOrder.status == "draft", m.PurchaseOrder.number.like(f"{DRAFT_PREFIX}%"))
            .order_by(m.PurchaseOrder.id)
        )
    }
    wanted = {supplier_ids[name] for name in grouped}
    withdrawn: list[str] = []
    names = {value: key for key, value in supplier_ids.items()}
    for supplier_id, stale in sorted(open_drafts.items()):
        if supplier_id in wanted:
            continue
        if supplier is not None and names.get(supplier_id, "").lower() != supplier.lower():
            continue
        if _has_receipts(session, stale.id):
            continue  # goods were booked against it: no longer a mere proposal
        session.execute(delete(m.PurchaseOrderLine).where(m.PurchaseOrderLine.purchase_order_id == stale.id))
        session.delete(stale)
        withdrawn.append(stale.number)
    location_id = _receiving_location(session)
    written: list[DraftOrder] = []
    for name, lines in grouped.items():
        supplier_id = supplier_ids[name]
        currency = lines[0].currency
        expected_on = max(line.expected_on for line in lines)
        po: m.PurchaseOrder | None = open_drafts.get(supplier_id)
        if po is not None and _has_receipts(session, po.id):
            po = None
        number = purchase_orders.po_number(name, plan.today)
        if po is None or po.number != number:
            number = _free_number(session, number, keep=po.id if po is not None else None)
        if po is None:
            po = m.PurchaseOrder(
                number=number,
                supplier_id=supplier_id,
                location_id=location_id,
                status="draft",
                ordered_at=now,
                expected_on=expected_on,
                currency=currency,
            )
            session.add(po)
            action = "created"
        else:
            session.execute(delete(m.PurchaseOrderLine).where(m.PurchaseOrderLine.purchase_order_id == po.id))
            po.number, po.ordered_at, po.expected_on, po.currency = number, now, expected_on, currency
            action = "updated"
        session.flush()
        session.execute(
            insert(m.PurchaseOrderLine),
            [
                {
                    "purchase_order_id": po.id,
                    "variant_id": line.variant_id,
                    "quantity_ordered": line.quantity,
                    "quantity_received": 0,
                    "unit_cost": line.unit_cost,
                }
                for line in lines
            ],
        )
        written.append(
            DraftOrder(
                id=po.id,
                number=number,
                supplier=name,
                lines=len(lines),
                units=sum(line.quantity for line in lines),
                total=sum((line.cost for line in lines), Decimal(0)),
                currency=currency,
                expected_on=expected_on,
                action=action,
            )
        )
    session.flush()
    return written, withdrawn


def _has_receipts(session: Session, purchase_order_id: int) -> bool:
    return (
        session.scalar(
            select(func.count(m.StockMovement.id))
            .join(m.PurchaseOrderLine, m.PurchaseOrderLine.id == m.StockMovement.purchase_order_line_id)
            .where(m.PurchaseOrderLine.purchase_order_id == purchase_order_id)
        )
        or 0
    ) > 0


def _receiving_location(session: Session) -> int:
    """Where bought goods arrive: the (first) warehouse, else the first location."""
    location_id = session.scalar(
        select(m.Location.id).order_by((m.Location.kind != "warehouse"), m.Location.id).limit(1)
    )
    if location_id is None:
        raise UserError("no location to receive purchase orders: add a warehouse first")
    return int(location_id)


def _free_number(session: Session, number: str, keep: int | None) -> str:
    """`number`, or `number-2`, `-3`, ... when another order (say, a draft already sent) holds it."""
    candidate, suffix = number, 1
    while True:
        holder = session.scalar(select(m.PurchaseOrder.id).where(m.PurchaseOrder.number == candidate))
        if holder is None or holder == keep:
            return candidate
        suffix += 1
        candidate = f"{number}-{suffix}"


def draft_purchase_orders(
    session: Session,
    now: datetime,
    out_dir: Path | None,
    *,
    supplier: str | None = None,
    plan: Plan | None = None,
) -> tuple[list[DraftOrder], list[purchase_orders.Draft]]:
    """Record today's funded suggestions as draft purchase orders (rows with status 'draft', one per
    supplier, refreshed on a re-run) and, with `out_dir`, write a CSV, a PDF and an email text for
    each; every draft is in the audit log."""
    plan = plan or make_plan(session, now)
    if supplier is not None:
        known = session.scalars(select(m.Supplier.name).where(m.Supplier.name.ilike(supplier))).first()
        if known is None and not any(name.lower() == supplier.lower() for name in plan.by_supplier()):
            raise UserError(f"--supplier: no supplier is named {supplier!r}")
    orders, withdrawn = record_draft_orders(session, plan, now, supplier=supplier)
    grouped = {
        name: lines
        for name, lines in plan.by_supplier().items()
        if supplier is None or name.lower() == supplier.lower()
    }
    numbers = {order.supplier: order.number for order in orders}
    files: list[purchase_orders.Draft] = []
    if out_dir is not None:
        settings = store_settings(session)
        contacts = dict(session.execute(select(m.Supplier.name, m.Supplier.email)).all())
        files = purchase_orders.write_drafts(
            grouped, out_dir, store=settings.name, today=plan.today, contacts=contacts, numbers=numbers
        )
    paths = {draft.supplier: draft for draft in files}
    for order in orders:
        written = paths.get(order.supplier)
        session.add(
            m.AuditLog(
                occurred_at=now,
                actor="system:inventory",
                action="draft_purchase_order",
                rule="reorder point reached before the next review",
                entity_type="purchase_order",
                entity_id=order.id,
                inputs={
                    "plan_date": plan.today.isoformat(),
                    "supplier": order.supplier,
                    "lines": order.lines,
                    "units": order.units,
                    "total": str(order.total),
                    "files": (
                        [str(written.csv_path), str(written.pdf_path), str(written.email_path)]
                        if written
                        else []
                    ),
                },
                outcome=f"{order.action} {order.number}: {order.lines} lines, {order.total} {order.currency}",
                is_reversible=True,
            )
        )
    for number in withdrawn:
        session.add(
            m.AuditLog(
                occurred_at=now,
                actor="system:inventory",
                action="withdraw_draft_purchase_order",
                rule="the plan no longer proposes an order from this supplier",
                entity_type="purchase_order",
                entity_id=None,
                inputs={"plan_date": plan.today.isoformat(), "number": number},
                outcome=f"withdrew {number}",
                is_reversible=False,
            )
        )
    session.flush()
    return orders, files


def count_purchase_orders(session: Session, statuses: tuple[str, ...] = ("draft",)) -> int:
    """How many purchase orders are in `statuses`."""
    return (
        session.scalar(select(func.count(m.PurchaseOrder.id)).where(m.PurchaseOrder.status.in_(statuses)))
        or 0
    )


def purchase_orders_with_lines(
    session: Session,
    statuses: tuple[str, ...] = ("draft",),
    *,
    limit: int | None = None,
    soonest_first: bool = False,
) -> list[dict[str, Any]]:
    """The purchase orders in `statuses` (the open drafts by default), newest first (or the soonest
    expected first), the first `limit` of them, each with its lines (SKU, title, quantity ordered
    and received, unit cost, line total) and its total; money stays Decimal."""
    order = (
        (m.PurchaseOrder.expected_on, m.PurchaseOrder.number)
        if soonest_first
        else (m.PurchaseOrder.ordered_at.desc(), m.PurchaseOrder.number)
    )
    query = (
        select(m.PurchaseOrder, m.Supplier.name)
        .join(m.Supplier, m.Supplier.id == m.PurchaseOrder.supplier_id)
        .where(m.PurchaseOrder.status.in_(statuses))
        .order_by(*order)
    )
    if limit is not None:
        query = query.limit(limit)
    orders = session.execute(query).all()
    lines_of: dict[int, list[dict[str, Any]]] = {}
    if orders:
        for po_id, sku, title, quantity, received, unit_cost in session.execute(
            select(
                m.PurchaseOrderLine.purchase_order_id,
                m.Variant.sku,
                m.Variant.title,
                m.PurchaseOrderLine.quantity_ordered,
                m.PurchaseOrderLine.quantity_received,
                m.PurchaseOrderLine.unit_cost,
            )
            .join(m.Variant, m.Variant.id == m.PurchaseOrderLine.variant_id)
            .where(m.PurchaseOrderLine.purchase_order_id.in_([po.id for po, _ in orders]))
            .order_by(m.PurchaseOrderLine.id)
        ):
            lines_of.setdefault(po_id, []).append(
                {
                    "sku": sku,
                    "title": title,
                    "quantity": int(quantity),
                    "received": int(received),
                    "unit_cost": unit_cost,
                }
            )
    found = []
    for po, supplier in orders:
        lines = lines_of.get(po.id, [])
        for line in lines:
            line["line_total"] = round_money(line["quantity"] * line["unit_cost"], po.currency)
        found.append(
            {
                "id": po.id,
                "number": po.number,
                "status": po.status,
                "supplier": supplier,
                "drafted_at": po.ordered_at,  # for a sent order: when it was sent
                "expected_on": po.expected_on,
                "currency": po.currency,
                "lines": lines,
                "units": sum(line["quantity"] for line in lines),
                "total": sum((line["line_total"] for line in lines), Decimal(0)),
            }
        )
    return found


def plan_date(session: Session, now: datetime) -> date:
    """The store's business day at `now`: the day a plan, an export or a backtest is made for."""
    return business_day(now, store_settings(session).timezone)
