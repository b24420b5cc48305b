"""The pages and the JSON API render the hand-written store's figures exactly."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import sasame.web

WEB = Path(sasame.web.__file__).parent


def test_overview_page_shows_headline_figures_and_the_chart(owner: TestClient):
    page = owner.get("/")
    assert page.status_code == 200
    html = page.text
    assert '<canvas id="overview-chart"' in html
    assert 'data-figure="orders">4<' in html
    assert 'data-figure="revenue">$195.65<' in html
    assert 'data-figure="average-order-value">$48.91<' in html
    assert "Feb 19 – Mar 20, 2025" in html
    assert "+226.1%" in html  # revenue 195.65 against 60.00
    embedded = re.search(r'<script type="application/json" id="overview-sales">(.*?)</script>', html, re.S)
    sales = json.loads(embedded.group(1))
    assert sales["grain"] == "week"
    assert [c["code"] for c in sales["channels"]] == ["shopify", "amazon-us"]
    assert sales["channels"][0]["revenue"][-1] == "120.15"
    for script in (
        "/static/vendor/chart-4.6.1.umd.min.js",
        "/static/overview.js",
        "/static/vendor/htmx-4.0.1.min.js",
    ):
        assert script in html
        assert owner.get(script).status_code == 200


def test_headline_fragment_for_another_period(owner: TestClient):
    fragment = owner.get("/overview/headline?days=7", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section id="headline"')
    assert 'data-figure="orders">3<' in fragment.text  # Mar 14-20: #1001, #1002, A-2
    assert 'data-figure="revenue">$150.15<' in fragment.text
    assert "<html" not in fragment.text


def test_support_page(owner: TestClient):
    html = owner.get("/support").text
    assert "Where is my order #1001?" in html
    assert "ana@example.org" in html
    assert "Hi, I ordered on Monday and nothing has shipped yet." in html
    assert "2025-03-19 06:00" in html  # 10:00 UTC shown in New York time
    assert "Waiting for triage" in html


def test_inventory_page(owner: TestClient):
    html = owner.get("/inventory").text
    # The stock table: the draft purchase orders above it list TEE-RED-M too (its draft PO's line).
    stock = html[html.index("Stock per location") :]
    row = re.search(r"TEE-RED-M</td>.*?Own warehouse</td>(.*?)</tr>", stock, re.S).group(1)
    assert re.findall(r'class="num">([^<]*)<', row) == ["42", "2", "40", "40"]
    assert "Mar 28, 2025" in row
    assert "MUG-BLUE" in html
    drafts = re.search(r'id="draft-purchase-orders">(.*?)</section>', html, re.S).group(1)
    # The store's own draft (PO-8, 500 x TEE-RED-M at 9.50 EUR) is listed, not counted as on order.
    assert re.findall(r'data-number="([^"]+)"', drafts) == ["PO-8"]
    assert "500 units" in drafts


def test_finance_page(owner: TestClient):
    html = owner.get("/finance").text
    assert "P-100" in html and "S-200" in html
    assert "$150.00" in html and "$170.00" in html and "−$20.00" in html
    assert "off by $3.50" in html


def test_marketing_page(owner: TestClient):
    html = owner.get("/marketing").text
    assert "Meta" in html and "$40.00" in html and "1.50×" in html
    assert "Google" in html and "$22.34" in html and "3.58×" in html
    assert "$99.99" not in html  # the day before the window
    assert "Spring sale" in html and "$310.40" in html
    assert "welcome" in html and "$42.25" in html


def test_operations_page(owner: TestClient):
    html = owner.get("/operations").text
    assert "A-1" in html and "#1001" in html and "#1002" not in html
    assert "PO-7 is late" in html and "MUG-BLUE is out of stock" in html
    assert "Resolved one" not in html


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/api/support", "latest_messages"),
        ("/api/inventory", "stock"),
        ("/api/finance", "payouts"),
        ("/api/marketing", "ad_platforms"),
        ("/api/operations", "late_orders"),
    ],
)
def test_area_api_routes(owner: TestClient, path: str, key: str):
    response = owner.get(path)
    assert response.status_code == 200
    assert response.json()[key]


def test_api_money_is_decimal_strings_with_currency(owner: TestClient):
    finance = owner.get("/api/finance").json()
    assert finance["payouts"][1]["amount"] == {"amount": "150.00", "currency": "USD"}
    operations = owner.get("/api/operations").json()
    assert operations["late_orders"][0] == {
        "id": operations["late_orders"][0]["id"],
        "number": "A-1",
        "channel": "Amazon US",
        "ordered_at": "2025-03-12T15:00:00Z",
        "age_days": 8,
        "fulfillment_status": "unfulfilled",
        "total": {"amount": "45.50", "currency": "USD"},
    }
    headline = owner.get("/api/overview/headline").json()
    assert headline["current"]["revenue"] == {"amount": "195.65", "currency": "USD"}
    assert owner.get("/api/store").json() == {
        "name": "Juniper & Pine",
        "currency": "USD",
        "timezone": "America/New_York",
    }


@pytest.mark.parametrize(("grain", "periods"), [("week", 6), ("month", 2), ("day", 39)])
def test_api_sales_by_grain(owner: TestClient, grain: str, periods: int):
    sales = owner.get(f"/api/overview/sales?grain={grain}").json()
    assert sales["grain"] == grain and len(sales["periods"]) == periods
    assert sales["currency"] == "USD"
    assert all(isinstance(v, str) for c in sales["channels"] for v in c["revenue"])


def test_api_sales_refuses_an_unknown_grain(owner: TestClient):
    assert owner.get("/api/overview/sales?grain=year").status_code == 422


def test_openapi_document_describes_the_api(owner: TestClient):
    document = owner.get("/api/openapi.json").json()
    paths = set(document["paths"])
    assert {"/api/health", "/api/overview/sales", "/api/support", "/api/inventory", "/api/finance"} <= paths
    assert not any(p == "/" or p.startswith("/login") for p in paths)
    money = document["components"]["schemas"]["Money"]
    assert money["properties"]["amount"]["type"] == "string"
    sales = document["paths"]["/api/overview/sales"]["get"]["responses"]["200"]["content"]["application/json"]
    assert sales["schema"] == {"$ref": "#/components/schemas/Sales"}


def test_pages_load_nothing_from_other_hosts():
    """Nothing downloads at run time: no CDN script, stylesheet or font in any template or our CSS/JS."""
    remote = re.compile(r"""(src|href)\s*=\s*["'](https?:)?//|url\(\s*["']?(https?:)?//|@import""", re.I)
    files = [*WEB.glob("templates/*.html"), WEB / "static" / "app.css", WEB / "static" / "overview.js"]
    for file in files:
        assert not remote.search(file.read_text()), file.name
    vendored = {p.name for p in (WEB / "static" / "vendor").iterdir()}
    assert {"chart-4.6.1.umd.min.js", "chart.js-LICENSE.md", "htmx-4.0.1.min.js", "htmx-LICENSE"} <= vendored


def test_serve_runs_uvicorn_on_the_configured_address(monkeypatch: pytest.MonkeyPatch, sqlite_store):
    from fastapi import FastAPI

    from sasame.config import Settings
    from sasame.web import server

    calls: list[tuple[object, dict]] = []
    monkeypatch.setattr(server.uvicorn, "run", lambda app, **options: calls.append((app, options)))
    server.serve(
        sqlite_store, Settings(database_url="sqlite://", host="127.0.0.2", port=8123, secret_key="k")
    )
    ((app, options),) = calls
    assert isinstance(app, FastAPI)
    assert (options["host"], options["port"]) == ("127.0.0.2", 8123)


def test_a_long_stock_list_shows_what_needs_the_owner_first(owner: TestClient, sqlite_store, monkeypatch):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from sasame.models import Location, StockLevel, Variant

    # TEE-RED-M's 42 at the warehouse all reserved: nothing available there, unlike at FBA (7).
    with Session(sqlite_store) as session, session.begin():
        level = session.scalar(
            select(StockLevel)
            .join(Variant, Variant.id == StockLevel.variant_id)
            .join(Location, Location.id == StockLevel.location_id)
            .where(Variant.sku == "TEE-RED-M", Location.code == "wh")
        )
        level.reserved = level.on_hand

    def stock_table() -> tuple[list[tuple[str, str]], str]:
        stock = owner.get("/inventory").text.split("Stock per location")[1]
        return re.findall(
            r'<td class="nowrap mono">([^<]+)</td>\s*<td>[^<]*</td>\s*<td>([^<]+)</td>', stock
        ), stock

    monkeypatch.setattr("sasame.web.inventory_pages.STOCK_ROWS_SHOWN", 4)
    rows, stock = stock_table()  # short: all, by SKU and location
    assert rows == [
        ("MUG-BLUE", "Amazon FBA"),
        ("MUG-BLUE", "Own warehouse"),
        ("TEE-RED-M", "Amazon FBA"),
        ("TEE-RED-M", "Own warehouse"),
    ]
    assert 'id="stock-rows-shown"' not in stock
    monkeypatch.setattr("sasame.web.inventory_pages.STOCK_ROWS_SHOWN", 3)
    rows, stock = stock_table()  # long: the 3 with nothing available (by SKU), then the rest
    assert rows == [("MUG-BLUE", "Amazon FBA"), ("MUG-BLUE", "Own warehouse"), ("TEE-RED-M", "Own warehouse")]
    assert "3 of 4 rows shown, those with nothing available first" in stock
    monkeypatch.setattr("sasame.web.inventory_pages.STOCK_ROWS_SHOWN", 2)
    rows, stock = stock_table()
    assert rows == [("MUG-BLUE", "Amazon FBA"), ("MUG-BLUE", "Own warehouse")]
    assert "2 of 4 rows shown, those with nothing available first" in stock
    # Every row is still at /api/inventory, by SKU and location.
    listed = owner.get("/api/inventory").json()["stock"]
    assert [(r["sku"], r["location"], r["available"]) for r in listed] == [
        ("MUG-BLUE", "fba", 0),
        ("MUG-BLUE", "wh", 0),
        ("TEE-RED-M", "fba", 7),
        ("TEE-RED-M", "wh", 0),
    ]
