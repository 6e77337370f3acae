"""axe-core (shipped offline in axe-playwright-python) finds no violations on the pages people
open: the finder, the planner (signed out and signed in), a station page, every embed view
(including the plan embed's error page) and the API docs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.browser.conftest import serve_planner_app
from tests.conftest import PLANNER_PASSWORD

# Each page and what shows it has drawn (axe judges the drawn page). Map tiles are off
# (tiles=none): axe judges our markup, not a tile server's.
FINDER, PLANNER = "#map[data-loaded]", ".folium-map[data-stations-drawn]"
STATION, EMBED = "#station-map[data-loaded]", "#map[data-state=done], #map[data-state=error]"
PAGES = (
    ("/?tiles=none", FINDER),
    ("/?tiles=none&lang=en", FINDER),
    ("/planner?tiles=none", PLANNER),
    ("/planner?tiles=none&region=shaanxi&lang=en", PLANNER),
    ("/stations/b1?tiles=none", STATION),
    ("/stations/b2?tiles=none&lang=en", STATION),
    ("/embed/stations?tiles=none", EMBED),
    ("/embed/coverage?tiles=none&lang=en", EMBED),
    ("/embed/plan?tiles=none&plan=nonexistent", "main"),
    ("/embed/plan?tiles=none&lang=en", "main"),
    ("/api/docs", "#docs-toc"),
)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The shared test stations, with the census and places the planner's demand needs."""
    yield from serve_planner_app(tmp_path_factory, "axe")


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


def violations(axe: Axe, page: Page) -> list[str]:
    """``rule id: selector`` of every violation on the page as it stands."""
    results = axe.run(page)
    return [
        f"{rule['id']}: {' '.join(map(str, node['target']))}"
        for rule in results.response["violations"]
        for node in rule["nodes"]
    ]


@pytest.mark.parametrize(("path", "drawn"), PAGES)
def test_no_axe_violations(page: Page, live_server: str, axe: Axe, path: str, drawn: str):
    page.goto(live_server + path)
    page.wait_for_selector(drawn, state="attached")
    assert violations(axe, page) == []


def test_no_axe_violations_signed_in(page: Page, live_server: str, axe: Axe) -> None:
    page.goto(f"{live_server}/login?next=/planner%3Ftiles%3Dnone")
    assert violations(axe, page) == []
    page.fill("#name", "planner")
    page.fill("#password", PLANNER_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_selector(PLANNER, state="attached")
    assert violations(axe, page) == []
