"""The moderation page: the queue with every reporter's text escaped, confirm (the station
leaves the served data at once), dismiss, site visit, and who may do it."""

from __future__ import annotations

import re

import pytest

from locator.db import accounts
from locator.web.state import state_of
from tests.conftest import PLANNER_PASSWORD, add_planner
from tests.web.test_admin import ADMIN_PASSWORD, sign_in

pytestmark = pytest.mark.both_databases

XSS = '<img src=x onerror="alert(1)">'


@pytest.fixture()
def site(app):
    accounts.add_user(state_of(app).engine, "root", ADMIN_PASSWORD, "admin", actor="test")
    add_planner(app)
    return app


def send(app, station: str, kind: str, address: str, **body) -> int:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    answer = client.post(f"/api/v1/stations/{station}/reports", json={"kind": kind, **body})
    assert answer.status_code == 201, answer.json
    return int(answer.json["report"]["id"])


def act(client, token: str, report_id: int, action: str):
    return client.post(f"/admin/reports/{report_id}/{action}", data={"csrf_token": token})


def test_the_queue_escapes_what_reporters_wrote(site) -> None:
    send(site, "t2", "great", "10.0.0.1", comment=XSS)
    admin, _ = sign_in(site)
    page = admin.get("/admin/reports").get_data(as_text=True)
    assert "国贸驿站" in page and "朝阳区" in page
    assert XSS not in page and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page
    assert 'data-action="confirm"' in page and 'data-action="visit"' in page


def test_confirming_closed_takes_the_station_off_the_finder(site) -> None:
    first = send(site, "t1", "closed_for_good", "10.0.0.1")
    send(site, "t1", "closed_for_good", "10.0.0.2")
    reader = site.test_client()
    assert (
        reader.get("/api/v1/nearest?lat=39.913&lon=116.418&k=1").json["features"][0]["id"] == "t1"
    )
    admin, token = sign_in(site)
    done = act(admin, token, first, "confirm")
    assert done.status_code == 303 and done.headers["Location"].endswith("/admin/reports")
    assert (
        reader.get("/api/v1/nearest?lat=39.913&lon=116.418&k=1").json["features"][0]["id"] == "t2"
    )
    assert "queue-empty" in admin.get("/admin/reports").get_data(as_text=True)
    again = act(admin, token, first, "dismiss")
    assert again.status_code == 409 and "already confirmed" in again.get_data(as_text=True)
    audit = admin.get("/admin/audit").get_data(as_text=True)
    assert "report-confirm" in audit


def test_moved_needs_a_visit_and_offers_no_confirm(site) -> None:
    moved = send(site, "t2", "moved", "10.0.0.3")
    admin, token = sign_in(site)
    page = admin.get("/admin/reports").get_data(as_text=True)
    row = re.search(rf'<tr id="report-{moved}">.*?</tr>', page, re.S).group(0)
    assert 'data-action="confirm"' not in row
    assert act(admin, token, moved, "confirm").status_code == 409
    assert act(admin, token, moved, "visit").status_code == 303


def test_only_admins_moderate(site) -> None:
    report_id = send(site, "t2", "great", "10.0.0.4")
    anonymous = site.test_client()
    assert anonymous.get("/admin/reports").status_code == 302
    assert anonymous.post(f"/admin/reports/{report_id}/dismiss").status_code == 401
    planner, token = sign_in(site, "planner", PLANNER_PASSWORD)
    assert planner.get("/admin/reports").status_code == 403
    assert act(planner, token, report_id, "dismiss").status_code == 403
    admin, _ = sign_in(site)
    assert admin.post(f"/admin/reports/{report_id}/dismiss").status_code == 400  # no CSRF token
