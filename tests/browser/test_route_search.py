"""The finder's route search for drivers, on a 390x844 phone in headless Chromium.

The route runs west to east along latitude 39.911 from 116.30 to 116.50: within 5 km of
it lie b4 (西站司机之家, 1.8 km south, at 116.322), b1 (东单, 0.2 km, at 116.418) and b2
(国贸, 0.2 km, at 116.461), in that driving order; b3 and b5 are 7.7 and 9.9 km north.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page

from tests.browser.support import ARTIFACTS, PageLog
from tests.browser.test_finder import NO_TILES, open_finder

PHONE = {"width": 390, "height": 844}
WEST_TO_EAST = "wbrrF_zydU?_pR?_pR"  # (39.911, 116.30), (39.911, 116.40), (39.911, 116.50)


def in_viewport(page: Page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    return (
        box is not None and box["y"] >= 0 and box["y"] + min(box["height"], 100) <= PHONE["height"]
    )


def test_a_pasted_polyline_lists_the_stations_along_it_in_order(
    make_page: Callable[..., Page], page_log: PageLog, live_server: str
) -> None:
    page = make_page(viewport=PHONE)
    open_finder(page, live_server, NO_TILES)
    page.click("#route-search summary")
    page.fill("#route-paste", WEST_TO_EAST)
    page.click("#route-form button[type=submit]")
    page.wait_for_selector('#route-results[data-state="done"]', state="attached")
    ids = page.eval_on_selector_all("#route-results > li", "els => els.map(e => e.dataset.id)")
    assert ids == ["b4", "b1", "b2"]
    first = page.locator("#route-results > li").first
    assert "1.9" in first.locator(".along").inner_text()  # 116.30 -> 116.322 is about 1.9 km
    assert (
        first.locator("a.nav[data-app=amap]")
        .get_attribute("href")
        .startswith("https://uri.amap.com/navigation?")
    )
    assert page.locator("#route-note").inner_text() != ""
    assert in_viewport(page, "#route-results > li")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=ARTIFACTS / "route-search-390.png")
    assert page_log.console_errors == []


def test_start_from_a_place_name_and_end_from_a_tap_is_a_straight_line(
    make_page: Callable[..., Page], page_log: PageLog, live_server: str
) -> None:
    page = make_page(viewport=PHONE)
    open_finder(page, live_server, NO_TILES)
    page.click("#route-search summary")
    page.fill("#route-start", "东城")
    page.click("#route-start-places button")
    assert page.input_value("#route-start") == "东城区"
    page.click("[data-pick=end]")
    page.locator("#map").click(position={"x": 200, "y": 100})
    assert page.input_value("#route-end") != ""
    page.select_option("#route-corridor", "20000")
    page.click("#route-form button[type=submit]")
    page.wait_for_selector('#route-results[data-state="done"]', state="attached")
    assert "Straight line" in page.locator("#route-note").inner_text() or "直线" in (
        page.locator("#route-note").inner_text()
    )
    assert page.locator("#results[data-state=done]").count() == 0  # the tap did not search
    assert page_log.console_errors == []
