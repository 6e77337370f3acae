"""Datum shifts between WGS84, GCJ-02 and BD-09, CRS names, geodesics and a metric grid.

Axis order: every function here takes and returns ``(lon, lat)``, longitude first, as
GeoJSON does (``[lon, lat]``). Leaflet and folium want ``(lat, lon)``: swap only when
handing points to them. Angles are in degrees, lengths in metres.

Datums: ``wgs84`` is GPS, OpenStreetMap and GeoJSON (EPSG:4326). ``gcj02`` is the
obfuscated datum Chinese maps must publish in (Amap/Gaode, Tencent); it is about
0.0062 deg east and 0.0014 deg north of WGS84 in Beijing, roughly 550 m. ``bd09`` is
Baidu's second shift on top of GCJ-02, and ``bd09mc`` ("Baidu Mercator") is BD-09 in
Baidu's own Mercator metres (the numbers in map.baidu.com links), converted with the
published band polynomials of the ``bd09convertor`` package. The forward shifts are the
published formulas (Krasovsky ellipsoid, a = 6378245 m, e^2 = 0.00669342162296594323; BD-09 with
x_pi = pi * 3000 / 180). The inverses iterate the forward shift until it reproduces the
input to 1e-9 deg (about 0.1 mm), so round trips close far below 1 cm.

Which points are shifted: one rule for all six conversions. A point is shifted only if
it lies in the rectangle lon 72.004..137.8347, lat 0.8293..55.8271 (edges included),
the "out of China" test used by the GCJ-02 implementations in the wild (see
:func:`in_china`). It is a rectangle, not the border, so it also shifts parts of
neighbouring countries (Seoul, Ulaanbaatar, Hanoi). Chinese map services reportedly
shift such points too (Amap shifts Hong Kong, which itself uses WGS84), so data taken
from them converts correctly; Google Maps shifts only inside the border. Points outside
the rectangle, and NaN, come back unchanged. The test is made on the input point, so a
round trip within about 1 km of the rectangle's edge may not close.

Distances that are reported are geodesic (:func:`geodesic_distance_m`). The Albers
projection of :func:`to_metric` is for indexing and gridding only.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pyproj
from bd09convertor import convertLL2MC, convertMC2LL
from numpy.typing import ArrayLike, NDArray
from pyproj.exceptions import CRSError

from locator.errors import CoordinateError

Float = NDArray[np.float64]
LonLat = tuple[Float, Float]
N = TypeVar("N", float, Float)  # one point, or arrays of points

KRASOVSKY_A_M = 6378245.0
KRASOVSKY_E2 = 0.00669342162296594323
PI = math.pi
BD_X_PI = PI * 3000.0 / 180.0
BD_DLON_DEG = 0.0065
BD_DLAT_DEG = 0.006
CHINA_LON_DEG = (72.004, 137.8347)
CHINA_LAT_DEG = (0.8293, 55.8271)
INVERSE_TOL_DEG = 1e-9
INVERSE_MAX_ITER = 30
CHINA_ALBERS_PROJ = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +ellps=WGS84 +units=m"
WGS84_GEOD = pyproj.Geod(ellps="WGS84")
ACCEPTED_CRS = (
    "wgs84, gcj02, bd09, bd09mc (Baidu Mercator; also wgs-84, gcj-02, bd-09) or EPSG:<code>, "
    "e.g. EPSG:3857"
)


def _arrays(*values: ArrayLike) -> list[Float]:
    """Broadcast the inputs together as fresh, writable float64 arrays."""
    try:
        arrays = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in values))
    except (TypeError, ValueError) as exc:
        raise CoordinateError(f"coordinates must be numbers of matching shapes: {exc}") from exc
    return [a.copy() for a in arrays]


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Return True where a point lies in the rectangle that gets the datum shifts.

    The rectangle is lon 72.004..137.8347, lat 0.8293..55.8271, edges included; NaN is
    outside. It covers parts of neighbouring countries too (see the module docstring).
    """
    x, y = _arrays(lon, lat)
    (lon_min, lon_max), (lat_min, lat_max) = CHINA_LON_DEG, CHINA_LAT_DEG
    return (x >= lon_min) & (x <= lon_max) & (y >= lat_min) & (y <= lat_max)


def _gcj_forward(lon: N, lat: N, m: Any = np) -> tuple[N, N]:
    """Apply the GCJ-02 shift everywhere, without the rectangle test.

    ``m`` is the maths module: numpy for arrays, :mod:`math` for one point (faster there).
    """
    x, y = lon - 105.0, lat - 35.0
    waves = 20.0 * m.sin(6.0 * PI * x) + 20.0 * m.sin(2.0 * PI * x)
    dlat_m = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * m.sqrt(m.fabs(x))
    dlat_m += (waves + 20.0 * m.sin(PI * y) + 40.0 * m.sin(PI * y / 3.0)) * 2.0 / 3.0
    dlat_m += (160.0 * m.sin(PI * y / 12.0) + 320.0 * m.sin(PI * y / 30.0)) * 2.0 / 3.0
    dlon_m = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * m.sqrt(m.fabs(x))
    dlon_m += (waves + 20.0 * m.sin(PI * x) + 40.0 * m.sin(PI * x / 3.0)) * 2.0 / 3.0
    dlon_m += (150.0 * m.sin(PI * x / 12.0) + 300.0 * m.sin(PI * x / 30.0)) * 2.0 / 3.0
    lat_rad = m.radians(lat)
    w = 1.0 - KRASOVSKY_E2 * m.sin(lat_rad) ** 2
    m_per_deg_lat = m.radians(KRASOVSKY_A_M * (1.0 - KRASOVSKY_E2) / w**1.5)
    m_per_deg_lon = m.radians(KRASOVSKY_A_M * m.cos(lat_rad) / m.sqrt(w))
    return lon + dlon_m / m_per_deg_lon, lat + dlat_m / m_per_deg_lat


def _bd_forward(lon: N, lat: N, m: Any = np) -> tuple[N, N]:
    """Apply the BD-09 shift to GCJ-02 points everywhere, without the rectangle test."""
    r = m.hypot(lon, lat) + 2e-5 * m.sin(lat * BD_X_PI)
    theta = m.atan2(lat, lon) + 3e-6 * m.cos(lon * BD_X_PI)
    return r * m.cos(theta) + BD_DLON_DEG, r * m.sin(theta) + BD_DLAT_DEG


def _invert(forward: Callable[[Float, Float], LonLat], lon: Float, lat: Float) -> LonLat:
    """Solve ``forward(est) == (lon, lat)`` by fixed-point iteration from ``est = input``.

    The shifts are near-translations (Jacobian within about 1e-2 of the identity), so
    each step gains two or more digits; the cap only guards against non-finite input.
    """
    est_lon, est_lat = lon, lat
    for _ in range(INVERSE_MAX_ITER):
        fwd_lon, fwd_lat = forward(est_lon, est_lat)
        err_lon, err_lat = fwd_lon - lon, fwd_lat - lat
        est_lon, est_lat = est_lon - err_lon, est_lat - err_lat
        if np.all(np.maximum(np.abs(err_lon), np.abs(err_lat)) < INVERSE_TOL_DEG):
            break
    return est_lon, est_lat


def _shift_in_china(lon: ArrayLike, lat: ArrayLike, shift: Callable[..., LonLat]) -> LonLat:
    """Apply ``shift`` to the points inside the rectangle; copy the others through."""
    x, y = _arrays(lon, lat)
    inside = in_china(x, y)
    if inside.any():
        x[inside], y[inside] = shift(x[inside], y[inside])
    return x, y


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Shift WGS84 points to GCJ-02 (Amap, Tencent); float64 arrays of the input shape."""
    return _shift_in_china(lon, lat, _gcj_forward)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Undo the GCJ-02 shift iteratively; round trips close to about 0.1 mm."""
    return _shift_in_china(lon, lat, lambda x, y: _invert(_gcj_forward, x, y))


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Shift GCJ-02 points to BD-09 (Baidu)."""
    return _shift_in_china(lon, lat, _bd_forward)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Undo the BD-09 shift iteratively (exact, unlike the usual closed-form guess)."""
    return _shift_in_china(lon, lat, lambda x, y: _invert(_bd_forward, x, y))


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Shift WGS84 points to BD-09: GCJ-02 first, then Baidu's shift."""
    return _shift_in_china(lon, lat, lambda x, y: _bd_forward(*_gcj_forward(x, y)))


def wgs84_to_bd09_point(lon: float, lat: float) -> tuple[float, float]:
    """:func:`wgs84_to_bd09` for one point, with :mod:`math` (ten times faster than numpy)."""
    (lon_min, lon_max), (lat_min, lat_max) = CHINA_LON_DEG, CHINA_LAT_DEG
    if not (lon_min <= lon <= lon_max and lat_min <= lat <= lat_max):
        return lon, lat
    return _bd_forward(*_gcj_forward(lon, lat, math), math)


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Undo both shifts iteratively: BD-09 to GCJ-02, then GCJ-02 to WGS84."""
    return _shift_in_china(
        lon, lat, lambda x, y: _invert(_gcj_forward, *_invert(_bd_forward, x, y))
    )


def file_datum(file_crs: str | None) -> str:
    """A file's own CRS as a name for :func:`parse_crs`: WGS84 when it has none or says so."""
    return file_crs if file_crs and file_crs not in ("EPSG:4326", "OGC:CRS84") else "wgs84"


def parse_crs(name: str) -> str:
    """Return the canonical name of a coordinate system: wgs84, gcj02, bd09, bd09mc or
    EPSG:<code>.

    Case and surrounding spaces are ignored; ``wgs-84``, ``gcj-02``, ``bd-09`` and
    ``EPSG:4326`` are accepted as aliases. Other EPSG codes must name a 2-D geographic
    or projected CRS known to PROJ. Anything else raises :class:`CoordinateError`.
    """
    key = name.strip().lower() if isinstance(name, str) else ""
    alias = key.replace("-", "").replace("_", "")
    if alias in ("wgs84", "gcj02", "bd09", "bd09mc"):
        return alias
    if alias in ("bd09mercator", "baidumercator"):
        return "bd09mc"
    match = re.fullmatch(r"epsg:\s*(\d{1,6})", key)
    if match is None:
        raise CoordinateError(f"unknown coordinate system {name!r}; use {ACCEPTED_CRS}")
    code = int(match.group(1))
    if code == 4326:
        return "wgs84"
    try:
        crs = pyproj.CRS.from_epsg(code)
    except CRSError as exc:
        raise CoordinateError(f"unknown EPSG code {name!r}; use {ACCEPTED_CRS}") from exc
    if not (crs.is_geographic or crs.is_projected):
        raise CoordinateError(f"{name!r} ({crs.name}) is not a geographic or projected CRS")
    return f"EPSG:{code}"


@functools.lru_cache(maxsize=32)
def _transformer(src: str, dst: str) -> pyproj.Transformer:
    """Return a cached, thread-safe pyproj transformer in (x, y) = (lon, lat) order."""
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)


def _transform(src: str, dst: str, x: ArrayLike, y: ArrayLike) -> LonLat:
    """Transform with pyproj; points it cannot transform come back as NaN."""
    a, b = _arrays(x, y)
    out = _transformer(src, dst).transform(a, b)
    ox, oy = (np.asarray(v, dtype=np.float64).reshape(a.shape) for v in out)
    bad = ~(np.isfinite(ox) & np.isfinite(oy))
    return np.where(bad, np.nan, ox), np.where(bad, np.nan, oy)


def _copy(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Return the points unchanged, as float64 arrays."""
    x, y = _arrays(lon, lat)
    return x, y


def _per_point(convert: Callable[[float, float], tuple[float, float]]) -> _Shift:
    """Apply a one-point conversion to arrays; NaN and infinite points stay NaN."""

    def apply(x: ArrayLike, y: ArrayLike) -> LonLat:
        a, b = _arrays(x, y)
        out = [
            convert(float(p), float(q)) if math.isfinite(p) and math.isfinite(q) else (np.nan,) * 2
            for p, q in zip(a.ravel().tolist(), b.ravel().tolist(), strict=True)
        ]
        pairs = np.asarray(out, dtype=np.float64).reshape(-1, 2)
        return pairs[:, 0].reshape(a.shape), pairs[:, 1].reshape(a.shape)

    return apply


def bd09mc_to_wgs84(x: ArrayLike, y: ArrayLike) -> LonLat:
    """Baidu Mercator metres to WGS84 (through BD-09 lon, lat)."""
    return bd09_to_wgs84(*_per_point(convertMC2LL)(x, y))


def wgs84_to_bd09mc(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """WGS84 to Baidu Mercator metres (through BD-09 lon, lat)."""
    return _per_point(convertLL2MC)(*wgs84_to_bd09(lon, lat))


_Shift = Callable[[ArrayLike, ArrayLike], LonLat]
_DATUMS: dict[str, tuple[_Shift, _Shift]] = {  # name: (to WGS84, from WGS84)
    "wgs84": (_copy, _copy),
    "gcj02": (gcj02_to_wgs84, wgs84_to_gcj02),
    "bd09": (bd09_to_wgs84, wgs84_to_bd09),
    "bd09mc": (bd09mc_to_wgs84, wgs84_to_bd09mc),
}


def to_wgs84(x: ArrayLike, y: ArrayLike, crs: str) -> LonLat:
    """Convert points given in ``crs`` (any name :func:`parse_crs` accepts) to WGS84 lon, lat.

    For projected EPSG systems ``x, y`` are easting, northing in the CRS's units.
    """
    name = parse_crs(crs)
    if name in _DATUMS:
        return _DATUMS[name][0](x, y)
    return _transform(name, "EPSG:4326", x, y)


def from_wgs84(lon: ArrayLike, lat: ArrayLike, crs: str) -> LonLat:
    """Convert WGS84 points to ``crs``, e.g. ``gcj02`` for Amap or ``bd09`` for Baidu."""
    name = parse_crs(crs)
    if name in _DATUMS:
        return _DATUMS[name][1](lon, lat)
    return _transform("EPSG:4326", name, lon, lat)


def geodesic_distance_m(
    lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike
) -> Float:
    """Return the geodesic distance on the WGS84 ellipsoid, in metres; NaN in gives NaN."""
    x1, y1, x2, y2 = _arrays(lon1, lat1, lon2, lat2)
    dist_m = WGS84_GEOD.inv(x1, y1, x2, y2)[2]
    return np.asarray(dist_m, dtype=np.float64).reshape(x1.shape)


def to_metric(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Project WGS84 points to Albers equal-area for China (:data:`CHINA_ALBERS_PROJ`), in m.

    Use it for indexing and gridding; report distances with :func:`geodesic_distance_m`.
    Areas are exact. Lengths are exact on 25 N and 47 N; between them east-west lengths
    come out up to 1.8% short and north-south ones as much long (about 3% either way at
    18 N and 53 N), so pad radius queries by 3% and confirm with geodesic distances.
    """
    return _transform("EPSG:4326", CHINA_ALBERS_PROJ, lon, lat)


def from_metric(x_m: ArrayLike, y_m: ArrayLike) -> LonLat:
    """Return the WGS84 lon, lat of Albers points made by :func:`to_metric`."""
    return _transform(CHINA_ALBERS_PROJ, "EPSG:4326", x_m, y_m)
