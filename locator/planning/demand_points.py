"""User demand (:func:`from_points`): weighted points (delivery orders per location, say)
in CSV, XLSX, GeoJSON or GeoPackage, in WGS84, GCJ-02, BD-09 or an EPSG system, summed
into the grid of the default models (:mod:`locator.demand`). They are taken as given,
all or nothing: a bad row is reported with its row number and nothing is loaded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from locator import coords, schema
from locator.demand import (
    BEIJING_CELL_M,
    POINT_TOTALS,
    Demand,
    check_cell_size,
    demand_from_cells,
)
from locator.errors import CoordinateError, DataError
from locator.regions import Regions, load_regions
from locator.stations.limits import DEFAULT_LIMITS, ReadLimits
from locator.stations.readers import RawTable, read_raw
from locator.stations.validation import Report

WEIGHT_HEADERS = ("weight", "orders", "order_count", "count", "demand", "权重", "订单数", "订单量")
MAX_LISTED = 3


def _columns(raw: RawTable) -> tuple[str, str, str | None]:
    """Headers of the lon, lat and (optional) weight columns; DataError if lon/lat are missing."""
    found: dict[str, str] = {}
    for col in raw.cells.columns:
        field = schema.header_field(col)
        if field is None and schema.normalise_header(col) in WEIGHT_HEADERS:
            field = "weight"
        if field in ("lon", "lat", "weight") and field not in found:
            found[field] = col
    missing = [f for f in ("lon", "lat") if f not in found]
    if missing:
        raise DataError(
            f"{raw.name}: no {' or '.join(missing)} column; name them lon/lat "
            f"(or 经度/纬度), and the weight column one of {', '.join(WEIGHT_HEADERS)}."
        )
    return found["lon"], found["lat"], found.get("weight")


def _numbers(report: Report, column: str, message: str, *, minimum: float = -np.inf) -> np.ndarray:
    """Parse a column as numbers; report non-numbers and values below ``minimum``."""
    text = report.raw.cells[column]
    values = pd.to_numeric(text.str.strip(), errors="coerce").to_numpy(dtype=float)
    report.add(~(np.isfinite(values) & (values >= minimum)), column, text, "bad_demand", message)
    return values


def _raise_problems(report: Report) -> None:
    """Raise one DataError naming file, row, column and value of the first few problems."""
    problems = sorted(report.problems, key=lambda p: p.row)
    if problems:
        label, n = report.raw.row_label, len(problems)
        shown = [f"{label} {p.row}, column {p.column!r}: {p.message}" for p in problems]
        more = f" (and {n - MAX_LISTED} more)" if n > MAX_LISTED else ""
        text = "; ".join(shown[:MAX_LISTED]) + more
        raise DataError(f"{report.raw.name}: {text}", tuple(problems))


def _datum(raw: RawTable, crs: str | None) -> str:
    """The datum of the coordinates: ``crs`` if given, else the file's own, else WGS84."""
    if crs is not None:
        return coords.parse_crs(crs)
    try:
        return coords.parse_crs(coords.file_datum(raw.file_crs))
    except CoordinateError as exc:
        raise DataError(f"{raw.name}: {exc.message} Pass crs explicitly.") from exc


def _read_points(
    raw: RawTable, regions: Regions, crs: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """WGS84 lon, lat, weight and district row of every row; DataError on any bad row."""
    lon_col, lat_col, weight_col = _columns(raw)
    report = Report(raw)
    number = "{value!r} is not a number; give decimal degrees such as 116.397 / 39.909."
    x, y = (_numbers(report, col, number) for col in (lon_col, lat_col))
    weight = np.ones(len(raw.cells))
    if weight_col is not None:
        weight = _numbers(report, weight_col, "weight {value!r} is not a number >= 0.", minimum=0)
    _raise_problems(report)
    lon, lat = coords.to_wgs84(x, y, _datum(raw, crs))
    where = regions.locate(lon, lat)  # -1 outside, and for NaN
    pair = raw.cells[lon_col] + "," + raw.cells[lat_col]
    outside = f"{{value}} lies outside {','.join(regions.names)}; check the order and datum (crs)."
    report.add(where < 0, lon_col, pair, "outside_region", outside)
    _raise_problems(report)
    return lon, lat, weight, where


def from_points(
    path: Path,
    data_dir: Path,
    *,
    crs: str | None = None,
    cell_size_m: float = BEIJING_CELL_M,
    region: str = "beijing",
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Demand:
    """Sum weighted demand points (e.g. delivery orders per location) into grid cells.

    Reads CSV (UTF-8 or GBK), XLSX, GeoJSON or GeoPackage with lon/lat (or 经度/纬度 ...)
    and an optional weight column (``WEIGHT_HEADERS``; 1 per point without one). ``crs``
    (wgs84, gcj02, bd09, EPSG:nnnn) overrides the file's own CRS, else WGS84. All or
    nothing: a bad cell, or a point outside the ``region``'s districts, raises DataError
    naming the file, row, column and value. A cell keeps the district of its centre, or
    of its first point when the centre lies outside every district. The file is read
    within ``limits`` (TooLarge past one).
    """
    check_cell_size(cell_size_m)
    raw = read_raw(path, limits=limits)
    if raw.cells.empty:
        raise DataError(f"{raw.name}: the file has no demand points.")
    regions = load_regions(Path(data_dir), region)
    lon, lat, weight, where = _read_points(raw, regions, crs)
    x_m, y_m = coords.to_metric(lon, lat)
    snapped = np.floor(np.column_stack([x_m, y_m]) / cell_size_m).astype(np.int64)
    keys, first, inverse = np.unique(snapped, axis=0, return_index=True, return_inverse=True)
    cx_m, cy_m = (keys[:, 0] + 0.5) * cell_size_m, (keys[:, 1] + 0.5) * cell_size_m
    own = regions.locate(*coords.from_metric(cx_m, cy_m))
    own = np.where(own >= 0, own, where[first])
    cell_weight = np.bincount(inverse.ravel(), weights=weight, minlength=len(keys))
    text = (
        f"user demand from {raw.name}: {len(weight)} points in {len(keys)} cells "
        f"of {cell_size_m:g} m, as supplied; not modelled by locator."
    )
    return demand_from_cells(
        cx_m, cy_m, cell_weight, regions.districts.iloc[own], cell_size_m, text, POINT_TOTALS
    )
