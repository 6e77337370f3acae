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
    b_lon, b_lat = (float(v) for v in coords.wgs84_to_bd09(lon, lat))
    bd_origin = None
    if origin is not None:
        o_lon, o_lat = coords.wgs84_to_bd09(*origin)
        bd_origin = (float(o_lon), float(o_lat))
    destination = baidu_destination(b_lon, b_lat, name, kind)
    return {
        **fixed_links(lon, lat, g_lon, g_lat, name, kind),
        "baidu": baidu_link(destination, bd_origin),
    }


def fixed_links(
    lon: float, lat: float, g_lon: float, g_lat: float, name: str, kind: str
) -> dict[str, str]:
    """The links that do not depend on where the user is (all but Baidu's), given the
    station in WGS84 (lon, lat) and GCJ-02 (g_lon, g_lat). Callers may cache them."""
    mode = _MODES.get(kind, _MODES["warm_heart"])
    q = quote(name, safe="")
    wgs = f"{_fmt(lat)}%2C{_fmt(lon)}"
    return {
        "amap": f"https://uri.amap.com/navigation?to={_fmt(g_lon)}%2C{_fmt(g_lat)}%2C{q}"
        f"&mode={mode['amap']}&coordinate=gaode&callnative=1&src={SRC}",
        "tencent": f"https://apis.map.qq.com/uri/v1/routeplan?type={mode['tencent']}&to={q}"
        f"&tocoord={wgs}&coord_type=1&referer={SRC}",
        "apple": f"https://maps.apple.com/?daddr={wgs}&q={q}&dirflg={mode['apple']}",
        "google": f"https://www.google.com/maps/dir/?api=1&destination={wgs}"
        f"&travelmode={mode['google']}",
    }


BAIDU = "https://api.map.baidu.com/direction?"
_HERE = quote("我的位置")


def baidu_destination(b_lon: float, b_lat: float, name: str, kind: str) -> str:
    """The query-point-independent part of Baidu's link to the BD-09 point (cacheable)."""
    mode = _MODES.get(kind, _MODES["warm_heart"])["baidu"]
    return (
        f"destination=latlng:{_fmt(b_lat)},{_fmt(b_lon)}|name:{quote(name, safe='')}"
        f"&coord_type=bd09ll&mode={mode}&output=html&src={SRC}"
    )


def baidu_link(destination: str, origin_bd: tuple[float, float] | None) -> str:
    """Baidu's link from :func:`baidu_destination`; ``origin_bd`` is the user's BD-09 (lon, lat)."""
    if origin_bd is None:
        return BAIDU + destination
    return (
        f"{BAIDU}origin=latlng:{_fmt(origin_bd[1])},{_fmt(origin_bd[0])}|name:{_HERE}&{destination}"
    )
