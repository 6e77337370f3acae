"""The layers of a print map, drawn with matplotlib on the map's axes in Albers metres.

Bottom to top: the region's land; demand cells on their own grid (covered cells in one
colour, cells the proposals newly cover in another, uncovered cells coloured by demand
on a log scale); district boundaries and names; existing stations as small dots;
proposed sites (the top :data:`TOP_NUMBERED` numbered by rank); a scale bar. A plan
made from uploaded demand only kept its uncovered cells, so its covered area comes as
the scene's ``buffers`` (dissolved circles of ``radius_m`` around the stations and
sites) instead. District names are drawn only with a CJK font.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib import colormaps, patheffects
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap, LogNorm, to_rgba_array
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from shapely.geometry.polygon import orient

from locator.render.scene import Cells, Scene
from locator.render.style import Fonts, Theme, distance_text, station_colour

TOP_NUMBERED = 10
MAX_LABELLED_DISTRICTS = 30  # more (Shaanxi's 107 counties): label prefectures instead
SMALL_DISTRICT_M2 = 150e6  # districts smaller than this get smaller names


def draw_map(
    ax: Axes,
    scene: Scene,
    theme: Theme,
    found: Fonts,
    text: dict[str, str],
    extent: tuple[float, float, float, float],
) -> tuple[LogNorm, ListedColormap] | None:
    """The map's layers; returns the uncovered demand's colour scale (None if none shown)."""
    ax.set_axis_off()
    geoms = scene.districts.geometry.to_numpy()
    land = shapely.union_all(geoms)
    _patch(ax, land, theme.land, 0.0)
    for shape, colour in zip(scene.buffers, (theme.covered, theme.new), strict=True):
        if shape is not None:
            _patch(ax, shapely.intersection(shape, land), colour, 0.5)
    bar = _draw_cells(ax, scene.cells, theme)
    ax.add_collection(
        LineCollection(_rings(geoms), colors=theme.boundary, linewidths=0.5, zorder=3)
    )
    ax.add_collection(
        LineCollection(_rings([land]), colors=theme.outline, linewidths=1.2, zorder=3)
    )
    n = len(scene.stations_xy)
    ax.scatter(
        scene.stations_xy[:, 0],
        scene.stations_xy[:, 1],
        s=station_size(n),
        c=station_colour(scene.kind),
        linewidths=0,
        zorder=4,
        rasterized=n > 2000,
    )
    if found.cjk:
        _draw_names(ax, scene.districts, theme, found)
    if scene.sites is not None:
        _draw_sites(ax, scene.sites, theme, found)
    x0, y0, x1, y1 = extent
    _draw_scale_bar(ax, extent, theme, found, text)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    return bar


def station_size(count: int) -> float:
    """Marker area in pt²: small dots for thousands of stations, larger for a few."""
    return 2.0 if count > 2000 else 10.0 if count > 200 else 24.0


def _rings(geoms: object) -> list[np.ndarray]:
    """Coordinates of every ring (exterior and holes) of the polygons in ``geoms``."""
    parts = shapely.get_parts(np.asarray(geoms, dtype=object).ravel())
    polygons = parts[shapely.get_type_id(parts) == 3]
    return [shapely.get_coordinates(ring) for ring in shapely.get_rings(polygons)]


def _polygons(geom: shapely.Geometry) -> list[shapely.Polygon]:
    parts = shapely.get_parts(np.asarray([geom], dtype=object))
    return list(parts[shapely.get_type_id(parts) == 3])


def _patch(ax: Axes, geom: shapely.Geometry, colour: str, zorder: float) -> None:
    """Fill a (multi)polygon, holes left open (they wind the other way: non-zero rule)."""
    rings = _rings([orient(part) for part in _polygons(geom)])
    if not rings:
        return
    codes = [
        np.r_[MplPath.MOVETO, np.full(len(r) - 2, MplPath.LINETO), MplPath.CLOSEPOLY] for r in rings
    ]
    path = MplPath(np.concatenate(rings), np.concatenate(codes).astype(np.uint8))
    ax.add_patch(PathPatch(path, facecolor=colour, edgecolor="none", zorder=zorder))


def _cmap(theme: Theme) -> ListedColormap:
    name, low, high = theme.cmap
    return ListedColormap(colormaps[name](np.linspace(low, high, 256)))


def _draw_cells(ax: Axes, cells: Cells, theme: Theme) -> tuple[LogNorm, ListedColormap] | None:
    """Demand cells as one image on their grid; uncovered ones coloured by weight (log)."""
    if not len(cells.x_m):
        return None
    size = cells.size_m
    col, row = (np.floor(v / size).astype(np.int64) for v in (cells.x_m, cells.y_m))
    c0, r0 = int(col.min()), int(row.min())
    image = np.zeros((int(row.max()) - r0 + 1, int(col.max()) - c0 + 1, 4), np.uint8)
    bar = None
    uncovered = cells.state == 0
    if uncovered.any():
        weight = cells.weight[uncovered]
        low, high = (float(v) for v in np.percentile(weight, [2.0, 99.5]))
        norm, cmap = LogNorm(low, max(high, low * 10), clip=True), _cmap(theme)
        image[row[uncovered] - r0, col[uncovered] - c0] = cmap(norm(weight), bytes=True)
        bar = (norm, cmap)
    for state, colour in ((1, theme.covered), (2, theme.new)):
        hit = cells.state == state
        image[row[hit] - r0, col[hit] - c0] = np.round(to_rgba_array(colour) * 255)
    box = (c0 * size, (c0 + image.shape[1]) * size, r0 * size, (r0 + image.shape[0]) * size)
    ax.imshow(image, extent=box, origin="lower", interpolation="nearest", zorder=1)
    return bar


def _draw_names(ax: Axes, districts: gpd.GeoDataFrame, theme: Theme, found: Fonts) -> None:
    """District names, or prefecture names when there are too many districts to read."""
    column = "district_name" if len(districts) <= MAX_LABELLED_DISTRICTS else "city_name"
    halo = [patheffects.withStroke(linewidth=2.5, foreground=theme.land)]
    for name, group in districts.groupby(column, sort=True):
        area = shapely.union_all(group.geometry.to_numpy())
        small = area.area < SMALL_DISTRICT_M2  # 东城区 and 西城区 would overlap
        point = shapely.point_on_surface(area)
        ax.text(
            point.x,
            point.y,
            found.clean(name),
            ha="center",
            va="center",
            color=theme.muted,
            fontproperties=found.prop(6.5 if small else 8.5),
            path_effects=halo,
            zorder=4.5,
            parse_math=False,
        )


def _draw_sites(ax: Axes, sites: pd.DataFrame, theme: Theme, found: Fonts) -> None:
    """Proposed sites: the top ranks as numbered discs, the rest as small triangles."""
    top = sites[sites["rank"] <= TOP_NUMBERED]
    rest = sites[sites["rank"] > TOP_NUMBERED]
    ax.scatter(
        rest["x_m"],
        rest["y_m"],
        s=14 if len(rest) < 500 else 5,
        marker="^",
        c=theme.site,
        edgecolors=theme.background,
        linewidths=0.3,
        zorder=5,
    )
    ax.scatter(
        top["x_m"],
        top["y_m"],
        s=140,
        c=theme.site,
        edgecolors=theme.background,
        linewidths=0.8,
        zorder=6,
    )
    for rank, x, y in zip(top["rank"], top["x_m"], top["y_m"], strict=True):
        ax.text(
            x,
            y,
            str(rank),
            ha="center",
            va="center",
            color=theme.background,
            fontproperties=found.prop(6.5, bold=True),
            zorder=7,
            parse_math=False,
        )


def _draw_scale_bar(
    ax: Axes,
    extent: tuple[float, float, float, float],
    theme: Theme,
    found: Fonts,
    text: dict[str, str],
) -> None:
    """A bar of a round number of kilometres, about a fifth of the map wide, bottom left."""
    x0, y0, x1, y1 = extent
    steps = [k for k in (1, 2, 5, 10, 20, 50, 100, 200, 500) if k * 1000 <= (x1 - x0) / 5]
    length = (steps[-1] if steps else 1) * 1000.0
    x, y = x0 + 0.02 * (x1 - x0), y0 + 0.02 * (y1 - y0)
    ax.add_patch(Rectangle((x, y), length, 0.006 * (y1 - y0), facecolor=theme.outline, zorder=6))
    ax.text(
        x + length / 2,
        y + 0.012 * (y1 - y0),
        found.clean(distance_text(length, text)),
        ha="center",
        va="bottom",
        color=theme.text,
        fontproperties=found.prop(9),
        zorder=6,
        parse_math=False,
    )
