"""The sheet of a print map, drawn with matplotlib: title, map, legend, colour bar, notes.

The sheet is :data:`FIG_WIDTH_IN` inches wide and as tall as the region's shape needs
(header, map, then a footer of legend, colour bar and one line per note). Each sheet is
its own ``Figure`` on an Agg canvas, never pyplot's, so several threads may draw at
once. The map itself is :func:`locator.render.layers.draw_map`'s. Every text is passed
through :meth:`~locator.render.style.Fonts.clean` and drawn with mathtext off.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import ListedColormap, LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from locator.render.layers import TOP_NUMBERED, draw_map, station_size
from locator.render.scene import MapStyle, Scene
from locator.render.style import (
    TEXT,
    THEMES,
    Fonts,
    Theme,
    distance_text,
    footer_lines,
    station_colour,
    subtitle,
    title,
)

FIG_WIDTH_IN = 12.0
MARGIN_IN, HEADER_IN, LEGEND_IN, LINE_IN = 0.35, 1.05, 0.9, 0.21


def figure(scene: Scene, style: MapStyle, found: Fonts, lang: str) -> Figure:
    """The whole sheet: title, map, legend, colour bar, notes and sources."""
    theme, text, width = THEMES[style.dark], TEXT[lang], FIG_WIDTH_IN
    x0, y0, x1, y1 = extent = _extent(scene.districts)
    map_w = width - 2 * MARGIN_IN
    map_h = map_w * (y1 - y0) / (x1 - x0)
    lines = footer_lines(scene, lang)
    footer = LEGEND_IN + LINE_IN * len(lines) + MARGIN_IN
    height = HEADER_IN + map_h + footer
    dpi = (style.width_px + 1e-6) / width  # so that int(width * dpi) is width_px exactly
    fig = Figure((width, height), dpi=dpi, facecolor=theme.background)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((MARGIN_IN / width, footer / height, map_w / width, map_h / height))
    bar = draw_map(ax, scene, theme, found, text, extent)
    left = MARGIN_IN / width
    for y_in, line, size, colour, bold in (
        (0.28, title(scene, lang), 19.0, theme.text, True),
        (0.72, subtitle(scene, lang), 11.0, theme.muted, False),
    ):
        fig.text(
            left,
            1 - y_in / height,
            found.clean(line),
            color=colour,
            va="top",
            fontproperties=found.prop(size, bold),
            parse_math=False,
        )
    _draw_legend(fig, scene, theme, found, text, (footer - 0.12) / height)
    if bar is not None:
        rect = (0.62, (footer - 0.55) / height, 0.38 - left, 0.13 / height)
        label = text["colorbar"].format(distance_text(scene.cells.size_m, text))
        _draw_colorbar(fig, bar, rect, theme, found, label)
    for i, (line, colour, bold) in enumerate(lines):
        y = (MARGIN_IN + LINE_IN * (len(lines) - 1 - i)) / height
        fig.text(
            left,
            y,
            found.clean(line),
            color=getattr(theme, colour),
            fontproperties=found.prop(9.0, bold),
            parse_math=False,
        )
    return fig


def _extent(districts: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in districts.total_bounds)
    pad = 0.03 * max(x1 - x0, y1 - y0)
    return x0 - pad, y0 - pad, x1 + pad, y1 + pad


def _draw_legend(
    fig: Figure, scene: Scene, theme: Theme, found: Fonts, text: dict[str, str], top: float
) -> None:
    radius = distance_text(scene.radius_m, text)
    station = max(float(np.sqrt(station_size(len(scene.stations_xy)))), 4.0)
    handles = [
        Line2D([], [], color=theme.boundary, linewidth=1.0, label=text["boundary"]),
        Line2D(
            [],
            [],
            linestyle="",
            marker="o",
            markersize=station,
            markerfacecolor=station_colour(scene.kind),
            markeredgewidth=0,
            label=text["stations"].format(len(scene.stations_xy)),
        ),
        Patch(facecolor=theme.covered, label=text["covered"].format(radius)),
    ]
    if scene.sites is not None:
        handles += [
            Patch(facecolor=theme.new, label=text["new"]),
            Line2D(
                [],
                [],
                linestyle="",
                marker="o",
                markersize=10,
                markerfacecolor=theme.site,
                markeredgecolor=theme.background,
                label=text["sites"].format(len(scene.sites), TOP_NUMBERED),
            ),
        ]
    for handle in handles:
        handle.set_label(found.clean(handle.get_label()))
    fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(MARGIN_IN / FIG_WIDTH_IN, top),
        ncol=2,
        frameon=False,
        prop=found.prop(9.5),
        labelcolor=theme.text,
        borderaxespad=0,
        handlelength=1.5,
        columnspacing=1.5,
    )


def _draw_colorbar(
    fig: Figure,
    bar: tuple[LogNorm, ListedColormap],
    rect: tuple[float, float, float, float],
    theme: Theme,
    found: Fonts,
    label: str,
) -> None:
    cax = fig.add_axes(rect)
    colorbar = fig.colorbar(
        ScalarMappable(norm=bar[0], cmap=bar[1]), cax=cax, orientation="horizontal"
    )
    colorbar.outline.set_edgecolor(theme.muted)
    cax.tick_params(which="both", colors=theme.muted, labelcolor=theme.text, labelsize=8)
    cax.set_title(
        found.clean(label),
        loc="left",
        color=theme.text,
        pad=4,
        fontproperties=found.prop(9),
        parse_math=False,
    )
