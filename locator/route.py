"""Stations along a route: the corridor search truck drivers plan their stops with.

A route is a GeoJSON LineString ([lon, lat] pairs) or an encoded polyline
(Google's algorithm, precision 5, as Open Charge Map and most routers emit).
Geometry is measured in a transverse Mercator projection centred on the route,
where scale error stays below 0.1 % within about 280 km east or west of the
centre; ``along_m`` is the distance from the route's start along the line to
the station's closest point on it, and ``offset_m`` the distance from the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyproj
import shapely

from locator.errors import BadQuery

MAX_ROUTE_POINTS = 20_000


@dataclass(frozen=True)
class Corridor:
    """Stations within the corridor, ordered by ``along_m``."""

    rows: np.ndarray
    along_m: np.ndarray
    offset_m: np.ndarray
    route_length_m: float


def decode_polyline(encoded: str, precision: int = 5) -> np.ndarray:
    """Decode an encoded polyline into an (n, 2) array of [lon, lat]."""
    values: list[int] = []
    shift = result = 0
    for char in encoded:
        byte = ord(char) - 63
        if not 0 <= byte < 64:
            raise BadQuery(f"route is not a valid encoded polyline (bad character {char!r}).")
        result |= (byte & 0x1F) << shift
        shift += 5
        if byte < 0x20:
            values.append(~(result >> 1) if result & 1 else result >> 1)
            shift = result = 0
    if shift or len(values) % 2:
        raise BadQuery("route is not a valid encoded polyline (it ends mid-value).")
    lat_lon = np.cumsum(np.array(values, dtype=np.int64).reshape(-1, 2), axis=0) / 10**precision
    return lat_lon[:, ::-1]


def parse_route(route: Any) -> np.ndarray:
    """A route as (n, 2) [lon, lat]; raise BadQuery unless it has 2+ valid distinct points."""
    if isinstance(route, str):
        points = decode_polyline(route)
    elif isinstance(route, dict) and route.get("type") == "LineString":
        try:
            points = np.asarray(route.get("coordinates"), dtype=float)
        except (TypeError, ValueError):
            raise BadQuery("route coordinates must be [lon, lat] number pairs.") from None
    else:
        raise BadQuery("route must be a GeoJSON LineString or an encoded polyline string.")
    if points.ndim != 2 or points.shape[1] < 2 or len(points) < 2:
        raise BadQuery("route needs at least two [lon, lat] points.")
    points = points[:, :2]
    if len(points) > MAX_ROUTE_POINTS:
        raise BadQuery(f"route has {len(points)} points; simplify it to {MAX_ROUTE_POINTS}.")
    lon, lat = points[:, 0], points[:, 1]
    if not (np.isfinite(points).all() and (np.abs(lon) <= 180).all() and (np.abs(lat) <= 90).all()):
        raise BadQuery("route coordinates must be finite [lon, lat] in degrees (GeoJSON order).")
    if (np.abs(np.diff(points, axis=0)).sum() == 0).all():
        raise BadQuery("route has no length: its points are all the same.")
    return points


def corridor(points: np.ndarray, lon: np.ndarray, lat: np.ndarray, corridor_m: float) -> Corridor:
    """Which of the points (lon, lat) lie within ``corridor_m`` of the route ``points``."""
    centre_lon = float(np.mean(points[:, 0]))
    proj = pyproj.Transformer.from_crs(
        "EPSG:4326", f"+proj=tmerc +lon_0={centre_lon} +k=1 +ellps=WGS84 +units=m", always_xy=True
    )
    line = shapely.linestrings(np.column_stack(proj.transform(points[:, 0], points[:, 1])))
    # A cheap degree box first (1 deg of latitude >= 110 km), so the projection sees few points.
    pad = np.array([1 / max(np.cos(np.radians(np.abs(points[:, 1]).max())), 0.1), 1.0])
    pad *= corridor_m / 100_000 + 0.01
    west, south = points.min(axis=0) - pad
    east, north = points.max(axis=0) + pad
    box = np.flatnonzero((lon >= west) & (lon <= east) & (lat >= south) & (lat <= north))
    stations = shapely.points(np.column_stack(proj.transform(lon[box], lat[box])))
    offset = shapely.distance(line, stations)
    near = offset <= corridor_m
    rows, offset = box[near], offset[near]
    along = shapely.line_locate_point(line, stations[near])
    order = np.argsort(along, kind="stable")
    return Corridor(rows[order], along[order], offset[order], float(shapely.length(line)))
