"""Reports on stations and "there should be a station here", from the finder and a station's
page, in headless Chromium on the shared five-station dataset, against the real reports API
(``POST /api/v1/stations/<id>/reports``, ``POST /api/v1/suggestions``). A spy on the page's
requests records what the browser sends and lets it through; the server's budget is wide
here (tests/browser/test_reports_live.py checks the 429), and it trusts one proxy, so a
test can speak for several clients (``X-Forwarded-For``).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, Route

from locator import create_app
from tests.browser.conftest import serve
from tests.browser.support import STATIONS_CSV, XSS_NAME, PageLog
from tests.conftest import write_dataset

PHONE = {"width": 390, "height": 844}
AT_GUOMAO = "/?tiles=none&lat=39.909&lon=116.461"  # b2 is nearest, then b1
NEAR_GUOMAO = {"latitude": 39.9095, "longitude": 116.459}  # about 180 m from b2
IN_VIEW = """(sel) => {
  const box = document.querySelector(sel).getBoundingClientRect();
  return box.top >= 0 && box.left >= 0 && box.bottom <= window.innerHeight
    && box.right <= window.innerWidth && box.height > 0;
}"""


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("reports")
    data_dir = write_dataset(root / "data", STATIONS_CSV)
    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": data_dir,
            "STORE": root / "store.gpkg",
            "RATELIMIT_REPORTS": "1000 per minute",
            "REPORTS_DAILY_CAP": 1000,
            "SUGGESTIONS_DAILY_CAP": 1000,
            "TRUSTED_PROXIES": 1,
        }
    )
    yield from serve(app, "reports-server")


class Api:
    """A spy on the page's reports and suggestions: records each POST body and the real
    server's answer to it."""

    def __init__(self, page: Page) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.statuses: list[int] = []
        page.route("**/api/v1/stations/*/reports", self.handle)
        page.route("**/api/v1/suggestions", self.handle)

    def handle(self, route: Route) -> None:
        request = route.request
        if request.method != "POST":
            route.continue_()
            return
        self.posts.append((request.url.split("/api/v1/", 1)[1], json.loads(request.post_data)))
        answer = route.fetch()
        self.statuses.append(answer.status)
        route.fulfill(response=answer)


def post(live_server: str, path: str, body: dict[str, Any], client: str) -> int:
    """POST body to the API as client (its X-Forwarded-For); the status."""
    request = urllib.request.Request(  # the loopback test server only
        f"{live_server}/api/v1/{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": client},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        return int(r.status)


def open_finder(page: Page, live_server: str, path: str = AT_GUOMAO) -> None:
    page.goto(live_server + path)
    page.wait_for_selector("#map[data-loaded]", state="attached")
    page.wait_for_selector('#results[data-state="done"]', state="attached")


def card(page: Page, station: str) -> Any:
    return page.locator(f'#results > li[data-id="{station}"]')


def wait_for_posts(page: Page, api: Api, n: int) -> None:
    """Wait until n POSTs have had the server's answer."""
    for _ in range(50):
        if len(api.statuses) >= n:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{len(api.statuses)} answered posts, not {n}")


def test_a_report_in_two_taps_on_a_phone(
    make_page: Callable[..., Page], page_log: PageLog, live_server: str
) -> None:
    page = make_page(viewport=PHONE, has_touch=True, is_mobile=True)
    api = Api(page)
    open_finder(page, live_server)
    button = card(page, "b2").locator(".report-button")
    button.scroll_into_view_if_needed()
    button.tap()  # 1
    sheet = page.locator("#report-sheet")
    assert sheet.is_visible()
    assert page.inner_text("#report-station") == "国贸驿站"
    great = sheet.locator('[data-report="great"]')
    assert page.evaluate(IN_VIEW, '#report-sheet [data-report="great"]')  # no scrolling
    great.tap()  # 2
    wait_for_posts(page, api, 1)
    assert api.posts == [("stations/b2/reports", {"kind": "great", "website": ""})]
    page.wait_for_selector('#report-status[data-state="sent"]')
    assert api.statuses == [201]  # stored
    assert page.inner_text("#report-status") == "谢谢，已发送。"
    page.wait_for_selector("#report-sheet", state="hidden")  # closes by itself
    assert page_log.console_errors == []


def test_the_amenity_facts_ask_which_one_and_take_a_comment(
    make_page: Callable[..., Page], live_server: str
) -> None:
    page = make_page(viewport=PHONE, has_touch=True, is_mobile=True)
    api = Api(page)
    open_finder(page, live_server)
    card(page, "b1").locator(".report-button").tap()
    page.click("#report-sheet summary")
    page.fill("#report-comment", "<b>没有热水</b>")
    page.tap('[data-report="amenity_missing"]')
    assert not api.posts and page.is_visible("#report-which")
    page.tap('#report-which [data-report-amenity="hot_water_24h"]')
    wait_for_posts(page, api, 1)
    assert api.posts[0] == (
        "stations/b1/reports",
        {
            "kind": "amenity_missing",
            "amenity": "hot_water_24h",
            "comment": "<b>没有热水</b>",
            "website": "",
        },
    )


def test_the_honeypot_is_hidden_from_people_and_sent_empty(page: Page, live_server: str) -> None:
    open_finder(page, live_server)
    hp = page.locator("#report-website")
    assert hp.get_attribute("tabindex") == "-1"
    assert hp.get_attribute("autocomplete") == "off"
    assert page.locator("#report-sheet .hp").get_attribute("aria-hidden") == "true"
    card(page, "b2").locator(".report-button").click()
    box = hp.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 0  # off screen


def test_near_is_sent_only_from_the_reporters_own_position(
    make_page: Callable[..., Page], live_server: str
) -> None:
    page = make_page(geolocation=NEAR_GUOMAO, permissions=["geolocation"])
    api = Api(page)
    page.goto(live_server + "/?tiles=none")
    page.wait_for_selector("#map[data-loaded]", state="attached")
    page.click("#locate")
    page.wait_for_selector('#results[data-state="done"][data-query*="lat=39.9095"]')
    for station, kind in (("b2", "crowded"), ("b1", "open_as_listed")):
        card(page, station).locator(".report-button").click()
        page.click(f'[data-report="{kind}"]')
        page.wait_for_selector('#report-status[data-state="sent"]')
        page.wait_for_selector("#report-sheet", state="hidden")
    assert [(p, b["near"]) for p, b in api.posts] == [
        ("stations/b2/reports", True),  # 180 m away
        ("stations/b1/reports", False),  # 3.7 km away
    ]


def test_a_report_made_offline_is_queued_and_sent_when_back_online(
    make_page: Callable[..., Page], live_server: str
) -> None:
    page = make_page(viewport=PHONE, has_touch=True, is_mobile=True)
    api = Api(page)
    open_finder(page, live_server)
    page.context.set_offline(True)
    card(page, "b2").locator(".report-button").tap()
    page.tap('[data-report="closed_when_open"]')
    page.wait_for_selector('#report-status[data-state="queued"]')
    assert "没有信号" in page.inner_text("#report-status")
    assert page.get_attribute("#outbox-status", "data-count") == "1"
    assert "1" in page.inner_text("#outbox-status")
    page.wait_for_timeout(300)
    assert api.posts == []
    # the queue survives a reload (localStorage), and goes when the network returns
    page.context.set_offline(False)
    wait_for_posts(page, api, 1)
    assert api.posts == [("stations/b2/reports", {"kind": "closed_when_open", "website": ""})]
    assert api.statuses == [201]
    page.wait_for_selector('#outbox-status[data-count="0"]', state="attached")
    page.reload()
    page.wait_for_selector('#outbox-status[data-count="0"]', state="attached")
    assert len(api.posts) == 1  # sent once


def test_a_queued_report_survives_a_reload(
    make_page: Callable[..., Page], live_server: str
) -> None:
    page = make_page()
    api = Api(page)
    open_finder(page, live_server)
    page.context.set_offline(True)
    card(page, "b1").locator(".report-button").click()
    page.click('[data-report="moved"]')
    page.wait_for_selector('#outbox-status[data-count="1"]', state="attached")
    page.close()  # the phone closes the page, with no signal
    page.context.set_offline(False)
    again = page.context.new_page()  # back online, the finder opens again
    api = Api(again)
    open_finder(again, live_server)
    wait_for_posts(again, api, 1)
    assert api.posts == [("stations/b1/reports", {"kind": "moved", "website": ""})]
    again.wait_for_selector('#outbox-status[data-count="0"]', state="attached")
    again.wait_for_timeout(300)
    assert len(api.posts) == 1


def test_there_should_be_a_station_here(make_page: Callable[..., Page], live_server: str) -> None:
    page = make_page(viewport=PHONE, has_touch=True, is_mobile=True)
    api = Api(page)
    open_finder(page, live_server)
    page.click("#suggest-start")
    assert page.inner_text("#suggest-where") == "位置：39.90900, 116.46100"  # the chosen point
    page.click("#suggest-send")
    page.wait_for_selector('#suggest-status[data-state="error"]')  # no need chosen yet
    # another point: on the map
    page.click("#suggest-pick")
    page.wait_for_selector("#suggest-sheet", state="hidden")
    assert page.inner_text("#locate-status") == "请在地图上点选应该设站的位置。"
    box = page.locator("#map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#suggest-sheet", state="visible")
    where = page.inner_text("#suggest-where")
    assert where.startswith("位置：") and where != "位置：39.90900, 116.46100"
    page.check('input[name=need][value="shower"]')
    page.check('input[name=need][value="toilet"]')
    page.click("#suggest-send")
    wait_for_posts(page, api, 1)
    path, body = api.posts[0]
    assert path == "suggestions"
    assert body["needs"] == ["toilet", "shower"] and body["website"] == ""
    lat, lon = (float(v) for v in where.removeprefix("位置：").split(", "))
    assert abs(body["lat"] - lat) < 1e-5 and abs(body["lon"] - lon) < 1e-5
    page.wait_for_selector('#suggest-status[data-state="sent"]')
    assert api.statuses == [201]
    # the search position did not move
    assert "lat=39.909" in page.url


def test_the_sheets_work_from_the_keyboard(page: Page, live_server: str) -> None:
    api = Api(page)
    open_finder(page, live_server)
    card(page, "b2").locator(".report-button").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#report-sheet", state="visible")
    page.keyboard.press("Escape")  # a modal dialog closes on Escape
    page.wait_for_selector("#report-sheet", state="hidden")
    card(page, "b2").locator(".report-button").focus()
    page.keyboard.press("Enter")
    page.focus('[data-report="great"]')
    page.keyboard.press("Enter")
    wait_for_posts(page, api, 1)
    assert api.posts[0][1]["kind"] == "great"


def with_confirmation(route: Route) -> None:
    """The real nearest answer, with dates as the station reports will add them."""
    answer = route.fetch().json()
    dates = {
        "b2": ("2026-11-20", "2026-11-30"),
        "b1": ("2019-05-01", None),
        "b3": ("2026-10-01", None),
    }
    for f in answer["features"]:
        confirmed, closed = dates.get(f["properties"]["id"], (None, None))
        f["properties"]["last_confirmed"] = confirmed
        f["properties"]["reported_closed"] = closed
    route.fulfill(json=answer)


def test_confirmation_dates_and_the_filter(page: Page, live_server: str) -> None:
    page.route("**/api/v1/nearest?*", with_confirmation)
    open_finder(page, live_server)
    b2 = card(page, "b2")
    assert b2.locator(".reported-closed").inner_text() == "有人于 2026-11-30 反馈已关闭，尚未核实"
    assert b2.locator(".last-confirmed").inner_text() == "最近核实：2026-11-20"
    assert card(page, "b1").locator(".reported-closed").count() == 0
    page.select_option("#confirmed", "12")
    page.wait_for_selector(
        '#results[data-state="done"][data-query*="confirmed_months=12"]', state="attached"
    )
    ids = page.eval_on_selector_all("#results > li", "items => items.map(i => i.dataset.id)")
    assert ids == ["b2", "b3"]  # b1 was last confirmed in 2019, the others never
    assert "confirmed=12" in page.url
    assert "12" in page.inner_text("#result-count")


def test_a_station_page_report(page: Page, live_server: str) -> None:
    api = Api(page)
    page.goto(live_server + "/stations/b3?tiles=none")
    page.click("#station-report")
    assert page.inner_text("#report-station") == XSS_NAME  # as text, never as markup
    page.click('[data-report="open_as_listed"]')
    wait_for_posts(page, api, 1)
    assert api.posts == [("stations/b3/reports", {"kind": "open_as_listed", "website": ""})]


def test_a_station_reported_closed_by_three_clients_is_flagged(
    page: Page, page_log: PageLog, live_server: str
) -> None:
    for n in range(3):
        body = {"kind": "closed_for_good", "website": ""}
        assert post(live_server, "stations/b5/reports", body, f"10.1.0.{n}") == 201
    for n in range(2):
        body = {"kind": "crowded", "website": ""}
        assert post(live_server, "stations/b5/reports", body, f"10.1.1.{n}") == 201
    open_finder(page, live_server)
    flag = card(page, "b5").locator(".reported-closed").inner_text()
    assert flag.startswith("有人于 20") and flag.endswith("反馈已关闭，尚未核实")
    assert card(page, "b5").locator(".last-confirmed").inner_text().startswith("最近核实：20")
    assert card(page, "b2").locator(".reported-closed").count() == 0
    page.goto(live_server + "/stations/b5?tiles=none")
    assert page.inner_text("#station-reported-closed") == flag  # in the page itself
    page.wait_for_selector("#station-reports:not([hidden])")
    assert page.inner_text("#station-reports-heading") == "最近 30 天的反馈"
    counts = page.eval_on_selector_all(
        "#station-report-counts li", "l => l.map(i => i.textContent)"
    )
    assert counts == ["已永久关闭 × 3", "人很多 × 2"]
    assert page.locator(".reported-closed").count() == 1
    assert page_log.console_errors == []


def test_the_open_sheets_pass_axe(page: Page, live_server: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    from tests.browser.test_axe import violations

    axe = Axe()
    open_finder(page, live_server)
    card(page, "b2").locator(".report-button").click()
    assert violations(axe, page) == []
    page.click('[data-report="amenity_present"]')  # the second choice
    assert violations(axe, page) == []
    page.keyboard.press("Escape")
    page.click("#suggest-start")
    assert violations(axe, page) == []
    page.goto(live_server + "/stations/b1?tiles=none&lang=en")
    page.click("#station-report")
    assert violations(axe, page) == []
