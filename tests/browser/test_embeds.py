"""Embeds in headless Chromium: each view, inside a host page that resizes it, framing
refused where it should be, the dark and static flags, gesture handling, and escaping.

This module runs its own live server (it overrides ``live_server``): coverage and plans need
the census and places data, and ``LOCATOR_EMBED_ORIGINS`` allows only the host server's
``127.0.0.1`` origin, so that framing from any other origin (the same host server called
``localhost``) can be seen to fail. Host pages come from a tiny server of their own on the
loopback interface: Chromium's Private Network Access checks refuse to let a page whose
address it does not know (a Playwright route) load scripts or frames from 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Frame, Page
from werkzeug.wrappers import Request, Response

from locator import create_app
from tests.browser.conftest import serve
from tests.browser.support import (
    ARTIFACTS,
    OSM_TILES,
    STATIONS_CSV,
    XSS_ADDRESS,
    XSS_NAME,
    PageLog,
)
from tests.conftest import DATA, as_planner, stop_plans, write_dataset
from tests.web.test_embeds import embed_resources
from tests.web.test_plans import poll, post_tiny_plan

DONE = "#map[data-state=done]"

# Zoom the embed's map onto one station; return its position in the page, in pixels.
FOCUS_STATION = """
(id) => {
  const map = window.__testMap;
  let found = null;
  map.eachLayer((layer) => { if (layer.options.stationId === id) { found = layer; } });
  if (!found) { return null; }
  map.setView(found.getLatLng(), 15);
  const pt = map.latLngToContainerPoint(found.getLatLng());
  const box = map.getContainer().getBoundingClientRect();
  return { x: box.left + pt.x, y: box.top + pt.y };
}
"""


class HostServer:
    """Serves host documents the tests set (``pages[path] = body``)."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        self.origin = ""  # http://127.0.0.1:<port>: allowed to frame embeds
        self.other_origin = ""  # http://localhost:<port>: the same server, not allowed

    @Request.application
    def wsgi(self, request: Request) -> Response:
        body = self.pages.get(request.path)
        if body is None:
            return Response("not found", status=404)
        html = f"<!doctype html><html><head><title>host</title></head><body>{body}</body></html>"
        return Response(html, mimetype="text/html")


@pytest.fixture(scope="module")
def host() -> Iterator[HostServer]:
    found = HostServer()
    for base in serve(found.wsgi, "host-server"):
        found.origin, found.other_origin = base, base.replace("127.0.0.1", "localhost")
        yield found


@pytest.fixture(scope="module")
def embed_app(tmp_path_factory: pytest.TempPathFactory, host: HostServer):
    root = tmp_path_factory.mktemp("embeds")
    data = write_dataset(root / "data", STATIONS_CSV)
    for folder in ("census", "places"):
        (data / folder).symlink_to(DATA / folder)
    config = {"DATA_DIR": data, "STORE": root / "store.gpkg", "EMBED_ORIGINS": host.origin}
    app = as_planner(create_app({"TESTING": True, **config}))
    yield app
    stop_plans(app)


@pytest.fixture(scope="module")
def live_server(embed_app) -> Iterator[str]:
    """Overrides the session-wide server of conftest.py for this module."""
    yield from serve(embed_app, "embed-server")


@pytest.fixture(scope="module")
def plan_id(embed_app) -> str:
    """A finished and published two-site plan on a tiny demand file."""
    client = embed_app.test_client()
    job = post_tiny_plan(client).json
    assert poll(client, job["url"])["status"] == "done"
    assert client.patch(job["url"], json={"published": True}).status_code == 200
    return str(job["id"])


def open_host(page: Page, host: HostServer, body: str, origin: str | None = None) -> None:
    """Open a host document holding ``body``, from ``origin`` (default: the allowed one)."""
    origin = origin or host.origin
    host.pages["/"] = body
    page.route(origin + "/**", lambda route: route.continue_())  # not "leaving the server"
    page.goto(origin + "/")


def embed_frame(page: Page, part: str) -> Frame:
    frame = next(f for f in page.frames if part in f.url)
    frame.wait_for_selector(DONE, state="attached")
    return frame


def child_frame_urls(page: Page) -> list[str]:
    """URLs of the page's frames once each has committed (a refused one shows as '' at first)."""
    page.wait_for_load_state("load")  # the host's load waits for its frames, refused or not
    for _ in range(100):
        urls = [f.url for f in page.frames[1:]]
        if all(urls):
            return urls
        page.wait_for_timeout(50)
    return urls


def assert_clean(page_log: PageLog) -> None:
    assert page_log.console_errors == []
    assert page_log.page_errors == []
    assert page_log.external_requests == []


@pytest.mark.parametrize("view", ["stations", "coverage", "plan"])
def test_each_view_loads_cleanly(
    page: Page, page_log: PageLog, live_server: str, plan_id: str, view: str
) -> None:
    query = f"tiles=none&lang=en&plan={plan_id}" if view == "plan" else "tiles=none&lang=en"
    response = page.goto(f"{live_server}/embed/{view}?{query}")
    assert response is not None and response.status == 200
    page.wait_for_selector(DONE, state="attached")
    summary = page.text_content("#embed-summary") or ""
    # Coverage and plans count the region's kind: the 4 warm-heart stations, not b4.
    assert ("Stations: 5." if view == "stations" else "Stations: 4.") in summary
    if view == "stations":
        assert page.get_attribute("#map", "data-stations") == "5"
    elif view == "coverage":
        assert "of the modelled demand lies within 1 km of a station" in summary
        polygons = page.evaluate(
            "() => { let n = 0; window.__testMap.eachLayer((l) => { if (l.getLatLngs && l.options.fillColor) { n++; } }); return n; }"
        )
        assert polygons == 16
    else:
        assert page.get_attribute("#map", "data-sites") == "2"
        assert "2 proposed sites would raise the share" in summary
    # Same-origin requests are exactly those the size test counts (tests/test_embeds.py).
    path = response.url.removeprefix(live_server)
    expected = {path, *embed_resources(response.text())}
    made = {u.removeprefix(live_server) for u in page_log.requests if u.startswith(live_server)}
    points = {u for u in expected if "/stations/points" in u}  # asked for by map tile
    tiles = {
        u for u in made for p in points if u.startswith(p + ("&" if "?" in p else "?") + "tile=")
    }
    assert (tiles or not points) and made - tiles == expected - points
    assert_clean(page_log)


def test_host_page_resizes_each_iframe(
    page: Page, page_log: PageLog, live_server: str, host: HostServer
) -> None:
    page.set_viewport_size({"width": 700, "height": 800})
    open_host(
        page,
        host,
        f'<h1>News</h1><iframe id="one" src="{live_server}/embed/stations?tiles=none&id=one" '
        'title="stations" width="600" height="150" style="width:100%;border:0"></iframe>'
        f'<iframe id="two" src="{live_server}/embed/stations?tiles=none&plain" '
        'title="plain" width="600" height="150" style="width:100%;border:0"></iframe>'
        f'<script src="{live_server}/static/js/embed-host.js" async></script><p>after</p>',
    )
    heights = {}
    for frame_id, part in (("one", "id=one"), ("two", "plain")):
        frame = embed_frame(page, part)
        inner = frame.evaluate("Math.ceil(document.documentElement.getBoundingClientRect().height)")
        page.wait_for_function(
            "([id, h]) => document.getElementById(id).getBoundingClientRect().height === h",
            arg=[frame_id, inner],
        )
        heights[frame_id] = inner
    assert heights["one"] > heights["two"] > 150, "the plain embed has no title, legend or summary"
    width = page.evaluate("document.getElementById('two').getBoundingClientRect().width")
    assert heights["two"] == pytest.approx(width * 2 / 3, abs=1), "plain: the 3:2 map alone"

    # A message from anyone but the embed's origin changes nothing.
    page.evaluate("window.postMessage({type: 'locator:height', height: 999}, '*')")
    page.wait_for_timeout(200)
    assert (
        page.evaluate("document.getElementById('one').getBoundingClientRect().height")
        == heights["one"]
    )

    # Narrower page, shorter map: the embed tells the host again.
    page.set_viewport_size({"width": 420, "height": 800})
    page.wait_for_function(
        "(h) => document.getElementById('two').getBoundingClientRect().height < h - 100",
        arg=heights["two"],
    )
    assert page_log.console_errors == [] and page_log.external_requests == []


# Host pages that carry another maker's resize listener and nothing of ours: each sets the
# height of the frame that sent the message, as AMP's amp-iframe, Datawrapper's embed script
# and Flourish's embed script do (Flourish's message is a JSON string).
FOREIGN_LISTENERS = {
    "amp": "d && d.sentinel === 'amp' && d.type === 'embed-size' ? d.height : null",
    "datawrapper": "d && d['datawrapper-height'] && document.querySelector(\"iframe[src*='\" + "
    "Object.keys(d['datawrapper-height'])[0] + \"']\") === frame "
    "? Object.values(d['datawrapper-height'])[0] : null",
    "flourish": "typeof d === 'string' && JSON.parse(d).sender === 'Flourish' "
    "&& JSON.parse(d).method === 'resize' ? JSON.parse(d).height : null",
}


@pytest.mark.parametrize("maker", FOREIGN_LISTENERS)
def test_a_host_with_only_another_makers_listener_resizes_the_frame(
    page: Page, page_log: PageLog, live_server: str, host: HostServer, maker: str
) -> None:
    listener = (
        "<script>window.addEventListener('message', function (e) {"
        " var frame = document.getElementById('f'), d = e.data;"
        " if (e.source !== frame.contentWindow) { return; }"
        f" var h = {FOREIGN_LISTENERS[maker]};"
        " if (h) { frame.style.height = h + 'px'; window.__resized = (window.__resized || 0) + 1; }"
        "});</script>"
    )
    open_host(
        page,
        host,
        listener + f'<iframe id="f" src="{live_server}/embed/stations?tiles=none&lang=en" '
        'title="stations" width="600" height="150" style="width:100%;border:0"></iframe>',
    )
    frame = embed_frame(page, "/embed/stations")
    inner = frame.evaluate("Math.ceil(document.documentElement.getBoundingClientRect().height)")
    assert inner > 150
    page.wait_for_function(
        "(h) => document.getElementById('f').getBoundingClientRect().height === h", arg=inner
    )
    assert page_log.console_errors == [] and page_log.external_requests == []


def test_the_host_script_leaves_a_frame_alone_until_it_loads(
    page: Page, page_log: PageLog, live_server: str, host: HostServer
) -> None:
    """The embed's page is held back until embed-host.js has run: no message may reach the
    frame's blank page (Chromium logs an origin mismatch), and the frame still resizes."""
    messages: list[str] = []
    page.on("console", lambda msg: messages.append(msg.text))
    held: list = []
    page.route(f"{live_server}/embed/**", lambda route: held.append(route))
    host.pages["/"] = (
        f'<iframe id="late" src="{live_server}/embed/stations?tiles=none&plain" '
        'title="late" width="600" height="150" style="width:100%;border:0"></iframe>'
        f'<script src="{live_server}/static/js/embed-host.js"></script>'
    )
    page.route(host.origin + "/**", lambda route: route.continue_())
    page.goto(host.origin + "/", wait_until="domcontentloaded")  # the script has run
    page.wait_for_function(
        "() => Object.keys(window).some((k) => k.startsWith('locatorEmbedHost'))"
    )
    while not held:
        page.wait_for_timeout(20)
    held[0].continue_()
    while not any("/embed/" in f.url for f in page.frames):  # until the frame commits
        page.wait_for_timeout(20)
    frame = embed_frame(page, "/embed/stations")
    inner = frame.evaluate("Math.ceil(document.documentElement.getBoundingClientRect().height)")
    page.wait_for_function(
        "(h) => document.getElementById('late').getBoundingClientRect().height === h", arg=inner
    )
    assert not [m for m in messages if "postMessage" in m or "target origin" in m], messages
    assert page_log.console_errors == []


@pytest.mark.parametrize(("width", "shown"), [(360, "no"), (700, "yes")])
def test_a_narrow_coverage_map_keeps_the_stations_until_zoomed_in(
    page: Page, live_server: str, width: int, shown: str
) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{live_server}/embed/coverage?tiles=none&lang=en")
    page.wait_for_selector(DONE, state="attached")
    assert page.get_attribute("#map", "data-stations-shown") == shown
    status = page.text_content("#embed-status") or ""
    assert ("Zoom in to see the stations." in status) == (shown == "no")
    if shown == "no":
        page.evaluate("window.__testMap.setZoom(12, {animate: false})")
        page.wait_for_selector("#map[data-stations-shown=yes]", state="attached")
        assert (page.text_content("#embed-status") or "") == ""
    layers = page.evaluate(
        "() => { let n = 0; window.__testMap.eachLayer((l) => { if (l.options.stationId) { n++; } }); return n; }"
    )
    assert layers == 4  # the region's four warm-heart stations, drawn once shown


def test_framing_is_refused_off_the_allowlist_and_off_embeds(
    page: Page, live_server: str, host: HostServer
) -> None:
    # Chromium replaces a refused frame by its error page (chrome-error://chromewebdata/).
    body = f'<iframe src="{live_server}/embed/stations?tiles=none"></iframe>'
    open_host(page, host, body, origin=host.other_origin)
    assert child_frame_urls(page) == ["chrome-error://chromewebdata/"]

    open_host(
        page,
        host,
        f'<iframe src="{live_server}/?tiles=none"></iframe>'
        f'<iframe src="{live_server}/embed/coverage?tiles=none"></iframe>',
    )
    assert child_frame_urls(page) == [
        "chrome-error://chromewebdata/",  # the finder: X-Frame-Options DENY
        f"{live_server}/embed/coverage?tiles=none",
    ]
    embed_frame(page, "/embed/coverage")


def test_dark_flag_changes_the_rendering(page: Page, live_server: str) -> None:
    colours = {}
    for flag in ("", "&dark"):
        page.goto(f"{live_server}/embed/coverage?tiles=none{flag}")
        page.wait_for_selector(DONE, state="attached")
        colours[flag] = page.evaluate(
            "[getComputedStyle(document.documentElement).backgroundColor,"
            " getComputedStyle(document.getElementById('map')).backgroundColor]"
        )
    assert colours[""] == ["rgb(255, 255, 255)", "rgb(232, 238, 240)"]
    assert colours["&dark"][0] != colours[""][0] and colours["&dark"][1] != colours[""][1]


def open_popup(page: Page, station_id: str) -> str:
    at = page.evaluate(FOCUS_STATION, station_id)
    assert at, f"no marker for {station_id}"
    page.mouse.click(at["x"], at["y"])
    page.wait_for_selector(".station-popup a")
    return page.inner_text(".station-popup")


def test_names_and_addresses_are_text(page: Page, page_log: PageLog, live_server: str) -> None:
    page.goto(f"{live_server}/embed/stations?tiles=none")
    page.wait_for_selector(DONE, state="attached")
    assert page.locator(".station-popup").count() == 0
    text = open_popup(page, "b3")
    assert page.text_content(".station-popup strong") == XSS_NAME and XSS_NAME in text
    assert page.locator(".leaflet-popup img").count() == 0
    page.goto(f"{live_server}/embed/stations?tiles=none")  # every station in view again
    page.wait_for_selector(DONE, state="attached")
    open_popup(page, "b4")
    assert XSS_ADDRESS in page.inner_text(".station-popup")
    assert page.evaluate("window.__xss") is None
    assert page_log.dialogs == [] and page_log.console_errors == []


def test_static_embed_does_not_move(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/embed/stations?tiles=none&static&plain")
    page.wait_for_selector(DONE, state="attached")
    state = page.evaluate(
        "() => { const m = window.__testMap; return [m.dragging.enabled(), m.scrollWheelZoom.enabled(),"
        " m.keyboard.enabled(), !!document.querySelector('.leaflet-control-zoom')]; }"
    )
    assert state == [False, False, False, False]
    at = page.evaluate(FOCUS_STATION, "b1")
    page.mouse.click(at["x"], at["y"])
    page.wait_for_timeout(200)
    assert page.locator(".leaflet-popup").count() == 0
    credit = page.locator(".leaflet-control-attribution")
    assert credit.is_visible() and "locator" in credit.inner_text()  # even when plain


def test_wheel_scrolls_past_and_ctrl_wheel_zooms(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/embed/stations?tiles=none")
    page.wait_for_selector(DONE, state="attached")
    zoom = page.evaluate("window.__testMap.getZoom()")
    box = page.locator("#map").bounding_box()
    assert box
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -300)
    page.wait_for_selector("#map.leaflet-gesture-handling-scroll-warning")
    assert page.evaluate("window.__testMap.getZoom()") == zoom
    page.keyboard.down("Control")
    for _ in range(3):  # the first turn switches wheel zoom on, the next ones zoom
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(50)
    page.keyboard.up("Control")
    page.wait_for_function("(z) => window.__testMap.getZoom() > z", arg=zoom)


@pytest.mark.parametrize(
    ("tiles", "tile_host", "credit"),
    [("osm", OSM_TILES, "OpenStreetMap"), ("amap", "https://webrd0", "高德地图")],
)
def test_tiles_are_the_only_requests_off_the_server(
    make_page: Callable[..., Page],
    page_log: PageLog,
    live_server: str,
    tiles: str,
    tile_host: str,
    credit: str,
) -> None:
    page_log.allowed_external = (tile_host,)
    page = make_page()
    page.goto(f"{live_server}/embed/coverage?tiles={tiles}")
    page.wait_for_selector(DONE, state="attached")
    page.wait_for_timeout(300)
    assert page_log.external_requests, "the map asked for tiles"
    assert all(u.startswith(tile_host) for u in page_log.external_requests)
    shown = page.inner_text(".leaflet-control-attribution")
    assert credit in shown and "locator" in shown
    datum = "datum=gcj02" if tiles == "amap" else "datum="
    points = [u for u in page_log.requests if "/stations/points" in u]
    assert points and all("tile=" in u and (datum in u) == (tiles == "amap") for u in points)


def test_screenshot(page: Page, page_log: PageLog, live_server: str) -> None:
    page.set_viewport_size({"width": 640, "height": 600})
    page.goto(f"{live_server}/embed/coverage?tiles=none&lang=en")
    page.wait_for_selector(DONE, state="attached")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "embed.png"), full_page=True)
    assert_clean(page_log)
