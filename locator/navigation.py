"""Links that open navigation to a station in the map apps people already use.

Each target gets the datum and axis order it expects (the stations are WGS84):

* Amap (高德): GCJ-02, ``lon,lat``, ``coordinate=gaode``;
* Baidu (百度): BD-09, ``lat,lng``, ``coord_type=bd09ll``;
* Tencent (腾讯): WGS84 ``lat,lng`` with ``coord_type=1`` (GPS);
* Apple Maps and Google Maps: WGS84 ``lat,lon``; both apps apply the China
  offset themselves.
"""

from __future__ import annotations

from urllib.parse import quote

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
    g_lon, g_lat = (float(v) for v in coords.wgs84_to_gcj02(lon, lat))
    b_lon, b_lat = coords.wgs84_to_bd09_point(lon, lat)
    fixed, destination = station_links(lon, lat, g_lon, g_lat, b_lon, b_lat, name, kind)
    bd_origin = None if origin is None else coords.wgs84_to_bd09_point(*origin)
    return {**fixed, "baidu": BAIDU + baidu_origin(bd_origin) + destination}


def station_links(
    lon: float,
    lat: float,
    g_lon: float,
    g_lat: float,
    b_lon: float,
    b_lat: float,
    name: str,
    kind: str,
) -> tuple[dict[str, str], str]:
    """The parts of the links that depend only on the station, given in WGS84 (lon, lat),
    GCJ-02 (g_lon, g_lat) and BD-09 (b_lon, b_lat); callers may cache them.

    Returns the links that do not depend on the user (all but Baidu's) and Baidu's
    destination: its link is ``BAIDU + baidu_origin(user) + destination``.
    """
    mode = _MODES.get(kind, _MODES["warm_heart"])
    q = quote(name, safe="")
    wgs = f"{_fmt(lat)}%2C{_fmt(lon)}"
    fixed = {
        "amap": f"https://uri.amap.com/navigation?to={_fmt(g_lon)}%2C{_fmt(g_lat)}%2C{q}"
        f"&mode={mode['amap']}&coordinate=gaode&callnative=1&src={SRC}",
        "tencent": f"https://apis.map.qq.com/uri/v1/routeplan?type={mode['tencent']}&to={q}"
        f"&tocoord={wgs}&coord_type=1&referer={SRC}",
        "apple": f"https://maps.apple.com/?daddr={wgs}&q={q}&dirflg={mode['apple']}",
        "google": f"https://www.google.com/maps/dir/?api=1&destination={wgs}"
        f"&travelmode={mode['google']}",
    }
    destination = (
        f"destination=latlng:{_fmt(b_lat)},{_fmt(b_lon)}|name:{q}"
        f"&coord_type=bd09ll&mode={mode['baidu']}&output=html&src={SRC}"
    )
    return fixed, destination


BAIDU = "https://api.map.baidu.com/direction?"
_HERE = quote("我的位置")


def baidu_origin(origin_bd: tuple[float, float] | None) -> str:
    """The part of Baidu's link that names the user's BD-09 (lon, lat); "" when unknown."""
    if origin_bd is None:
        return ""
    return f"origin=latlng:{_fmt(origin_bd[1])},{_fmt(origin_bd[0])}|name:{_HERE}&"
