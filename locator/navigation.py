"""Links that open navigation to a station in the map apps people already use.

Each target gets the datum and axis order it expects (the stations are WGS84):

* Amap (高德): GCJ-02, ``lon,lat``, ``coordinate=gaode``;
* Baidu (百度): BD-09, ``lat,lng``, ``coord_type=bd09ll``;
* Tencent (腾讯): WGS84 ``lat,lng`` with ``coord_type=1`` (GPS);
* Apple Maps and Google Maps: WGS84 ``lat,lon``; both apps apply the China
  offset themselves.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from locator import coords

# Travel modes in each app's own words, by station kind.
_MODES = {
    "warm_heart": {
        "amap": "ride",
        "baidu": "riding",
        "tencent": "bike",
        "apple": "w",
        "google": "bicycling",
    },
    "driver_home": {
        "amap": "car",
        "baidu": "driving",
        "tencent": "drive",
        "apple": "d",
        "google": "driving",
    },
}
SRC = "locator"


def _fmt(value: float) -> str:
    return f"{value:.6f}"


def links(
    lon: float,
    lat: float,
    name: str,
    kind: str = "warm_heart",
    origin: tuple[float, float] | None = None,
) -> dict[str, str]:
    """Navigation URLs to the WGS84 point (lon, lat); ``origin`` is (lon, lat) WGS84 if known."""
    mode = _MODES.get(kind, _MODES["warm_heart"])
    g_lon, g_lat = (float(v) for v in coords.wgs84_to_gcj02(lon, lat))
    b_lon, b_lat = (float(v) for v in coords.wgs84_to_bd09(lon, lat))
    amap = urlencode(
        {
            "to": f"{_fmt(g_lon)},{_fmt(g_lat)},{name}",
            "mode": mode["amap"],
            "coordinate": "gaode",
            "callnative": 1,
            "src": SRC,
        },
        quote_via=quote,
    )
    baidu_query = {
        "destination": f"latlng:{_fmt(b_lat)},{_fmt(b_lon)}|name:{name}",
        "coord_type": "bd09ll",
        "mode": mode["baidu"],
        "output": "html",
        "src": SRC,
    }
    if origin is not None:
        o_lon, o_lat = (float(v) for v in coords.wgs84_to_bd09(*origin))
        baidu_query = {"origin": f"latlng:{_fmt(o_lat)},{_fmt(o_lon)}|name:我的位置", **baidu_query}
    baidu = urlencode(baidu_query, quote_via=quote, safe=",:|")
    tencent = urlencode(
        {
            "type": mode["tencent"],
            "to": name,
            "tocoord": f"{_fmt(lat)},{_fmt(lon)}",
            "coord_type": 1,
            "referer": SRC,
        },
        quote_via=quote,
    )
    apple = urlencode(
        {"daddr": f"{_fmt(lat)},{_fmt(lon)}", "q": name, "dirflg": mode["apple"]}, quote_via=quote
    )
    google = urlencode(
        {"api": 1, "destination": f"{_fmt(lat)},{_fmt(lon)}", "travelmode": mode["google"]},
        quote_via=quote,
    )
    return {
        "amap": f"https://uri.amap.com/navigation?{amap}",
        "baidu": f"https://api.map.baidu.com/direction?{baidu}",
        "tencent": f"https://apis.map.qq.com/uri/v1/routeplan?{tencent}",
        "apple": f"https://maps.apple.com/?{apple}",
        "google": f"https://www.google.com/maps/dir/?{google}",
    }
