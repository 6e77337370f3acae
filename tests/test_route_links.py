"""Reading a pasted route: polylines, Amap and Baidu links, each to WGS84 [lon, lat]."""

from __future__ import annotations

import pytest

from locator import coords
from locator.errors import BadQuery
from locator.route_links import read_route_text


def flat(points) -> list[float]:
    return [float(v) for point in points for v in point]


# Google's documented example: (38.5, -120.2), (40.7, -120.95), (43.252, -126.453).
GOOGLE_EXAMPLE = "_p~iF~ps|U_ulLnnqC_mqNvxq`@"


def test_an_encoded_polyline_is_the_road_in_wgs84():
    found = read_route_text(f"  {GOOGLE_EXAMPLE}\n")
    assert found.points == ((-120.2, 38.5), (-120.95, 40.7), (-126.453, 43.252))
    assert (found.source, found.straight) == ("polyline", False)


def test_an_amap_polyline_is_gcj02_and_shifted_to_wgs84():
    found = read_route_text("116.40,39.90;116.50,39.91")
    lon, lat = coords.gcj02_to_wgs84([116.40, 116.50], [39.90, 39.91])
    assert flat(found.points) == pytest.approx(flat(zip(lon, lat, strict=True)), abs=1e-7)
    # GCJ-02 lies about 600 m east and 150 m north of WGS84 in Beijing
    assert 116.393 < found.points[0][0] < 116.395 and 39.898 < found.points[0][1] < 39.899
    assert (found.source, found.straight) == ("amap", False)


def test_an_amap_navigation_link_gives_its_stops_joined_straight():
    url = (
        "https://uri.amap.com/navigation?from=116.40,39.90,天安门&via=116.45,39.905,X"
        "&to=116.50,39.91,国贸&mode=car&coordinate=wgs84"
    )
    found = read_route_text(url)
    assert found.points == ((116.40, 39.90), (116.45, 39.905), (116.50, 39.91))
    assert (found.source, found.straight) == ("amap", True)


def test_an_amap_dir_link_is_gcj02():
    url = "https://www.amap.com/dir?from%5Blnglat%5D=116.40,39.90&to%5Blnglat%5D=116.50,39.91"
    lon, lat = coords.gcj02_to_wgs84([116.40, 116.50], [39.90, 39.91])
    found = read_route_text(url)
    assert flat(found.points) == pytest.approx(flat(zip(lon, lat, strict=True)), abs=1e-7)


def test_a_baidu_link_is_lat_lng_in_bd09_by_default():
    url = (
        "https://api.map.baidu.com/direction?origin=latlng:39.90,116.40|name:A"
        "&destination=name:B|latlng:39.91,116.50&mode=driving&output=html"
    )
    lon, lat = coords.bd09_to_wgs84([116.40, 116.50], [39.90, 39.91])
    found = read_route_text(url)
    assert flat(found.points) == pytest.approx(flat(zip(lon, lat, strict=True)), abs=1e-7)
    assert (found.source, found.straight) == ("baidu", True)


def test_a_baidu_link_says_its_datum():
    url = (
        "https://api.map.baidu.com/direction?origin=39.90,116.40&destination=39.91,116.50"
        "&coord_type=wgs84"
    )
    assert read_route_text(url).points == ((116.40, 39.90), (116.50, 39.91))


def test_a_route_shared_from_baidu_maps_is_baidu_mercator():
    # Baidu Mercator (12943772.88, 4832666.42) is BD-09 (116.274625, 39.961627): the
    # worked example of bd09convertor's documentation.
    url = (
        "https://map.baidu.com/dir/A/B/@12958175,4825923,12z?querytype=nav&c=131"
        "&sn=1$$$$12943772.884424742,4832666.423350099$$A$$0$$$$"
        "&en=1$$$$12959238.56,4825347.47$$B$$0$$$$&sc=131&ec=131"
    )
    found = read_route_text(url)
    lon, lat = coords.bd09_to_wgs84(116.274625, 39.961627)
    assert found.points[0] == pytest.approx((float(lon), float(lat)), abs=1e-6)
    assert (found.source, found.straight, len(found.points)) == ("baidu", True, 2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "paste"),
        ("https://surl.amap.com/abc", "short link"),
        ("https://example.com/dir?from=1,2&to=3,4", "not an Amap or Baidu"),
        ("https://uri.amap.com/navigation?to=116.5,39.9,B", "start and an end"),
        ("https://uri.amap.com/navigation?from=A&to=116.5,39.9,B", "no coordinates"),
        (
            "https://api.map.baidu.com/direction?origin=1,2&destination=3,4&coord_type=bd09mc",
            "bd09mc",
        ),
        ("https://map.baidu.com/dir/A/B/@12958175,4825923,12z", "origin and a destination"),
        ("https://map.baidu.com/dir/A/B?sn=1$$$$A$$0&en=1$$$$1,2$$B", "sn has no coordinates"),
        ("not a polyline ~~~ ", "polyline"),
        ("116.4,39.9;116.4,39.9", "no length"),
        (
            "https://uri.amap.com/navigation?from=116.4,95,A&to=116.5,39.9,B&coordinate=wgs84",
            "finite",
        ),
    ],
)
def test_text_without_a_route_is_refused_with_what_to_paste(text, message):
    with pytest.raises(BadQuery, match=message):
        read_route_text(text)


def test_long_text_is_refused_before_it_is_read():
    with pytest.raises(BadQuery, match="over 200,000"):
        read_route_text("?" * 200_001)
