"""The home map and the API docs page in headless Chromium; nothing leaves the test server."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.support import (
    ARTIFACTS,
    OSM_TILES,
    STATION_COUNT,
    XSS_ADDRESS,
    XSS_NAME,
    PageLog,
)

HOME = "/?tiles=none"

# Zoom the captured map onto one station and return where it is, in page pixels.
FOCUS_STATION = """
([prop, value]) => {
  const map = window.__testMap;
  let found = null;
  map.eachLayer((layer) => {
    if (layer.feature && layer.feature.properties[prop] === value) { found = layer; }
  });
  if (!found) { return null; }
  const latlng = found.getLatLng();
  map.setView(latlng, 15);
  const pt = map.latLngToContainerPoint(latlng);
  const box = map.getContainer().getBoundingClientRect();
  return { x: box.left + pt.x, y: box.top + pt.y };
}
"""


def open_home(page: Page, live_server: str, path: str = HOME) -> None:
    page.goto(live_server + path)
    page.wait_for_selector("#map[data-loaded]", state="attached")


def click_station(page: Page, prop: str, value: str) -> None:
    """Click the station's canvas marker like a person would, and wait for its tooltip and popup."""
    at = page.evaluate(FOCUS_STATION, [prop, value])
    assert at is not None, f"no marker with {prop}={value!r}"
    # Leaflet's canvas drops mousemoves for 32 ms after one it handled: arrive, then
    # settle on the marker after that window.
    page.mouse.move(at["x"] - 2, at["y"])
    page.wait_for_timeout(50)
    page.mouse.move(at["x"], at["y"])
    page.wait_for_selector(".leaflet-tooltip")
    page.mouse.click(at["x"], at["y"])
    page.wait_for_selector(".leaflet-popup-content")


def test_home_draws_every_station(page: Page, page_log: PageLog, live_server: str) -> None:
    open_home(page, live_server)
    assert page.get_attribute("#map", "data-loaded") == str(STATION_COUNT)
    assert page.is_visible("#synthetic-note")
    assert "模拟数据" in page.inner_text("#synthetic-note")
    assert page.locator(".leaflet-tile").count() == 0
    assert page_log.console_errors == []
    assert page_log.page_errors == []
    assert page_log.external_requests == []


def test_tiles_are_the_only_outside_requests(
    page: Page, page_log: PageLog, live_server: str
) -> None:
    """With tiles on (the default) the page asks OSM for tiles and nothing else off-site."""
    page_log.allowed_external = (OSM_TILES,)
    open_home(page, live_server, "/")
    page.wait_for_selector(".leaflet-tile", state="attached")
    assert page_log.external_requests, "the tile layer asked for no tiles"
    assert all(url.startswith(OSM_TILES) for url in page_log.external_requests)
    assert page.get_attribute("#map", "data-loaded") == str(STATION_COUNT)
    assert page_log.page_errors == []


def test_home_screenshots(page: Page, page_log: PageLog, live_server: str) -> None:
    """For a person to look at: test-artifacts/home*.png (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    open_home(page, live_server)
    page.screenshot(path=ARTIFACTS / "home.png")
    click_station(page, "id", "b2")
    page.screenshot(path=ARTIFACTS / "home-popup.png")
    page.set_viewport_size({"width": 360, "height": 740})
    open_home(page, live_server)
    page.screenshot(path=ARTIFACTS / "home-360.png")
    assert (ARTIFACTS / "home.png").stat().st_size > 0
    assert page_log.console_errors == []


def test_station_name_is_text_not_markup(page: Page, page_log: PageLog, live_server: str) -> None:
    open_home(page, live_server)
    click_station(page, "name", XSS_NAME)
    popup = page.locator(".leaflet-popup-content")
    assert popup.locator("h2").inner_text() == XSS_NAME
    assert popup.locator("img").count() == 0
    tooltip = page.locator(".leaflet-tooltip")
    assert tooltip.inner_text() == XSS_NAME
    assert tooltip.locator("img").count() == 0
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page_log.dialogs == []
    assert not any(url.endswith("/x") for url in page_log.requests)
    assert page_log.console_errors == []
    assert page_log.page_errors == []


def test_station_address_is_text_not_markup(
    page: Page, page_log: PageLog, live_server: str
) -> None:
    open_home(page, live_server)
    click_station(page, "id", "b4")
    popup = page.locator(".leaflet-popup-content")
    assert popup.locator("p").first.inner_text() == XSS_ADDRESS
    assert popup.locator("script").count() == 0
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page_log.dialogs == []
    assert page_log.page_errors == []


def test_home_fits_a_phone_without_sideways_scroll(
    page: Page, page_log: PageLog, live_server: str
) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    open_home(page, live_server)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.is_visible("#synthetic-note")
    box = page.locator("#map").bounding_box()
    assert box is not None and box["width"] <= 360 and box["height"] >= 300
    assert page_log.console_errors == []


def test_api_docs_page(page: Page, page_log: PageLog, live_server: str) -> None:
    page.goto(live_server + "/api/docs")
    headings = page.locator("main.docs h2").all_inner_texts()
    assert "GET /api/v1/stations" in headings
    assert page.get_attribute("a[href$='openapi.json']", "href") == "/api/v1/openapi.json"
    assert page_log.console_errors == []
    assert page_log.page_errors == []
