"""GET /api/v1/places and POST /api/v1/route-text."""

from __future__ import annotations

import pytest

from tests.conftest import DATA


@pytest.fixture()
def client_with_places(data_dir, app):
    (data_dir / "places").symlink_to(DATA / "places")
    return app.test_client()


def test_places_finds_a_district_by_name(client):
    body = client.get("/api/v1/places?q=东城").json
    assert body["numberMatched"] == 1 and body["numberReturned"] == 1
    (place,) = body["places"]
    assert place["name"] == "东城区" and place["kind"] == "district"
    assert set(place) == {"name", "name_latin", "kind", "district", "lon", "lat"}


def test_places_finds_geonames_places_when_shipped(client_with_places):
    body = client_with_places.get("/api/v1/places?q=baoji&limit=1").json
    assert [p["name"] for p in body["places"]] == ["Baoji"]


@pytest.mark.parametrize("query", ["", "?q=", "?q=" + "x" * 41, "?q=a&limit=0", "?q=a&limit=99"])
def test_places_refuses_bad_queries_in_the_error_shape(client, query):
    response = client.get("/api/v1/places" + query)
    assert response.status_code == 400
    assert response.json == {"ok": False, "error": response.json["error"], "status": 400}


def test_route_text_reads_a_polyline(client):
    response = client.post("/api/v1/route-text", json={"text": "wbrrF_zydU?_pR?_pR"})
    assert response.status_code == 200
    assert response.json == {
        "type": "Feature",
        "geometry": {
            "type": "LineString",
            "coordinates": [[116.3, 39.911], [116.4, 39.911], [116.5, 39.911]],
        },
        "properties": {"source": "polyline", "straight": False},
    }


def test_route_text_reads_an_amap_link_as_straight(client):
    url = "https://uri.amap.com/navigation?from=116.4,39.9,A&to=116.5,39.91,B&coordinate=wgs84"
    body = client.post("/api/v1/route-text", json={"text": url}).json
    assert body["geometry"]["coordinates"] == [[116.4, 39.9], [116.5, 39.91]]
    assert body["properties"] == {"source": "amap", "straight": True}


@pytest.mark.parametrize("body", [None, [], {"text": 5}, {"text": "https://surl.amap.com/x"}])
def test_route_text_refuses_what_has_no_route(client, body):
    response = client.post("/api/v1/route-text", json=body)
    assert response.status_code == 400
    assert response.json["ok"] is False


def test_route_text_bounds_the_body(client):
    response = client.post("/api/v1/route-text", json={"text": "?" * 900_000})
    assert response.status_code == 413
