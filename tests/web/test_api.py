"""The /api/v1 endpoints on the three-station fixture, and the one error shape."""

from __future__ import annotations

import pytest

from locator import amenities

pytestmark = pytest.mark.both_databases


def test_health(client):
    assert client.get("/api/v1/health").json == {"ok": True, "stations": 3, "synthetic": True}


def test_stations_is_a_feature_collection_in_lon_lat_order(client):
    body = client.get("/api/v1/stations").json
    assert body["type"] == "FeatureCollection"
    assert (body["numberMatched"], body["numberReturned"]) == (3, 3)
    assert body["dataset"]["synthetic"] is True and "SYNTHETIC" in body["dataset"]["note"]
    first = body["features"][0]
    assert first["geometry"] == {"type": "Point", "coordinates": [116.418, 39.913]}
    props = first["properties"]
    assert (props["id"], props["name"], props["kind"]) == ("t1", "东单驿站", "warm_heart")
    assert props["district_name"] == "东城区"
    assert set(props["amenities"]) == set(amenities.KEYS)
    assert props["amenities"]["shower"] == "yes" and props["amenities"]["laundry"] == "unknown"


@pytest.mark.parametrize(
    ("query", "ids", "matched"),
    [
        ("kind=driver_home", ["t3"], 1),
        ("amenities=shower", ["t1", "t3"], 2),
        ("amenities=shower,toilet", ["t1"], 1),
        ("amenities=hot_water_24h,microwave", ["t2"], 1),
        ("bbox=116.3,39.8,116.43,40.0", ["t1"], 1),
        ("limit=1", ["t1"], 3),
        ("limit=1&offset=2", ["t3"], 3),
    ],
)
def test_station_filters(client, query, ids, matched):
    body = client.get(f"/api/v1/stations?{query}").json
    assert [f["id"] for f in body["features"]] == ids
    assert body["numberMatched"] == matched and body["numberReturned"] == len(ids)


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("bbox=1,2,3", "bbox must be west,south,east,north"),
        ("bbox=a,b,c,d", "bbox longitude must be a number"),
        ("bbox=116.5,39,116.4,40", "west <= east"),
        ("bbox=nan,39,116.4,40", "bbox longitude must be a number"),
        ("limit=0", "limit must be between 1 and 10000"),
        ("limit=1000000", "limit must be between 1 and 10000"),
        ("limit=ten", "limit must be a whole number"),
        ("offset=-1", "offset must be between"),
        ("kind=hotel", "kind must be one of warm_heart, driver_home"),
        ("amenities=shower,jacuzzi", "unknown amenity jacuzzi"),
    ],
)
def test_bad_parameters_get_400_in_the_error_shape(client, query, fragment):
    response = client.get(f"/api/v1/stations?{query}")
    assert response.status_code == 400
    body = response.json
    assert set(body) == {"ok", "error", "status"}
    assert body["ok"] is False and body["status"] == 400 and fragment in body["error"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/v1/stations/nope", 404),
        ("get", "/api/v1/no-such-endpoint", 404),
        ("post", "/api/v1/stations", 405),
    ],
)
def test_every_error_path_uses_the_shape(client, method, path, status):
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response.json["ok"] is False and response.json["status"] == status


def test_one_station(client):
    body = client.get("/api/v1/stations/t2").json
    assert body["properties"]["amenities"]["microwave"] == "yes"
    assert body["properties"]["synthetic"] is True
    assert body["properties"]["opening_hours"] == "Mo-Fr 08:00-20:00"
    assert body["properties"]["opening_hours_text"] == {
        "en": "Mon–Fri 08:00–20:00",
        "zh": "周一至周五 08:00–20:00",
    }


def test_opening_hours_in_words_in_search_answers_and_fields(client):
    near = client.get("/api/v1/nearest?lat=39.909&lon=116.461&k=1").json
    assert near["features"][0]["properties"]["opening_hours_text"]["zh"] == "周一至周五 08:00–20:00"
    page = client.get("/api/v1/stations?fields=id,opening_hours_text&limit=100").json
    texts = {f["id"]: f["properties"]["opening_hours_text"] for f in page["features"]}
    assert texts["t2"] == {"en": "Mon–Fri 08:00–20:00", "zh": "周一至周五 08:00–20:00"}


def test_amenities_vocabulary(client):
    body = client.get("/api/v1/amenities").json
    shower = next(a for a in body["amenities"] if a["key"] == "shower")
    assert (shower["zh"], shower["en"]) == ("淋浴", "Shower")
    assert len(body["amenities"]) == len(amenities.KEYS)


def test_datasets_reports_counts_and_the_synthetic_flag(client):
    (dataset,) = client.get("/api/v1/datasets").json["datasets"]
    assert dataset["synthetic"] is True
    assert dataset["counts_by_kind"] == {"warm_heart": 2, "driver_home": 1}


def test_openapi_document_lists_every_endpoint(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/stations", "/api/v1/stations/{station_id}", "/api/v1/health",
            "/api/v1/amenities", "/api/v1/datasets"} <= set(spec["paths"])  # fmt: skip
    params = {p["name"] for p in spec["paths"]["/api/v1/stations"]["get"]["parameters"]}
    assert params == {"bbox", "kind", "amenities", "limit", "offset", "fields"}
    assert "Error" in spec["components"]["schemas"]


def test_docs_page_and_home_page(client):
    assert "/api/v1/stations" in client.get("/api/docs").get_data(as_text=True)
    home = client.get("/")
    assert home.status_code == 200 and "模拟数据" in home.get_data(as_text=True)
    assert home.headers["X-Frame-Options"] == "DENY"


def test_fields_trims_the_properties(client):
    body = client.get("/api/v1/stations?fields=id,kind&limit=1").json
    assert body["features"][0]["properties"] == {"id": "t1", "kind": "warm_heart"}
    bad = client.get("/api/v1/stations?fields=id,secret")
    assert bad.status_code == 400 and "unknown field secret" in bad.json["error"]


def test_station_points_are_compact_and_delta_encoded(client):
    body = client.get("/api/v1/stations/points").json
    assert (body["count"], body["scale"], body["ids"]) == (3, 100000, ["t1", "t2", "t3"])
    assert body["kinds"] == ["warm_heart", "driver_home"] and body["kind"] == [0, 0, 1]
    # t1 (116.418, 39.913), then t2 - t1 = (+0.043, -0.004), then t3 - t2.
    assert body["coords"][:4] == [11641800, 3991300, 4300, -400]
    shower = client.get("/api/v1/stations/points?amenities=shower").json
    assert shower["ids"] == ["t1", "t3"]
    amap = client.get("/api/v1/stations/points?datum=gcj02").json
    assert amap["coords"][0] - 11641800 == 624  # the GCJ-02 shift in Beijing, ~0.0062 deg
    assert client.get("/api/v1/stations/points?datum=bd09").status_code == 400
