"""Browser fixtures: a live server on a hostile dataset, headless Chromium, a watched page.

The server runs the real app (``create_app``) in a daemon thread on 127.0.0.1 with a
free port. Pages may only reach that origin: every other request is aborted and
recorded, and any JavaScript dialog counts as an injected script having run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Page,
    Route,
    sync_playwright,
)
from werkzeug.serving import make_server

from locator import create_app
from tests.browser.support import STATIONS_CSV, PageLog
from tests.conftest import DATA, add_planner, stop_plans, write_dataset

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Runs before the page's scripts. Leaflet assigns ``window.L`` once, at the end of its
# bundle; through public API the setter then turns off map animations (so a view set by
# finder.js or a test is final at once) and hands the test each map as it is built, so
# finder.js needs no test-only global.
PREPARE_LEAFLET = """
(() => {
  let leaflet;
  Object.defineProperty(window, "L", {
    configurable: true,
    get() { return leaflet; },
    set(value) {
      leaflet = value;
      value.Map.mergeOptions({ zoomAnimation: false, fadeAnimation: false,
                               markerZoomAnimation: false });
      value.Map.addInitHook(function () { window.__testMap = this; });
    },
  });
})();
"""


def serve(app: Any, name: str) -> Iterator[str]:
    """Run a WSGI app on a free loopback port in a daemon thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def serve_planner_app(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[str]:
    """Serve ``STATIONS_CSV`` with the census and places that demand models need, and a
    planner user; its plan threads are stopped at the end."""
    root = tmp_path_factory.mktemp(name)
    data_dir = write_dataset(root / "data", STATIONS_CSV)
    for folder in ("census", "places"):
        (data_dir / folder).symlink_to(DATA / folder)
    app = create_app({"TESTING": True, "DATA_DIR": data_dir, "STORE": root / "store.gpkg"})
    add_planner(app)
    try:
        yield from serve(app, f"{name}-server")
    finally:
        stop_plans(app)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (no trailing slash) of the app serving ``STATIONS_CSV``."""
    root = tmp_path_factory.mktemp("browser")
    data_dir = write_dataset(root / "data", STATIONS_CSV)
    app = create_app({"TESTING": True, "DATA_DIR": data_dir, "STORE": root / "store.gpkg"})
    yield from serve(app, "live-server")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture()
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture()
def make_page(
    browser: Browser, live_server: str, page_log: PageLog
) -> Iterator[Callable[..., Page]]:
    """Open pages that may only talk to ``live_server``; see ``page_log``.

    Keyword arguments go to ``browser.new_context`` (a 1280x800 zh-CN context unless
    overridden), e.g. ``geolocation`` and ``permissions``. Service workers are blocked
    unless a test allows them (``service_workers="allow"``, tests/browser/test_offline.py):
    the finder's worker fetches its shell in the background, and a request still running
    when a test closes its context would be cut off mid-answer.
    """
    contexts: list[BrowserContext] = []

    def route(r: Route) -> None:
        url = r.request.url
        page_log.requests.append(url)
        if url == live_server or url.startswith(live_server + "/"):
            r.continue_()
        else:
            page_log.external_requests.append(url)
            r.abort()

    def console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            page_log.console_errors.append(f"{msg.text} @ {msg.location}")

    def dialog(d: Dialog) -> None:
        page_log.dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    def open_page(**options: Any) -> Page:
        context = browser.new_context(
            **{
                "viewport": {"width": 1280, "height": 800},
                "locale": "zh-CN",
                "service_workers": "block",
                **options,
            }
        )
        contexts.append(context)
        context.add_init_script(PREPARE_LEAFLET)
        context.route("**/*", route)
        pg = context.new_page()
        pg.set_default_timeout(5_000)
        pg.on("console", console)
        pg.on("pageerror", lambda exc: page_log.page_errors.append(str(exc)))
        pg.on("dialog", dialog)
        return pg

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()
    # Backstop for every test, whatever it asserted itself.
    unexpected = [
        u for u in page_log.external_requests if not u.startswith(page_log.allowed_external)
    ]
    assert unexpected == [], "page tried to leave the test server"
    assert page_log.dialogs == [], "a dialog opened: injected script ran"
    assert page_log.page_errors == [], "a script threw"


@pytest.fixture()
def page(make_page: Callable[..., Page]) -> Page:
    """A fresh 1280x800 zh-CN page that may only talk to ``live_server``."""
    return make_page()
