"""The Inventory page and its JSON endpoints, logged in, over the tiny store's stored plan."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session
from test_plan import fixed_forecaster
from tiny_store import NOW, build, sell

from sasame import models as m
from sasame.accounts.service import create_user
from sasame.config import Settings
from sasame.core.clock import fixed_clock
from sasame.inventory.plan import PlanSettings
from sasame.inventory.service import run_plan
from sasame.jobs.lease import acquire
from sasame.web.app import create_app
from sasame.web.inventory_pages import PLANNING, REPLAYING

EMAIL, PASSWORD = "owner@tiny.example", "a long enough password"


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def client(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    build(sqlite_engine)
    monkeypatch.setattr("sasame.inventory.service._forecaster", lambda: fixed_forecaster({}))
    with Session(sqlite_engine) as session, session.begin():
        create_user(session, EMAIL, PASSWORD, NOW)
        run_plan(session, NOW, PlanSettings(service_level=0.9))
    app = create_app(sqlite_engine, Settings(database_url="sqlite://", secret_key="test"), fixed_clock(NOW))
    with TestClient(app) as client:
        yield client


def log_in(client: TestClient) -> None:
    token = csrf(client.get("/login").text)
    response = client.post(
        "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303


def test_the_page_needs_a_login(client: TestClient):
    response = client.get("/inventory", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_the_page_shows_the_plan_risks_slow_movers_and_the_chart(client: TestClient):
    log_in(client)
    html = client.get("/inventory").text
    table = re.search(r'<table class="table" id="reorder-suggestions">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r'<tr( class="attention")? data-sku="([^"]+)">(.*?)</tr>', table, re.S)
    assert [(bool(due), sku) for due, sku, _ in rows] == [(True, "MUG"), (False, "TEE-S")]
    mug = rows[0][2]
    assert "$288.00" in mug and "<strong>today</strong>" in mug and "Mar 23, 2025" in mug
    assert "Mar 16, 2025" in rows[1][2]  # TEE-S reaches its reorder point 29.43 on the 16th
    risk = re.search(r'id="stockout-risk">(.*?)</table>', html, re.S).group(1)
    assert "MUG" in risk and "Mar 21, 2025" in risk and "94%" in risk
    slow = re.search(r'id="slow-movers">(.*?)</table>', html, re.S).group(1)
    assert "TEE-M" in slow and "$22.50" in slow and "no sales expected" in slow
    assert '<th class="num">Holding / year</th>' in slow and "$5.63" in slow  # 25 % of $22.50
    assert "what keeping that stock costs a year at 25% of its value" in html
    chart = json.loads(re.search(r'id="inventory-forecast">(.*?)</script>', html, re.S).group(1))
    assert chart["sku"] == "MUG" and chart["model"] == "Fixed" and chart["level"] == 90
    day = chart["dates"].index("2025-03-02")
    assert chart["actual"][day] == 3 and chart["stocked_out"][day] is True
    first_forecast = chart["dates"].index("2025-03-11")
    assert chart["mean"][first_forecast] == 3.0 and chart["high"][first_forecast] == 4.28
    # SPRING ran on the shop on 03-05, where MUG sells; its one discounted order is no price change.
    assert [d for d, on in zip(chart["dates"], chart["promoted"], strict=True) if on] == ["2025-03-05"]
    assert set(chart["price_changes"]) == {None}
    assert "on promotion days a channel the SKU sells on ran a campaign code" in html
    assert "triangles mark a change of list price" not in html
    assert "/static/inventory.js" in html and client.get("/static/inventory.js").status_code == 200
    assert "No backtest yet" in html


def test_another_sku_and_the_json_endpoints(client: TestClient):
    log_in(client)
    assert '<option value="TEE-S" selected>' in client.get("/inventory?sku=TEE-S").text
    data = client.get("/api/inventory/forecast", params={"sku": "TEE-S"}).json()
    assert data["actual"][data["dates"].index("2025-03-05")] == 3
    assert client.get("/api/inventory/forecast", params={"sku": "NOPE"}).status_code == 404
    plan = client.get("/api/inventory/plan").json()["plan"]
    assert plan["plan_date"] == "2025-03-11"
    assert plan["suggestions"][0]["cost"] == {"amount": "288.0000", "currency": "USD"}


def test_plan_again_needs_the_csrf_token(client: TestClient):
    log_in(client)
    assert client.post("/inventory/plan", follow_redirects=False).status_code == 403
    token = csrf(client.get("/inventory").text)
    response = client.post("/inventory/plan", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/inventory"


def test_the_latest_backtest_is_shown_per_policy(client: TestClient, sqlite_engine: Engine):
    figures = {
        "stockout_periods": 32,
        "fill_rate": 0.904,
        "lost_sales_units": 179.0,
        "lost_sales_value": 4784.0,
        "average_inventory_value": 354.8133,
        "inventory_turns": 35.06,
        "orders": 579,
    }
    document = {
        "settings": {
            "freq": "D", "lead_time": 7.0, "lead_time_sd": 2.0, "review": 1, "service_level": 0.99,
            "start": "2025-11-29", "end": "2026-11-27", "skus": 122, "periods": 364,
        },
        "policies": {"sasame": figures, "manual": {**figures, "stockout_periods": 120, "fill_rate": 0.8}},
        "comparison": {
            "stockout_periods_reduction_vs_manual": 0.7333,
            "inventory_value_reduction_vs_manual": -0.045,
            "fill_rate_difference_vs_ma_rs": 0.0141,
            "inventory_value_reduction_vs_ma_rs": 0.276,
        },
    }  # fmt: skip
    with Session(sqlite_engine) as session, session.begin():
        run_plan(session, NOW, PlanSettings(service_level=0.9), backtest=document)
    log_in(client)
    html = client.get("/inventory").text
    table = re.search(r'id="backtest">(.*?)</table>', html, re.S).group(1)
    assert re.findall(r'<th class="num">([^<]+)</th>', table) == ["sasame", "manual"]
    rows = dict(re.findall(r"<tr><td>([^<]+)</td>(.*?)</tr>", table, re.S))
    assert re.findall(r'class="num">([^<]+)<', rows["Stockout periods"]) == ["32", "120"]
    assert re.findall(r'class="num">([^<]+)<', rows["Fill rate"]) == ["90.40%", "80.00%"]
    assert re.findall(r'class="num">([^<]+)<', rows["Average inventory value"]) == ["354.81", "354.81"]
    assert re.findall(r'class="num">([^<]+)<', rows["Lost sales (units)"]) == ["179", "179"]
    assert re.findall(r'<p class="note verdict">([^<]+)</p>', html) == [
        "Against the manual rule: 73.3% fewer stockout periods with 4.5% more stock at cost.",
        "Against ma_rs: a fill rate 1.41 points higher with 27.6% less stock at cost.",
    ]
    assert (
        "Replayed 122 SKUs over 364 days from 2025-11-29 to 2026-11-27; lead time 7 ± 2 days, stock "
        "reviewed every day; service level 99% for sasame and ma_rs; a sale that finds no stock is lost."
    ) in html


def test_draft_purchase_orders_from_the_page(client: TestClient):
    log_in(client)
    html = client.get("/inventory").text
    assert "No draft purchase orders." in html
    assert client.post("/inventory/purchase-orders/draft", follow_redirects=False).status_code == 403
    token = csrf(html)
    for _ in range(2):  # twice: the second refreshes the draft instead of adding one
        response = client.post(
            "/inventory/purchase-orders/draft", data={"csrf_token": token}, follow_redirects=False
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/inventory#draft-purchase-orders"
    html = client.get("/inventory").text
    section = re.search(r'id="draft-purchase-orders">(.*?)</section>', html, re.S).group(1)
    assert re.findall(r'data-number="([^"]+)"', section) == ["DRAFT-20250311-ACME"]
    assert "1 open draft<" in section and "72 units, $480.00" in section
    lines = re.findall(
        r'<td class="nowrap mono">([^<]+)</td><td>[^<]*</td><td class="num">([^<]+)</td>', section
    )
    assert lines == [("MUG", "48"), ("TEE-S", "24")]
    drafts = client.get("/api/inventory/purchase-orders/drafts").json()["drafts"]
    assert [(d["number"], d["supplier"], d["total"]) for d in drafts] == [
        ("DRAFT-20250311-ACME", "Acme", {"amount": "480.00", "currency": "USD"})
    ]
    assert [(line["sku"], line["quantity"], line["line_total"]) for line in drafts[0]["lines"]] == [
        ("MUG", 48, "288.00"),
        ("TEE-S", 24, "192.00"),
    ]


def test_mark_a_draft_sent_then_received_from_the_page(client: TestClient):
    log_in(client)
    token = csrf(client.get("/inventory").text)
    client.post("/inventory/purchase-orders/draft", data={"csrf_token": token})
    sent = client.post(
        "/inventory/purchase-orders/send",
        data={"csrf_token": token, "number": "DRAFT-20250311-ACME"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert (
        sent.headers["location"] == "/inventory?message=DRAFT-20250311-ACME%20sent%20as%20PO-1001.#on-order"
    )
    html = client.get(sent.headers["location"]).text
    assert '<p class="note" role="status">DRAFT-20250311-ACME sent as PO-1001.</p>' in html
    drafts = re.search(r'id="draft-purchase-orders">(.*?)</section>', html, re.S).group(1)
    assert "No draft purchase orders." in drafts
    on_order = re.search(r'id="on-order">(.*?)</section>', html, re.S).group(1)
    assert re.findall(r'data-number="([^"]+)"', on_order) == ["PO-1001"]
    assert "Acme · sent · 2 lines, 72 units, $480.00" in on_order

    received = client.post(
        "/inventory/purchase-orders/receive", data={"csrf_token": token, "number": "PO-1001"}
    )
    assert "PO-1001: 72 units received, order received." in received.text
    on_order = re.search(r'id="on-order">(.*?)</section>', received.text, re.S).group(1)
    assert "Nothing on order." in on_order
    # A second click is refused with the reason, nothing booked twice.
    again = client.post("/inventory/purchase-orders/receive", data={"csrf_token": token, "number": "PO-1001"})
    assert "PO-1001 is received: only a sent or partial order can be received" in again.text


def test_a_long_slow_movers_list_is_shortened_with_where_to_see_all(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    log_in(client)
    every = client.get("/api/inventory/plan").json()["plan"]["slow_movers"]
    assert [row["sku"] for row in every] == ["TEE-M"]
    monkeypatch.setattr("sasame.web.inventory_pages.SLOW_MOVERS_SHOWN", 0)
    html = client.get("/inventory").text
    slow = re.search(r'id="slow-movers">(.*?)</table>', html, re.S).group(1)
    assert "TEE-M" not in slow and "No slow movers" not in slow
    assert "0 of 1 shown, the most cash tied up first" in html


def chart_chooser(html: str) -> str:
    return re.search(r'id="forecast-vs-actual">(.*?)<canvas', html, re.S).group(1)


def test_the_sku_search_finds_the_exact_sku_first_then_by_sku_then_by_title(
    client: TestClient, sqlite_engine: Engine
):
    # Two more forecast SKUs: one starting with TEE-S, one only containing it.
    with Session(sqlite_engine) as session, session.begin():
        plan_id = session.scalar(select(m.InventoryPlan.id))
        tee = session.scalar(select(m.Product).where(m.Product.handle == "tee"))
        for sku, title in (("BIG-TEE-S", "Tee bundle"), ("TEE-S2", "Tee S, second run")):
            variant = m.Variant(
                product_id=tee.id, sku=sku, title=title, price=Decimal("25.00"), currency="USD"
            )
            session.add(variant)
            session.flush()
            session.add(
                m.InventoryForecast(
                    plan_id=plan_id,
                    variant_id=variant.id,
                    forecast_date=date(2025, 3, 11),
                    mean_units=0.5,
                    low_units=0.0,
                    high_units=1.0,
                    level=90,
                    model="Fixed",
                    demand_class="smooth",
                )
            )
    log_in(client)

    def found(**params: object) -> list[str]:
        response = client.get("/api/inventory/skus", params=params)
        assert response.status_code == 200
        return [row["sku"] for row in response.json()["skus"]]

    assert found(q="tee-s") == ["TEE-S", "TEE-S2", "BIG-TEE-S"]
    assert found(q="TEE-S", limit=1) == ["TEE-S"]
    assert found(q="second run") == ["TEE-S2"]  # by title
    assert found(q="mug") == ["MUG"]
    assert found(q="%") == [] and found(q="nothing like it") == []  # LIKE's wildcards are plain text
    assert found() == ["MUG", "TEE-S", "BIG-TEE-S", "TEE-S2", "TEE-M"]  # busiest first, then by SKU
    assert client.get("/api/inventory/skus", params={"q": "mug"}).json()["skus"][0] == {
        "sku": "MUG",
        "title": "Mug MUG",
    }
    assert client.get("/api/inventory/skus", params={"limit": 21}).status_code == 422


def test_a_small_catalogue_chooses_the_chart_sku_from_a_list_of_them_all(client: TestClient):
    log_in(client)
    chooser = chart_chooser(client.get("/inventory").text)
    assert re.findall(r'<option value="([^"]+)"', chooser) == ["MUG", "TEE-S", "TEE-M"]
    assert '<select name="sku"' in chooser and "<datalist" not in chooser


def test_a_big_catalogue_lists_only_the_busiest_skus_and_offers_a_search(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("sasame.web.inventory_pages.CHART_SKUS_LISTED", 2)
    log_in(client)
    html = client.get("/inventory").text
    chooser = chart_chooser(html)
    assert "<select" not in chooser
    assert re.search(r'<input type="search" name="sku" id="chart-sku" value="MUG" list="chart-skus"', chooser)
    assert 'data-search="/api/inventory/skus"' in chooser
    assert re.findall(r'<option value="([^"]+)"', chooser) == ["MUG", "TEE-S"]
    assert "the 2 busiest are offered first" in chooser
    # A SKU that is not offered is still charted by ?sku=.
    html = client.get("/inventory", params={"sku": "TEE-M"}).text
    assert 'id="chart-sku" value="TEE-M"' in html
    chart = json.loads(re.search(r'id="inventory-forecast">(.*?)</script>', html, re.S).group(1))
    assert chart["sku"] == "TEE-M"
    # Typed text that is not a SKU charts its first match, and says so.
    html = client.get("/inventory", params={"sku": "tee t"}).text
    assert 'id="chart-sku" value="TEE-M"' in html  # "Tee TEE-M" and "Tee TEE-S" match; by SKU
    assert "“tee t” is not a SKU; showing TEE-M, its first match." in html
    html = client.get("/inventory", params={"sku": "kettle"}).text
    assert 'id="chart-sku" value="MUG"' in html
    assert "No forecast SKU or title matches “kettle”; showing MUG, the busiest." in html


def test_a_long_on_order_list_is_shortened_soonest_expected_first_with_where_to_see_all(
    client: TestClient, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
):
    with Session(sqlite_engine) as session, session.begin():
        acme = session.scalar(select(m.Supplier).where(m.Supplier.name == "Acme"))
        mug = session.scalar(select(m.Variant).where(m.Variant.sku == "MUG"))
        warehouse = session.scalar(select(m.Location).where(m.Location.code == "warehouse"))
        for number, sent_day, expected in (
            ("PO-10", 1, date(2025, 3, 20)),  # sent first, expected last
            ("PO-11", 5, date(2025, 3, 12)),
            ("PO-12", 8, date(2025, 3, 15)),
        ):
            po = m.PurchaseOrder(
                number=number,
                supplier_id=acme.id,
                location_id=warehouse.id,
                status="sent",
                ordered_at=datetime(2025, 3, sent_day, 15, tzinfo=UTC),
                expected_on=expected,
                currency="USD",
            )
            session.add(po)
            session.flush()
            session.add(
                m.PurchaseOrderLine(
                    purchase_order_id=po.id,
                    variant_id=mug.id,
                    quantity_ordered=12,
                    quantity_received=0,
                    unit_cost=Decimal("6.00"),
                )
            )
    log_in(client)

    def on_order(html: str) -> str:
        return re.search(r'id="on-order">(.*?)</section>', html, re.S).group(1)

    every = on_order(client.get("/inventory").text)
    assert re.findall(r'data-number="([^"]+)"', every) == ["PO-12", "PO-11", "PO-10"]  # newest first
    assert "3 purchase orders sent, not fully received" in every and 'id="on-order-shown"' not in every
    monkeypatch.setattr("sasame.web.inventory_pages.PURCHASE_ORDERS_SHOWN", 2)
    shortened = on_order(client.get("/inventory").text)
    assert re.findall(r'data-number="([^"]+)"', shortened) == ["PO-11", "PO-12"]
    assert "3 purchase orders sent, not fully received" in shortened
    assert "2 of 3 shown, those expected soonest first" in shortened
    listed = client.get("/api/inventory/purchase-orders/on-order").json()["on_order"]
    assert [(o["number"], o["expected_on"], o["total"]) for o in listed] == [
        ("PO-12", "2025-03-15", {"amount": "72.00", "currency": "USD"}),
        ("PO-11", "2025-03-12", {"amount": "72.00", "currency": "USD"}),
        ("PO-10", "2025-03-20", {"amount": "72.00", "currency": "USD"}),
    ]


def test_an_order_expected_before_today_is_shown_late(client: TestClient, sqlite_engine: Engine):
    with Session(sqlite_engine) as session, session.begin():
        acme = session.scalar(select(m.Supplier).where(m.Supplier.name == "Acme"))
        mug = session.scalar(select(m.Variant).where(m.Variant.sku == "MUG"))
        warehouse = session.scalar(select(m.Location).where(m.Location.code == "warehouse"))
        po = m.PurchaseOrder(
            number="PO-20",
            supplier_id=acme.id,
            location_id=warehouse.id,
            status="sent",
            ordered_at=datetime(2025, 2, 20, 15, tzinfo=UTC),
            expected_on=date(2025, 3, 8),
            currency="USD",
        )
        session.add(po)
        session.flush()
        session.add(
            m.PurchaseOrderLine(
                purchase_order_id=po.id, variant_id=mug.id, quantity_ordered=12, quantity_received=0,
                unit_cost=Decimal("6.00"),
            )
        )  # fmt: skip
    log_in(client)
    html = client.get("/inventory").text
    summary = re.search(r'data-number="PO-20">\s*<summary>(.*?)</summary>', html, re.S).group(1)
    # The store's day is Mar 11 (NOW is 03:30 UTC on the 12th, New York time the evening before).
    assert 'expected Mar 8, 2025 · <strong class="late">3 days late</strong>' in summary
    stock = re.search(r"<h2>Stock per location</h2>(.*?)</table>", html, re.S).group(1)
    mug_row = re.search(r"MUG</td>(.*?)</tr>", stock, re.S).group(1)
    assert 'Mar 8, 2025 <strong class="late">late</strong>' in mug_row


def test_a_long_purchase_order_lists_its_first_lines_and_still_totals_them_all(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    log_in(client)
    token = csrf(client.get("/inventory").text)
    client.post("/inventory/purchase-orders/draft", data={"csrf_token": token})
    monkeypatch.setattr("sasame.web.inventory_pages.PURCHASE_ORDER_LINES_SHOWN", 1)

    def listed(section: str) -> list[str]:
        return re.findall(r'<tr><td class="nowrap mono">([^<]+)</td>', section)

    html = client.get("/inventory").text
    drafts = re.search(r'id="draft-purchase-orders">(.*?)</section>', html, re.S).group(1)
    assert listed(drafts) == ["MUG"]
    assert "2 lines, 72 units, $480.00" in drafts
    assert '1 of 2 lines shown; <a href="/api/inventory/purchase-orders/drafts">' in drafts
    client.post(
        "/inventory/purchase-orders/send", data={"csrf_token": token, "number": "DRAFT-20250311-ACME"}
    )
    on_order = re.search(r'id="on-order">(.*?)</section>', client.get("/inventory").text, re.S).group(1)
    assert listed(on_order) == ["MUG"]
    assert "Acme · sent · 2 lines, 72 units, $480.00" in on_order
    assert '1 of 2 lines shown; <a href="/api/inventory/purchase-orders/on-order">' in on_order
    [sent] = client.get("/api/inventory/purchase-orders/on-order").json()["on_order"]
    assert [(line["sku"], line["quantity"]) for line in sent["lines"]] == [("MUG", 48), ("TEE-S", 24)]


def test_the_list_caps_are_fifty_each():
    from sasame.web import inventory_pages

    caps = (
        inventory_pages.SUGGESTIONS_SHOWN,
        inventory_pages.STOCKOUT_RISKS_SHOWN,
        inventory_pages.TRANSFERS_SHOWN,
    )
    assert caps == (50, 50, 50)


def test_a_long_what_to_order_list_shows_the_earliest_order_by_first_and_drafts_every_line(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    log_in(client)
    monkeypatch.setattr("sasame.web.inventory_pages.SUGGESTIONS_SHOWN", 1)
    html = client.get("/inventory").text
    table = re.search(r'<table class="table" id="reorder-suggestions">(.*?)</table>', html, re.S).group(1)
    assert re.findall(r'data-sku="([^"]+)"', table) == ["MUG"]  # order by Mar 11; TEE-S by Mar 16
    assert "1 of 2 shown, the earliest order-by date first" in html
    every = client.get("/api/inventory/plan").json()["plan"]["suggestions"]
    assert [(s["sku"], s["order_by"], s["quantity"]) for s in every] == [
        ("MUG", "2025-03-11", 48),
        ("TEE-S", "2025-03-16", 24),
    ]
    # The draft comes from the plan, not from the rows listed: TEE-S, not shown, is drafted too.
    client.post("/inventory/purchase-orders/draft", data={"csrf_token": csrf(html)})
    [draft] = client.get("/api/inventory/purchase-orders/drafts").json()["drafts"]
    assert [(line["sku"], line["quantity"]) for line in draft["lines"]] == [("MUG", 48), ("TEE-S", 24)]


def _with_lists(engine: Engine, **lists: list[dict[str, Any]]) -> None:
    """Replace lists of the latest saved plan (what the page shows of them, in their order)."""
    with Session(engine) as session, session.begin():
        plan = session.scalars(select(m.InventoryPlan).order_by(m.InventoryPlan.id.desc())).first()
        plan.lists = {**plan.lists, **lists}


def _risk(n: int) -> dict[str, Any]:
    return {
        "sku": f"R{n:02d}",
        "title": f"Risk {n}",
        "available": n,
        "daily_demand": 1.0,
        "days_of_cover": float(n),
        "stockout_on": (date(2025, 3, 12) + timedelta(days=n)).isoformat(),
        "next_arrival_on": None,
        "probability": 0.5,
    }


def _transfer(n: int) -> dict[str, Any]:
    return {
        "sku": f"T{n:02d}",
        "title": f"Move {n}",
        "from": "warehouse",
        "to": "fba",
        "quantity": 5,
        "days_of_cover": n,
    }


def test_long_stockout_risk_and_transfer_lists_show_the_first_fifty_with_where_to_see_all(
    client: TestClient, sqlite_engine: Engine
):
    _with_lists(
        sqlite_engine,
        stockout_risk=[_risk(n) for n in range(60)],
        transfers=[_transfer(n) for n in range(1000)],
    )
    log_in(client)
    html = client.get("/inventory").text
    risk = re.search(r'id="stockout-risk">(.*?)</table>', html, re.S).group(1)
    listed = re.findall(r'<td class="nowrap mono">([^<]+)</td>', risk)
    assert listed == [f"R{n:02d}" for n in range(50)]  # the soonest to run out first, as planned
    assert '<span class="muted">60 SKUs</span>' in html
    assert "50 of 60 shown, the soonest to run out first" in html
    moves = re.search(r'id="transfers">(.*?)</table>', html, re.S).group(1)
    assert re.findall(r'<td class="nowrap mono">([^<]+)</td>', moves) == [f"T{n:02d}" for n in range(50)]
    assert "50 of 1,000 shown, the least cover after the move first" in html
    every = client.get("/api/inventory/plan").json()["plan"]
    assert [r["sku"] for r in every["stockout_risk"]] == [f"R{n:02d}" for n in range(60)]
    assert [t["sku"] for t in every["transfers"]] == [f"T{n:02d}" for n in range(1000)]


def test_lists_no_longer_than_the_cap_are_shown_whole_without_a_note(
    client: TestClient, sqlite_engine: Engine
):
    _with_lists(sqlite_engine, stockout_risk=[_risk(n) for n in range(50)], transfers=[_transfer(1)])
    log_in(client)
    html = client.get("/inventory").text
    risk = re.search(r'id="stockout-risk">(.*?)</table>', html, re.S).group(1)
    assert len(re.findall(r'<td class="nowrap mono">', risk)) == 50
    assert re.findall(r'id="transfers">.*?<td class="nowrap mono">([^<]+)</td>', html, re.S) == ["T01"]
    for note in ("suggestions-shown", "stockout-risk-shown", "transfers-shown"):
        assert f'id="{note}"' not in html


def test_the_full_plan_needs_a_login(client: TestClient):
    response = client.get("/api/inventory/plan")
    assert response.status_code == 401 and response.json() == {"detail": "not logged in"}


def test_a_backtest_on_the_suppliers_lead_times_says_so():
    from sasame.inventory.queries import backtest_table

    settings = {
        "freq": "D", "lead_time": 7.0, "lead_time_sd": 2.0, "review": 1, "service_level": 0.99,
        "start": "2025-11-29", "end": "2026-11-27", "skus": 122, "periods": 364,
        "own_lead_times": {"skus": 120, "shortest": 7.07, "longest": 53.05},
    }  # fmt: skip
    figures = {"stockout_periods": 1, "fill_rate": 0.99}
    table = backtest_table({"settings": settings, "policies": {"sasame": figures}})
    assert table is not None and table["settings"] == (
        "122 SKUs over 364 days from 2025-11-29 to 2026-11-27; each SKU's lead time its supplier's as "
        "learned from the store's purchase orders (7.07–53.05 days on average; 7 ± 2 days for the 2 "
        "without a supplier), stock reviewed every day; service level 99% for sasame and ma_rs; a sale "
        "that finds no stock is lost."
    )


def test_the_chart_names_the_intermittent_median_in_words(client: TestClient, sqlite_engine: Engine):
    with Session(sqlite_engine) as session, session.begin():
        session.execute(
            update(m.InventoryForecast)
            .where(
                m.InventoryForecast.variant_id
                == select(m.Variant.id).where(m.Variant.sku == "MUG").scalar_subquery()
            )
            .values(model="IntermittentMedian")
        )
    log_in(client)
    html = client.get("/inventory?sku=MUG").text
    assert (
        "Median of five intermittent-demand models (Croston, Croston-SBA, TSB, ADIDA, IMAPA); the band is "
        "the 90% prediction interval"
    ) in html


def _slow(work: Any, release: threading.Event, calls: list[str]) -> Any:
    """`work` that first waits for `release` (a plan of thousands of SKUs), counting its calls."""

    def slow(*args: Any, **kwargs: Any) -> Any:
        calls.append("called")
        assert release.wait(10), "the test never released the plan"
        return work(*args, **kwargs)

    return slow


def test_a_plan_longer_than_the_wait_runs_on_while_the_page_says_so(
    client: TestClient, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
):
    log_in(client)
    token = csrf(client.get("/inventory").text)
    release, calls = threading.Event(), []
    monkeypatch.setattr("sasame.web.inventory_pages.WAIT_SECONDS", 0.05)
    monkeypatch.setattr("sasame.web.inventory_pages.run_plan", _slow(run_plan, release, calls))
    with Session(sqlite_engine) as session:
        plans_before = session.scalar(select(func.count()).select_from(m.InventoryPlan))
    response = client.post(
        "/inventory/purchase-orders/draft", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/inventory"
    html = client.get("/inventory").text
    assert 'id="planning"' in html and "running for 0 s" in html
    assert '<meta http-equiv="refresh" content="15">' in html
    assert "No draft purchase orders." in html  # the page shows the plan before, undrafted
    # Pressing again (either button) joins the run going on: one plan, not two.
    client.post("/inventory/plan", data={"csrf_token": token}, follow_redirects=False)
    assert calls == ["called"]
    release.set()
    client.app.state.background._runs[PLANNING].finished.wait(10)
    html = client.get("/inventory").text
    assert 'id="planning"' not in html and 'http-equiv="refresh"' not in html
    assert "DRAFT-20250311-ACME" in html
    with Session(sqlite_engine) as session:
        assert session.scalar(select(func.count()).select_from(m.InventoryPlan)) == plans_before + 1


def test_a_plan_failing_in_the_background_is_told_once_and_changes_nothing(
    client: TestClient, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
):
    log_in(client)
    token = csrf(client.get("/inventory").text)
    release = threading.Event()

    def failing(session: Session, instant: datetime) -> Any:
        session.add(m.Alert(kind="test", severity="info", subject="undone", detail="", raised_at=instant))
        session.flush()
        raise RuntimeError("the forecaster ran out of memory")

    monkeypatch.setattr("sasame.web.inventory_pages.WAIT_SECONDS", 0.05)
    monkeypatch.setattr("sasame.web.inventory_pages.run_plan", _slow(failing, release, []))
    client.post("/inventory/plan", data={"csrf_token": token}, follow_redirects=False)
    release.set()
    client.app.state.background._runs[PLANNING].finished.wait(10)
    html = client.get("/inventory").text
    failed = re.search(r'id="planning-failed"[^>]*>(The plan started from this page failed: [^.]*)\.', html)
    assert failed.group(1) == "The plan started from this page failed: the forecaster ran out of memory"
    assert 'id="planning-failed"' not in client.get("/inventory").text
    with Session(sqlite_engine) as session:
        assert session.scalar(select(m.Alert).where(m.Alert.kind == "test")) is None


def test_a_plan_failing_within_the_wait_fails_the_request_as_before(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    log_in(client)
    token = csrf(client.get("/inventory").text)

    def failing(session: Session, instant: datetime) -> Any:
        raise RuntimeError("no forecaster")

    monkeypatch.setattr("sasame.web.inventory_pages.run_plan", failing)
    with pytest.raises(RuntimeError, match="no forecaster"):
        client.post("/inventory/plan", data={"csrf_token": token}, follow_redirects=False)
    assert 'id="planning-failed"' not in client.get("/inventory").text


def test_a_press_while_the_daily_pipeline_plans_waits_for_it_and_plans_after(
    client: TestClient, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
):
    log_in(client)
    token = csrf(client.get("/inventory").text)
    monkeypatch.setattr("sasame.web.inventory_pages.WAIT_SECONDS", 0.05)
    monkeypatch.setattr("sasame.jobs.lease.POLL_SECONDS", 0.02)
    with Session(sqlite_engine) as session:
        plans_before = session.scalar(select(func.count()).select_from(m.InventoryPlan))
    pipeline = acquire(sqlite_engine, PLANNING)  # this morning's `inventory.plan` step, still running
    # The page says a plan is being made even though this server did not start it.
    html = client.get("/inventory").text
    assert 'id="planning"' in html and '<meta http-equiv="refresh" content="15">' in html
    # Pressing now does not plan beside it: the page's run waits for the lease.
    response = client.post("/inventory/plan", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/inventory"
    run = client.app.state.background.running(PLANNING)
    assert run is not None and not run.finished.wait(0.3)
    with Session(sqlite_engine) as session:
        assert session.scalar(select(func.count()).select_from(m.InventoryPlan)) == plans_before
    pipeline.release()
    assert run.finished.wait(10) and run.error is None
    with Session(sqlite_engine) as session:
        assert session.scalar(select(func.count()).select_from(m.InventoryPlan)) == plans_before + 1
        assert session.scalars(select(m.JobLease)).all() == []
    html = client.get("/inventory").text
    assert 'id="planning"' not in html and 'http-equiv="refresh"' not in html


def test_replay_now_replays_the_history_or_says_why_it_cannot(
    client: TestClient, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
):
    log_in(client)
    html = client.get("/inventory").text
    assert "No backtest yet: “Replay now”" in html
    token = csrf(html)
    # The tiny store's ten days are too few for the pipeline's replay, and the page says so.
    response = client.post("/inventory/backtest", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].endswith("#backtest")
    said = re.search(r'id="replay-message">([^<]*)<', client.get(response.headers["location"]).text)
    assert (
        said.group(1) == "The history cannot be replayed yet: 10 days of sales history; the replay needs 56."
    )
    # With enough history it replays, over the pipeline's cap on SKUs too: the owner asked for it.
    monkeypatch.setattr("sasame.inventory.service.BACKTEST_MIN_DAYS", 10)
    monkeypatch.setattr("sasame.inventory.service.BACKTEST_MAX_SKUS", 2)
    response = client.post("/inventory/backtest", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/inventory#backtest"
    html = client.get("/inventory").text
    assert 'id="backtest"' in html and "replayed on Mar 11, 2025" in html
    assert 'id="replaying"' not in html and 'http-equiv="refresh"' not in html
    with Session(sqlite_engine) as session:
        shown = session.scalars(select(m.InventoryPlan.backtest)).one()
        assert shown["replayed_on"] == "2025-03-11" and shown["settings"]["service_level"] == 0.99
        assert shown["policies"]["manual"]["periods"] == 5 and shown["policies"]["manual"]["skus"] == 3
        assert session.scalars(select(m.JobLease)).all() == []


def test_a_replay_the_pipeline_is_making_shows_as_running(client: TestClient, sqlite_engine: Engine):
    log_in(client)
    with acquire(sqlite_engine, REPLAYING):  # this week's `inventory.backtest` step, still running
        html = client.get("/inventory").text
    replaying = re.search(r'id="replaying"[^>]*>([^<]*)<', html).group(1)
    assert replaying.startswith("A replay of the store's history has been running for ")
    assert replaying.endswith(" s. The page reloads every 15 s until it is done.")
    assert '<meta http-equiv="refresh" content="15">' in html and 'id="planning"' not in html


def test_the_chart_marks_a_change_of_list_price(client: TestClient, sqlite_engine: Engine):
    sell(sqlite_engine, "MUG", date(2025, 3, 8), "18.50")
    log_in(client)
    html = client.get("/inventory").text
    chart = json.loads(re.search(r'id="inventory-forecast">(.*?)</script>', html, re.S).group(1))
    assert {d: text for d, text in zip(chart["dates"], chart["price_changes"], strict=True) if text} == {
        "2025-03-08": "shopify 20.00 → 18.50"
    }
    assert "triangles mark a change of list price (hover for the channel and prices)" in html


def test_the_page_says_how_many_skus_a_thin_margin_planned_lower(client: TestClient, sqlite_engine: Engine):
    log_in(client)
    assert 'id="levels-lowered"' not in client.get("/inventory").text
    with Session(sqlite_engine) as session, session.begin():
        session.scalars(select(m.Variant).where(m.Variant.sku == "TEE-S")).one().price = Decimal("8.20")
        run_plan(session, NOW)
    lowered = re.search(r'id="levels-lowered">(.*?)</p>', client.get("/inventory").text).group(1)
    assert lowered == (
        "1 SKU is planned below its class’s service level: holding stock costs 25% of its value a year, "
        "and its margin does not pay for more (<code>SASAME_HOLDING_RATE</code>)."
    )
