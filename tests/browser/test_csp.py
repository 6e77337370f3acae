"""The pages under their Content-Security-Policy in Chromium: the finder, a station page, the
planner (folium's inline script runs by its nonce) and an embed work and break no rule,
while a script injected into a page is refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from tests.browser import test_planner
from tests.browser.support import PageLog

live_server = test_planner.live_server  # the planner tests' server: it has the demand data

# Runs before the page's scripts: every CSP violation is kept where the test can read it.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture()
def watched(make_page: Callable[..., Page]) -> Page:
    page = make_page()
    page.add_init_script(RECORD_VIOLATIONS)
    return page


def violations(page: Page) -> list[str]:
    found: list[str] = page.evaluate("window.__violations")
    return found


def assert_clean(page: Page, page_log: PageLog) -> None:
    assert violations(page) == []
    assert page_log.console_errors == [] and page_log.page_errors == []


def test_finder_and_station_page_work_under_the_policy(
    watched: Page,
    live_server: str,
    page_log: PageLog,
) -> None:
    watched.goto(f"{live_server}/?tiles=none&lat=39.91&lon=116.42")
    watched.wait_for_selector("#results > li")
    assert watched.locator(".leaflet-container").count() == 1
    watched.goto(f"{live_server}/stations/b1?tiles=none")
    watched.wait_for_selector(".leaflet-container")
    assert "东单驿站" in watched.locator("h1").inner_text()
    assert_clean(watched, page_log)


def test_planner_runs_folium_by_its_nonce(
    watched: Page,
    live_server: str,
    page_log: PageLog,
) -> None:
    test_planner.open_planner(watched, live_server, "tiles=none&lang=en")
    assert watched.locator(".leaflet-control-layers-overlays label").count() == 4
    assert watched.locator(".locator-legend").is_visible()
    watched.goto(f"{live_server}/embed/stations?tiles=none")
    watched.wait_for_selector("#map[data-state=done]")
    assert_clean(watched, page_log)


def test_an_injected_script_is_refused(watched: Page, live_server: str, page_log: PageLog) -> None:
    watched.goto(f"{live_server}/?tiles=none")
    watched.evaluate(
        """() => {
        const s = document.createElement("script");
        s.textContent = "window.__injected = 1";
        document.body.append(s);
        const st = document.createElement("style");
        st.textContent = "body { display: none }";
        document.head.append(st);
    }"""
    )
    watched.wait_for_function("() => window.__violations.length >= 2")
    assert watched.evaluate("window.__injected") is None
    assert watched.locator("body").is_visible()
    found = violations(watched)
    assert any(v.startswith("script-src") for v in found)
    assert any(v.startswith("style-src") for v in found)
    page_log.console_errors.clear()  # Chromium reports the refusals as console errors
