"""``/api/v1/stations/points`` for the map in view: a bounding box or a web-map tile.

Stations (conftest): t1 (116.418, 39.913) and t2 (116.461, 39.909) in Beijing, warm
hearts; t3 a driver's home in Shaanxi.
"""

from __future__ import annotations

import pytest

from locator.errors import BadQuery
from locator.params import parse_tile

POINTS = "/api/v1/stations/points"


def test_bbox_returns_only_the_stations_in_view(client):
    body = client.get(f"{POINTS}?bbox=116.40,39.90,116.44,39.92").json
    assert (body["count"], body["ids"]) == (1, ["t1"])
    assert body["coords"] == [11641800, 3991300]  # delta-encoded from 0, as without bbox
    both = client.get(f"{POINTS}?bbox=116.40,39.90,116.50,39.92&kind=warm_heart").json
    assert both["ids"] == ["t1", "t2"] and both["coords"][2:] == [4300, -400]
    assert client.get(f"{POINTS}?bbox=0,0,1,1").json["count"] == 0


def test_tile_is_a_bounding_box(client):
    # zoom 12: x = floor((116.418 + 180) / 360 * 4096) = 3372; y = 1551 at 39.913 N
    # (Web Mercator rows); t2 at 116.461 E lies in the next tile east.
    assert parse_tile("12/3372/1551") == pytest.approx(
        (116.3671875, 39.9097362, 116.4550781, 39.9771201), abs=1e-6
    )
    body = client.get(f"{POINTS}?tile=12/3372/1551").json
    assert body["ids"] == ["t1"]
    assert client.get(f"{POINTS}?tile=0/0/0").json["count"] == 3


@pytest.mark.parametrize(
    "query",
    ["bbox=1,2,3", "bbox=3,0,1,1", "tile=12/4096/0", "tile=a/b/c", "tile=1/0/0&bbox=0,0,1,1"],
)
def test_bad_view_is_a_400(client, query):
    bad = client.get(f"{POINTS}?{query}")
    assert bad.status_code == 400 and bad.json["ok"] is False


def test_points_in_view_keep_the_etag(client):
    first = client.get(f"{POINTS}?bbox=116.40,39.90,116.44,39.92")
    again = client.get(
        f"{POINTS}?bbox=116.40,39.90,116.44,39.92",
        headers={"If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 304


def test_parse_tile_refuses_a_zoom_beyond_22():
    with pytest.raises(BadQuery, match="not a tile"):
        parse_tile("23/0/0")


@pytest.fixture()
def large_client(data_dir, tmp_path):
    """The three stations served as a large dataset (LOCATOR_LARGE_DATASET below 3)."""
    from locator import create_app

    app = create_app(
        {"TESTING": True, "DATA_DIR": data_dir, "STORE": tmp_path / "store.gpkg",
         "LARGE_DATASET": 2}
    )  # fmt: skip
    return app.test_client()


def test_points_say_their_dataset_version(client):
    body = client.get(f"{POINTS}?tile=0/0/0").json
    assert body["omitted"] is False and body["version"] >= 1
    assert client.get(POINTS).headers["ETag"] == f'"points-v{body["version"]}"'


def test_a_large_datasets_low_zoom_tiles_come_without_points(large_client):
    # zoom 7 (below POINTS_MIN_TILE_ZOOM): x = floor((116.418 + 180) / 360 * 128) = 105, y = 48
    far = large_client.get(f"{POINTS}?tile=7/105/48").json
    assert (far["count"], far["omitted"], far["ids"], far["coords"]) == (2, True, [], [])
    assert large_client.get(f"{POINTS}?tile=0/0/0").json["ids"] == []
    # zoom 8: the points come; t2 (39.909 N) lies in the next row, below 39.9097 N
    near = large_client.get(f"{POINTS}?tile=8/210/96").json
    assert (near["count"], near["omitted"], near["ids"]) == (1, False, ["t1"])
    # a bbox (and the whole set) is not a map's view: it is answered in full
    assert large_client.get(f"{POINTS}?bbox=100,30,120,45").json["count"] == 3


def test_a_small_datasets_tiles_always_carry_their_points(client):
    body = client.get(f"{POINTS}?tile=7/105/48").json
    assert (body["omitted"], body["ids"]) == (False, ["t1", "t2"])
