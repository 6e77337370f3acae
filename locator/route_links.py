"""A route from what a driver pastes: an encoded polyline, an Amap route, or a Baidu link.

Accepted text, each turned into WGS84 [lon, lat] points (datum shifts stay at this edge):

* an encoded polyline (Google's algorithm, precision 5; OSRM, Valhalla and most routers
  emit WGS84): the road itself;
* an Amap polyline, ``lon,lat;lon,lat;...`` in GCJ-02, as Amap's direction API returns;
* an Amap link: ``uri.amap.com/navigation?from=lon,lat,name&via=...&to=...`` (GCJ-02,
  unless ``coordinate=wgs84``) or ``amap.com/dir?from[lnglat]=lon,lat&to[lnglat]=...``;
* a Baidu link: ``api.map.baidu.com/direction?origin=latlng:lat,lng|name:...&
  destination=...`` with ``coord_type`` bd09ll (the default), gcj02 or wgs84, or a route
  shared from ``map.baidu.com/dir/...?sn=...$$x,y$$...&en=...`` (Baidu Mercator metres,
  ``bd09mc``).

A link names only its start, waypoints and end, not the road between them, so its route
is ``straight``: straight lines between those points. Short links (``surl.amap.com``,
``j.map.baidu.com``) need the network to expand and are refused with a message saying
what to paste instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import numpy as np

from locator import coords
from locator.errors import BadQuery
from locator.route import decode_polyline, parse_route

MAX_TEXT_CHARS = 200_000  # 20,000 polyline points are at most about 160,000 characters
SHORT_LINK_HOSTS = ("surl.amap.com", "j.map.baidu.com", "url.cn", "dwz.cn")
_AMAP_POLYLINE = re.compile(r"^-?\d+(\.\d+)?,-?\d+(\.\d+)?(;-?\d+(\.\d+)?,-?\d+(\.\d+)?)+;?$")
_BAIDU_DATUMS = {"bd09ll": "bd09", "bd09": "bd09", "gcj02": "gcj02", "wgs84": "wgs84"}


@dataclass(frozen=True)
class PastedRoute:
    """A route read from pasted text.

    ``points`` are WGS84 ``(lon, lat)`` pairs; ``source`` is ``polyline``, ``amap`` or
    ``baidu``; ``straight`` says the points are only stops joined by straight lines.
    """

    points: tuple[tuple[float, float], ...]
    source: str
    straight: bool


def read_route_text(text: str) -> PastedRoute:
    """The route in ``text``; BadQuery with what to paste instead when it has none."""
    text = text.strip()
    if not text:
        raise BadQuery("paste an Amap or Baidu route link or an encoded polyline.")
    if len(text) > MAX_TEXT_CHARS:
        raise BadQuery(f"the pasted text is over {MAX_TEXT_CHARS:,} characters.")
    if re.match(r"^https?://", text, re.IGNORECASE):
        return _read_link(text)
    compact = re.sub(r"\s+", "", text)
    if _AMAP_POLYLINE.match(compact):
        pairs = [p.split(",") for p in compact.strip(";").split(";")]
        return _route(np.array(pairs, dtype=float), "gcj02", "amap", straight=False)
    return _route(decode_polyline(text), "wgs84", "polyline", straight=False)


def _route(points: np.ndarray, datum: str, source: str, straight: bool) -> PastedRoute:
    """Validated WGS84 points from ``points`` ([lon, lat]) in ``datum``."""
    points = parse_route({"type": "LineString", "coordinates": points.tolist()})
    lon, lat = coords.to_wgs84(points[:, 0], points[:, 1], datum)
    pairs = tuple((round(float(x), 7), round(float(y), 7)) for x, y in zip(lon, lat, strict=True))
    return PastedRoute(pairs, source, straight)


def _read_link(url: str) -> PastedRoute:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in SHORT_LINK_HOSTS:
        raise BadQuery(
            "this is a short link; open it in a browser and paste the full address it opens."
        )
    query = parse_qs(parts.query)
    if host == "amap.com" or host.endswith(".amap.com"):
        return _amap(query)
    if host.endswith("map.baidu.com"):
        return _baidu(query)
    raise BadQuery("the link is not an Amap or Baidu route link.")


def _number_pair(text: str, what: str) -> tuple[float, float]:
    found = re.match(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)", text)
    if not found:
        raise BadQuery(f"the link's {what} has no coordinates.")
    return float(found.group(1)), float(found.group(2))


def _amap(query: dict[str, list[str]]) -> PastedRoute:
    """uri.amap.com/navigation (from, via, to: lon,lat,name) or amap.com/dir (x[lnglat])."""
    stops: list[tuple[float, float]] = []
    for key in ("from", "via", "to"):
        for value in query.get(key, []) + query.get(f"{key}[lnglat]", []):
            for part in value.split(";") if key == "via" else [value]:
                stops.append(_number_pair(part, key))
    if len(stops) < 2:
        raise BadQuery("the Amap link needs a start and an end with coordinates (from and to).")
    wgs = query.get("coordinate", ["gaode"])[0].lower() == "wgs84"
    return _route(np.array(stops), "wgs84" if wgs else "gcj02", "amap", straight=True)


def _baidu_share(query: dict[str, list[str]]) -> PastedRoute:
    """map.baidu.com/dir shared routes: ``sn`` (start) and ``en`` (end) hold fields split
    by ``$$``, one of which is ``x,y`` in Baidu Mercator metres."""
    stops = []
    for key in ("sn", "en"):
        fields = query.get(key, [""])[0].split("$$")
        found = [f for f in fields if re.fullmatch(r"-?\d+(?:\.\d+)?,-?\d+(?:\.\d+)?", f.strip())]
        if not found:
            raise BadQuery(f"the Baidu link's {key} has no coordinates.")
        stops.append(_number_pair(found[0], key))
    metres = np.array(stops)  # not degrees, so converted before the route is checked
    lon, lat = coords.to_wgs84(metres[:, 0], metres[:, 1], "bd09mc")
    return _route(np.column_stack([lon, lat]), "wgs84", "baidu", straight=True)


def _baidu(query: dict[str, list[str]]) -> PastedRoute:
    """api.map.baidu.com/direction: origin, waypoints, destination as latlng:lat,lng|...;
    or a route shared from map.baidu.com (:func:`_baidu_share`)."""
    if "sn" in query and "en" in query:
        return _baidu_share(query)
    coord_type = query.get("coord_type", ["bd09ll"])[0].lower()
    if coord_type not in _BAIDU_DATUMS:
        raise BadQuery(
            f"the Baidu link's coordinates are {coord_type}; locator reads bd09ll, gcj02 and "
            "wgs84. Paste an encoded polyline instead."
        )
    stops: list[tuple[float, float]] = []
    for key in ("origin", "waypoints", "destination"):
        for value in query.get(key, []):
            # "latlng:39.9,116.4|name:国贸", "name:国贸|latlng:...", or "39.9,116.4"
            found = [p.removeprefix("latlng:") for p in value.split("|")]
            found = [p for p in found if re.match(r"^\s*-?\d", p)]
            for part in found if key == "waypoints" else found[:1]:
                lat, lon = _number_pair(part, key)
                stops.append((lon, lat))
    if len(stops) < 2:
        raise BadQuery(
            "the Baidu link needs an origin and a destination with coordinates "
            "(latlng:lat,lng), or a start and an end (sn, en) as map.baidu.com shares them."
        )
    return _route(np.array(stops), _BAIDU_DATUMS[coord_type], "baidu", straight=True)
