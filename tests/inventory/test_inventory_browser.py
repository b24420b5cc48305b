"""The Inventory page's forecast chart really draws in a browser (Debian chromium via Playwright).

Skips where /usr/bin/chromium is missing, like tests/web/test_browser.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session
from test_plan import fixed_forecaster
from tiny_store import NOW, build, sell

from live_browser import CHROMIUM, CHROMIUM_ARGS, require_chromium, serve_dashboard, watched_page
from sasame.accounts.service import create_user
from sasame.core.clock import fixed_clock
from sasame.db import make_engine, upgrade
from sasame.inventory.plan import PlanSettings
from sasame.inventory.service import run_plan

pytestmark = pytest.mark.browser

EMAIL, PASSWORD = "owner@tiny.example", "a long enough password"
CHART_STATE = """() => {
    const chart = window.Chart && Chart.getChart("inventory-chart");
    if (!chart) return null;
    const datasets = chart.data.datasets.map(d => ({label: d.label, data: d.data}));
    return {labels: chart.data.labels.length, datasets: datasets};
}"""


def _inventory_page(browser: Any, live_server: str, problems: list[str]) -> Any:
    """A logged-in Inventory page whose script errors land in ``problems``."""
    page = watched_page(browser, problems)
    page.goto(live_server + "/inventory")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server + "/inventory")
    return page


@contextmanager
def _inventory_in_chromium(live_server: str) -> Iterator[Any]:
    """The logged-in Inventory page in Debian's headless Chromium; leaving the block closes the
    browser and checks that no script or console error occurred on it."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield _inventory_page(browser, live_server, problems)
        finally:
            browser.close()
    assert problems == []


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[str]:
    require_chromium()
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    upgrade(engine)
    build(engine)
    with Session(engine) as session, session.begin():
        create_user(session, EMAIL, PASSWORD, NOW)
        run_plan(session, NOW, PlanSettings(service_level=0.9), forecaster=fixed_forecaster({}))
    with serve_dashboard(engine, url, fixed_clock(NOW)) as base:
        yield base


def test_the_forecast_chart_draws_sales_forecast_and_interval(live_server: str):
    with _inventory_in_chromium(live_server) as page:
        page.wait_for_function(CHART_STATE)
        chart = page.evaluate(CHART_STATE)
        labels = [d["label"] for d in chart["datasets"]]
        assert labels == [
            "Interval high",
            "Interval",
            "Forecast",
            "Sold",
            "Out of stock",
            "Sold on promotion",
        ]
        data = {d["label"]: d["data"] for d in chart["datasets"]}
        # SPRING ran on the shop on 03-05 (day 114), when MUG sold none.
        assert [i for i, v in enumerate(data["Sold on promotion"]) if v is not None] == [114]
        # 120 days of history end on 03-10; MUG sold 2 on 03-01 (day 110) and 3 on 03-02, was out
        # on 03-02 and 03-03; the forecast starts on 03-11 (day 120) at 3 a day.
        assert chart["labels"] == 120 + 56
        assert data["Sold"][109:114] == [None, 2, None, None, 2]
        assert data["Out of stock"][109:114] == [None, None, 3, 0, None]
        assert data["Forecast"][119:121] == [None, 3] and data["Interval high"][120] == 4.28


def test_on_a_big_catalogue_the_sku_box_suggests_matches_as_one_types(
    live_server: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("sasame.web.inventory_pages.CHART_SKUS_LISTED", 1)
    with _inventory_in_chromium(live_server) as page:
        options = "() => Array.from(document.querySelectorAll('#chart-skus option')).map(o => o.value)"
        assert page.evaluate(options) == ["MUG"]  # the busiest only
        page.fill("#chart-sku", "tee")
        page.wait_for_function(options + ".join() === 'TEE-M,TEE-S'")
        page.fill("#chart-sku", "TEE-S")
        page.press("#chart-sku", "Enter")
        page.wait_for_url(live_server + "/inventory?sku=TEE-S#forecast-vs-actual")
        page.wait_for_function(CHART_STATE)
        assert page.input_value("#chart-sku") == "TEE-S"
        shown = page.evaluate(
            "() => JSON.parse(document.getElementById('inventory-forecast').textContent).sku"
        )
        assert shown == "TEE-S"


def test_a_change_of_list_price_is_a_triangle_that_names_the_prices(live_server: str, tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    sell(engine, "MUG", date(2025, 3, 8), "18.50")
    engine.dispose()
    with _inventory_in_chromium(live_server) as page:
        page.wait_for_function(CHART_STATE)
        data = {d["label"]: d["data"] for d in page.evaluate(CHART_STATE)["datasets"]}
        # 03-08 is day 117: one mug sold at the new price.
        assert [(i, v) for i, v in enumerate(data["Price changed"]) if v is not None] == [(117, 1)]
        tooltip = page.evaluate(
            """() => {
                const chart = Chart.getChart("inventory-chart");
                const index = chart.data.datasets.findIndex(d => d.label === "Price changed");
                const item = {dataset: chart.data.datasets[index], dataIndex: 117, formattedValue: "1"};
                return chart.options.plugins.tooltip.callbacks.label(item);
            }"""
        )
        assert tooltip == "Price changed: shopify 20.00 → 18.50"
