"""End to end in real headless Chromium: log in through the form and see the overview chart drawn.

Uses Debian's /usr/bin/chromium through Playwright (never a downloaded browser). Skips where it is
missing, unless SASAME_REQUIRE_BROWSER=1 (CI), where that is a failure. Set
SASAME_SCREENSHOT_DIR to keep screenshots of the pages for a look.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from web_store import NOW, OWNER_EMAIL, OWNER_PASSWORD, add_everything

from live_browser import CHROMIUM_ARGS, require_chromium, serve_dashboard, watched_page
from sasame.connectors import REGISTRY
from sasame.core.clock import fixed_clock
from sasame.db import make_engine, upgrade

pytestmark = pytest.mark.browser

SHOPIFY_BLUE = (37, 99, 235)
"""The chart's first palette colour (#2563eb): the Shopify bars."""


@pytest.fixture
def chromium() -> Path:
    return require_chromium()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[str]:
    """Serve the hand-written store with uvicorn on a free 127.0.0.1 port in a thread."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    upgrade(engine)
    add_everything(engine)
    with serve_dashboard(engine, url, fixed_clock(NOW)) as base:
        yield base


CHART_STATE = """() => {
    const chart = window.Chart && Chart.getChart("overview-chart");
    if (!chart) return null;
    return {
        type: chart.config.type,
        labels: chart.data.labels.length,
        datasets: chart.data.datasets.map(d => ({label: d.label, data: d.data})),
    };
}"""

PAINTED_PIXELS = """([r, g, b]) => {
    const canvas = document.getElementById("overview-chart");
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0, bars = 0;
    for (let i = 0; i < pixels.length; i += 4) {
        if (pixels[i + 3] > 0) painted++;
        const near = (k, v) => Math.abs(pixels[i + k] - v) < 8;
        if (near(0, r) && near(1, g) && near(2, b)) bars++;
    }
    return {painted, bars, total: pixels.length / 4};
}"""


def test_log_in_and_see_the_overview_chart(chromium: Path, live_server: str):
    from playwright.sync_api import sync_playwright

    shots = os.environ.get("SASAME_SCREENSHOT_DIR")
    problems: list[str] = []
    foreign: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = watched_page(browser, problems)
            page.on("request", lambda r: r.url.startswith(live_server) or foreign.append(r.url))

            page.goto(live_server + "/")
            assert page.url == live_server + "/login"
            if shots:
                page.screenshot(path=f"{shots}/login.png")
            page.fill("#email", OWNER_EMAIL)
            page.fill("#password", OWNER_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(live_server + "/")

            page.wait_for_function(CHART_STATE)
            chart = page.evaluate(CHART_STATE)
            assert chart["type"] == "bar"
            assert chart["labels"] == 6
            assert [d["label"] for d in chart["datasets"]] == ["Shopify", "Amazon US"]
            assert chart["datasets"][0]["data"] == [60, 0, 0, 0, 0, 120.15]
            # Wait out the short draw animation, then check the bars are really on the canvas.
            page.wait_for_function(f"() => ({PAINTED_PIXELS})({list(SHOPIFY_BLUE)}).bars > 500")
            pixels = page.evaluate(PAINTED_PIXELS, list(SHOPIFY_BLUE))
            assert pixels["painted"] > pixels["total"] * 0.02
            assert page.inner_text('[data-figure="revenue"]') == "$195.65"
            if shots:
                page.screenshot(path=f"{shots}/overview.png", full_page=True)

            # The measure switch redraws the same chart with order counts.
            page.click("button[data-metric=orders]")
            assert page.evaluate(CHART_STATE)["datasets"][1]["data"] == [0, 0, 0, 0, 2, 0]
            # The period switch fetches /api/overview/sales?grain=month.
            page.click("button[data-grain=month]")
            page.wait_for_function("() => Chart.getChart('overview-chart').data.labels.length === 2")
            # htmx swaps in the 7-day headline without reloading the page.
            page.click("#headline a:has-text('7 days')")
            page.wait_for_function("() => document.querySelector('[data-figure=orders]').textContent === '3'")
            assert page.url == live_server + "/"

            for area in ("support", "inventory", "finance", "marketing", "operations"):
                page.click(f"nav >> text={area.capitalize()}")
                page.wait_for_url(f"{live_server}/{area}")
                assert page.locator("h1").inner_text() == area.capitalize()
                if shots:
                    page.screenshot(path=f"{shots}/{area}.png", full_page=True)

            # The Imports page: the upload form (token first) and the formats sasame reads.
            page.click("nav >> text=Imports")
            page.wait_for_url(f"{live_server}/imports")
            form = page.locator("form#upload-form")
            assert form.get_attribute("enctype") == "multipart/form-data"
            assert form.locator("input[name=csrf_token]").count() == 1
            assert form.locator("input[type=file][name=files][multiple]").count() == 1
            assert page.locator("#supported-formats tbody tr").count() == len(REGISTRY)
            assert page.locator("select#format option").count() == len(REGISTRY) + 1
            if shots:
                page.screenshot(path=f"{shots}/imports.png", full_page=True)
        finally:
            browser.close()
    assert problems == []
    assert foreign == []
