"""Each map app's link carries the datum and axis order that app expects."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from locator import coords
from locator.navigation import links

# Tiananmen, WGS84. GCJ-02 is (116.397516, 39.908631); BD-09 is (116.403889, 39.914975).
LON, LAT = 116.391275, 39.907230


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@pytest.fixture(scope="module")
def urls():
    return links(LON, LAT, "东单驿站 & <b>", "warm_heart", origin=(116.4, 39.9))


def test_amap_is_gcj02_lon_lat(urls):
    q = query(urls["amap"])
    lon, lat, name = q["to"].split(",")
    assert (lon, lat, name) == ("116.397516", "39.908631", "东单驿站 & <b>")
    assert q["coordinate"] == "gaode"
    assert float(lon) - LON == pytest.approx(0.00624, abs=1e-4)  # the GCJ-02 shift, not zero


def test_baidu_is_bd09_lat_lng_with_coord_type(urls):
    q = query(urls["baidu"])
    assert q["coord_type"] == "bd09ll"
    assert q["destination"] == "latlng:39.914975,116.403889|name:东单驿站 & <b>"
    o_lon, o_lat = (float(v) for v in coords.wgs84_to_bd09(116.4, 39.9))
    assert q["origin"] == f"latlng:{o_lat:.6f},{o_lon:.6f}|name:我的位置"


def test_tencent_is_wgs84_lat_lng_with_coord_type_1(urls):
    q = query(urls["tencent"])
    assert (q["tocoord"], q["coord_type"]) == ("39.907230,116.391275", "1")


def test_apple_and_google_are_wgs84_lat_lon(urls):
    assert query(urls["apple"])["daddr"] == "39.907230,116.391275"
    assert query(urls["google"])["destination"] == "39.907230,116.391275"


def test_modes_follow_the_station_kind():
    truck = links(LON, LAT, "x", "driver_home")
    assert (
        query(truck["amap"])["mode"] == "car" and query(truck["google"])["travelmode"] == "driving"
    )
    assert "origin" not in query(truck["baidu"])
