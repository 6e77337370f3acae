"""What a print map shows and how it is asked for: the types every render module shares.

The bottom of :mod:`locator.render.sheet`: :class:`Scene` (everything one map shows, in Albers
metres), :class:`Cells`, :class:`MapStyle` (format, language, theme, width) and
:class:`Rendered` (the encoded image). No drawing here.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from locator.errors import BadQuery
from locator.stations.table import DatasetInfo

WIDTH_PX = 2400
WIDTH_RANGE_PX = (300, 9600)
FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
LANGS = ("zh", "en")


@dataclass(frozen=True)
class MapStyle:
    """How to draw: ``fmt`` png or svg, ``lang`` zh or en, ``dark``, and the PNG width."""

    fmt: str = "png"
    lang: str = "zh"
    dark: bool = False
    width_px: int = WIDTH_PX

    def __post_init__(self) -> None:
        if self.fmt not in FORMATS:
            raise BadQuery(f"format must be png or svg, got {self.fmt!r}.")
        if self.lang not in LANGS:
            raise BadQuery(f"lang must be zh or en, got {self.lang!r}.")
        low, high = WIDTH_RANGE_PX
        if not low <= self.width_px <= high:
            raise BadQuery(f"width_px must be between {low} and {high}, got {self.width_px}.")


@dataclass(frozen=True)
class Rendered:
    """The image: bytes, media type, language drawn (en when no CJK font) and size in px.

    For SVG, ``size_px`` is the size a viewer draws it at ``width_px`` wide.
    """

    body: bytes
    media_type: str
    lang: str
    size_px: tuple[int, int]
    seconds: float


@dataclass(frozen=True)
class Cells:
    """Demand cells in Albers metres; ``state`` 0 uncovered, 1 covered, 2 newly covered."""

    x_m: np.ndarray
    y_m: np.ndarray
    weight: np.ndarray
    state: np.ndarray
    size_m: float


@dataclass(frozen=True)
class Scene:
    """Everything one map shows, in Albers metres; a plan map when ``sites`` is given.

    ``buffers`` are the (covered, newly covered) areas, drawn when only the uncovered
    cells are known (a plan from uploaded demand).
    """

    region: str
    kind: str
    amenities: tuple[str, ...]
    radius_m: float
    districts: gpd.GeoDataFrame
    stations_xy: np.ndarray
    cells: Cells
    share_before: float
    modelled: bool
    dataset: DatasetInfo
    sites: pd.DataFrame | None = None  # rank, x_m, y_m
    share_after: float = float("nan")
    gap: float = float("nan")
    buffers: tuple[shapely.Geometry | None, shapely.Geometry | None] = (None, None)
