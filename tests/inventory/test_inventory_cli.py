"""`sasame inventory plan | demand | po draft` on the tiny store, at a fixed instant and forecast."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from test_plan import fixed_forecaster
from tiny_store import NOW, build
from typer.testing import CliRunner

from sasame import models as m
from sasame.cli import app
from sasame.core.errors import UserError
from sasame.jobs import lease as lease_module
from sasame.jobs.lease import acquire
from sasame.jobs.pipeline import INVENTORY_PLAN_STEP

runner = CliRunner()


@pytest.fixture
def store_url(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> str:
    build(engine)
    monkeypatch.setattr("sasame.inventory.cli.system_clock", lambda: NOW)
    monkeypatch.setattr("sasame.inventory.service._forecaster", lambda: fixed_forecaster({}))
    return engine.url.render_as_string(hide_password=False)


def test_plan_json_and_stored(store_url: str, engine: Engine):
    result = runner.invoke(app, ["inventory", "plan", "--db", store_url, "--json", "--service-level", "0.9"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["today"] == "2025-03-11"
    assert [(s["sku"], s["quantity"], s["cost"], s["order_by"]) for s in plan["suggestions"]] == [
        ("MUG", 48, "288.00", "2025-03-11"),
        ("TEE-S", 24, "192.00", "2025-03-16"),  # its reorder point 29.43 on the 16th
    ]
    assert plan["purchase_orders"] == {"Acme": {"lines": 2, "units": 72, "cost": "480.00"}}
    assert [r["sku"] for r in plan["stockout_risk"]] == ["MUG"]
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(m.InventoryPlan)) == 1


def test_plan_table_and_a_bad_budget(store_url: str):
    result = runner.invoke(
        app, ["inventory", "plan", "--db", store_url, "--no-save", "--service-level", "0.9"]
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # the terminal wraps long lines
    assert "Plan for 2025-03-11: 2 reorder suggestions in the next 28 days" in text
    assert "2 to order before the next review (480.00 USD), 1 at risk of a stockout" in text
    bad = runner.invoke(app, ["inventory", "plan", "--db", store_url, "--budget", "lots"])
    assert isinstance(bad.exception, UserError)
    assert str(bad.exception) == "--budget: 'lots' is not an amount like 5000.00"


def test_demand_export_in_the_backtest_format(store_url: str, tmp_path: Path):
    out = tmp_path / "demand.csv"
    result = runner.invoke(app, ["inventory", "demand", "--db", store_url, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Wrote 30 rows to {out}"
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 30  # MUG, TEE-M and TEE-S, ten days each; the bundle is in its parts
    assert {(r["sku"], r["date"], r["units"]) for r in rows if r["units"] != "0"} == {
        ("MUG", "2025-03-01", "2"),
        ("MUG", "2025-03-02", "3"),
        ("MUG", "2025-03-04", "2"),
        ("TEE-S", "2025-03-04", "2"),
        ("TEE-S", "2025-03-05", "3"),
    }


def test_po_draft_writes_csv_pdf_and_email(store_url: str, tmp_path: Path):
    result = runner.invoke(
        app, ["inventory", "po", "draft", "--db", store_url, "--out", str(tmp_path), "--json"]
    )
    assert result.exit_code == 0, result.output
    drafts = json.loads(result.output)
    assert [(d["supplier"], d["number"], d["lines"]) for d in drafts] == [("Acme", "DRAFT-20250311-ACME", 2)]
    for key in ("csv", "pdf", "email"):
        assert Path(drafts[0][key]).exists()
    assert Path(drafts[0]["pdf"]).read_bytes()[:4] == b"%PDF"


def test_po_draft_records_draft_rows_and_refreshes_them(store_url: str, engine: Engine):
    def draft() -> list[dict]:
        result = runner.invoke(app, ["inventory", "po", "draft", "--db", store_url, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    first = draft()
    assert [(d["number"], d["status"], d["action"], d["lines"], d["units"], d["total"]) for d in first] == [
        ("DRAFT-20250311-ACME", "draft", "created", 2, 72, "480.00")
    ]
    assert "pdf" not in first[0]  # no --out: rows only
    again = draft()
    assert [(d["number"], d["action"]) for d in again] == [("DRAFT-20250311-ACME", "updated")]
    with Session(engine) as session:
        drafts = session.scalars(select(m.PurchaseOrder).where(m.PurchaseOrder.status == "draft")).all()
        assert [po.number for po in drafts] == ["DRAFT-20250311-ACME"]
        lines = session.scalar(
            select(func.count(m.PurchaseOrderLine.id)).where(
                m.PurchaseOrderLine.purchase_order_id == drafts[0].id
            )
        )
    assert lines == 2
    text = runner.invoke(app, ["inventory", "po", "draft", "--db", store_url])
    assert text.exit_code == 0, text.output
    assert text.output == "DRAFT-20250311-ACME  Acme: draft updated, 2 lines, 72 units, 480.00 USD\n"


def test_po_send_then_receive_in_two_deliveries(store_url: str, engine: Engine):
    assert runner.invoke(app, ["inventory", "po", "draft", "--db", store_url]).exit_code == 0
    sent = runner.invoke(app, ["inventory", "po", "send", "DRAFT-20250311-ACME", "--db", store_url])
    assert sent.exit_code == 0, sent.output
    assert sent.output == "DRAFT-20250311-ACME sent as PO-1001, expected 2025-03-26\n"
    part = runner.invoke(
        app, ["inventory", "po", "receive", "PO-1001", "--line", "MUG=20", "--db", store_url, "--json"]
    )
    assert part.exit_code == 0, part.output
    assert json.loads(part.output) == {
        "number": "PO-1001",
        "status": "partial",
        "lines": [{"sku": "MUG", "quantity": 20, "received": 20, "ordered": 48}],
    }
    bad = runner.invoke(app, ["inventory", "po", "receive", "PO-1001", "--line", "MUG:20", "--db", store_url])
    assert bad.exit_code != 0 and isinstance(bad.exception, UserError)
    assert str(bad.exception) == "--line 'MUG:20': expected SKU=QTY, e.g. MUG=24"
    rest = runner.invoke(app, ["inventory", "po", "receive", "PO-1001", "--db", store_url])
    assert rest.exit_code == 0, rest.output
    assert (
        rest.output == "MUG: +28 (48 of 48 received)\nTEE-S: +24 (24 of 24 received)\nPO-1001 is received\n"
    )
    with Session(engine) as session:
        assert session.scalars(
            select(m.PurchaseOrder.status).where(m.PurchaseOrder.number == "PO-1001")
        ).one() == ("received")


def test_plan_levels_by_value_like_the_backtest(store_url: str):
    def levels(*options: str) -> dict[str, float]:
        result = runner.invoke(app, ["inventory", "plan", "--db", store_url, "--json", "--no-save", *options])
        assert result.exit_code == 0, result.output
        return {s["sku"]: s["service_level"] for s in json.loads(result.output)["suggestions"]}

    # One level for all by default with --service-level; by value around it with --levels value:
    # MUG (6.00, 3 a day) carries 60 % of the units, so it is the median cost and keeps 90 % ...
    assert levels("--service-level", "0.9") == {"MUG": 0.9, "TEE-S": 0.9}
    # ... and TEE-S, at 8.00, is allowed 8/6 of the 10 % shortfall.
    assert levels("--service-level", "0.9", "--levels", "value") == {"MUG": 0.9, "TEE-S": 0.8667}
    bad = runner.invoke(app, ["inventory", "plan", "--db", store_url, "--levels", "abc"])
    assert "--levels: 'abc' is not one of class, value" in str(bad.exception)


def test_backtest_of_the_stores_own_history_is_the_exported_files_and_shows_with_the_plan(
    store_url: str, engine: Engine, tmp_path: Path
):
    out = tmp_path / "demand.csv"
    assert runner.invoke(app, ["inventory", "demand", "--db", store_url, "--out", str(out)]).exit_code == 0
    from_file = runner.invoke(app, ["inventory", "backtest", "--demand", str(out), "--json"])
    fixed_lead = ["--lead-time", "7", "--lead-time-sd", "2"]
    store = ["inventory", "backtest", "--store", "--db", store_url, "--json"]
    before_any_plan = runner.invoke(app, [*store, *fixed_lead])
    assert from_file.exit_code == before_any_plan.exit_code == 0, before_any_plan.output
    exported, own = json.loads(from_file.output), json.loads(before_any_plan.output)
    # No promotion day in the tiny store: the database and its export replay the same 5 days alike.
    assert own["policies"] == exported["policies"]
    assert (own["policies"]["manual"]["periods"], own["policies"]["manual"]["skus"]) == (5, 3)
    assert "own_lead_times" not in own["settings"]
    # By default each SKU waits for its supplier as the plan learns it: Acme's three received POs
    # took 10, 14 and 12 days; Slowboat has one, so its quoted 30 days stand.
    suppliers = json.loads(runner.invoke(app, store).output)
    assert suppliers["settings"]["own_lead_times"] == {"skus": 3, "shortest": 12.0, "longest": 30.0}
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(m.InventoryPlan)) == 0
    assert runner.invoke(app, ["inventory", "plan", "--db", store_url, "--json"]).exit_code == 0
    shown = runner.invoke(app, ["inventory", "backtest", "--store", "--db", store_url, *fixed_lead])
    assert shown.exit_code == 0, shown.output
    assert "Shown on the Inventory page with the latest plan." in shown.output
    with Session(engine) as session:
        plan = session.scalars(select(m.InventoryPlan)).one()
        assert plan.backtest is not None and plan.backtest["policies"] == own["policies"]


def test_backtest_takes_a_file_or_the_store(store_url: str, tmp_path: Path):
    for options, message in (
        ([], "give either --demand FILE.csv or --store (the store's own history)"),
        (["--store", "--demand", str(tmp_path / "d.csv")], "give either --demand FILE.csv or --store"),
        (["--store", "--freq", "W"], "--freq: the store's history is daily; --store takes only D"),
    ):
        result = runner.invoke(app, ["inventory", "backtest", "--db", store_url, *options])
        assert isinstance(result.exception, UserError), options
        assert str(result.exception).startswith(message)


def test_the_pipeline_replays_the_stores_history_once_a_week(
    store_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
):
    from datetime import timedelta

    from sasame.inventory import service

    with Session(engine) as session, session.begin():
        assert service.backtest_step(session, NOW) == {
            "skipped": "10 days of sales history; the replay needs 56"
        }
        monkeypatch.setattr(service, "BACKTEST_MIN_DAYS", 10)
        monkeypatch.setattr(service, "BACKTEST_MAX_SKUS", 2)
        assert service.backtest_step(session, NOW) == {
            "skipped": "3 SKUs: run `sasame inventory backtest --store` for them"
        }
        monkeypatch.setattr(service, "BACKTEST_MAX_SKUS", 1_000)
        service.plan_step(session, NOW)
        first = service.backtest_step(session, NOW)
        assert first["periods"] == 5 and set(first["stockout_periods"]) == {"sasame", "manual", "ma_rs"}
        shown = session.scalars(select(m.InventoryPlan.backtest)).one()
        assert shown["replayed_on"] == "2025-03-11" and shown["settings"]["service_level"] == 0.99
        assert shown["settings"]["own_lead_times"] == {"skus": 3, "shortest": 12.0, "longest": 30.0}
        # The next days' plans carry it on; a week later it is replayed again.
        service.plan_step(session, NOW + timedelta(days=6))
        assert service.backtest_step(session, NOW + timedelta(days=6)) == {
            "skipped": "replayed on 2025-03-11"
        }
        assert "periods" in service.backtest_step(session, NOW + timedelta(days=7))


def test_a_plan_typed_while_another_plans_waits_for_it_and_says_so(
    store_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("sasame.jobs.lease.POLL_SECONDS", 0.02)
    other = acquire(engine, INVENTORY_PLAN_STEP)  # the daily pipeline, or the page's "Plan again now"
    tries = []

    def other_finishes_while_the_command_waits(*args: object) -> object:
        tries.append(args)
        if len(tries) == 3:  # refused once, then once more while waiting
            other.release()
        return try_acquire(*args)

    try_acquire = lease_module._try_acquire
    monkeypatch.setattr(lease_module, "_try_acquire", other_finishes_while_the_command_waits)
    result = runner.invoke(app, ["inventory", "plan", "--db", store_url, "--service-level", "0.9"])
    assert result.exit_code == 0, result.output
    assert len(tries) == 3
    said = " ".join(result.stderr.split())
    assert said.startswith(f"inventory.plan is already running ({other.holder}, since 20")
    assert said.endswith("; waiting for it to finish")
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(m.InventoryPlan)) == 1
        assert session.scalars(select(m.JobLease)).all() == []
    # With nobody else planning it says nothing of the kind; --no-save plans beside anyone, storing nothing.
    with acquire(engine, INVENTORY_PLAN_STEP):
        quiet = runner.invoke(
            app, ["inventory", "plan", "--db", store_url, "--no-save", "--service-level", "0.9"]
        )
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_a_thin_margin_lowers_the_class_level_to_what_holding_the_stock_is_worth(
    store_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
):
    from sasame.inventory import service

    def plan(*options: str) -> dict:
        result = runner.invoke(app, ["inventory", "plan", "--db", store_url, "--json", "--no-save", *options])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    def levels(*options: str) -> dict[str, float]:
        return {s["sku"]: s["service_level"] for s in plan(*options)["suggestions"]}

    # By class, at healthy margins (MUG costs 6.00 and sells at 20.00; TEE-S 8.00 and 25.00), the
    # holding cost of 25 % a year over a week's review is far below the margin a lost sale loses.
    assert levels() == levels("--holding-rate", "0") == {"MUG": 0.98, "TEE-S": 0.98}
    with Session(engine) as session, session.begin():
        session.scalars(select(m.Variant).where(m.Variant.sku == "TEE-S")).one().price = Decimal("8.20")
    # 0.20 of margin against 8.00 x 0.25 x 7 / 365 = 0.0384 of holding a unit a week: 0.20 / 0.2384.
    assert levels() == {"MUG": 0.98, "TEE-S": 0.8391}
    assert plan()["totals"]["levels_lowered_by_margin"] == 1
    said = " ".join(runner.invoke(app, ["inventory", "plan", "--db", store_url, "--no-save"]).output.split())
    assert "1 SKU(s) planned below their class's service level: at a holding cost of 25% a year" in said
    assert "their margin does not pay for more stock (TEE-S)." in said
    assert levels("--holding-rate", "0") == {"MUG": 0.98, "TEE-S": 0.98}
    # A level the owner sets for every SKU stands.
    assert levels("--service-level", "0.9") == {"MUG": 0.9, "TEE-S": 0.9}
    # The store's rate, for the daily plan and the page's, is SASAME_HOLDING_RATE.
    monkeypatch.setenv("SASAME_HOLDING_RATE", "0")
    assert levels() == {"MUG": 0.98, "TEE-S": 0.98}
    with Session(engine) as session:
        assert service.make_plan(session, NOW).settings.holding_rate == Decimal(0)
    monkeypatch.setenv("SASAME_HOLDING_RATE", "a quarter")
    bad = runner.invoke(app, ["inventory", "plan", "--db", store_url])
    assert str(bad.exception) == "SASAME_HOLDING_RATE: 'a quarter' is not a share like 0.25"
    monkeypatch.delenv("SASAME_HOLDING_RATE")
    # The slow movers' stock is priced by the year: TEE-M's 22.50 tied up costs 5.63 a year at 25 %.
    slow = {s["sku"]: s for s in plan()["slow_movers"]}
    assert (slow["TEE-M"]["cash_tied_up"], slow["TEE-M"]["holding_cost_per_year"]) == ("22.50", "5.63")
    assert plan("--holding-rate", "0.3")["slow_movers"][0]["holding_cost_per_year"] == "6.75"
    bad = runner.invoke(app, ["inventory", "plan", "--db", store_url, "--holding-rate", "lots"])
    assert str(bad.exception) == "--holding-rate: 'lots' is not a share like 0.25"
    bad = runner.invoke(app, ["inventory", "plan", "--db", store_url, "--holding-rate", "3"])
    assert str(bad.exception) == "--holding-rate: '3' must be a share of a year between 0 and 2"
