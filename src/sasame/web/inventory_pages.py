"""The Inventory page: what to order today, stockout risk, slow movers, forecast vs actual, the backtest.

Routes parse the request, call inventory queries or services, and render; nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from sasame.business.service import store_settings
from sasame.core.clock import system_clock
from sasame.core.errors import UserError
from sasame.inventory import queries as inventory_queries
from sasame.inventory.po_lifecycle import receive_purchase_order, send_purchase_order
from sasame.inventory.policy import HOLDING_RATE
from sasame.inventory.service import (
    CannotReplay,
    count_purchase_orders,
    draft_purchase_orders,
    plan_date,
    purchase_orders_with_lines,
    replay_store,
    run_plan,
)
from sasame.jobs.lease import holding
from sasame.jobs.pipeline import INVENTORY_BACKTEST_STEP, INVENTORY_PLAN_STEP
from sasame.models import User
from sasame.models.supply import OPEN_PURCHASE_ORDER_STATUSES
from sasame.overview import queries as overview_queries
from sasame.web.background import WAIT_SECONDS, BackgroundWork
from sasame.web.deps import api_user, db_session, now, page_user
from sasame.web.pages import back_with_message, render

pages = APIRouter(include_in_schema=False, dependencies=[Depends(page_user)])
api = APIRouter(prefix="/api/inventory", tags=["inventory"], dependencies=[Depends(api_user)])

SessionDep = Annotated[Session, Depends(db_session)]
NowDep = Annotated[datetime, Depends(now)]
UserDep = Annotated[User, Depends(page_user)]
SkuQuery = Annotated[str | None, Query(max_length=100)]


CHART_SKUS_LISTED = 50
"""SKUs the chart's chooser lists, busiest first. A store with no more than this many gets a
drop-down of them all; a bigger one a search box that offers these and, as the owner types, the
matches of /api/inventory/skus (a 10,000-SKU store's full drop-down was 9,995 options, 1 MB)."""
SKU_SEARCH_LIMIT = 20
"""Matches /api/inventory/skus returns unless asked for fewer."""


def _chart(
    session: Session, instant: datetime, plan_id: int | None, sku: str | None
) -> dict[str, Any] | None:
    if plan_id is None:
        return None
    listed = inventory_queries.forecast_skus(session, plan_id, limit=CHART_SKUS_LISTED + 1)
    if not listed:
        return None
    searchable = len(listed) > CHART_SKUS_LISTED
    listed = listed[:CHART_SKUS_LISTED]
    chosen, unmatched = listed[0][0], None
    if sku and sku.strip():
        if inventory_queries.is_forecast_sku(session, plan_id, sku):
            chosen = sku
        else:
            # Typed into the search box and sent without picking a suggestion (or without
            # JavaScript): the best match by SKU or title, as the suggestions would have offered.
            found = inventory_queries.search_forecast_skus(session, plan_id, sku, limit=1)
            if found:
                chosen = found[0][0]
            else:
                unmatched = sku.strip()
    data = inventory_queries.forecast_vs_actual(session, chosen, plan_date(session, instant))
    return {
        "skus": listed,
        "searchable": searchable,
        "selected": chosen,
        "asked": sku.strip() if sku else None,
        "unmatched": unmatched,
        "data": data,
    }


SUGGESTIONS_SHOWN = 50
"""Reorder suggestions listed on the page, the earliest order-by date first (a 10,000-SKU store's
plan makes 845: 329 KB of HTML); /api/inventory/plan lists them all, and "Draft today's orders"
drafts every one due before the next review, listed or not."""
STOCKOUT_RISKS_SHOWN = 50
"""SKUs at risk of a stockout listed on the page, the soonest to run out first (the plan keeps them
in that order; 541 on a 10,000-SKU store, 167 KB); /api/inventory/plan lists them all."""
TRANSFERS_SHOWN = 50
"""Transfers listed on the page, the least cover after the move first (the plan keeps them in that
order; 571 on a 10,000-SKU store, 99 KB); /api/inventory/plan lists them all."""
SLOW_MOVERS_SHOWN = 200
"""Slow movers listed on the page, the most cash tied up first (the plan keeps them in that
order); /api/inventory/plan lists them all."""
STOCK_ROWS_SHOWN = 300
"""Stock rows listed on the page (a 10,000-SKU store has 17,000: 5.7 MB of HTML); /api/inventory
lists them all."""


PURCHASE_ORDERS_SHOWN = 20
"""Purchase orders on order listed on the page; /api/inventory/purchase-orders/on-order lists them all."""
PURCHASE_ORDER_LINES_SHOWN = 25
"""Lines listed under each purchase order on the page, draft or on order: a 10,000-SKU store's 27
orders on order have 3,974 lines, up to 336 each (0.7 MB of HTML); the summary line still counts and
totals them all, and the JSON endpoints list them all."""


def _on_order(session: Session) -> dict[str, Any]:
    """The purchase orders on order: all of a few, newest first; of more than
    PURCHASE_ORDERS_SHOWN, those expected soonest (the overdue first), the next to receive."""
    total = count_purchase_orders(session, OPEN_PURCHASE_ORDER_STATUSES)
    capped = total > PURCHASE_ORDERS_SHOWN
    shown = purchase_orders_with_lines(
        session,
        OPEN_PURCHASE_ORDER_STATUSES,
        limit=PURCHASE_ORDERS_SHOWN if capped else None,
        soonest_first=capped,
    )
    return {"on_order": shown, "on_order_total": total}


def _stock_rows(session: Session) -> dict[str, Any]:
    """The stock table's rows: all of a small store's, by SKU; on a long list, those with nothing
    available first (what needs the owner), then the rest by SKU, up to STOCK_ROWS_SHOWN, read by
    the database alone (a 10,000-SKU store's 17,315 rows took 0.87 s to read for the 300 shown)."""
    total = overview_queries.count_stock_rows(session)
    capped = total > STOCK_ROWS_SHOWN
    shown = overview_queries.inventory_overview(
        session, limit=STOCK_ROWS_SHOWN if capped else None, nothing_available_first=capped
    )
    return {"rows": shown, "stock_rows_total": total}


PLANNING = INVENTORY_PLAN_STEP
"""The kind of background run both plan buttons start (`web.background`): one plan at a time, and
never beside the daily pipeline's (the same lease)."""
REPLAYING = INVENTORY_BACKTEST_STEP
"""The kind of background run "Replay now" starts: the store's history replayed against the manual
rule and `ma_rs`, never beside the pipeline's weekly replay."""
REFRESH_SECONDS = 15
"""While a plan or a replay runs, the page reloads this often."""


def _background(
    request: Request, session: Session, instant: datetime, kind: str
) -> tuple[int | None, str | None]:
    """What the page says of a run of `kind`: for how many seconds it has been running (None when it
    is not), and the error of one started from the page that failed after its request had its answer
    (told once). A run the daily pipeline is making (its lease held, `jobs.lease`) is running too."""
    background: BackgroundWork = request.app.state.background
    running = background.running(kind)
    failed = background.failed(kind)
    seconds = None
    if running:
        seconds = int((instant - running.started_at).total_seconds())
    else:
        wall = system_clock()  # a lease is kept in wall-clock time, whatever the page's clock says
        held = holding(session, kind, wall)
        seconds = int((wall - held.acquired_at).total_seconds()) if held else None
    return seconds, str(failed.error) if failed else None


def _running(request: Request, session: Session, instant: datetime) -> dict[str, Any]:
    planning, planning_failed = _background(request, session, instant, PLANNING)
    replaying, replaying_failed = _background(request, session, instant, REPLAYING)
    return {
        "planning_seconds": planning,
        "planning_failed": planning_failed,
        "replaying_seconds": replaying,
        "replaying_failed": replaying_failed,
        "refresh_seconds": REFRESH_SECONDS if planning is not None or replaying is not None else None,
    }


def _holding_percent(summary: dict[str, Any]) -> str:
    """The yearly holding rate the plan used, as a percent ('25'); plans stored before it was a
    setting used the default."""
    rate = Decimal(str(summary.get("holding_rate", HOLDING_RATE)))
    return f"{(rate * 100).normalize():f}"


@pages.get("/inventory")
def inventory(
    request: Request, session: SessionDep, user: UserDep, instant: NowDep, sku: SkuQuery = None
) -> Response:
    profile = store_settings(session)
    saved = inventory_queries.latest_plan(session, suggestions_limit=SUGGESTIONS_SHOWN)
    plan = saved.plan if saved else None
    risks = (plan.lists.get("stockout_risk") or []) if plan else []
    slow_movers = (plan.lists.get("slow_movers") or []) if plan else []
    transfers = (plan.lists.get("transfers") or []) if plan else []
    context = {
        "user": user,
        "store": profile,
        "active": "inventory",
        **_stock_rows(session),
        "plan": plan,
        "suggestions": saved.suggestions if saved else [],
        "suggestions_total": saved.suggestions_total if saved else 0,
        "risks": risks[:STOCKOUT_RISKS_SHOWN],
        "risks_total": len(risks),
        "slow_movers": [
            {
                **row,
                "cash_tied_up": Decimal(row["cash_tied_up"]),
                # Plans stored before holding costs were priced have none.
                "holding_cost_per_year": Decimal(row["holding_cost_per_year"])
                if "holding_cost_per_year" in row
                else None,
            }
            for row in slow_movers[:SLOW_MOVERS_SHOWN]
        ],
        "slow_movers_total": len(slow_movers),
        "cash_tied_up": Decimal(str(plan.summary.get("cash_tied_up", "0"))) if plan else Decimal(0),
        "holding_percent": _holding_percent(plan.summary if plan else {}),
        "transfers": transfers[:TRANSFERS_SHOWN],
        "transfers_total": len(transfers),
        "backtest": inventory_queries.backtest_table(plan.backtest) if plan else None,
        "chart": _chart(session, instant, plan.id if plan else None, sku),
        "drafts": purchase_orders_with_lines(session),
        "po_lines_shown": PURCHASE_ORDER_LINES_SHOWN,
        **_on_order(session),
        "message": request.query_params.get("message"),
        "replay_message": request.query_params.get("replay_message"),
        **_running(request, session, instant),
        # Orders expected before today are shown late; the plan expects them tomorrow at the soonest.
        "today": plan_date(session, instant),
    }
    return render(request, "inventory.html", context)


def _in_background(
    request: Request, instant: datetime, kind: str, work: Callable[[Session], object], done: str
) -> Response:
    """Start `work` (a plan, a replay) in the background and wait for it a little
    (`background.WAIT_SECONDS`): done, the browser goes to `done`; a plan of thousands of SKUs still
    running, back to the page, which says so and reloads until it is over; failed, the request fails
    with its error. A run of the same kind already going is joined, not doubled."""
    background: BackgroundWork = request.app.state.background
    run = background.start(kind, instant, work)
    if not background.wait(run, WAIT_SECONDS):
        return RedirectResponse("/inventory", status_code=303)
    return RedirectResponse(done, status_code=303)


@pages.post("/inventory/plan")
def make_plan_now(request: Request, instant: NowDep) -> Response:
    """Re-plan now (the daily pipeline does it every morning anyway)."""
    return _in_background(
        request, instant, PLANNING, lambda session: run_plan(session, instant), "/inventory"
    )


def _plan_and_draft(session: Session, instant: datetime) -> None:
    plan, _ = run_plan(session, instant)
    draft_purchase_orders(session, instant, None, plan=plan)


@pages.post("/inventory/purchase-orders/draft")
def draft_orders_now(request: Request, instant: NowDep) -> Response:
    """Plan now and record what is due before the next review as draft purchase orders, one per
    supplier (a draft already open is refreshed, not duplicated). Nothing is sent."""
    return _in_background(
        request,
        instant,
        PLANNING,
        lambda session: _plan_and_draft(session, instant),
        "/inventory#draft-purchase-orders",
    )


@pages.post("/inventory/backtest")
def replay_now(request: Request, instant: NowDep) -> Response:
    """Replay the store's history now (the pipeline does it once a week, for up to 1,000 SKUs) and
    show it with the plan; a store that cannot be replayed yet is told why."""
    try:
        return _in_background(
            request, instant, REPLAYING, lambda session: replay_store(session, instant), "/inventory#backtest"
        )
    except CannotReplay as reason:
        return RedirectResponse(f"/inventory?replay_message={quote(str(reason))}#backtest", status_code=303)


@pages.post("/inventory/purchase-orders/send")
def send_order(
    session: SessionDep, user: UserDep, instant: NowDep, number: Annotated[str, Form(max_length=60)]
) -> Response:
    """The owner sent a draft: it gets the store's next PO number and counts as on order."""
    try:
        po = send_purchase_order(session, number, instant, by=user.email)
    except UserError as error:
        return back_with_message("/inventory", str(error), "draft-purchase-orders")
    return back_with_message("/inventory", f"{number} sent as {po.number}.", "on-order")


@pages.post("/inventory/purchase-orders/receive")
def receive_order(
    session: SessionDep, user: UserDep, instant: NowDep, number: Annotated[str, Form(max_length=60)]
) -> Response:
    """Everything still outstanding on a sent order arrived (part deliveries: `sasame inventory po
    receive NUMBER --line SKU=QTY`)."""
    try:
        delivery = receive_purchase_order(session, number, instant, by=user.email)
    except UserError as error:
        return back_with_message("/inventory", str(error), "on-order")
    units = sum(line.quantity for line in delivery.lines)
    return back_with_message(
        "/inventory", f"{number}: {units} units received, order {delivery.status}.", "on-order"
    )


def _purchase_orders_json(orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Purchase orders as `purchase_orders_with_lines` gives them, money as decimal strings."""
    return [
        {
            **order,
            "drafted_at": order["drafted_at"].isoformat(),
            "expected_on": order["expected_on"].isoformat(),
            "total": {"amount": str(order["total"]), "currency": order["currency"]},
            "lines": [
                {**line, "unit_cost": str(line["unit_cost"]), "line_total": str(line["line_total"])}
                for line in order["lines"]
            ],
        }
        for order in orders
    ]


@api.get("/purchase-orders/drafts")
def drafts_json(session: SessionDep) -> dict[str, Any]:
    """The open draft purchase orders and their lines (money as decimal strings)."""
    return {"drafts": _purchase_orders_json(purchase_orders_with_lines(session))}


@api.get("/purchase-orders/on-order")
def on_order_json(session: SessionDep) -> dict[str, Any]:
    """Every purchase order sent and not fully received, newest first, with its lines (the page
    lists the first PURCHASE_ORDERS_SHOWN; money as decimal strings; `drafted_at` is when it was
    sent)."""
    return {
        "on_order": _purchase_orders_json(purchase_orders_with_lines(session, OPEN_PURCHASE_ORDER_STATUSES))
    }


@api.get("/forecast")
def forecast_json(
    session: SessionDep, instant: NowDep, sku: Annotated[str, Query(max_length=100)]
) -> dict[str, Any]:
    """Daily units sold and the saved forecasts (mean and interval) of one SKU."""
    data = inventory_queries.forecast_vs_actual(session, sku, plan_date(session, instant))
    if data is None:
        raise HTTPException(status_code=404, detail=f"no SKU {sku}")
    return data


@api.get("/skus")
def skus_json(
    session: SessionDep,
    q: Annotated[str, Query(max_length=100)] = "",
    limit: Annotated[int, Query(ge=1, le=SKU_SEARCH_LIMIT)] = SKU_SEARCH_LIMIT,
) -> dict[str, Any]:
    """The latest plan's forecast SKUs whose SKU or title contains `q` (any case), the exact SKU
    first, then SKUs starting with it; without `q`, the busiest. What the chart can be drawn for."""
    saved = inventory_queries.latest_plan_id(session)
    if saved is None:
        found: list[tuple[str, str]] = []
    elif q.strip():
        found = inventory_queries.search_forecast_skus(session, saved, q, limit)
    else:
        found = inventory_queries.forecast_skus(session, saved, limit)
    return {"skus": [{"sku": sku, "title": title} for sku, title in found]}


@api.get("/plan")
def plan_json(session: SessionDep) -> dict[str, Any]:
    """The latest saved plan: all its suggestions and the lists shown on the page, which lists the
    first of each (money as decimal strings)."""
    saved = inventory_queries.latest_plan(session)
    if saved is None:
        return {"plan": None}
    plan = saved.plan
    return {
        "plan": {
            "plan_date": plan.plan_date.isoformat(),
            "made_at": plan.made_at.isoformat(),
            "currency": plan.currency,
            "summary": {key: value for key, value in plan.summary.items() if key != "fits"},
            "suggestions": [
                {
                    **s,
                    "cost": {"amount": str(s["cost"]), "currency": s["currency"]},
                    "order_by": s["order_by"].isoformat(),
                    "expected_on": s["expected_on"].isoformat(),
                    "stockout_on": s["stockout_on"].isoformat() if s["stockout_on"] else None,
                }
                for s in saved.suggestions
            ],
            **plan.lists,
            "backtest": plan.backtest,
        }
    }
