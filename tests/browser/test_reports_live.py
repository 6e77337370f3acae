"""Reports from the finder and a station's page against the real reports API (no stubs):
stored and counted, refused with 429 in the error shape over the budget, a confirmed
"closed" report takes the station off the finder within 2 s, and a comment carrying markup
stays text on the station page.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, Response

from locator import create_app
from locator.db import accounts
from locator.web.state import state_of
from tests.browser.conftest import serve
from tests.browser.support import STATIONS_CSV, PageLog
from tests.conftest import PLANNER_PASSWORD, write_dataset

AT_GUOMAO = "/?tiles=none&lat=39.909&lon=116.461"  # b2 is nearest, then b1
XSS_COMMENT = '<img src=x onerror=alert(1)><script>window.__xss=1</script>"'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, an admin's API token) of an app with a small report budget and a live
    poll of 0.2 s, behind a "proxy": each page names its client in X-Forwarded-For."""
    root = tmp_path_factory.mktemp("reports-live")
    data_dir = write_dataset(root / "data", STATIONS_CSV)
    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": data_dir,
            "STORE": root / "store.gpkg",
            "RATELIMIT_REPORTS": "4 per minute",
            "LIVE_POLL_S": 0.2,
            "TRUSTED_PROXIES": 1,  # each test is its own client (X-Forwarded-For)
        }
    )
    engine = state_of(app).engine
    accounts.add_user(engine, "moderator", PLANNER_PASSWORD, "admin", actor="test")
    token = accounts.create_token(engine, "moderator", "admin", "tests", actor="test")
    for url in serve(app, "reports-live-server"):
        yield url, token


@pytest.fixture(scope="module")
def live_server(server: tuple[str, str]) -> str:
    return server[0]


def call(url: str, token: str, body: Any | None = None) -> Any:
    request = urllib.request.Request(  # the loopback test server only
        url,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="GET" if body is None else "POST",
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.loads(r.read())


def open_finder(page: Page, live_server: str, path: str = AT_GUOMAO) -> None:
    page.goto(live_server + path)
    page.wait_for_selector("#map[data-loaded]", state="attached")
    page.wait_for_selector('#results[data-state="done"]', state="attached")


def report(page: Page, station: str, kind: str, comment: str = "") -> Response:
    """Report from the station's result card; the server's answer."""
    page.locator(f'#results > li[data-id="{station}"] .report-button').click()
    if comment:
        page.click("#report-sheet summary")
        page.fill("#report-comment", comment)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click(f'#report-sheet [data-report="{kind}"]')
    page.wait_for_selector("#report-status[data-state=sent], #report-status[data-state=error]")
    return answer.value


def close_sheet(page: Page) -> None:
    if page.is_visible("#report-sheet"):
        page.keyboard.press("Escape")
    page.wait_for_selector("#report-sheet", state="hidden")


def test_reports_are_stored_then_the_budget_answers_429(
    make_page: Callable[..., Page], page_log: PageLog, server: tuple[str, str]
) -> None:
    live_server, token = server
    page = make_page(extra_http_headers={"X-Forwarded-For": "10.0.0.1"})
    open_finder(page, live_server)
    first = report(page, "b5", "great")
    assert first.status == 201 and first.json()["report"]["station"] == "b5"
    summary = call(f"{live_server}/api/v1/stations/b5/reports", token)
    assert summary["counts"]["great"] == 1
    close_sheet(page)
    statuses = [first.status]
    for _ in range(6):
        answer = report(page, "b5", "crowded")
        statuses.append(answer.status)
        close_sheet(page)
        if answer.status == 429:
            break
    assert statuses[-1] == 429, statuses
    body = answer.json()
    assert body["ok"] is False and body["status"] == 429 and body["error"]
    assert answer.headers.get("retry-after")
    page.locator('#results > li[data-id="b1"] .report-button').click()
    with page.expect_response(lambda r: r.request.method == "POST") as again:
        page.click('#report-sheet [data-report="great"]')
    assert again.value.status == 429  # the budget, whatever the station
    page.wait_for_selector('#report-status[data-state="error"]')
    words = again.value.json()["error"]
    assert page.inner_text("#report-status") == f"未发送：{words}"  # the server's own words
    assert page.get_attribute("#outbox-status", "data-count") == "0"  # not queued
    assert page_log.dialogs == []


def test_a_confirmed_closed_report_takes_the_station_off_the_finder_within_2_s(
    make_page: Callable[..., Page], server: tuple[str, str]
) -> None:
    live_server, token = server
    page = make_page(extra_http_headers={"X-Forwarded-For": "10.0.0.2"})
    open_finder(page, live_server)
    ids = page.eval_on_selector_all("#results > li", "l => l.map(i => i.dataset.id)")
    assert "b4" in ids
    answer = report(page, "b4", "closed_for_good")
    assert answer.status == 201, answer.text()
    report_id = answer.json()["report"]["id"]
    close_sheet(page)
    call(f"{live_server}/api/v1/admin/reports/{report_id}", token, {"action": "confirm"})
    started = time.monotonic()
    while "b4" in ids:
        assert time.monotonic() - started < 2, "still listed after 2 s"
        page.wait_for_timeout(100)
        page.click('[data-option="unknown"]')  # the rider searches again
        page.wait_for_selector('#results[data-state="done"]', state="attached")
        ids = page.eval_on_selector_all("#results > li", "l => l.map(i => i.dataset.id)")


def test_a_confirmed_comment_stays_text_on_the_station_page(
    make_page: Callable[..., Page], page_log: PageLog, server: tuple[str, str]
) -> None:
    live_server, token = server
    page = make_page(extra_http_headers={"X-Forwarded-For": "10.0.0.3"})
    page.goto(live_server + "/stations/b1?tiles=none")
    page.click("#station-report")
    page.click("#report-sheet summary")
    page.fill("#report-comment", XSS_COMMENT)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click('[data-report="great"]')
    assert answer.value.status == 201, answer.value.text()
    report_id = answer.value.json()["report"]["id"]
    call(f"{live_server}/api/v1/admin/reports/{report_id}", token, {"action": "confirm"})
    page.reload()
    page.wait_for_selector("#station-reports:not([hidden])")
    assert page.inner_text("#station-report-comments .comment") == XSS_COMMENT
    assert page.locator("#station-reports img, #station-reports script").count() == 0
    assert page.evaluate("() => window.__xss") is None
    assert page_log.dialogs == []
