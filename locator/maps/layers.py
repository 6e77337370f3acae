"""Map data: what the maps of :mod:`locator.maps.folium_map` draw, prepared for display.

Every input is WGS84. Output for a map on Amap tiles is shifted to GCJ-02 here, on the
server (:func:`to_datum`, :func:`display_geometry`), for every layer. Coordinates are
rounded for display: polygons and heat points to 4 decimals (about 10 m, far below the
500 m demand cells), sites to 6 (about 0.1 m). Texts from data files are HTML-escaped,
because folium's tooltips and popups insert them as HTML.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from locator import coords
from locator.coverage import district_table
from locator.demand import Demand
from locator.maps.style import TILES, share_colour

DISPLAY_DECIMALS = 4  # polygons and heat points: about 10 m
SITE_DECIMALS = 6  # proposed sites: about 0.1 m
# District outlines are simplified by about a pixel of the whole-region view: the region's
# larger side / 500 (Beijing 0.004°, Shaanxi 0.016°), keeping shared edges shared.
DISTRICT_SIMPLIFY_SHARE = 1 / 500
MAX_HEAT_POINTS = 3000


@dataclass(frozen=True)
class MapData:
    """What one map shows, all in WGS84.

    ``districts`` has polygons with ``district_adcode``, ``district_name``,
    ``share_before`` and ``share_after`` (0..1; NaN after without a plan); ``covered`` is
    the covered area; ``uncovered`` has ``lon``, ``lat``, ``weight`` of uncovered demand
    cells; ``sites`` (or None) has the plan's sites as :attr:`locator.planning.plan.Plan.sites`;
    ``stations_url`` is the compact points URL (``/api/v1/stations/points?...``);
    ``suggested`` (or None) has ``lon``, ``lat`` and ``count`` of the workers' suggestions
    (cell centres, :mod:`locator.planning.suggested`).
    """

    districts: gpd.GeoDataFrame
    covered: shapely.Geometry
    uncovered: pd.DataFrame
    stations_url: str
    sites: pd.DataFrame | None = None
    station_url: str = "/api/v1/stations/__id__"  # one station's JSON; __id__ is replaced
    page_url: str = "/stations/__id__"
    station_kinds: tuple[str, ...] = ("warm_heart", "driver_home")  # for the legend
    suggested: pd.DataFrame | None = None  # lon, lat, count of workers' suggestions


def datum_of(tiles: str) -> str:
    """The datum overlays must be in on ``tiles``: "gcj02" on Amap, else "wgs84"."""
    return TILES[tiles].datum if tiles in TILES else "wgs84"


def _shift_xy(datum: str) -> Callable[[np.ndarray], np.ndarray]:
    def shift(xy: np.ndarray) -> np.ndarray:
        if datum != "gcj02" or len(xy) == 0:
            return xy
        return np.column_stack(coords.wgs84_to_gcj02(xy[:, 0], xy[:, 1]))

    return shift


def to_datum(lon: Any, lat: Any, datum: str) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 points in ``datum`` ("wgs84": unchanged, "gcj02": Amap's offset)."""
    xy = _shift_xy(datum)(np.column_stack([np.asarray(lon, float), np.asarray(lat, float)]))
    return xy[:, 0], xy[:, 1]


def display_geometry(geom: Any, datum: str, decimals: int = DISPLAY_DECIMALS) -> Any:
    """``geom`` (WGS84) shifted to ``datum`` and rounded for display (shapely arrays too)."""
    shift = _shift_xy(datum)
    return shapely.transform(geom, lambda xy: np.round(shift(xy), decimals))


def covered_area(
    x_m: np.ndarray, y_m: np.ndarray, cell_size_m: float, covered: np.ndarray
) -> shapely.Geometry:
    """The covered demand cells (squares on the Albers grid) dissolved into one WGS84 shape.

    Outlines are simplified by half a cell (the staircase of a cell edge goes). Returns an
    empty polygon when nothing is covered.
    """
    half = cell_size_m / 2
    x, y = x_m[covered], y_m[covered]
    if len(x) == 0:
        return shapely.Polygon()
    union = shapely.coverage_union_all(shapely.box(x - half, y - half, x + half, y + half))
    outline = shapely.simplify(union, half)
    return shapely.transform(
        outline, lambda xy: np.column_stack(coords.from_metric(xy[:, 0], xy[:, 1]))
    )


def heat_points(
    uncovered: pd.DataFrame, datum: str, limit: int = MAX_HEAT_POINTS
) -> list[list[float]]:
    """``[lat, lon, weight]`` of the heaviest ``limit`` uncovered cells, weights scaled to 0..1."""
    rows = uncovered[uncovered["weight"] > 0].nlargest(limit, "weight")
    if rows.empty:
        return []
    lon, lat = to_datum(rows["lon"], rows["lat"], datum)
    weight = rows["weight"].to_numpy(float) / float(rows["weight"].max())
    table = np.round(np.column_stack([lat, lon]), DISPLAY_DECIMALS)
    return [[a, b, round(float(w), 2)] for (a, b), w in zip(table.tolist(), weight, strict=True)]


def district_features(districts: gpd.GeoDataFrame, datum: str) -> dict[str, Any]:
    """Districts as a FeatureCollection for the choropleth: escaped names, share texts."""
    west, south, east, north = districts.total_bounds
    tolerance_deg = max(east - west, north - south) * DISTRICT_SIMPLIFY_SHARE
    shapes = shapely.coverage_simplify(districts.geometry.to_numpy(), tolerance_deg)
    shapes = display_geometry(shapes, datum)
    features = []
    for rec, shape in zip(districts.to_dict("records"), shapes, strict=True):
        before, after = rec["share_before"], rec["share_after"]
        shown = before if pd.isna(after) else after
        features.append(
            {
                "type": "Feature",
                "id": str(rec["district_adcode"]),
                "geometry": shapely.geometry.mapping(shape),
                "properties": {
                    "name": html.escape(str(rec["district_name"])),
                    "before": f"{before:.1%}",
                    "after": "–" if pd.isna(after) else f"{after:.1%}",
                    "fill": share_colour(float(shown)),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def suggestion_features(suggested: pd.DataFrame, datum: str) -> dict[str, Any]:
    """Suggested cells as GeoJSON points with their count (numbers only: nothing to escape)."""
    lon, lat = to_datum(suggested["lon"], suggested["lat"], datum)
    features = [
        {
            "type": "Feature",
            "geometry": {
                "type": "Point",
                "coordinates": [round(float(x), SITE_DECIMALS), round(float(y), SITE_DECIMALS)],
            },
            "properties": {"count": int(n)},
        }
        for x, y, n in zip(lon, lat, suggested["count"], strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


def site_features(sites: pd.DataFrame, datum: str) -> dict[str, Any]:
    """Proposed sites as GeoJSON points whose texts are HTML-escaped (folium inserts HTML)."""
    lon, lat = to_datum(sites["lon"], sites["lat"], datum)
    features = []
    for rec, x, y in zip(sites.to_dict("records"), lon, lat, strict=True):
        name = str(rec.get("name") or "")
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(float(x), SITE_DECIMALS), round(float(y), SITE_DECIMALS)],
                },
                "properties": {
                    "rank": int(rec["rank"]),
                    "label": f"#{int(rec['rank'])}" + (f" {html.escape(name)}" if name else ""),
                    "gain": f"{float(rec['marginal_gain']):,.0f}",
                    "after": f"{float(rec['covered_share_after']):.1%}",
                    "district": html.escape(str(rec["district_name"])),
                    "host": html.escape(str(rec["host_type"])),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def districts_before(
    demand: Demand, covered: np.ndarray, station_districts: np.ndarray
) -> pd.DataFrame:
    """Per-district table of existing coverage, in the columns of ``Plan.districts``.

    ``covered_after``/``share_after`` are NaN and ``new`` is 0: there is no plan yet.
    """
    table = district_table(demand, covered, station_districts).rename(
        columns={
            "covered": "covered_before",
            "covered_share": "share_before",
            "stations": "existing",
        }
    )
    table["covered_after"] = np.nan
    table["share_after"] = np.nan
    table["new"] = 0
    return table


def map_data(
    demand: Demand,
    polygons: gpd.GeoDataFrame,
    table: pd.DataFrame,
    covered: np.ndarray,
    stations_url: str,
    sites: pd.DataFrame | None = None,
    uncovered: pd.DataFrame | None = None,
    station_kinds: tuple[str, ...] = ("warm_heart", "driver_home"),
    suggested: pd.DataFrame | None = None,
) -> MapData:
    """Everything a coverage or plan map shows.

    ``polygons`` are the region's districts (``district_adcode``, ``district_name``,
    geometry); ``table`` has the columns of ``Plan.districts``; ``covered`` says which of
    ``demand``'s cells are covered (after the plan, if there is one). Uncovered demand is
    the populated cells that are not covered, unless ``uncovered`` (a plan's, with
    ``lon``, ``lat``, ``weight``) is given.
    """
    shares = table[["district_adcode", "share_before", "share_after"]].astype(
        {"district_adcode": str}
    )
    shapes = polygons[["district_adcode", "district_name", "geometry"]].astype(
        {"district_adcode": str}
    )
    merged = shapes.merge(shares, on="district_adcode", how="left")
    if uncovered is None:
        left = ~covered & (demand.weight > 0)
        uncovered = pd.DataFrame(
            {"lon": demand.lon[left], "lat": demand.lat[left], "weight": demand.weight[left]}
        )
    return MapData(
        gpd.GeoDataFrame(merged, geometry="geometry", crs=polygons.crs),
        covered_area(demand.x_m, demand.y_m, demand.cell_size_m, covered),
        uncovered,
        stations_url,
        sites,
        station_kinds=station_kinds,
        suggested=suggested,
    )
