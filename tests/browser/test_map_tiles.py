"""Maps of a large dataset in headless Chromium: the finder and the stations embed ask only
for the map tiles in view (never every station), say "zoom in" far out, fetch new tiles
when panned and none when panned back.

The server serves 3,000 generated stations (1,500 around Beijing, 1,500 in Shaanxi) with
``LOCATOR_LARGE_DATASET`` lowered to 2,000, so that it is large.
"""

from __future__ import annotations

import json
import random
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from locator import create_app
from tests.browser.conftest import serve
from tests.browser.support import PageLog
from tests.conftest import write_dataset

TOTAL = 3000
LARGE = 2000
HEADER = (
    "id,name,kind,lon,lat,address,opening_hours,host_type,phone,source,updated,"
    "shower,toilet,amenities\n"
)
# (west, south, east, north) well inside each served region, 1,500 stations each
AREAS = ((116.10, 39.75, 116.70, 40.30), (108.30, 34.00, 109.50, 35.00))
CITY = (39.95, 116.40)  # central Beijing
POINTS = "/api/v1/stations/points"


def stations_csv(seed: int = 15) -> str:
    rng = random.Random(seed)
    rows = []
    for i in range(TOTAL):
        west, south, east, north = AREAS[i % 2]
        lon, lat = round(rng.uniform(west, east), 5), round(rng.uniform(south, north), 5)
        rows.append(
            f"n{i:04d},测试驿站{i},warm_heart,{lon},{lat},测试路{i}号,24/7,,,test,2024-01-01,是,是,"
        )
    return HEADER + "\n".join(rows) + "\n"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("tiles")
    data_dir = write_dataset(root / "data", stations_csv())
    config = {"DATA_DIR": data_dir, "STORE": root / "store.gpkg", "LARGE_DATASET": LARGE}
    yield from serve(create_app({"TESTING": True, **config}), "tiles-server")


def point_requests(page_log: PageLog) -> list[str]:
    return [u for u in page_log.requests if POINTS in u]


def received(urls: list[str]) -> int:
    """The stations the answers to ``urls`` carried (asked again of the loopback server)."""
    total = 0
    for url in urls:
        with urllib.request.urlopen(url, timeout=10) as r:  # the loopback test server only
            total += len(json.loads(r.read())["ids"])
    return total


def move(page: Page, lat: float, lon: float, zoom: int) -> None:
    """Set the map's view and wait until its tiles have come (no request for 500 ms)."""
    page.evaluate(f"window.__testMap.setView([{lat}, {lon}], {zoom}, {{animate: false}})")
    page.wait_for_load_state("networkidle")


def assert_only_tiles(urls: list[str]) -> None:
    assert urls, "no points were asked for"
    assert all("tile=" in u for u in urls), urls  # never the unbounded points


def test_the_finder_asks_only_for_the_tiles_in_view(
    page: Page, page_log: PageLog, live_server: str
) -> None:
    page.goto(f"{live_server}/?tiles=none")
    # every station fits the first view: far out, so the tiles come without points
    page.wait_for_selector('#map[data-omitted="true"]', state="attached")
    assert page.get_attribute("#map", "data-loaded") == "0"
    assert page.inner_text(".map-note") == "放大地图以查看站点。"
    assert received(point_requests(page_log)) == 0

    move(page, *CITY, 14)
    page.wait_for_selector('#map[data-omitted="false"]', state="attached")
    assert not page.locator(".map-note").is_visible()
    first = point_requests(page_log)
    assert_only_tiles(first)
    shown = int(page.get_attribute("#map", "data-loaded") or 0)
    assert shown > 0 and received(first) < TOTAL / 10

    move(page, CITY[0], CITY[1] + 0.3, 14)  # panned east by more than a tile
    panned = point_requests(page_log)
    assert len(panned) > len(first)
    assert_only_tiles(panned)
    assert received(panned) < TOTAL / 5

    move(page, *CITY, 14)  # back: the tiles are kept
    assert point_requests(page_log) == panned
    assert page.get_attribute("#map", "data-loaded") == str(shown)
    move(page, *CITY, 16)  # zoomed in: the kept tiles hold the smaller ones
    assert point_requests(page_log) == panned
    assert page_log.console_errors == [] and page_log.page_errors == []
    assert page_log.external_requests == []


def test_the_finders_offline_copy_is_the_area_around_the_position(
    page: Page, page_log: PageLog, live_server: str
) -> None:
    page.goto(f"{live_server}/?tiles=none&lat={CITY[0]}&lon={CITY[1]}")
    page.wait_for_selector('#results[data-state="done"]', state="attached")
    # (the page waits up to 10 s for a service worker, which these tests block)
    page.wait_for_selector("html[data-offline-ready]", state="attached", timeout=20_000)
    copies = [u for u in page_log.requests if "/api/v1/offline" in u]
    assert copies == [f"{live_server}/api/v1/offline?bbox=115.50,39.00,117.00,40.50"]
    assert page.get_attribute("html", "data-offline-ready") == str(TOTAL // 2)
    assert_only_tiles(point_requests(page_log))
    assert page_log.console_errors == [] and page_log.page_errors == []


def test_the_stations_embed_asks_only_for_the_tiles_in_view(
    page: Page, page_log: PageLog, live_server: str
) -> None:
    page.goto(f"{live_server}/embed/stations?tiles=none&lang=en")
    page.wait_for_selector("#map[data-state=done]", state="attached")
    assert page.get_attribute("#map", "data-omitted") == "true"
    assert page.text_content("#embed-status") == "Zoom in to see the stations."
    move(page, *CITY, 14)
    page.wait_for_selector('#map[data-omitted="false"]', state="attached")
    assert (page.text_content("#embed-status") or "") == ""
    first = point_requests(page_log)
    assert_only_tiles(first)
    assert 0 < int(page.get_attribute("#map", "data-stations") or 0) < TOTAL / 10
    move(page, CITY[0], CITY[1] + 0.3, 14)
    panned = point_requests(page_log)
    assert len(panned) > len(first)
    move(page, *CITY, 14)
    assert point_requests(page_log) == panned
    assert page_log.console_errors == [] and page_log.page_errors == []
