"""`sasame inventory ...`: thin commands over the inventory services."""

from __future__ import annotations

import json
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from sasame.cli_options import DbOption, JsonOption, open_database
from sasame.core.clock import system_clock
from sasame.core.errors import UserError
from sasame.core.money import MAX_AMOUNT
from sasame.db import transaction

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from sasame.inventory.plan import Plan

app = typer.Typer(help="Forecast demand, plan what to order, and backtest the policy.", no_args_is_help=True)


# --- plan, demand export and purchase-order drafts ---------------------------------------------


def _planning_alone(engine: Engine, stores: bool = True) -> AbstractContextManager[object]:
    """Hold the plan's lease while a command stores a plan or drafts: the daily pipeline or the
    Inventory page planning at this moment is waited for, not planned beside (`jobs.lease`)."""
    from sasame.jobs.lease import acquire_telling
    from sasame.jobs.pipeline import INVENTORY_PLAN_STEP

    if not stores:
        return nullcontext()
    return acquire_telling(engine, INVENTORY_PLAN_STEP, lambda text: Console(stderr=True).print(text))


po_app = typer.Typer(
    help="Draft purchase orders from today's plan, mark them sent and received.", no_args_is_help=True
)
app.add_typer(po_app, name="po")


@app.command("plan")
def plan_command(
    db: DbOption = None,
    as_json: JsonOption = False,
    budget: Annotated[
        str | None,
        typer.Option(help="Cash available for today's orders, in the store currency, e.g. 5000.00."),
    ] = None,
    review_days: Annotated[int, typer.Option("--review-days", min=1, help="Days until the next review.")] = 7,
    service_level: Annotated[
        float | None,
        typer.Option(
            "--service-level",
            min=0.5,
            max=0.999,
            help="One cycle service level for every SKU (default: by ABC/XYZ class and channel).",
        ),
    ] = None,
    levels: Annotated[
        str,
        typer.Option(
            "--levels",
            help="Service level per SKU: 'class' (ABC/XYZ and channel) or 'value' (the backtest's default).",
        ),
    ] = "class",
    backtest: Annotated[
        Path | None,
        typer.Option("--backtest", help="A `sasame inventory backtest --json` result to show with the plan."),
    ] = None,
    save: Annotated[bool, typer.Option("--save/--no-save", help="Store the plan for the dashboard.")] = True,
    holding_rate_option: Annotated[
        str | None,
        typer.Option(
            "--holding-rate",
            help="A year's cost of holding stock as a share of its value at cost "
            "(default: SASAME_HOLDING_RATE, else 0.25).",
        ),
    ] = None,
) -> None:
    """Forecast every SKU and say what to order, how much, from whom and by when."""
    from decimal import Decimal, InvalidOperation

    from sasame.inventory.plan import PlanSettings
    from sasame.inventory.service import (
        configured_holding_rate,
        holding_rate,
        make_plan,
        read_backtest,
        save_plan,
    )

    cash: Decimal | None = None
    if budget is not None:
        try:
            cash = Decimal(budget)
        except InvalidOperation as error:
            raise UserError(f"--budget: {budget!r} is not an amount like 5000.00") from error
        if not cash.is_finite() or cash < 0:
            raise UserError(f"--budget: {budget!r} must be a positive amount")
        if cash >= MAX_AMOUNT:
            raise UserError(f"--budget: {budget!r} is more than an amount sasame can store")
    rate = (
        holding_rate(holding_rate_option, "--holding-rate")
        if holding_rate_option is not None
        else configured_holding_rate()
    )
    if levels not in ("class", "value"):
        raise UserError(f"--levels: {levels!r} is not one of class, value")
    document = read_backtest(backtest) if backtest is not None else None
    _, engine = open_database(db)
    now = system_clock()
    settings = PlanSettings(
        review_days=review_days, budget=cash, service_level=service_level, levels=levels, holding_rate=rate
    )
    started = time.perf_counter()
    with _planning_alone(engine, save), transaction(engine) as session:
        plan = make_plan(session, now, settings)
        seconds = time.perf_counter() - started
        if save:
            save_plan(session, plan, now, seconds, document)
    if as_json:
        print(json.dumps({**plan.as_dict(), "seconds": round(seconds, 3)}, indent=2))
        return
    _print_plan(plan, seconds)


def _print_plan(plan: Plan, seconds: float) -> None:
    console = Console()
    totals = plan.totals()
    console.print(
        f"Plan for {plan.today.isoformat()}: {totals['suggestions']} reorder suggestions in the next "
        f"{plan.settings.lookahead_days} days, {totals['due_before_next_review']} to order before the next "
        f"review ({totals['order_value']} {plan.currency}), "
        f"{totals['stockout_risks']} at risk of a stockout, {totals['slow_movers']} slow movers, "
        f"{totals['dead_stock']} dead stock, {totals['transfers']} transfers ({seconds:.1f} s)",
        highlight=False,
    )
    if plan.margin_lowered:
        lowered = plan.margin_lowered
        named = ", ".join(lowered[:10]) + (", ..." if len(lowered) > 10 else "")
        console.print(
            f"{len(lowered)} SKU(s) planned below their class's service level: at a holding cost of "
            f"{plan.settings.holding_rate:%} a year their margin does not pay for more stock ({named}).",
            highlight=False,
        )
    if plan.suggestions:
        table = Table(
            "SKU", "Supplier", "Qty", "Cost", "Order by", "Arrives", "Runs out", title="What to order"
        )
        for s in plan.suggestions:
            table.add_row(
                s.sku,
                s.supplier,
                f"{s.quantity:,}",
                f"{s.cost:,}" + ("" if s.is_funded else " (over budget)"),
                s.order_by.isoformat(),
                s.expected_on.isoformat(),
                s.stockout_on.isoformat() if s.stockout_on else "-",
            )
        console.print(table)
    if plan.risks:
        table = Table(
            "SKU", "Available", "Per day", "Runs out", "Next arrival", "Chance", title="Stockout risk"
        )
        for r in plan.risks[:20]:
            table.add_row(
                r.sku,
                f"{r.available:,}",
                f"{r.daily_demand:.1f}",
                r.stockout_on.isoformat() if r.stockout_on else "-",
                r.next_arrival_on.isoformat() if r.next_arrival_on else "-",
                f"{r.probability:.0%}",
            )
        console.print(table)
    if plan.slow_movers:
        table = Table(
            "SKU",
            "On hand",
            "Weeks of cover",
            "Cash tied up",
            "A year's holding",
            "Markdown",
            title="Slow movers and dead stock",
        )
        for slow in plan.slow_movers[:20]:
            cover = "no sales expected" if slow.weeks_of_cover is None else f"{slow.weeks_of_cover:.0f}"
            table.add_row(
                slow.sku + (" (dead)" if slow.is_dead else ""),
                f"{slow.on_hand:,}",
                cover,
                f"{slow.cash_tied_up:,}",
                f"{slow.holding_cost_per_year:,}",
                f"{slow.markdown_percent}%",
            )
        console.print(table)
    if plan.transfers:
        table = Table("SKU", "From", "To", "Units", "Days of cover", title="Transfers")
        for t in plan.transfers:
            table.add_row(t.sku, t.from_location, t.to_location, f"{t.quantity:,}", f"{t.days_of_cover:.0f}")
        console.print(table)


@app.command("demand")
def demand_command(
    out: Annotated[Path, typer.Option("--out", help="CSV to write: sku,date,units,unit_cost,price.")],
    db: DbOption = None,
) -> None:
    """Export the store's daily demand per SKU in the backtest's CSV format."""
    from sasame.inventory.service import export_demand

    _, engine = open_database(db, migrate=False)
    with transaction(engine) as session:
        rows = export_demand(session, system_clock(), out)
    typer.echo(f"Wrote {rows:,} rows to {out}")


@po_app.command("draft")
def po_draft_command(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Also write a CSV, a PDF and an email text per supplier to this folder."),
    ] = None,
    supplier: Annotated[str | None, typer.Option(help="Only this supplier (its name).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record today's purchase orders per supplier as drafts (refreshed when run again), and write files.

    Drafts are `purchase_order` rows with status 'draft', shown on the dashboard's Inventory page; one
    open draft per supplier, updated in place by a later run. Nothing is sent."""
    from sasame.inventory.service import draft_purchase_orders

    _, engine = open_database(db)
    with _planning_alone(engine), transaction(engine) as session:
        orders, files = draft_purchase_orders(session, system_clock(), out, supplier=supplier)
    paths = {draft.supplier: draft for draft in files}
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "supplier": order.supplier,
                        "number": order.number,
                        "status": "draft",
                        "action": order.action,
                        "lines": order.lines,
                        "units": order.units,
                        "total": str(order.total),
                        "currency": order.currency,
                        "expected_on": order.expected_on.isoformat(),
                        **(
                            {
                                "csv": str(paths[order.supplier].csv_path),
                                "pdf": str(paths[order.supplier].pdf_path),
                                "email": str(paths[order.supplier].email_path),
                            }
                            if order.supplier in paths
                            else {}
                        ),
                    }
                    for order in orders
                ],
                indent=2,
            )
        )
        return
    if not orders:
        typer.echo("Nothing to order today: no purchase order drafted.")
    for order in orders:
        summary = f"{order.lines} lines, {order.units:,} units, {order.total} {order.currency}"
        where = f" -> {paths[order.supplier].pdf_path}" if order.supplier in paths else ""
        typer.echo(f"{order.number}  {order.supplier}: draft {order.action}, {summary}{where}")


OWNER = "owner (cli)"


@po_app.command("send")
def po_send_command(
    number: Annotated[str, typer.Argument(help="The draft's number, e.g. DRAFT-20261128-ACME.")],
    new_number: Annotated[
        str | None,
        typer.Option("--number", help="The real number to give it (default: the store's next PO-<n>)."),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Mark a draft purchase order sent: it gets a real number, counts as on order for the plan and
    leaves the draft refresh."""
    from sasame.inventory.po_lifecycle import send_purchase_order

    _, engine = open_database(db)
    with transaction(engine) as session:
        po = send_purchase_order(session, number, system_clock(), by=OWNER, new_number=new_number)
        real, status, expected_on = po.number, po.status, po.expected_on
    if as_json:
        sent = {"draft": number, "number": real, "status": status, "expected_on": expected_on.isoformat()}
        print(json.dumps(sent, indent=2))
        return
    typer.echo(f"{number} sent as {real}, expected {expected_on:%Y-%m-%d}")


def _line_quantities(lines: list[str]) -> dict[str, int] | None:
    """`SKU=QTY` options as {SKU: QTY}; None for none (receive everything outstanding)."""
    if not lines:
        return None
    quantities: dict[str, int] = {}
    for text in lines:
        sku, equals, units = text.partition("=")
        if not equals or not sku.strip() or not units.strip().lstrip("-").isdigit():
            raise UserError(f"--line {text!r}: expected SKU=QTY, e.g. MUG=24")
        if sku.strip() in quantities:
            raise UserError(f"--line {sku.strip()}: given twice")
        quantities[sku.strip()] = int(units)
    return quantities


@po_app.command("receive")
def po_receive_command(
    number: Annotated[str, typer.Argument(help="The sent purchase order's number, e.g. PO-1286.")],
    line: Annotated[
        list[str] | None,
        typer.Option("--line", help="SKU=QTY delivered (repeat per SKU); default: all still outstanding."),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Book a delivery against a sent purchase order: receipt movements at its location (valued at
    the lines' landed cost by the finance posting), stock levels up, the order partial or received."""
    from sasame.inventory.po_lifecycle import receive_purchase_order

    quantities = _line_quantities(line or [])
    _, engine = open_database(db)
    with transaction(engine) as session:
        delivery = receive_purchase_order(session, number, system_clock(), by=OWNER, quantities=quantities)
    if as_json:
        lines = [
            {"sku": r.sku, "quantity": r.quantity, "received": r.received, "ordered": r.ordered}
            for r in delivery.lines
        ]
        print(json.dumps({"number": number, "status": delivery.status, "lines": lines}, indent=2))
        return
    for r in delivery.lines:
        typer.echo(f"{r.sku}: +{r.quantity} ({r.received} of {r.ordered} received)")
    typer.echo(f"{number} is {delivery.status}")


# --- backtest ----------------------------------------------------------------------------------


@app.command("backtest")
def backtest_command(
    demand: Annotated[
        Path | None, typer.Option("--demand", help="CSV: sku,date,units[,unit_cost,price,promo].")
    ] = None,
    store: Annotated[
        bool,
        typer.Option(
            "--store",
            help="Replay the store's own daily sales from the database instead of a CSV, and show the "
            "result on the dashboard's Inventory page.",
        ),
    ] = False,
    db: DbOption = None,
    freq: Annotated[str, typer.Option("--freq", help="Frequency of the rows: D, W or M.")] = "D",
    lead_time: Annotated[
        float | None,
        typer.Option(
            "--lead-time",
            help="Mean lead time, in periods (default 7; with --store, each SKU's supplier's as learned).",
        ),
    ] = None,
    lead_time_sd: Annotated[
        float | None, typer.Option("--lead-time-sd", help="Lead-time standard deviation (default 2).")
    ] = None,
    review: Annotated[int, typer.Option("--review", help="Review period, in periods.")] = 1,
    start: Annotated[
        str | None, typer.Option("--start", help="First simulated period (default: mid-history).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for the lead-time draws.")] = 0,
    service_level: Annotated[
        float, typer.Option("--service-level", help="Target service level shared by sasame and ma_rs.")
    ] = 0.95,
    levels: Annotated[
        str,
        typer.Option(
            "--levels", help="sasame's level per SKU: 'value' (by unit cost) or 'class' (the plan's ABC/XYZ)."
        ),
    ] = "value",
    as_json: JsonOption = False,
    trajectory: Annotated[
        Path | None, typer.Option("--trajectory", help="Write policy,sku,date,... per period to this CSV.")
    ] = None,
) -> None:
    """Replay the demand history against sasame, the manual rule and a moving-average (R, S) policy.

    With --store the history is the store's own (what `sasame inventory demand` exports, promotion
    days included), and the result is stored with the latest plan for the dashboard."""
    from datetime import date

    from sasame.inventory.backtest import (
        DEFAULT_LEAD_TIME,
        DEFAULT_LEAD_TIME_SD,
        BacktestConfig,
        backtest_document,
        read_demand_csv,
        run_backtest,
        write_trajectory,
    )

    if (demand is None) == (not store):
        raise UserError("give either --demand FILE.csv or --store (the store's own history)")
    if freq.upper() not in ("D", "W", "M"):
        raise UserError(f"--freq: {freq!r} is not one of D, W, M")
    if store and freq.upper() != "D":
        raise UserError("--freq: the store's history is daily; --store takes only D")
    first: date | None = None
    if start is not None:
        try:
            first = date.fromisoformat(start)
        except ValueError:
            raise UserError(f"--start: {start!r} is not a date like 2026-03-31") from None
    if not 0.5 <= service_level < 1.0:
        raise UserError(f"--service-level: {service_level} must be at least 0.5 and below 1")
    if levels not in ("class", "value"):
        raise UserError(f"--levels: {levels!r} is not one of value, class")
    config = BacktestConfig(
        freq=freq.upper(),
        lead_time=DEFAULT_LEAD_TIME if lead_time is None else lead_time,
        lead_time_sd=DEFAULT_LEAD_TIME_SD if lead_time_sd is None else lead_time_sd,
        review=review,
        start=first,
        seed=seed,
        service_level=service_level,
        levels=levels,
    )
    began = time.perf_counter()
    if demand is not None:
        result = run_backtest(read_demand_csv(demand, config.freq), config)
        document = backtest_document(result, seconds=time.perf_counter() - began)
        shown_with: int | None = None
    else:
        from sasame.inventory.service import backtest_store, store_lead_times

        _, engine = open_database(db)
        with transaction(engine) as session:
            if lead_time is None and lead_time_sd is None:
                # The store's own suppliers, as the plan sees them; SKUs without one take the defaults.
                config.sku_lead_times = store_lead_times(session)
            result, document, shown_with = backtest_store(session, system_clock(), config)
    if trajectory is not None:
        write_trajectory(result, trajectory)
    if as_json:
        print(json.dumps(document, indent=2))
        return
    table = Table(
        "Policy", "Stockout periods", "Fill rate", "Lost units", "Avg inventory value", "Turns", "Orders"
    )
    for name, figures in document["policies"].items():
        table.add_row(
            name,
            f"{figures['stockout_periods']:,}",
            f"{figures['fill_rate']:.2%}",
            f"{figures['lost_sales_units']:,.0f}",
            f"{figures['average_inventory_value']:,.2f}",
            f"{figures['inventory_turns']:.1f}",
            f"{figures['orders']:,}",
        )
    Console().print(table)
    for key, value in document["comparison"].items():
        typer.echo(f"{key.replace('_', ' ')}: {value:+.1%}")
    if store:
        typer.echo(
            "Shown on the Inventory page with the latest plan."
            if shown_with is not None
            else "No plan stored yet: run `sasame inventory plan`, then this again, to show it on the "
            "dashboard."
        )
