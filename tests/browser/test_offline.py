"""The finder with poor signal, in headless Chromium: after one visit it opens with no
network (Playwright's offline mode), answers nearest-station questions from its offline
copy with the server's answers (same stations, same geodesic distances), and its service
worker keeps nothing personal.

The server here serves 300 generated Beijing stations with coordinates of 6 to 8 decimals
(finer than the map's 1 m points) and random shower flags, and has a planner account.
"""

from __future__ import annotations

import json
import random
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page
from pyproj import Geod

from locator import create_app
from tests.browser.conftest import serve
from tests.conftest import PLANNER_PASSWORD, add_planner, write_dataset

STATIONS = 300
WEST, SOUTH, EAST, NORTH = 116.20, 39.80, 116.60, 40.05  # the served region (central Beijing)
HEADER = (
    "id,name,kind,lon,lat,address,opening_hours,host_type,phone,source,updated,"
    "shower,toilet,amenities\n"
)
GEOD = Geod(ellps="WGS84")
NO_TILES = "/?tiles=none"

# The caches of the service worker: {cache name: [request URL, ...]}.
CACHED = """async () => {
  const out = {};
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    out[name] = (await cache.keys()).map((r) => r.url);
  }
  return out;
}"""


def stations_csv(seed: int = 14) -> str:
    rng = random.Random(seed)
    rows = []
    for i in range(STATIONS):
        decimals = rng.choice((6, 7, 8))
        lon = round(rng.uniform(WEST, EAST), decimals)
        lat = round(rng.uniform(SOUTH, NORTH), decimals)
        shower = rng.choice(("是", "否", ""))
        kind = "driver_home" if i % 25 == 0 else "warm_heart"
        rows.append(
            f"g{i:03d},测试驿站{i},{kind},{lon},{lat},北京市测试路{i}号,24/7,工会服务站,,"
            f"test,2024-01-01,{shower},是,"
        )
    return HEADER + "\n".join(rows) + "\n"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("offline")
    data_dir = write_dataset(root / "data", stations_csv())
    app = create_app({"TESTING": True, "DATA_DIR": data_dir, "STORE": root / "store.gpkg"})
    add_planner(app)
    yield from serve(app, "offline-server")


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as r:  # the loopback test server only
        return json.loads(r.read())


def caches_of(page: Page) -> dict[str, list[str]]:
    found: dict[str, list[str]] = page.evaluate(CACHED)
    return found


def visit_once(page: Page, live_server: str, path: str = NO_TILES) -> None:
    """Open the finder online and wait until its worker holds the page, the map's points
    and the offline copy."""
    page.goto(live_server + path)
    page.wait_for_selector("html[data-offline-ready]", state="attached", timeout=20_000)
    deadline = time.monotonic() + 15
    while True:
        urls = [u for names in caches_of(page).values() for u in names]
        wanted = ("/api/v1/offline", "/api/v1/stations/points", "/api/v1/amenities", "/?tiles")
        if all(any(w in u for u in urls) for w in wanted):
            return
        assert time.monotonic() < deadline, f"not all cached: {urls}"
        page.wait_for_timeout(200)


def test_offline_after_one_visit_finds_the_nearest_station_with_a_shower(
    make_page: Callable[..., Page], live_server: str
) -> None:
    page = make_page(viewport={"width": 390, "height": 844}, service_workers="allow")
    visit_once(page, live_server)
    lat, lon = 39.93, 116.40
    server = get_json(f"{live_server}/api/v1/nearest?lat={lat}&lon={lon}&amenities=shower&k=10")
    page.context.set_offline(True)
    page.goto(f"{live_server}/?tiles=none&lat={lat}&lon={lon}&amenities=shower")
    page.wait_for_selector('#results[data-state="done"][data-source="offline"]', state="attached")
    ids = page.eval_on_selector_all("#results > li", "items => items.map(i => i.dataset.id)")
    assert ids == [f["properties"]["id"] for f in server["features"]]
    # the same words as online: "1.2 公里" from the same distance
    first = page.locator("#results > li").first
    assert first.locator(".distance").inner_text().replace(" ", "") in (
        f"{server['features'][0]['properties']['distance_m']:.0f}米",
        f"{round(server['features'][0]['properties']['distance_m'] / 100) / 10:g}公里",
    )
    assert first.locator('.tags [data-amenity="shower"]').count() == 1
    note = page.locator("#offline-note")
    assert note.get_attribute("data-state") == "offline"
    assert "没有信号" in note.inner_text() and "今天" in note.inner_text()  # how old the data is
    # the map still draws every station from the kept points
    page.wait_for_selector(f'#map[data-loaded="{STATIONS}"]', state="attached")
    # a filter changed offline is answered at once, from the copy
    page.click('[data-kind="driver_home"]')
    page.wait_for_selector('#results[data-state="done"][data-query*="kind=driver_home"]')
    assert page.get_attribute("#results", "data-source") == "offline"
    page.context.set_offline(False)


# The offline search as the finder runs it, on the copy the worker kept, for many points.
OFFLINE_NEAREST = """async (points) => {
  const pack = await (await fetch("/api/v1/offline")).json();
  const stations = window.locator.finderOffline.unpack(pack);
  return points.map(([lat, lon]) => {
    const fc = window.locator.finderOffline.nearest(stations, lat, lon,
                                                    { amenities: ["shower"] }, 1);
    const p = fc.features[0].properties;
    return [p.id, p.distance_m];
  });
}"""


def test_offline_answers_agree_with_the_server_for_100_random_points(
    make_page: Callable[..., Page], live_server: str
) -> None:
    page = make_page(service_workers="allow")
    visit_once(page, live_server)
    rng = random.Random(100)
    points = [(rng.uniform(SOUTH, NORTH), rng.uniform(WEST, EAST)) for _ in range(100)]
    server = []
    for lat, lon in points:
        fc = get_json(f"{live_server}/api/v1/nearest?lat={lat}&lon={lon}&amenities=shower&k=1")
        f = fc["features"][0]
        server.append((f["properties"]["id"], f["properties"]["distance_m"], f["geometry"]))
    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector("#map[data-loaded]", state="attached")
    browser = page.evaluate(OFFLINE_NEAREST, [list(p) for p in points])
    page.context.set_offline(False)
    for (lat, lon), (sid, server_m, geometry), (bid, browser_m) in zip(
        points, server, browser, strict=True
    ):
        assert bid == sid, (lat, lon)
        # the server rounds to 0.1 m; rounded alike, the browser's distance is the same
        assert abs(round(browser_m, 1) - server_m) < 0.01, (lat, lon, browser_m, server_m)
        # and unrounded it is pyproj's geodesic, which the server measures with
        slon, slat = geometry["coordinates"]
        assert abs(browser_m - GEOD.inv(lon, lat, slon, slat)[2]) < 0.01


def test_the_worker_never_caches_plans_admin_or_sign_in(
    make_page: Callable[..., Page], live_server: str
) -> None:
    page = make_page(service_workers="allow")
    page.goto(f"{live_server}/login?next=/planner%3Ftiles%3Dnone")
    page.fill("#name", "planner")
    page.fill("#password", PLANNER_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    visit_once(page, live_server)
    # signed in, the page asks for personal answers through the worker, twice each
    for _ in range(2):
        statuses = page.evaluate(
            """async () => {
              const out = [];
              for (const url of ["/api/v1/plans", "/api/v1/plans?limit=5", "/admin",
                                 "/admin/datasets", "/admin/audit", "/plans", "/login",
                                 "/api/v1/plans/nonexistent"]) {
                out.push((await fetch(url)).status);
              }
              return out;
            }"""
        )
        assert 200 in statuses  # signed in: some answered with what is theirs
    page.goto(f"{live_server}/admin/datasets")
    page.goto(live_server + NO_TILES)
    page.wait_for_selector("html[data-offline-ready]", state="attached")
    cached = caches_of(page)
    assert any(n.startswith("locator-data-v") for n in cached)
    urls = [u.removeprefix(live_server) for names in cached.values() for u in names]
    assert urls, "the worker caches the finder"
    for url in urls:
        assert not url.startswith(("/api/v1/plans", "/admin", "/login", "/account", "/plans"))
        assert "token" not in url.lower()
    allowed = ("/static/", "/?", "/api/v1/offline", "/api/v1/stations/points", "/api/v1/amenities")
    assert all(u.startswith(allowed) or u == "/" for u in urls), urls


def test_a_new_dataset_version_replaces_the_cached_copy(
    make_page: Callable[..., Page], live_server: str
) -> None:
    page = make_page(service_workers="allow")
    visit_once(page, live_server)
    names = [n for n in caches_of(page) if n.startswith("locator-data-v")]
    assert len(names) == 1
    version = int(names[0].removeprefix("locator-data-v"))
    # the worker sees a newer version answer (as after an import) and drops the old cache
    newer = get_json(f"{live_server}/api/v1/offline")
    newer["dataset"]["version"] = version + 1
    page.context.route(  # the worker's request: the context's routes see it
        "**/api/v1/offline",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body=json.dumps(newer)
        ),
    )
    page.evaluate("() => fetch('/api/v1/offline', {cache: 'no-store'}).then((r) => r.json())")
    names = [n for n in caches_of(page) if n.startswith("locator-data-v")]
    assert names == [f"locator-data-v{version + 1}"]


def test_the_worker_and_manifest_are_served(live_server: str) -> None:
    with urllib.request.urlopen(f"{live_server}/sw.js", timeout=10) as r:
        assert r.headers["Content-Type"].startswith("text/javascript")
        assert "connect-src 'self'" in r.headers["Content-Security-Policy"]
        assert "no-cache" in r.headers["Cache-Control"]
        assert r.read().startswith(b"self.LOCATOR_SW = {")
    manifest = get_json(f"{live_server}/manifest.webmanifest?lang=en")
    assert manifest["display"] == "standalone" and manifest["scope"] == "/"
    assert {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}


def test_opened_offline_the_last_search_comes_back(
    make_page: Callable[..., Page], live_server: str
) -> None:
    page = make_page(service_workers="allow")
    visit_once(page, live_server, "/?tiles=none&lat=39.95&lon=116.35&amenities=shower")
    page.wait_for_selector('#results[data-state="done"][data-source="network"]', state="attached")
    online = page.eval_on_selector_all("#results > li", "items => items.map(i => i.dataset.id)")
    page.context.set_offline(True)
    page.goto(live_server + NO_TILES)  # no position in the URL
    page.wait_for_selector('#results[data-state="done"][data-source="offline"]', state="attached")
    assert "您上次的查询" in page.inner_text("#locate-status")
    assert "lat=39.95" in page.url and "amenities=shower" in page.url
    ids = page.eval_on_selector_all("#results > li", "items => items.map(i => i.dataset.id)")
    assert ids == online
    page.context.set_offline(False)


def test_a_slow_network_is_answered_from_the_copy_until_it_answers(
    make_page: Callable[..., Page], live_server: str
) -> None:
    page = make_page(service_workers="allow")
    visit_once(page, live_server)
    held: list[Any] = []
    page.context.route("**/api/v1/nearest?*", lambda route: held.append(route))
    page.select_option("#district", index=1)
    page.wait_for_selector(
        '#results[data-state="done"][data-source="offline"]', state="attached", timeout=9_000
    )
    assert page.get_attribute("#offline-note", "data-state") == "offline"
    offline_ids = page.eval_on_selector_all("#results > li", "l => l.map(i => i.dataset.id)")
    assert held
    held[0].continue_()  # the network answers at last, and its answer replaces the copy's
    page.wait_for_selector('#results[data-state="done"][data-source="network"]', state="attached")
    assert page.eval_on_selector_all("#results > li", "l => l.map(i => i.dataset.id)") == (
        offline_ids
    )
