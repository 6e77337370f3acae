"""One layer of features read from a GeoJSON or GeoPackage file, and its cell text.

Both vector readers (:mod:`locator.stations.geojson`, :mod:`locator.stations.gpkg`)
return a :class:`Layer`: the properties as text cells, one shapely geometry (or None)
per feature, and the file's own CRS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from locator.errors import DataError
from locator.schema import header_field
from locator.stations.limits import ReadLimits, limit_error


@dataclass(frozen=True)
class Layer:
    """Features of one file: text properties, geometries (object array) and CRS name."""

    name: str
    properties: pd.DataFrame
    geometry: np.ndarray
    crs: str | None

    def __len__(self) -> int:
        return len(self.geometry)

    def require_geometry(self, what: str) -> None:
        """DataError when no feature has a geometry; ``what`` says what was expected."""
        if len(self) and shapely.is_missing(self.geometry).all():
            raise DataError(f"{self.name}: no feature has a geometry; {what}.")


def cell_text(value: object) -> str:
    """A cell as text: "" for None, NaN and NaT, whole floats without ".0", bools as true/false."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def check_shape(name: str, limits: ReadLimits, rows: int, columns: int) -> None:
    """TooLarge when ``rows`` x ``columns`` exceeds the row, column or cell limit."""
    if rows > limits.max_rows:
        raise limit_error(name, limits, "max_rows", f"the file has {rows:,} rows")
    if columns > limits.max_columns:
        raise limit_error(name, limits, "max_columns", f"the file has {columns:,} columns")
    if rows * columns > limits.max_cells:
        raise limit_error(name, limits, "max_cells", f"the file has {rows * columns:,} cells")


def point_cells(layer: Layer) -> pd.DataFrame:
    """The properties with ``lon`` and ``lat`` text columns from Point geometries.

    A layer without any geometry is taken as a table if it has lon and lat columns;
    otherwise, and when some geometry is not a Point, DataError names the problem.
    """
    cells = layer.properties.copy()
    geoms = layer.geometry
    present = ~shapely.is_missing(geoms)
    if not present.any():
        fields = {header_field(c) for c in cells.columns}
        if len(cells) and not {"lon", "lat"} <= fields:
            raise DataError(
                f"{layer.name}: no feature has a geometry (and there are no lon/lat "
                "columns); stations and points must be Point features."
            )
        return cells
    other = np.flatnonzero(present & (shapely.get_type_id(geoms) != 0))
    if len(other):
        shown = ", ".join(str(i + 1) for i in other[:3])
        raise DataError(
            f"{layer.name}: stations and points must be Point features; feature(s) {shown}"
            f"{' and more' if len(other) > 3 else ''} are not."
        )
    cells["lon"] = [cell_text(v) for v in shapely.get_x(geoms).tolist()]
    cells["lat"] = [cell_text(v) for v in shapely.get_y(geoms).tolist()]
    return cells
