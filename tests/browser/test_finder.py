"""The finder, the station page and the API docs in headless Chromium.

The dataset is ``STATIONS_CSV``: five Beijing stations a few km apart, so which one is
nearest to a point is plain from the coordinates. Nothing leaves the test server.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, Route, expect

from locator import amenities
from tests.browser.support import (
    ARTIFACTS,
    OSM_TILES,
    STATION_COUNT,
    XSS_ADDRESS,
    XSS_NAME,
    PageLog,
)

NO_TILES = "/?tiles=none"
NEAR_GUOMAO = {"latitude": 39.9095, "longitude": 116.459}  # about 200 m from b2 (国贸)
AT_GUOMAO = NO_TILES + "&lat=39.909&lon=116.461"
AT_ZHONGGUANCUN = NO_TILES + "&lat=39.980&lon=116.300"  # the XSS-named station b3

# Zoom the captured map onto one station of the all-stations layer; return its page pixels.
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


def open_finder(page: Page, live_server: str, path: str = NO_TILES) -> None:
    """Open the finder and wait for the all-stations layer (and the results, if placed)."""
    page.goto(live_server + path)
    page.wait_for_selector("#map[data-loaded]", state="attached")
    if "lat=" in path:
        wait_for_results(page)


def wait_for_results(page: Page, query_part: str = "") -> None:
    """Wait until the list shows the answer to a query containing ``query_part``."""
    contains = f'[data-query*="{query_part}"]' if query_part else ""  # [a*=""] never matches
    page.wait_for_selector(f'#results[data-state="done"]{contains}', state="attached")


def result_ids(page: Page) -> list[str]:
    return page.eval_on_selector_all("#results > li", "items => items.map(i => i.dataset.id)")


def url_args(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def assert_clean(page_log: PageLog) -> None:
    assert page_log.console_errors == []
    assert page_log.page_errors == []
    assert page_log.external_requests == []


def test_my_location_lists_the_nearest_station_first(
    make_page: Callable[..., Page], page_log: PageLog, live_server: str
) -> None:
    page = make_page(geolocation=NEAR_GUOMAO, permissions=["geolocation"])
    page.goto(live_server + NO_TILES)
    page.click("#locate")
    wait_for_results(page, "lat=39.9095")
    assert result_ids(page)[:2] == ["b2", "b1"]
    assert len(result_ids(page)) == STATION_COUNT
    first = page.locator("#results > li").first
    assert first.locator("h3").inner_text() == "国贸驿站"
    assert first.locator(".distance").inner_text() == "180 米"
    # 180 m x 1.3 on foot at 75 m/min is 3 min, by e-bike at 250 m/min 1 min
    assert re.search(r"\b3\b", first.locator(".eta-walk").inner_text())
    assert re.search(r"\b1\b", first.locator(".eta-ebike").inner_text())
    assert "周一至周五 08:00–20:00" in first.locator(".hours").inner_text()
    assert first.locator("a.nav").count() == 4
    assert all(
        first.locator("a.nav").nth(i).get_attribute("rel") == "noopener noreferrer"
        for i in range(4)
    )
    assert page.inner_text("#result-count") == "共 5 个符合条件，显示 5 个"
    args = url_args(page)
    assert args["lat"] == ["39.90950"] and args["lon"] == ["116.45900"]
    assert_clean(page_log)


PHONE = {"width": 390, "height": 844}
IN_VIEW = """(sel) => {
  const box = document.querySelector(sel).getBoundingClientRect();
  return box.top >= 0 && box.left >= 0 && box.bottom <= window.innerHeight
    && box.right <= window.innerWidth && box.height > 0;
}"""


def test_a_phone_shows_the_busy_state_then_the_results_in_view(
    make_page: Callable[..., Page], page_log: PageLog, live_server: str
) -> None:
    page = make_page(viewport=PHONE)
    open_finder(page, live_server, AT_GUOMAO)
    assert page.evaluate("window.scrollY") == 0  # a search from the URL leaves the page be
    held: list[Route] = []  # hold the next search so its busy state can be seen
    page.route("**/api/v1/nearest?*", lambda route: held.append(route))
    page.click('[data-kind="driver_home"]')
    page.wait_for_selector(".results.is-busy #result-count", state="visible")
    assert page.get_attribute("#results", "aria-busy") == "true"
    assert page.inner_text("#result-count") == "正在查找…"
    assert page.evaluate(IN_VIEW, "#result-count")  # the busy state is on screen
    held[0].continue_()
    page.unroute("**/api/v1/nearest?*")
    wait_for_results(page, "kind=driver_home")
    assert page.get_attribute("#results", "aria-busy") is None
    assert page.locator(".results.is-busy").count() == 0
    assert page.evaluate(IN_VIEW, "#results > li:first-child")
    assert page.evaluate("document.activeElement.id") == "results-heading"
    assert result_ids(page) == ["b4"]
    first = page.locator("#results > li").first  # a driver's home: on foot and by truck
    assert first.locator(".eta-walk").count() == 1 and first.locator(".eta-truck").count() == 1
    assert_clean(page_log)


def test_a_phone_shows_the_results_of_a_district(
    make_page: Callable[..., Page], page_log: PageLog, live_server: str
) -> None:
    page = make_page(viewport=PHONE)
    open_finder(page, live_server)
    page.select_option("#district", "110105")  # 朝阳区
    wait_for_results(page)
    assert page.evaluate(IN_VIEW, "#results > li:first-child")
    assert page.evaluate("document.activeElement.id") == "results-heading"
    assert_clean(page_log)


def test_a_desktop_search_moves_neither_page_nor_focus(
    make_page: Callable[..., Page], page_log: PageLog, live_server: str
) -> None:
    page = make_page(viewport={"width": 1440, "height": 900})
    open_finder(page, live_server)
    page.select_option("#district", "110105")
    wait_for_results(page)
    assert page.evaluate("[window.scrollY, document.querySelector('.side').scrollTop]") == [0, 0]
    assert page.evaluate("document.activeElement.id") != "results-heading"
    assert_clean(page_log)


def test_refused_location_says_what_to_do_instead(
    page: Page, page_log: PageLog, live_server: str
) -> None:
    open_finder(page, live_server)
    page.click("#locate")
    page.wait_for_function("() => document.getElementById('locate-status').textContent !== ''")
    page.wait_for_function(
        "() => !document.getElementById('locate-status').textContent.includes('正在')"
    )
    assert "点击地图或选择区县" in page.inner_text("#locate-status")
    assert page.get_attribute("#results", "data-state") == "idle"
    assert_clean(page_log)


def test_district_and_map_tap_choose_the_position(
    page: Page, page_log: PageLog, live_server: str
) -> None:
    open_finder(page, live_server)
    page.select_option("#district", "110105")  # 朝阳区
    wait_for_results(page)
    assert "lat" in url_args(page)
    # Tap the map about 4 km from every station, where no marker takes the click.
    at = page.evaluate(
        """() => {
      const pt = window.__testMap.latLngToContainerPoint([39.95, 116.40]);
      const box = window.__testMap.getContainer().getBoundingClientRect();
      return { x: box.left + pt.x, y: box.top + pt.y };
    }"""
    )
    page.mouse.click(at["x"], at["y"])
    wait_for_results(page, "lat=39.95")
    assert page.input_value("#district") == ""
    assert abs(float(url_args(page)["lon"][0]) - 116.40) < 0.001
    assert result_ids(page)[0] == "b1"
    assert_clean(page_log)


def test_shower_chip_updates_list_and_url(page: Page, page_log: PageLog, live_server: str) -> None:
    open_finder(page, live_server, AT_GUOMAO)
    assert result_ids(page)[0] == "b2"  # 国贸 has no shower
    chip = page.locator('button[data-amenity="shower"]')
    assert chip.get_attribute("aria-pressed") == "false"
    chip.click()
    wait_for_results(page, "amenities=shower")
    assert chip.get_attribute("aria-pressed") == "true"
    assert result_ids(page) == ["b1", "b4", "b3"]
    assert page.inner_text("#result-count") == "共 3 个符合条件，显示 3 个"
    assert url_args(page)["amenities"] == ["shower"]
    # The URL restores the view: a new page at that URL shows the same thing.
    page.goto(page.url)
    wait_for_results(page, "amenities=shower")
    assert page.get_attribute('button[data-amenity="shower"]', "aria-pressed") == "true"
    assert result_ids(page) == ["b1", "b4", "b3"]
    assert_clean(page_log)


def test_kind_and_more_filters_round_trip_through_the_url(
    page: Page, page_log: PageLog, live_server: str
) -> None:
    open_finder(page, live_server, AT_GUOMAO + "&kind=driver_home&amenities=wifi,bogus&unknown=1")
    assert page.get_attribute('button[data-kind="driver_home"]', "aria-pressed") == "true"
    assert page.get_attribute('button[data-kind=""]', "aria-pressed") == "false"
    assert page.is_visible('button[data-amenity="wifi"]'), "a chosen hidden amenity shows"
    assert page.get_attribute("#more", "aria-expanded") == "true"
    assert result_ids(page) == ["b4"]
    query = page.get_attribute("#results", "data-query") or ""
    assert "amenities=wifi&" in query and "include_unknown=true" in query
    page.click('button[data-kind=""]')
    wait_for_results(page, "include_unknown")
    assert "kind" not in url_args(page)
    assert url_args(page)["amenities"] == ["wifi"]
    assert_clean(page_log)


def test_finder_fits_a_phone_without_sideways_scroll(
    page: Page, page_log: PageLog, live_server: str
) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    open_finder(page, live_server, AT_GUOMAO)
    page.click("#more")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    for selector in ("#locate", "#district", "#synthetic-note", "#results > li"):
        box = page.locator(selector).first.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360, selector
    map_box = page.locator("#map").bounding_box()
    assert map_box is not None and map_box["width"] <= 360 and map_box["height"] >= 240
    assert_clean(page_log)


def test_station_name_is_text_in_list_popup_and_page(
    page: Page, page_log: PageLog, live_server: str
) -> None:
    open_finder(page, live_server, AT_ZHONGGUANCUN)
    first = page.locator("#results > li").first
    assert first.get_attribute("data-id") == "b3"
    assert first.locator("h3").inner_text() == XSS_NAME
    assert page.locator("#results .name-pinyin").count() == 0  # only on English pages
    assert page.locator("#results img, #results script").count() == 0
    b4 = page.locator('#results > li[data-id="b4"] .address')
    assert b4.inner_text() == XSS_ADDRESS
    first.locator("button.show").click()
    popup = page.locator(".leaflet-popup-content")
    assert popup.locator("h3").inner_text() == XSS_NAME
    assert popup.locator("img").count() == 0
    first.locator("h3 a").click()
    page.wait_for_selector("#station-map[data-loaded]", state="attached")
    assert page.inner_text("#station-name") == XSS_NAME
    assert page.title().startswith(XSS_NAME)
    assert page.locator("main img").count() == 0
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert not any(url.endswith("/x") for url in page_log.requests)
    assert page_log.dialogs == []
    assert_clean(page_log)


def test_all_stations_popup_is_text(page: Page, page_log: PageLog, live_server: str) -> None:
    """A marker of the all-stations layer, clicked like a person would (no position set)."""
    open_finder(page, live_server)
    assert page.get_attribute("#map", "data-loaded") == str(STATION_COUNT)
    at = page.evaluate(FOCUS_STATION, ["id", "b3"])  # the dots know ids, not names
    assert at is not None
    page.mouse.click(at["x"], at["y"])
    popup = page.locator(".leaflet-popup-content")
    expect(popup.locator("h3")).to_have_text(XSS_NAME)  # fetched when the popup opens
    assert popup.locator("img").count() == 0
    assert "lat" not in url_args(page), "a marker click is not a map tap"
    assert page_log.dialogs == []
    assert_clean(page_log)


def test_english_page(page: Page, page_log: PageLog, live_server: str) -> None:
    open_finder(page, live_server, AT_GUOMAO + "&lang=en")
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("#locate") == "Use my location"
    assert page.inner_text('button[data-amenity="shower"]') == "Shower"
    assert page.inner_text('button[data-kind="warm_heart"]') == "Warm-heart station"
    assert page.inner_text("#result-count") == "5 matched, 5 shown"
    first = page.locator("#results > li").first
    assert first.locator(".distance").inner_text() == "0 m"
    assert first.locator(".eta-walk").inner_text() == "about 1 min on foot"
    assert first.locator(".eta-ebike").inner_text() == "about 1 min by e-bike"
    assert first.locator(".hours").inner_text() == "Opening hours: Mon–Fri 08:00–20:00"
    assert first.locator(".kind").inner_text() == "Warm-heart station"
    assert "Synthetic data" in page.inner_text("#synthetic-note")
    assert first.locator(".name-pinyin").inner_text() == "guó mào yì zhàn"
    assert first.locator(".name-pinyin").get_attribute("lang") == "zh-Latn-pinyin"
    href = "/stations/b2?lang=en&tiles=none&from=39.9090%2C116.4610"  # the search position
    assert first.locator("h3 a").get_attribute("href") == href
    # The language link keeps the view and switches the language.
    page.click('button[data-amenity="toilet"]')
    wait_for_results(page, "amenities=toilet")
    switch = page.get_attribute("#lang-switch", "href") or ""
    assert "lang=zh" in switch and "amenities=toilet" in switch and "lat=" in switch
    # The station page gets the position: the distance, the times, Baidu's origin.
    page.locator("#results > li").first.locator("h3 a").click()
    page.wait_for_selector("#station-map[data-loaded]", state="attached")
    assert page.inner_text("#station-trip .distance") == "0 m"
    assert page.inner_text("#station-trip .eta-walk") == "about 1 min on foot"
    baidu = page.get_attribute('a[data-app="baidu"]', "href") or ""
    assert "direction?origin=latlng:" in baidu
    assert_clean(page_log)


def test_station_page_shows_amenities(page: Page, page_log: PageLog, live_server: str) -> None:
    page.goto(live_server + "/stations/b1?tiles=none")
    page.wait_for_selector("#station-map[data-loaded]", state="attached")
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert page.inner_text("#station-name") == "东单驿站"
    rows = page.locator("#amenities tbody tr")
    assert rows.count() == len(amenities.KEYS)
    assert page.inner_text('#amenities tr[data-amenity="shower"] td') == "✓ 有"
    assert page.inner_text('#amenities tr[data-amenity="laundry"] td') == "? 未知"
    assert page.locator("a[data-app]").count() == 4
    assert page.is_visible("#synthetic-note")
    assert_clean(page_log)


def test_unknown_station_is_an_html_404(page: Page, page_log: PageLog, live_server: str) -> None:
    response = page.goto(live_server + "/stations/no-such-id")
    assert response is not None and response.status == 404
    assert page.inner_text("h1") == "未找到站点"
    assert page_log.page_errors == []


def test_keyboard_reaches_and_toggles_a_chip(
    page: Page, page_log: PageLog, live_server: str
) -> None:
    open_finder(page, live_server, AT_GUOMAO)
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.amenity") == "shower":
            break
    else:
        raise AssertionError("Tab never reached the shower chip")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "focus is not visible"
    page.keyboard.press("Enter")
    wait_for_results(page, "amenities=shower")
    assert page.get_attribute('button[data-amenity="shower"]', "aria-pressed") == "true"
    page.keyboard.press("Space")
    page.wait_for_function("() => !location.search.includes('amenities')")
    wait_for_results(page)
    assert page.get_attribute('button[data-amenity="shower"]', "aria-pressed") == "false"
    assert result_ids(page)[0] == "b2"
    assert_clean(page_log)


def test_screenshots(make_page: Callable[..., Page], page_log: PageLog, live_server: str) -> None:
    """For a person to look at: test-artifacts/finder*.png and station.png (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page = make_page()
    open_finder(page, live_server, AT_GUOMAO + "&amenities=toilet")
    page.screenshot(path=ARTIFACTS / "finder.png")
    phone = make_page(viewport={"width": 360, "height": 740})
    open_finder(phone, live_server, AT_GUOMAO)
    phone.screenshot(path=ARTIFACTS / "finder-360.png", full_page=True)
    page.goto(live_server + "/stations/b2?tiles=none")
    page.wait_for_selector("#station-map[data-loaded]", state="attached")
    page.screenshot(path=ARTIFACTS / "station.png", full_page=True)
    for name in ("finder.png", "finder-360.png", "station.png"):
        assert (ARTIFACTS / name).stat().st_size > 0
    assert_clean(page_log)


def test_tiles_are_the_only_outside_requests(
    page: Page, page_log: PageLog, live_server: str
) -> None:
    """With tiles on (the default) the page asks OSM for tiles and nothing else off-site."""
    page_log.allowed_external = (OSM_TILES,)
    page.goto(live_server + "/")
    page.wait_for_selector(".leaflet-tile", state="attached")
    assert page_log.external_requests, "the tile layer asked for no tiles"
    assert all(url.startswith(OSM_TILES) for url in page_log.external_requests)
    page.wait_for_selector("#map[data-loaded]", state="attached")
    assert page.get_attribute("#map", "data-loaded") == str(STATION_COUNT)
    assert page_log.page_errors == []


def test_dots_come_from_the_compact_points(page: Page, page_log: PageLog, live_server: str) -> None:
    """The stations layer is drawn from /api/v1/stations/points by map tile: one dot a
    station, in its kind's colour, and neither every point nor the full station list is
    ever asked for."""
    open_finder(page, live_server)
    assert page.get_attribute("#map", "data-loaded") == str(STATION_COUNT)
    dots = page.evaluate(
        """() => {
          const out = [];
          window.__testMap.eachLayer((l) => {
            if (l.feature && l.options.radius === 4) {
              out.push([l.feature.properties.id, l.options.fillColor]);
            }
          });
          return out;
        }"""
    )
    assert sorted(d[0] for d in dots) == [f"b{i}" for i in range(1, STATION_COUNT + 1)]
    assert all(colour.startswith("#") for _id, colour in dots)
    asked = [url for url in page_log.requests if "/api/v1/stations" in url]
    assert asked and all("/api/v1/stations/points?tile=" in url for url in asked), asked
    assert not any("limit=" in url for url in asked), asked
    assert_clean(page_log)


def test_api_docs_page(page: Page, page_log: PageLog, live_server: str) -> None:
    page.goto(live_server + "/api/docs")
    headings = page.locator("main.docs h2").all_inner_texts()
    assert "GET /api/v1/stations" in headings
    assert page.get_attribute("a[href$='openapi.json']", "href") == "/api/v1/openapi.json"
    assert page_log.console_errors == []
    assert page_log.page_errors == []
