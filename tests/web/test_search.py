"""/api/v1/nearest, /nearest/batch and /along-route on the three-station fixture.

t1 东单 (116.418, 39.913; shower yes), t2 国贸 (116.461, 39.909; shower no),
t3 西安 driver's home (108.94, 34.27; shower yes).
"""

from __future__ import annotations

import pytest

from locator import coords


def test_nearest_feature_collection(client):
    body = client.get("/api/v1/nearest?lat=39.91&lon=116.42&k=2").json
    assert (body["numberMatched"], body["numberReturned"]) == (3, 2)
    assert [f["id"] for f in body["features"]] == ["t1", "t2"]
    props = body["features"][0]["properties"]
    assert props["distance_m"] == pytest.approx(374.4, abs=0.5)  # pyproj.Geod: 374.43 m
    assert props["open_now"] == "yes"  # 24/7
    assert props["estimates"]["walk"]["route_m"] == round(props["distance_m"] * 1.3)
    assert "estimate" in props["estimates"]["note"]
    assert set(props["links"]) == {"amap", "baidu", "tencent", "apple", "google"}
    assert body["dataset"]["synthetic"] is True


def test_nearest_filters_and_radius(client):
    shower = client.get("/api/v1/nearest?lat=39.91&lon=116.46&amenities=shower").json
    assert [f["id"] for f in shower["features"]] == ["t1", "t3"] and shower["numberMatched"] == 2
    near = client.get("/api/v1/nearest?lat=39.91&lon=116.46&radius_m=1000").json
    assert [f["id"] for f in near["features"]] == ["t2"] and near["numberMatched"] == 1
    trucks = client.get("/api/v1/nearest?lat=39.91&lon=116.46&kind=driver_home").json
    assert [f["id"] for f in trucks["features"]] == ["t3"]


def test_nearest_accepts_gcj02_and_bd09_points(client):
    for crs, convert in (("gcj02", coords.wgs84_to_gcj02), ("bd09", coords.wgs84_to_bd09)):
        lon, lat = (float(v) for v in convert(116.418, 39.913))
        body = client.get(f"/api/v1/nearest?lat={lat}&lon={lon}&crs={crs}&k=1").json
        assert body["features"][0]["id"] == "t1"
        assert body["features"][0]["properties"]["distance_m"] < 0.5


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("lon=116.4", "lat is required"),
        ("lat=nan&lon=116.4", "lat must be a number"),
        ("lat=39.9&lon=inf", "lon must be a number"),
        ("lat=91&lon=116.4", "lat must be a number between -90 and 90"),
        ("lat=39.9&lon=116.4&k=0", "k must be between 1 and 100"),
        ("lat=39.9&lon=116.4&k=1000000", "k must be between 1 and 100"),
        ("lat=39.9&lon=116.4&amenities=sauna", "unknown amenity sauna"),
        ("lat=39.9&lon=116.4&radius_m=0", "radius_m must be greater than 0"),
        ("lat=39.9&lon=116.4&open_at=soon", "open_at must be an ISO 8601 time"),
        ("lat=39.9&lon=116.4&crs=mars", "crs must be one of wgs84, gcj02, bd09"),
        ("lat=39.9&lon=116.4&include_unknown=maybe", "include_unknown must be true or false"),
    ],
)
def test_nearest_bad_parameters(client, query, fragment):
    response = client.get(f"/api/v1/nearest?{query}")
    assert response.status_code == 400
    assert response.json["ok"] is False and response.json["status"] == 400
    assert fragment in response.json["error"]


def test_batch_json_and_csv(client):
    body = client.post("/api/v1/nearest/batch", json=[[116.42, 39.91], [108.9, 34.3]]).json
    assert [(r["point"], r["station_id"]) for r in body["results"]] == [("0", "t1"), ("1", "t3")]
    objects = client.post(
        "/api/v1/nearest/batch", json={"points": [{"id": "p", "lon": 116.46, "lat": 39.91}], "k": 2}
    ).json
    assert [(r["point"], r["rank"], r["station_id"]) for r in objects["results"]] == [
        ("p", 1, "t2"),
        ("p", 2, "t1"),
    ]
    text = client.post("/api/v1/nearest/batch?format=csv", data="经度,纬度,编号\n116.42,39.91,a\n",
                       content_type="text/csv").get_data(as_text=True)  # fmt: skip
    assert text.splitlines()[0] == "point,rank,station_id,distance_m,caveats"
    assert text.splitlines()[1].startswith("a,1,t1,374.")
    assert text.splitlines()[1].endswith(",stations synthetic")


def test_batch_csv_echoes_point_labels_safe_for_spreadsheets(client):
    text = client.post(
        "/api/v1/nearest/batch?format=csv",
        json={"points": [{"id": "=HYPERLINK(1)", "lon": 116.42, "lat": 39.91}]},
    ).get_data(as_text=True)
    assert text.splitlines()[1].startswith("'=HYPERLINK(1),1,t1,")


def test_batch_csv_upload_as_multipart(client):
    from io import BytesIO

    data = {"file": (BytesIO("lon,lat\n116.42,39.91\n".encode("gbk")), "points.csv")}
    body = client.post("/api/v1/nearest/batch", data=data, content_type="multipart/form-data").json
    assert body["results"][0]["station_id"] == "t1"


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"json": []}, "send between 1 and 100,000 points"),
        ({"json": [[116.4, 39.9]] * 100_001}, "send between 1 and 100,000 points, got 100,001"),
        ({"json": [[116.4, 39.9], [116.4, "x"]]}, "points must be [lon, lat] number pairs"),
        ({"json": [[116.4, 39.9], [116.4, 99]]}, "point 1: lon"),
        ({"data": "lon,lat\n116.4,39.9\n116.4,x\n", "content_type": "text/csv"}, "row 3: lon"),
        ({"data": "a,b\n1,2\n", "content_type": "text/csv"}, "needs lon and lat columns"),
        ({"json": {"points": [[116.4, 39.9]], "k": 11}}, "k must be between 1 and 10"),
        ({"json": {"points": [[116.4, 39.9]], "amenities": ["spa"]}}, "unknown amenity spa"),
        ({"json": "hello"}, "send a JSON array of points"),
    ],
)
def test_batch_bad_input(client, kwargs, fragment):
    response = client.post("/api/v1/nearest/batch", **kwargs)
    assert response.status_code == 400 and fragment in response.json["error"]


ROUTE = {"type": "LineString", "coordinates": [[116.40, 39.91], [116.47, 39.91]]}


def test_along_route(client):
    body = client.post("/api/v1/along-route", json={"route": ROUTE, "corridor_m": 2000}).json
    assert [f["id"] for f in body["features"]] == ["t1", "t2"]
    first = body["features"][0]["properties"]
    assert first["along_m"] == pytest.approx(1539, abs=5) and first["offset_m"] == pytest.approx(
        333, abs=5
    )
    assert body["numberMatched"] == 2 and body["route_length_m"] == pytest.approx(5985, abs=5)


def test_along_route_accepts_an_encoded_polyline(client):
    # "o|qrF_kmeU?otL" encodes [39.91, 116.40] -> [39.91, 116.47] at precision 5.
    body = client.post(
        "/api/v1/along-route", json={"route": "o|qrF_kmeU?otL", "corridor_m": 2000}
    ).json
    assert [f["id"] for f in body["features"]] == ["t1", "t2"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"route": {"type": "LineString", "coordinates": []}}, "at least two"),
        ({"route": ""}, "at least two"),
        ({}, "GeoJSON LineString or an encoded polyline"),
        ({"route": ROUTE, "corridor_m": -5}, "corridor_m must be"),
        ({"route": ROUTE, "corridor_m": 1e9}, "corridor_m must be"),
        ({"route": ROUTE, "kind": "boat"}, "kind must be one of"),
    ],
)
def test_along_route_bad_input(client, body, fragment):
    response = client.post("/api/v1/along-route", json=body)
    assert response.status_code == 400 and fragment in response.json["error"]


def test_openapi_documents_search_endpoints_and_errors(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/api/v1/nearest", "/api/v1/nearest/batch", "/api/v1/along-route"} <= set(paths)
    nearest = paths["/api/v1/nearest"]["get"]
    assert {p["name"] for p in nearest["parameters"]} == {
        "lat", "lon", "crs", "k", "kind", "amenities", "include_unknown", "open_at", "radius_m",
        "confirmed_months",
    }  # fmt: skip
    assert "400" in nearest["responses"]
