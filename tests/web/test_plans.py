"""The background plans: submit, poll, download, and every error."""

from __future__ import annotations

import csv
import io
import json
import time

import pyogrio
import pytest
from sqlalchemy import select

from locator.db import accounts
from locator.db.models import AuditEntry
from locator.db.session import transaction
from locator.web import plans
from locator.web.state import state_of
from tests.conftest import DEMAND_CSV, PLANNER_PASSWORD, make_plan_app, plan_count, stop_plans
from tests.web.test_auth import anonymous, assert_shape, signed_in

pytestmark = pytest.mark.both_databases


@pytest.fixture()
def api(plan_app):
    return plan_app.test_client()


def assert_error(response, status, fragment):
    assert response.status_code == status, response.json
    assert response.json == {"ok": False, "error": response.json["error"], "status": status}
    assert fragment in response.json["error"]


def poll(api, url, timeout_s=30.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = api.get(url).json
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"{url} did not finish: {body}")


def post_tiny_plan(api, demand=DEMAND_CSV, filename="orders.csv", **fields):
    form = {"new": "2", "time_limit_s": "5", **fields}
    form["demand"] = (io.BytesIO(demand.encode("utf-8")), filename)
    return api.post("/api/v1/plans", data=form, content_type="multipart/form-data")


def test_plan_is_queued_polled_and_downloaded(api, tmp_path):
    response = post_tiny_plan(api, quotas=json.dumps({"海淀区": [None, 1]}))
    assert response.status_code == 202, response.json
    plan_id = response.json["id"]
    assert response.headers["Location"] == f"/api/v1/plans/{plan_id}" == response.json["url"]
    body = poll(api, response.headers["Location"])
    assert body["status"] == "done", body
    assert body["progress"] == {"stage": "done", "fraction": 1.0}
    summary = body["summary"]
    assert summary["new"] == 2 and summary["gap"] == pytest.approx(0)
    assert summary["covered_share_before"] == pytest.approx(0.125)
    assert summary["covered_share_after"] == pytest.approx(0.9375)
    assert (summary["covered_weight_after"], summary["upper_bound"]) == (75.0, 75.0)
    assert summary["demand"]["modelled"] is False and summary["method"]
    assert summary["demand"]["description"].startswith("user demand from orders.csv: 5 points")
    assert body["curve"] == pytest.approx([0.125, 0.75, 0.9375])
    assert body["request"]["quotas"] == {"110108": [None, 1]}
    assert body["request"]["demand"] == "uploaded file" and body["synthetic"] is True

    geojson = api.get(body["downloads"]["geojson"])
    assert geojson.mimetype == "application/geo+json"
    assert "attachment" in geojson.headers["Content-Disposition"]
    features = json.loads(geojson.data)["features"]
    assert [f["properties"]["district_name"] for f in features] == ["海淀区", "丰台区"]
    caveats = json.loads(geojson.data)["caveats"]  # the stations are synthetic, demand uploaded
    assert [(c["input"], c["status"]) for c in caveats] == [("stations", "synthetic")]
    assert features[0]["geometry"]["coordinates"][0] == pytest.approx(116.30, abs=0.01)

    table = api.get(f"/api/v1/plans/{plan_id}/sites.csv")
    assert table.mimetype == "text/csv" and table.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(table.data.decode("utf-8-sig"))))
    assert [r["marginal_gain"] for r in rows] == ["50.0", "15.0"]
    assert [r["caveats"] for r in rows] == ["stations synthetic"] * 2

    package = api.get(f"/api/v1/plans/{plan_id}/sites.gpkg")
    assert package.mimetype == "application/geopackage+sqlite3"
    path = tmp_path / "download.gpkg"
    path.write_bytes(package.data)
    counts = {name: len(pyogrio.read_dataframe(path, layer=name)) for name in plans.export.LAYERS}
    assert counts == {"new_sites": 2, "uncovered_demand": 1, "district_summary": 4}
    caveat_table = pyogrio.read_dataframe(path, layer="locator_caveats")
    assert caveat_table[["input", "status"]].values.tolist() == [["stations", "synthetic"]]


def test_a_plan_that_fails_in_the_background(api):
    response = post_tiny_plan(api, new="4")  # 4 populated cells, but A is already covered
    assert response.status_code == 202
    body = poll(api, response.json["url"])
    assert body["status"] == "failed"
    assert body["error"] == "new=4 is more than the 3 candidate sites."
    assert "summary" not in body
    assert_error(api.get(f"{response.json['url']}/sites.csv"), 409, "failed")


def test_running_plan_shows_progress_and_downloads_conflict(api, gate):
    response = api.post("/api/v1/plans", json={"new": 5, "radius_m": 800, "time_limit_s": 5})
    assert response.status_code == 202
    assert gate[0].wait(5)
    body = api.get(response.json["url"]).json
    assert body["status"] == "running"
    assert body["progress"] == {"stage": "optimising", "fraction": 0.35}
    assert body["request"]["radius_m"] == 800 and body["request"]["demand"] == "default model"
    assert_error(api.get(f"{response.json['url']}/sites.geojson"), 409, "is running")


def test_a_full_queue_gets_429(tmp_path, monkeypatch, gate):
    monkeypatch.setenv("LOCATOR_PLAN_QUEUE", "1")
    app = make_plan_app(tmp_path)
    try:
        api = app.test_client()
        assert api.post("/api/v1/plans", json={"new": 1}).status_code == 202
        assert_error(api.post("/api/v1/plans", json={"new": 1}), 429, "already queued or running")
    finally:
        gate[1].set()
        stop_plans(app)


def test_unknown_plan_and_format(api):
    assert_error(api.get("/api/v1/plans/nope"), 404, "no plan 'nope'")
    assert_error(api.get("/api/v1/plans/nope/sites.csv"), 404, "no plan 'nope'")
    assert api.get("/api/v1/plans/nope/sites.xlsx").json["status"] == 404


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"new": 2, "region": "mars"}, "unknown region 'mars'"),
        ({"region": "beijing"}, "new (the number of new sites to place) is required"),
        ({"new": 0}, "new must be between 1 and 100000"),
        ({"new": "two"}, "new must be a whole number"),
        ({"new": 70000}, "new=70000 is more than the 65,630 populated demand cells of beijing"),
        ({"new": 2, "radius_m": 0}, "radius_m must be greater than 0"),
        ({"new": 2, "radius_m": -100}, "radius_m must be a number between 0"),
        ({"new": 2, "radius_m": 9000}, "between 0 and 5000"),
        ({"new": 2, "kind": "hotel"}, "kind must be one of"),
        ({"new": 2, "amenities": ["shower", "jacuzzi"]}, "unknown amenity jacuzzi"),
        ({"new": 2, "quotas": [1, 2]}, "quotas must be an object"),
        ({"new": 2, "quotas": {"110105": 3}}, "must be [min, max]"),
        ({"new": 2, "quotas": {"火星区": [1, 2]}}, "unknown district '火星区'"),
        ({"new": 2, "quotas": {"610102": [1, 2]}}, "unknown district '610102'"),
        ({"new": 2, "quotas": {"110105": [3, None]}}, "at least 3 new sites, but new is 2"),
        ({"new": 2, "time_limit_s": 301}, "time_limit_s must be a number between 0 and 300"),
        ({"new": 2, "min_spacing_m": -1}, "min_spacing_m must be a number between 0"),
        ({"new": 2, "radius": 500}, "unknown parameter radius"),
    ],
)
def test_bad_plan_parameters_are_refused_before_queueing(api, plan_app, body, fragment):
    assert_error(api.post("/api/v1/plans", json=body), 400, fragment)
    assert plan_count(plan_app) == 0


def test_plan_body_must_be_an_object(api):
    assert_error(api.post("/api/v1/plans", data="new=3"), 400, "send a JSON object")


def test_bad_uploaded_demand_is_refused_with_its_row(api, plan_app):
    bad = DEMAND_CSV + "116.5,forty,3\n"
    assert_error(post_tiny_plan(api, demand=bad), 422, "orders.csv: row 7, column 'lat'")
    assert_error(post_tiny_plan(api, new="5"), 400, "new=5 is more than the 4 populated")
    assert_error(post_tiny_plan(api, quotas="{oops"), 400, "quotas must be JSON")
    assert_error(post_tiny_plan(api, filename="orders.doc"), 400, "the demand file must be one of")
    assert plan_count(plan_app) == 0


# Partner shops, one by each demand cluster of DEMAND_CSV, and a park around the Haidian one.
SHOPS_CSV = """name,lon,lat,host_type
海淀便利店,116.30,39.981,便利店
丰台加油站,116.28,39.85,加油站
朝阳便利店,116.60,39.95,便利店
"""
PARK_RING = [[116.29, 39.97], [116.31, 39.97], [116.31, 39.99], [116.29, 39.99], [116.29, 39.97]]


def zones(*geometries: dict) -> str:
    features = [{"type": "Feature", "properties": {}, "geometry": g} for g in geometries]
    return json.dumps({"type": "FeatureCollection", "features": features})


PARK = zones({"type": "Polygon", "coordinates": [PARK_RING]})


def post_with_files(api, new="2", **files):
    form = {"new": new, "time_limit_s": "5", "demand": (io.BytesIO(DEMAND_CSV.encode()), "o.csv")}
    for field, (text, name) in files.items():
        form[field] = (io.BytesIO(text.encode("utf-8")), name)
    return api.post("/api/v1/plans", data=form, content_type="multipart/form-data")


def sites_of(api, response):
    assert response.status_code == 202, response.json
    body = poll(api, response.json["url"])
    assert body["status"] == "done", body
    features = json.loads(api.get(body["downloads"]["geojson"]).data)["features"]
    return body["request"], [
        (f["properties"]["name"], f["properties"]["host_type"]) for f in features
    ]


def test_uploaded_candidates_and_exclusion_zones(api):
    # Haidian's shop covers 50, Fengtai's 15, Chaoyang's 5; the park rules out Haidian's.
    request, sites = sites_of(api, post_with_files(api, candidates=(SHOPS_CSV, "shops.csv")))
    assert sites == [("海淀便利店", "便利店"), ("丰台加油站", "加油站")]
    assert (request["candidates"], request["exclusions"]) == ("uploaded file", None)
    both = {"candidates": (SHOPS_CSV, "shops.csv"), "exclusions": (PARK, "park.geojson")}
    request, sites = sites_of(api, post_with_files(api, **both))
    assert sites == [("丰台加油站", "加油站"), ("朝阳便利店", "便利店")]
    assert request["exclusions"] == "uploaded file"


def test_bad_candidate_and_zone_files_are_refused_before_queueing(api, plan_app):
    shops = (SHOPS_CSV, "shops.csv")
    point = zones({"type": "Point", "coordinates": [116.3, 39.98]})
    refused = post_with_files(api, candidates=shops, exclusions=(point, "park.geojson"))
    assert_error(refused, 422, "park.geojson: exclusion zones must be valid")
    assert "feature(s) 1 are not" in refused.json["error"]
    bad_shops = (SHOPS_CSV + "坏店,116.3,north,便利店\n", "shops.csv")
    assert_error(post_with_files(api, candidates=bad_shops), 422, "shops.csv:5 [lat='north']")
    fewer = post_with_files(api, new="3", candidates=shops, exclusions=(PARK, "park.geojson"))
    assert_error(fewer, 400, "new=3 is more than the 2 candidate sites")
    assert_error(post_with_files(api, stations=shops), 400, "unknown file field stations")
    assert plan_count(plan_app) == 0


def test_openapi_documents_the_plan_endpoints(api):
    paths = api.get("/api/v1/openapi.json").json["paths"]
    assert {"/api/v1/coverage", "/api/v1/plans", "/api/v1/plans/{plan_id}"} <= set(paths)
    download = paths["/api/v1/plans/{plan_id}/sites.{fmt}"]["get"]
    assert set(download["responses"]) == {"200", "404", "409"}
    assert set(paths["/api/v1/plans"]["post"]["responses"]) == {
        "202", "400", "401", "403", "405", "413", "422", "429", "503"
    }  # fmt: skip


# --- names, the list, publishing and deleting ----------------------------------------------


def guest_client(app, monkeypatch):
    """A client whose token has a role below planner (none ships: a test-only role)."""
    monkeypatch.setattr(accounts, "ROLES", (*accounts.ROLES, "guest"))
    monkeypatch.setitem(accounts.RANK, "guest", 0)
    engine = state_of(app).engine
    accounts.add_user(engine, "guest", PLANNER_PASSWORD, "guest", actor="test")
    token = accounts.create_token(engine, "guest", "guest", "tests", actor="test")
    client = anonymous(app)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def test_plans_are_named_listed_and_paged(api, gate):
    ids = [
        api.post("/api/v1/plans", json={"new": n, "name": f"  plan {n} "}).json["id"]
        for n in (1, 2, 3)
    ]
    assert api.get(f"/api/v1/plans/{ids[0]}").json["name"] == "plan 1"
    first = api.get("/api/v1/plans?limit=2").json
    assert first["total"] == 3 and first["next"] == "/api/v1/plans?limit=2&offset=2"
    newest = first["plans"][0]
    assert [p["id"] for p in first["plans"]] == [ids[2], ids[1]]
    assert (newest["name"], newest["created_by"], newest["published"]) == (
        "plan 3",
        "planner",
        False,
    )
    assert newest["request"]["new"] == 3 and newest["status"] in ("queued", "running")
    assert "covered_share_after" not in newest
    last = api.get(first["next"]).json
    assert [p["id"] for p in last["plans"]] == [ids[0]] and last["next"] is None
    assert_error(api.get("/api/v1/plans?limit=0"), 400, "limit must be between 1 and 500")
    assert_error(api.get("/api/v1/plans?cursor=x"), 400, "unknown parameter cursor")
    assert_error(api.post("/api/v1/plans", json={"new": 1, "name": "x" * 121}), 400, "at most 120")
    assert_error(api.post("/api/v1/plans", json={"new": 1, "name": 5}), 400, "name must be text")


def test_a_multipart_plan_takes_a_name(api):
    response = post_tiny_plan(api, name="orders, 2 sites")
    assert response.status_code == 202, response.json
    assert poll(api, response.json["url"])["name"] == "orders, 2 sites"


def test_only_a_done_plan_is_published_and_changes_are_checked(api, gate):
    plan_id = api.post("/api/v1/plans", json={"new": 1}).json["id"]
    assert_error(
        api.patch(f"/api/v1/plans/{plan_id}", json={"published": True}), 409, "only a done"
    )
    renamed = api.patch(f"/api/v1/plans/{plan_id}", json={"name": "west"})
    assert renamed.status_code == 200 and renamed.json["name"] == "west"
    for body, fragment in (
        ({}, "send a JSON object"),
        ({"published": "yes"}, "published must be true or false"),
        ({"owner": "me"}, "unknown field owner"),
    ):
        assert_error(api.patch(f"/api/v1/plans/{plan_id}", json=body), 400, fragment)
    assert_error(api.patch("/api/v1/plans/nope", json={"name": "x"}), 404, "no plan")
    assert_error(api.delete("/api/v1/plans/nope"), 404, "no plan")


def test_publish_unpublish_and_delete_a_done_plan(api, plan_app):
    plan_id = post_tiny_plan(api).json["id"]
    assert poll(api, f"/api/v1/plans/{plan_id}")["status"] == "done"
    published = api.patch(f"/api/v1/plans/{plan_id}", json={"published": True, "name": "a"})
    assert published.status_code == 200 and published.json["published"] is True
    assert published.json["covered_share_after"] == pytest.approx(0.9375)
    listed = api.get("/api/v1/plans").json["plans"][0]
    assert listed["published"] and listed["covered_share_before"] == pytest.approx(0.125)
    assert (
        api.patch(f"/api/v1/plans/{plan_id}", json={"published": False}).json["published"] is False
    )
    deleted = api.delete(f"/api/v1/plans/{plan_id}")
    assert deleted.status_code == 204 and deleted.data == b""
    assert_error(api.get(f"/api/v1/plans/{plan_id}"), 404, "no plan")
    assert_error(api.get(f"/api/v1/plans/{plan_id}/sites.csv"), 404, "no plan")
    assert plan_count(plan_app) == 0
    with transaction(state_of(plan_app).engine) as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.target == plan_id))
        assert list(actions) == ["plan", "change plan", "change plan", "delete plan"]


def test_deleting_a_running_plan_leaves_its_worker_harmless(api, plan_app, gate):
    started, release = gate
    plan_id = api.post("/api/v1/plans", json={"new": 1}).json["id"]
    assert started.wait(10)
    assert api.delete(f"/api/v1/plans/{plan_id}").status_code == 204
    release.set()  # the worker now reports its failure to a row that is gone
    follow = api.post("/api/v1/plans", json={"new": 2, "time_limit_s": 1})
    assert poll(api, follow.json["url"])["status"] == "failed"  # the worker carries on
    assert plan_count(plan_app) == 1


def test_the_plan_list_and_changes_need_a_planner(plan_app, monkeypatch):
    plan_id = post_tiny_plan(plan_app.test_client()).json["id"]
    nobody, guest = anonymous(plan_app), guest_client(plan_app, monkeypatch)
    calls = (
        ("get", "/api/v1/plans", None),
        ("patch", f"/api/v1/plans/{plan_id}", {"name": "x"}),
        ("delete", f"/api/v1/plans/{plan_id}", None),
    )
    for method, url, body in calls:
        assert "sign in" in assert_shape(getattr(nobody, method)(url, json=body), 401)
        assert "needs the planner role" in assert_shape(getattr(guest, method)(url, json=body), 403)
    browser, token = signed_in(plan_app)
    url = f"/api/v1/plans/{plan_id}"
    refused = browser.patch(url, json={"name": "x"})
    assert refused.status_code == 400 and "CSRF" in refused.json["error"]
    assert browser.delete(url).status_code == 400
    assert browser.get("/api/v1/plans").status_code == 200  # a read needs no CSRF token
    renamed = browser.patch(url, json={"name": "x"}, headers={"X-CSRFToken": token})
    assert renamed.status_code == 200 and renamed.json["name"] == "x"
    assert browser.delete(url, headers={"X-CSRFToken": token}).status_code == 204
