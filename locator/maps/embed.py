"""Embeddable maps without Flask: the flags of ``/embed/<view>``, the framing policy, and the
compact overlays (district outlines, plan sites) an embed draws.

:mod:`locator.web.embeds` is the web layer around this. Flags come in as plain strings and
leave as a frozen :class:`Flags`; a bad one raises :class:`~locator.errors.BadQuery` with a
message a person can act on. Overlays are put in the datum of the tiles they are drawn on
(GCJ-02 for Amap, WGS84 otherwise) here, on the server, so the browser never shifts points.
Coordinates in this module are ``(lon, lat)`` (see :mod:`locator.coords`); the bounds and
centres handed to Leaflet are ``[lat, lon]``, as Leaflet wants.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from locator import coords, params
from locator.errors import BadQuery
from locator.regions import region_key

VIEWS: tuple[str, ...] = ("stations", "coverage", "plan")
TILES: tuple[str, ...] = ("osm", "amap", "none")
# Layers each view can draw; the first tuple entry is drawn underneath. Default: all.
LAYERS: dict[str, tuple[str, ...]] = {
    "stations": ("stations",),
    "coverage": ("districts", "stations"),
    "plan": ("stations", "sites"),
}
COMMON_FLAGS = ("lang", "dark", "static", "plain", "tiles", "layers", "center", "zoom", "id")
VIEW_FLAGS: dict[str, tuple[str, ...]] = {
    "stations": ("kind", "amenities"),
    "coverage": ("region", "kind", "amenities", "radius_m"),
    "plan": ("plan", "new", "region", "kind", "amenities", "radius_m"),
}
MAX_EMBED_NEW = 5_000  # sites an embed may ask to plan (one shared plan per parameter set)
MAX_ZOOM = {"osm": 19, "amap": 18, "none": 19}
TILE_SOURCES = {"osm": "https://tile.openstreetmap.org", "amap": "https://*.is.autonavi.com"}
WIDTH_PX = 600  # of the iframe in the snippet; the map keeps a 3:2 aspect ratio
HEIGHT_PX = {"plain": 400, "full": 540}  # map only; map with title, legend and summary
COORD_SCALE = 10_000  # overlay coordinates in 1e-4 degrees (about 10 m)
OUTLINE_PX = 300  # outlines keep detail down to 1/300 of the region's size (~1 px at 600 px)
ID_PATTERN = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
ORIGIN_PATTERN = re.compile(r"https?://(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?")


@dataclass(frozen=True)
class Flags:
    """What an embed shows and how; ``center`` is WGS84 ``(lat, lon)``."""

    view: str
    lang: str | None = None
    dark: bool = False
    static: bool = False
    plain: bool = False
    tiles: str = "osm"
    layers: tuple[str, ...] = ()
    center: tuple[float, float] | None = None
    zoom: int | None = None
    id: str | None = None
    kind: str | None = None
    amenities: tuple[str, ...] = ()
    region: str = "beijing"
    radius_m: float | None = None
    plan: str | None = None
    new: int | None = None


def _switch(name: str, value: str) -> bool:
    """A flag that is on when present (``?dark``, ``?dark=1``) unless set to 0/false/no."""
    return params.parse_bool(name, value, default=True)


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise BadQuery(f"{name} must be one of {', '.join(allowed)}, got {value!r}.")
    return value


def _layers(view: str, value: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))
    for name in names:
        _choice("layers", name, LAYERS[view])
    if not names:
        raise BadQuery(f"layers must name at least one of {', '.join(LAYERS[view])}.")
    return tuple(n for n in LAYERS[view] if n in names)


def _center(value: str) -> tuple[float, float]:
    parts = value.split(",")
    if len(parts) != 2:
        raise BadQuery(f"center must be lat,lon in WGS84 degrees, got {value!r}.")
    lat = params.parse_float("center latitude", parts[0], -90, 90)
    lon = params.parse_float("center longitude", parts[1], -180, 180)
    return lat, lon


def _identifier(name: str, value: str) -> str:
    if not ID_PATTERN.fullmatch(value):
        raise BadQuery(f"{name} must be 1-64 letters, digits or _.:- characters, got {value!r}.")
    return value


def parse_flags(
    view: str,
    args: Mapping[str, str],
    regions: tuple[str, ...],
    max_radius_m: Mapping[str, float],
) -> Flags:
    """The flags of ``/embed/<view>?<args>``; BadQuery names the first bad one.

    ``regions`` are the regions this server loaded; ``max_radius_m`` caps ``radius_m`` per
    region. Unknown flags are refused (a typo would otherwise be silently ignored), and so
    is a flag the view does not use.
    """
    view = _choice("view", view, VIEWS)
    allowed = COMMON_FLAGS + VIEW_FLAGS[view]
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        raise BadQuery(
            f"unknown flag {', '.join(unknown)} for the {view} view; use {', '.join(allowed)}."
        )
    get = args.get
    lang = get("lang")
    if lang is not None and lang not in ("zh", "en"):
        raise BadQuery(f"lang must be zh or en, got {lang!r}.")
    tiles = _choice("tiles", get("tiles") or "osm", TILES)
    region = region_key(get("region") or regions[0])
    if region not in regions:
        raise BadQuery(f"region {region} is not loaded on this server (see LOCATOR_REGION).")
    plan = get("plan")
    if view == "plan" and bool(plan) == bool(get("new")):
        raise BadQuery(
            "give either plan=<id> (the id POST /api/v1/plans answered with) or new=<number of "
            "sites> with region, radius_m, kind and amenities to plan them."
        )
    return Flags(
        view=view,
        lang=lang,
        dark=_switch("dark", get("dark", "0")),
        static=_switch("static", get("static", "0")),
        plain=_switch("plain", get("plain", "0")),
        tiles=tiles,
        layers=_layers(view, get("layers") or ",".join(LAYERS[view])),
        center=_center(args["center"]) if get("center") else None,
        zoom=params.parse_int("zoom", get("zoom"), 0, 0, MAX_ZOOM[tiles]) if get("zoom") else None,
        id=_identifier("id", args["id"]) if get("id") else None,
        kind=params.parse_kind(get("kind")),
        amenities=params.parse_amenities(get("amenities")),
        region=region,
        radius_m=params.parse_positive("radius_m", get("radius_m"), max_radius_m.get(region, 0)),
        plan=_identifier("plan", plan) if plan else None,
        new=params.parse_int("new", get("new"), 0, 1, MAX_EMBED_NEW) if get("new") else None,
    )


def height_px(flags: Flags) -> int:
    """The iframe height to start with (the host script then sets the real one)."""
    return HEIGHT_PX["plain" if flags.plain else "full"]


def frame_size_px(
    flags: Flags, max_width_px: int | None = None, max_height_px: int | None = None
) -> tuple[int, int]:
    """(width, height) of the iframe within oEmbed's ``maxwidth`` and ``maxheight``.

    The width is :data:`WIDTH_PX` or ``max_width_px`` if smaller; the height keeps the
    frame's proportions at that width (400 at 600 wide is 267 at 400 wide), then is cut to
    ``max_height_px``. Both are at least 1 pixel.
    """
    width = min(WIDTH_PX, max_width_px or WIDTH_PX)
    height = round(height_px(flags) * width / WIDTH_PX)
    if max_height_px:
        height = min(height, max_height_px)
    return max(width, 1), max(height, 1)


# --- framing ---------------------------------------------------------------------------------


def parse_origins(value: str) -> tuple[str, ...]:
    """LOCATOR_EMBED_ORIGINS: ``*`` (any site), ``'none'``, or space-separated origins.

    Origins look like ``https://news.example.com``, ``https://*.example.org`` or
    ``http://localhost:8000``; ``'self'`` is allowed too. Raises ValueError otherwise.
    """
    tokens = tuple(dict.fromkeys(value.split()))
    if not tokens:
        raise ValueError("LOCATOR_EMBED_ORIGINS is empty; use * for any site, or list origins.")
    if "*" in tokens:
        return ("*",)
    if "'none'" in tokens and len(tokens) > 1:
        raise ValueError("LOCATOR_EMBED_ORIGINS: 'none' cannot be combined with origins.")
    for token in tokens:
        if token not in ("'self'", "'none'") and not ORIGIN_PATTERN.fullmatch(token):
            raise ValueError(
                f"LOCATOR_EMBED_ORIGINS: {token!r} is not an origin like https://example.com "
                "(scheme and host, no path), * or 'self'."
            )
    return tokens


def content_security_policy(tiles: str, origins: tuple[str, ...]) -> str:
    """The embed's CSP: only our own scripts, data and styles, tiles, and framing by ``origins``."""
    images = " ".join(("'self'", "data:", TILE_SOURCES.get(tiles, ""))).strip()
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        f"img-src {images}; base-uri 'none'; form-action 'none'; "
        f"frame-ancestors {' '.join(origins)}"
    )


# --- overlays in the datum of the tiles ------------------------------------------------------


def display_datum(tiles: str) -> str:
    """Amap tiles are drawn in GCJ-02; OpenStreetMap (and no tiles) in WGS84."""
    return "gcj02" if tiles == "amap" else "wgs84"


def to_display(lon: np.ndarray, lat: np.ndarray, datum: str) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return coords.wgs84_to_gcj02(lon, lat) if datum == "gcj02" else (lon, lat)


def display_center(flags: Flags) -> list[float] | None:
    """The ``center`` flag as Leaflet ``[lat, lon]`` in the datum of the tiles."""
    if flags.center is None:
        return None
    lat, lon = flags.center
    shifted = to_display(np.array([lon]), np.array([lat]), display_datum(flags.tiles))
    return [round(float(shifted[1][0]), 6), round(float(shifted[0][0]), 6)]


def delta_encode(lon: np.ndarray, lat: np.ndarray) -> list[int]:
    """Flat ``[dlon0, dlat0, dlon1, dlat1, ...]`` in 1/COORD_SCALE degrees, each relative to
    the previous point (the first to 0): the format of /api/v1/stations/points, coarser."""
    ints = np.round(np.column_stack([lon, lat]) * COORD_SCALE).astype(np.int64)
    deltas = np.diff(ints, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    encoded: list[int] = deltas.ravel().tolist()
    return encoded


def leaflet_bounds(lon: np.ndarray, lat: np.ndarray) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` of the points, or None without any."""
    if len(lon) == 0:
        return None
    return [
        [round(float(np.min(lat)), 5), round(float(np.min(lon)), 5)],
        [round(float(np.max(lat)), 5), round(float(np.max(lon)), 5)],
    ]


def _simplified(geoms: np.ndarray) -> np.ndarray:
    """Outlines simplified in metres (Albers), keeping detail down to 1/OUTLINE_PX of the
    region's extent: about 600 m for Beijing, 3 km for Shaanxi."""

    def project(xy: np.ndarray, inverse: bool = False) -> np.ndarray:
        convert = coords.from_metric if inverse else coords.to_metric
        return np.column_stack(convert(xy[:, 0], xy[:, 1]))

    metric = shapely.transform(geoms, project)
    west, south, east, north = shapely.total_bounds(metric)
    tolerance_m = max(east - west, north - south) / OUTLINE_PX
    simple = shapely.simplify(metric, tolerance_m, preserve_topology=True)
    return np.asarray(shapely.transform(simple, lambda xy: project(xy, inverse=True)))


def district_outlines(districts: pd.DataFrame, datum: str) -> dict[str, object]:
    """Simplified district polygons for a choropleth, each ring delta-encoded.

    ``districts`` has ``district_adcode``, ``district_name`` and a (multi)polygon
    ``geometry`` in WGS84. Each district becomes ``{"adcode", "name", "polygons"}`` where
    ``polygons`` is a list of polygons, each a list of rings (outer first, then holes),
    each ring a :func:`delta_encode` list. ``bounds`` covers them all (Leaflet order).
    """
    geoms = _simplified(np.asarray(districts.geometry.values))
    out = []
    for adcode, name, geom in zip(
        districts["district_adcode"], districts["district_name"], geoms, strict=True
    ):
        polygons = []
        for part in getattr(geom, "geoms", [geom]):
            rings = []
            for ring in (part.exterior, *part.interiors):
                xy = np.asarray(ring.coords)
                lon, lat = to_display(xy[:, 0], xy[:, 1], datum)
                rings.append(delta_encode(lon, lat))
            polygons.append(rings)
        out.append({"adcode": str(adcode), "name": str(name), "polygons": polygons})
    west, south, east, north = shapely.total_bounds(geoms)
    lon, lat = to_display(np.array([west, east]), np.array([south, north]), datum)
    return {"scale": COORD_SCALE, "districts": out, "bounds": leaflet_bounds(lon, lat)}


def plan_sites(sites: pd.DataFrame, datum: str) -> dict[str, object]:
    """A plan's new sites (rank order) for the map: delta-encoded points and districts."""
    lon, lat = to_display(sites["lon"].to_numpy(), sites["lat"].to_numpy(), datum)
    return {
        "scale": COORD_SCALE,
        "coords": delta_encode(lon, lat),
        "districts": [str(d) for d in sites["district_name"]],
        "bounds": leaflet_bounds(lon, lat),
    }
