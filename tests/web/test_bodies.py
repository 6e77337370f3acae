"""Bodies and parameters that used to crash or be misread: deep JSON, mixed or boolean
points, lists for single values, empty enums; the limits on a batch and on bodies; and 405s
that say which methods there are."""

from __future__ import annotations

import io
import json

import pytest

from locator.errors import error_body
from locator.web import batch, search
from tests.conftest import make_plan_app
from tests.web.test_plans import post_tiny_plan

DEEP = "[" * 1000 + "]" * 1000
DEEPISH = '{"points": ' + "[" * 100 + "]" * 100 + "}"  # parses, then fails the depth check
ROUTE = {"type": "LineString", "coordinates": [[116.40, 39.91], [116.47, 39.91]]}


def assert_400(response, *fragments: str) -> str:
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.json == error_body(response.json["error"], 400)
    for fragment in fragments:
        assert fragment in response.json["error"], response.json["error"]
    return str(response.json["error"])


@pytest.fixture()
def api(tmp_path):
    return make_plan_app(tmp_path).test_client()


@pytest.mark.parametrize("url", ["/api/v1/nearest/batch", "/api/v1/along-route", "/api/v1/plans"])
@pytest.mark.parametrize("body", [DEEP, DEEPISH], ids=["1000-deep", "100-deep"])
def test_deep_json_is_a_400(api, url, body) -> None:
    response = api.post(url, data=body, content_type="application/json")
    assert_400(response, "nests arrays and objects more than 32 deep")


def test_deep_json_in_a_form_field_is_a_400(api) -> None:
    response = post_tiny_plan(api, quotas=DEEP)
    assert_400(response, "quotas is refused", "more than 32 deep")


def test_malformed_json_says_where(client) -> None:
    response = client.post("/api/v1/nearest/batch", data="[[1, 2]", content_type="application/json")
    assert_400(response, "not valid JSON", "line 1, column 8")


@pytest.mark.parametrize(
    ("points", "fragments"),
    [
        ([{"lon": 116.4, "lat": 39.9}, 5], ("point 1", "needs lon and lat", "5")),
        ([[116.4, 39.9], {"lon": 116.4, "lat": 39.9}], ("point 1", "[lon, lat] number pairs")),
        ([[True, False]], ("point 0", "[lon, lat] number pairs", "True, False")),
        ([{"lon": True, "lat": 39.9}], ("point 0", "lon and lat must be numbers")),
        ([{"lon": "116.4", "lat": 39.9}], ("point 0", "must be numbers", "'116.4'")),
        ([116.4, 39.9, 116.5, 39.9], ("point 0", "[lon, lat] number pairs, got 116.4")),
        ([[116.4, 39.9, 0]], ("point 0", "[lon, lat] number pairs")),
        ([[[116.4, 39.9]]], ("point 0", "a list of 1 item")),
        ([{"lon": 116.4, "lat": 39.9, "id": {"a": 1}}], ("point 0: id must be a single value",)),
    ],
)
def test_batch_points_are_checked_one_by_one(client, points, fragments) -> None:
    assert_400(client.post("/api/v1/nearest/batch", json=points), *fragments)
    assert_400(client.post("/api/v1/nearest/batch", json={"points": points}), *fragments)


def test_batch_ids_and_numbers_still_work(client) -> None:
    points = [{"id": 7, "lon": 116.42, "lat": 39.91}, {"lon": 108, "lat": 34}]
    body = client.post("/api/v1/nearest/batch", json=points).json
    assert [(r["point"], r["station_id"]) for r in body["results"]] == [("7", "t1"), ("1", "t3")]


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"k": [2]}, "k must be a single value, not a list of 1 item"),
        ({"k": True}, "k must be a whole number"),
        ({"crs": ""}, "crs must be one of wgs84, gcj02, bd09, got ''"),
        ({"crs": ["gcj02"]}, "crs must be a single value"),
        ({"kind": ""}, "kind must be one of warm_heart, driver_home, got ''"),
        ({"amenities": [1]}, "amenities must be a list of strings"),
        ({"format": "xml"}, "format must be json or csv"),
    ],
)
def test_batch_options_take_single_values(client, options, fragment) -> None:
    body = {"points": [[116.42, 39.91]], **options}
    assert_400(client.post("/api/v1/nearest/batch", json=body), fragment)


def test_amenities_may_still_be_a_list(client) -> None:
    body = {"points": [[116.42, 39.91]], "amenities": ["toilet", "shower"]}
    assert client.post("/api/v1/nearest/batch", json=body).json["results"][0]["station_id"] == "t1"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/nearest?lat=39.9&lon=116.4&kind=",
        "/api/v1/nearest?lat=39.9&lon=116.4&crs=",
        "/api/v1/stations?kind=",
        "/api/v1/coverage?kind=",
        "/api/v1/stations/points?kind=",
    ],
)
def test_empty_kind_and_crs_are_refused(client, url) -> None:
    assert_400(client.get(url), "got ''")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"route": ROUTE, "crs": ""}, "crs must be one of"),
        ({"route": ROUTE, "corridor_m": [2000]}, "corridor_m must be a single value"),
        ({"route": ROUTE, "limit": [5]}, "limit must be a single value"),
        (
            {"route": {"type": "LineString", "coordinates": [[True, False], [116.5, 39.9]]}},
            "route coordinates must be [lon, lat] number pairs; item 0",
        ),
        (
            {"route": {"type": "LineString", "coordinates": [116.4, 39.9, 116.5, 39.9]}},
            "item 0 is 116.4",
        ),
    ],
)
def test_along_route_checks_its_body(client, body, fragment) -> None:
    assert_400(client.post("/api/v1/along-route", json=body), fragment)


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"new": [5]}, "new must be a single value, not a list of 1 item"),
        ({"new": 5, "region": ["beijing"]}, "region must be a single value"),
        ({"new": 5, "radius_m": {"m": 1}}, "radius_m must be a single value"),
        ({"new": 5, "kind": ""}, "kind must be one of"),
        ({"new": True}, "new must be a whole number"),
    ],
)
def test_plan_fields_take_single_values(api, fields, fragment) -> None:
    assert_400(api.post("/api/v1/plans", json=fields), fragment)


def test_a_batch_answers_at_most_so_many_rows(tmp_path) -> None:
    api = make_plan_app(tmp_path, BATCH_MAX_RESULTS=10).test_client()
    points = [[116.42, 39.91]] * 4
    assert api.post("/api/v1/nearest/batch", json={"points": points, "k": 2}).status_code == 200
    response = api.post("/api/v1/nearest/batch", json={"points": points, "k": 3})
    assert_400(response, "4 points with k=3 would be 12 rows", "LOCATOR_BATCH_MAX_RESULTS")


def test_bodies_over_their_route_limit_are_a_413(client, monkeypatch) -> None:
    monkeypatch.setattr(batch, "MAX_BATCH_BODY_BYTES", 1_000)
    monkeypatch.setattr(search, "MAX_ROUTE_BODY_BYTES", 1_000)
    big = [[116.42, 39.91]] * 100
    for url, body in (("/api/v1/nearest/batch", big), ("/api/v1/along-route", {"route": big})):
        response = client.post(url, json=body)
        assert response.status_code == 413 and response.json["status"] == 413
    upload = {"file": (io.BytesIO(b"lon,lat\n" + b"116.4,39.9\n" * 200), "points.csv")}
    assert client.post("/api/v1/nearest/batch", data=upload).status_code == 413


def test_a_streamed_batch_is_one_json_document(client, monkeypatch) -> None:
    monkeypatch.setattr(batch, "CHUNK_POINTS", 2)
    points = [[116.42, 39.91], [116.46, 39.91], [108.9, 34.3], [116.42, 39.91], [108.9, 34.3]]
    response = client.post("/api/v1/nearest/batch", json={"points": points, "k": 2})
    body = json.loads(response.get_data(as_text=True))
    assert body["numberReturned"] == 5 and len(body["results"]) == 10
    assert [r["point"] for r in body["results"][:4]] == ["0", "0", "1", "1"]
    csv_text = client.post("/api/v1/nearest/batch?format=csv", json=points).get_data(as_text=True)
    assert len(csv_text.splitlines()) == 6


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("get", "/api/v1/nearest/batch", {"POST", "OPTIONS"}),
        ("delete", "/api/v1/plans", {"GET", "HEAD", "POST", "OPTIONS"}),
        ("post", "/api/v1/stations", {"GET", "HEAD", "OPTIONS"}),
        ("post", "/", {"GET", "HEAD", "OPTIONS"}),
    ],
)
def test_405_says_which_methods_there_are(client, method, url, allowed) -> None:
    response = getattr(client, method)(url)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed
    if url.startswith("/api/"):
        assert response.json == error_body(response.json["error"], 405)
