"""Reports and suggestions over HTTP: no account, budgets per client (429 in the error
shape), the honeypot, the public summary, the closed flag on search answers, and the
admin API that confirms (the station leaves the served data)."""

from __future__ import annotations

import threading

import pytest

from locator import create_app
from locator.db import accounts
from locator.db.models import utc_now
from locator.errors import error_body
from locator.web.state import state_of
from tests.conftest import TINY_CSV, write_dataset

pytestmark = pytest.mark.both_databases

TODAY = utc_now().date().isoformat()


@pytest.fixture()
def site(tmp_path):
    data = write_dataset(tmp_path / "data", TINY_CSV)
    app = create_app(
        {"TESTING": True, "DATA_DIR": data, "STORE": tmp_path / "store.gpkg",
         "TRUSTED_PROXIES": 1, "RATELIMIT_REPORTS": "5 per minute",
         "REPORTS_CLOSED_FLAG_CLIENTS": 2, "LIVE_POLL_S": 0}
    )  # fmt: skip
    accounts.add_user(state_of(app).engine, "root", "admin password", "admin", actor="test")
    return app


def client_at(app, address: str):
    """A test client that a trusted proxy says comes from ``address``."""
    client = app.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = address
    return client


def admin(app):
    token = accounts.create_token(state_of(app).engine, "root", "admin", "t", actor="test")
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def assert_error(response, status: int, words: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.json == error_body(response.json["error"], status)
    assert words in response.json["error"]


def report(client, station: str = "t1", **body):
    return client.post(f"/api/v1/stations/{station}/reports", json={"kind": "great", **body})


def test_a_report_needs_no_account_and_waits_for_an_admin(site) -> None:
    answer = report(client_at(site, "10.0.0.1"), kind="amenity_missing", amenity="shower",
                    comment="<img src=x onerror=alert(1)>", near=True)  # fmt: skip
    assert answer.status_code == 201
    stored = answer.json["report"]
    assert stored["station"] == "t1" and stored["kind"] == "amenity_missing" and stored["id"] > 0
    summary = site.test_client().get("/api/v1/stations/t1/reports").json
    assert summary["counts"]["amenity_missing"] == 1 and summary["comments"] == []
    assert summary["last_confirmed"] == TODAY and summary["reported_closed"] is None
    queue = admin(site).get("/api/v1/admin/reports").json["stations"]
    assert queue[0]["station"] == "t1"
    assert queue[0]["reports"][0]["comment"] == "<img src=x onerror=alert(1)>"  # JSON, as text


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"kind": "nope"}, 400, "kind must be one of"),
        ({"kind": "great", "comment": "x" * 300}, 400, "at most 280"),
        ({"kind": "great", "extra": 1}, 400, "unknown field"),
    ],
)
def test_bad_reports_are_refused_in_the_error_shape(site, body, status, words) -> None:
    answer = site.test_client().post("/api/v1/stations/t1/reports", json=body)
    assert_error(answer, status, words)


def test_unknown_stations_and_non_json_bodies(site) -> None:
    client = site.test_client()
    assert_error(report(client, "nope"), 404, "nope")
    answer = client.post("/api/v1/stations/t1/reports", data="kind=great")
    assert_error(answer, 400, "JSON object")
    assert_error(client.get("/api/v1/stations/nope/reports"), 404, "nope")


def test_the_honeypot_is_answered_and_dropped(site) -> None:
    answer = report(client_at(site, "10.0.0.2"), website="http://spam.example")
    assert answer.status_code == 201 and answer.json["report"]["id"] == 0
    assert site.test_client().get("/api/v1/stations/t1/reports").json["counts"]["great"] == 0


def test_a_client_over_its_budget_gets_429_with_retry_after(site) -> None:
    client = client_at(site, "10.0.0.3")
    for station in ("t1", "t1", "t1", "t2", "t2"):
        assert report(client, station).status_code == 201
    refused = report(client, "t2")
    assert_error(refused, 429, "reports and suggestions")
    assert int(refused.headers["Retry-After"]) >= 1
    assert report(client_at(site, "10.0.0.4"), "t2").status_code == 201  # another client


def test_one_station_takes_three_reports_a_day_from_one_client(site) -> None:
    client = client_at(site, "10.0.0.5")
    for _ in range(3):
        assert report(client).status_code == 201
    assert_error(report(client), 429, "3 reports about this station today")


def test_simultaneous_reports_from_one_client_never_exceed_the_daily_cap(site) -> None:
    """Five requests at once (within the budget of 5) from one client about one station:
    three stored, two refused, whatever the writer's batches."""
    start = threading.Barrier(5)
    statuses: list[int] = []

    def send() -> None:
        client = client_at(site, "10.0.0.6")
        start.wait()
        statuses.append(report(client).status_code)

    threads = [threading.Thread(target=send) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 201, 201, 429, 429]
    summary = site.test_client().get("/api/v1/stations/t1/reports").json
    assert summary["counts"]["great"] == 3


def test_closed_reports_from_two_clients_flag_the_station_until_confirmed(site) -> None:
    for address in ("10.0.1.1", "10.0.1.2"):
        assert report(client_at(site, address), kind="closed_for_good").status_code == 201
    reader = site.test_client()
    nearest = reader.get("/api/v1/nearest?lat=39.913&lon=116.418&k=1").json["features"][0]
    assert nearest["id"] == "t1" and nearest["properties"]["reported_closed"] == TODAY
    assert nearest["properties"]["last_confirmed"] == TODAY
    assert reader.get("/api/v1/stations/t1").json["properties"]["reported_closed"] == TODAY
    other = reader.get("/api/v1/stations/t2").json["properties"]
    assert other["reported_closed"] is None

    moderator = admin(site)
    first = moderator.get("/api/v1/admin/reports").json["stations"][0]["reports"][0]
    done = moderator.post(f"/api/v1/admin/reports/{first['id']}", json={"action": "confirm"})
    assert done.status_code == 200 and done.json["dataset"] == 2
    state_of(site).live.refresh()
    found = reader.get("/api/v1/nearest?lat=39.913&lon=116.418&k=1").json["features"][0]
    assert found["id"] == "t2"
    assert_error(reader.get("/api/v1/stations/t1/reports"), 404, "t1")
    again = moderator.post(f"/api/v1/admin/reports/{first['id']}", json={"action": "dismiss"})
    assert_error(again, 409, "already confirmed")


def test_the_admin_api_needs_an_admin(site) -> None:
    anonymous = site.test_client()
    assert_error(anonymous.get("/api/v1/admin/reports"), 401, "")
    assert_error(anonymous.post("/api/v1/admin/reports/1", json={"action": "dismiss"}), 401, "")
    moderator = admin(site)
    assert_error(moderator.post("/api/v1/admin/reports/1", json={"action": "x"}), 400, "action")


def test_suggestions_are_snapped_budgeted_and_listed(site) -> None:
    client = client_at(site, "10.0.2.1")
    answer = client.post(
        "/api/v1/suggestions", json={"lon": 116.30012, "lat": 39.98007, "needs": ["toilet"]}
    )
    assert answer.status_code == 201
    stored = answer.json["suggestion"]
    assert stored["needs"] == ["toilet"] and (stored["lon"], stored["lat"]) != (116.30012, 39.98007)
    listed = site.test_client().get("/api/v1/suggestions").json
    assert listed["numberMatched"] == 1
    assert listed["features"][0]["geometry"]["coordinates"] == [stored["lon"], stored["lat"]]
    outside = client.post("/api/v1/suggestions", json={"lon": 0.0, "lat": 0.0, "needs": ["water"]})
    assert_error(outside, 422, "outside the regions")
    for bad in ({"lon": 116.3, "lat": 39.98, "needs": []}, {"lon": "116", "lat": 39.9,
                "needs": ["water"]}, {"lon": 116.3, "lat": 39.98, "needs": ["water"], "who": 1}):  # fmt: skip
        assert_error(client.post("/api/v1/suggestions", json=bad), 400, "")
    assert_error(site.test_client().get("/api/v1/suggestions?needs=wifi"), 400, "unknown need")


def test_nearest_can_keep_only_recently_confirmed_stations(site) -> None:
    reader = site.test_client()
    url = "/api/v1/nearest?lat=39.913&lon=116.418&k=3&confirmed_months=1"
    assert reader.get(url).json["numberMatched"] == 3  # all listed by today's first import
    assert_error(reader.get(url.replace("=1", "=0")), 400, "confirmed_months")


def test_a_plan_can_take_the_suggestions_as_demand(tmp_path) -> None:
    from tests.conftest import make_plan_app, stop_plans
    from tests.web.test_plans import poll, post_tiny_plan

    app = make_plan_app(tmp_path)
    try:
        far = {"lon": 116.2304, "lat": 40.2201, "needs": ["toilet"]}  # 昌平区, no station near
        for n in range(8):
            rider = client_at(app, f"10.0.3.{n}")
            assert rider.post("/api/v1/suggestions", json=far).status_code == 201
        api = app.test_client()
        answer = post_tiny_plan(api, suggestion_weight="10")
        assert answer.status_code == 202, answer.json
        body = poll(api, answer.json["url"])
        assert body["status"] == "done", body
        assert body["request"]["suggestion_weight"] == 10 and body["request"]["suggestions"] == 8
        assert body["summary"]["suggested"] == {
            "count": 8, "weight": 10.0, "covered_share_before": 0.0, "covered_share_after": 1.0
        }  # fmt: skip
        plain = poll(api, post_tiny_plan(api).json["url"])
        assert plain["summary"]["suggested"] is None and plain["request"]["suggestions"] == 0
    finally:
        stop_plans(app)


def test_the_planner_shows_suggestions_as_their_own_layer_with_counts(tmp_path) -> None:
    from tests.conftest import make_plan_app, stop_plans

    app = make_plan_app(tmp_path)
    try:
        planner = app.test_client()
        empty = planner.get("/planner?lang=en").get_data(as_text=True)
        assert 'id="suggested-none"' in empty and "Workers&#39; suggestions (there" not in empty
        for lon, lat in ((116.2304, 40.2201), (116.2305, 40.2202), (116.5001, 39.9201)):
            body = {"lon": lon, "lat": lat, "needs": ["water"]}
            assert app.test_client().post("/api/v1/suggestions", json=body).status_code == 201
        page = planner.get("/planner?lang=en").get_data(as_text=True)
        table = page[page.index('id="suggested-table"') :]
        assert "Changping" in table and "Chaoyang" in table
        assert "<td>2</td>" in table and "<td>1</td>" in table
        assert "Suggestions in this 250 m cell" in page  # the layer's tooltip
        assert 'id="suggestion_weight"' in page
    finally:
        stop_plans(app)
