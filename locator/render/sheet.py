"""Print maps: PNG and SVG of station coverage and of a siting plan, drawn with matplotlib.

No Flask and no pyplot: each image is its own ``matplotlib.figure.Figure`` on an Agg
canvas, so a server may render in several threads at once. Everything is drawn in the
Albers equal-area projection of :func:`locator.coords.to_metric`; no tiles are needed.
The figure is 12 inches wide, so a ``width_px`` of 2,400 means 200 dpi; only the
resolution changes with the width, never the layout.

This module gathers what one map shows into a :class:`Scene` (:func:`coverage_map`,
:func:`plan_map`) and encodes the drawing (:func:`render`). The drawing is split in
three: :mod:`locator.render.style` (themes, fonts, the text in zh and en),
:mod:`locator.render.draw` (the sheet: title, legend, colour bar, notes and sources)
and :mod:`locator.render.layers` (the map: land, demand cells, boundaries, stations,
proposed sites, scale bar).

Fonts: Chinese text needs a CJK font. Without one, a ``zh`` map is drawn in English and
district names are left out, so rendering never fails for want of a font;
:attr:`Rendered.lang` says which language was drawn. In names from data, control
characters become spaces and characters no font has become "?"; mathtext is off for
every text.
"""

from __future__ import annotations

import io
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from locator import coords, coverage
from locator.demand import CELL_M, Demand
from locator.errors import BadQuery
from locator.index import Filters, StationIndex
from locator.planning.plan import REGION_KIND, Plan
from locator.regions import Regions
from locator.render.draw import figure
from locator.render.scene import FORMATS, Cells, MapStyle, Rendered, Scene
from locator.render.style import fonts, title
from locator.stations.table import DatasetInfo


def _region_districts(regions: Regions, region: str) -> gpd.GeoDataFrame:
    if region not in regions.names:
        raise BadQuery(f"region {region!r} is not loaded; use one of {', '.join(regions.names)}.")
    frame = regions.districts_of(region)
    return frame.to_crs(coords.CHINA_ALBERS_PROJ)


def _stations(
    index: StationIndex, filters: Filters, districts: gpd.GeoDataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon, lat of the stations passing ``filters`` that lie in ``districts``."""
    rows = index.subset(filters).rows
    inside = np.isin(
        index.table.frame["district_adcode"].to_numpy(str)[rows],
        districts["district_adcode"].to_numpy(str),
    )
    return index.lon[rows][inside], index.lat[rows][inside]


def _xy(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    x, y = coords.to_metric(lon, lat)
    return np.column_stack([np.asarray(x, float), np.asarray(y, float)]).reshape(-1, 2)


def _share(weight: np.ndarray, covered: np.ndarray) -> float:
    total = float(weight.sum())
    return float(weight[covered].sum()) / total if total else 0.0


def _cells(demand: Demand, state: np.ndarray) -> Cells:
    keep = demand.weight > 0
    return Cells(
        demand.x_m[keep], demand.y_m[keep], demand.weight[keep], state[keep], demand.cell_size_m
    )


def coverage_map(
    style: MapStyle,
    *,
    region: str,
    filters: Filters,
    radius_m: float,
    demand: Demand,
    index: StationIndex,
    regions: Regions,
    dataset: DatasetInfo,
) -> Rendered:
    """The coverage view: ``demand`` (the region's model) and the stations passing ``filters``.

    A cell is covered when such a station lies within ``radius_m`` of its centre, as in
    :func:`locator.coverage.station_coverage`. BadQuery for a region not loaded.
    """
    districts = _region_districts(regions, region)
    lon, lat = _stations(index, filters, districts)
    covered = coverage.covered_mask(demand, lon, lat, radius_m)
    scene = Scene(
        region=region,
        kind=filters.kind or REGION_KIND[region],
        amenities=filters.amenities,
        radius_m=radius_m,
        districts=districts,
        stations_xy=_xy(lon, lat),
        cells=_cells(demand, covered.astype(np.int8)),
        share_before=_share(demand.weight, covered),
        modelled=True,
        dataset=dataset,
    )
    return render(scene, style)


def plan_map(
    style: MapStyle,
    plan: Plan,
    *,
    demand: Demand | None,
    index: StationIndex,
    regions: Regions,
    dataset: DatasetInfo,
) -> Rendered:
    """The plan view: the coverage view of the plan's own settings, plus its new sites.

    ``demand`` is the model the plan used (its region's default), or None for a plan
    made from uploaded demand: then the plan's uncovered cells are drawn, and the
    covered area as circles around the stations and sites.
    """
    req = plan.request
    districts = _region_districts(regions, req.region)
    lon, lat = _stations(index, Filters(req.station_kind, req.amenities), districts)
    sites = plan.sites
    sites_xy = _xy(sites["lon"].to_numpy(float), sites["lat"].to_numpy(float))
    buffers: tuple[shapely.Geometry | None, shapely.Geometry | None] = (None, None)
    if demand is not None:
        before = coverage.covered_mask(demand, lon, lat, req.resolved_radius_m)
        after = before | coverage.covered_mask(
            demand,
            sites["lon"].to_numpy(float),
            sites["lat"].to_numpy(float),
            req.resolved_radius_m,
        )
        cells = _cells(demand, np.where(before, 1, np.where(after, 2, 0)).astype(np.int8))
    else:
        cells = _uncovered_cells(plan, req.region)
        old = _disc_union(_xy(lon, lat), req.resolved_radius_m)
        buffers = (old, _disc_union(sites_xy, req.resolved_radius_m).difference(old))
    r = plan.result
    scene = Scene(
        region=req.region,
        kind=req.station_kind,
        amenities=req.amenities,
        radius_m=req.resolved_radius_m,
        districts=districts,
        stations_xy=_xy(lon, lat),
        cells=cells,
        share_before=plan.before.covered_share,
        modelled=req.demand_path is None,
        dataset=dataset,
        sites=pd.DataFrame(
            {"rank": sites["rank"].to_numpy(int), "x_m": sites_xy[:, 0], "y_m": sites_xy[:, 1]}
        ),
        share_after=r.covered_weight / r.total_weight if r.total_weight else 0.0,
        gap=r.gap,
        buffers=buffers,
    )
    return render(scene, style)


def _uncovered_cells(plan: Plan, region: str) -> Cells:
    size = CELL_M[region]
    table = plan.uncovered
    xy = _xy(table["lon"].to_numpy(float), table["lat"].to_numpy(float))
    snapped = (np.floor(xy / size) + 0.5) * size  # back onto the grid after the round trip
    weight = table["weight"].to_numpy(float)
    return Cells(snapped[:, 0], snapped[:, 1], weight, np.zeros(len(weight), np.int8), size)


def _disc_union(xy: np.ndarray, radius_m: float) -> shapely.Geometry:
    return shapely.union_all(shapely.buffer(shapely.points(xy), radius_m, quad_segs=12))


def render(scene: Scene, style: MapStyle) -> Rendered:
    """Draw ``scene`` and encode it as PNG or SVG."""
    start = time.perf_counter()
    found = fonts(style.lang)
    lang = style.lang if found.cjk else "en"
    fig = figure(scene, style, found, lang)
    buffer = io.BytesIO()
    meta = {"Title": found.clean(title(scene, lang))}
    if style.fmt == "svg":
        meta["Date"] = None  # type: ignore[assignment]
    fig.savefig(buffer, format=style.fmt, dpi=fig.dpi, metadata=meta)
    width, height = (int(v) for v in fig.bbox.size)  # as Agg rounds them
    return Rendered(
        buffer.getvalue(), FORMATS[style.fmt], lang, (width, height), time.perf_counter() - start
    )
