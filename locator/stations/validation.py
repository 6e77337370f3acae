"""Turn a file's text cells into canonical station rows, reporting every problem.

:func:`parse_stations` never drops a row silently: each rejected row yields a
:class:`Problem` with the file, row number, column and value, and a message
that says what to do. Problems are errors (the file cannot be imported) or
warnings (imported, but look at it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from locator import amenities, coords, schema
from locator.errors import CoordinateError
from locator.regions import Regions
from locator.stations.checks import (
    check_amenities,
    check_duplicates,
    check_opening_hours,
    fill_ids,
)
from locator.stations.limits import excerpt
from locator.stations.readers import RawTable

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Problem:
    """One finding about one cell (row 0 means the whole file, e.g. a missing column).

    ``file`` is the file's name; ``column`` and ``value`` are short excerpts (at most
    ``EXCERPT_CHARS`` characters, control characters escaped).
    """

    file: str
    row: int
    column: str
    value: str
    code: str
    message: str
    severity: str = ERROR

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def __str__(self) -> str:
        where = f"{self.file}:{self.row}" if self.row else self.file
        col = f" [{self.column}={self.value!r}]" if self.column else ""
        return f"{where}{col} {self.severity}: {self.message}"


@dataclass(frozen=True)
class ParseResult:
    """Canonical station rows (only rows without errors) and every problem found."""

    stations: pd.DataFrame
    problems: tuple[Problem, ...] = field(default=())

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == ERROR)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == WARNING)


class Report:
    """Collects problems for one file; ``bad`` marks rows that have an error."""

    def __init__(self, raw: RawTable) -> None:
        self.raw = raw
        self.problems: list[Problem] = []
        self.bad = np.zeros(len(raw.cells), dtype=bool)

    def add(
        self,
        rows: Any,
        column: str,
        values: object,
        code: str,
        message: str,
        severity: str = ERROR,
    ) -> None:
        """Record ``code`` for each position in ``rows`` (a boolean mask or indices)."""
        idx = np.flatnonzero(rows) if np.asarray(rows).dtype == bool else np.asarray(rows)
        vals = np.broadcast_to(np.asarray(values, dtype=object), (len(self.raw.cells),))
        for i in idx:
            value = excerpt(vals[i])  # a cell reaches a message only as a short excerpt
            text = message.format(value=value) if "{value" in message else message
            self.problems.append(
                Problem(
                    self.raw.name,
                    int(self.raw.row_numbers[i]),
                    excerpt(column),
                    value,
                    code,
                    text,
                    severity,
                )
            )
        if severity == ERROR:
            self.bad[idx] = True

    def file_error(self, column: str, code: str, message: str) -> None:
        self.problems.append(Problem(self.raw.name, 0, excerpt(column), "", code, message))


def map_columns(raw: RawTable) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Match headers to schema fields and amenity keys; return (fields, amenity cols, ignored)."""
    fields: dict[str, str] = {}
    amenity_cols: dict[str, str] = {}
    ignored: list[str] = []
    for col in raw.cells.columns:
        name = schema.header_field(col)
        key = None if name else amenities.header_key(col)
        if name and name not in fields:
            fields[name] = col
        elif key and key not in amenity_cols:
            amenity_cols[key] = col
        else:
            ignored.append(col)
    return fields, amenity_cols, ignored


def parse_stations(
    raw: RawTable, regions: Regions, *, kind: str | None = None, crs: str | None = None
) -> ParseResult:
    """Validate ``raw`` and build canonical rows in WGS84.

    ``kind`` applies to rows without a kind column; ``crs`` (wgs84, gcj02, bd09
    or EPSG:nnnn) is the file's datum unless a row gives its own in a ``crs``
    column. Without either, a GeoPackage's own CRS is used, else WGS84.
    """
    report = Report(raw)
    fields, amenity_cols, ignored = map_columns(raw)
    for col in ignored:
        report.problems.append(
            Problem(
                raw.name,
                0,
                excerpt(col),
                "",
                "ignored_column",
                f"column {excerpt(col)!r} matches no station field or amenity "
                "and was not imported; rename it if it holds data.",
                WARNING,
            )
        )
    missing = [f for f in schema.REQUIRED if f not in fields]
    if "kind" not in fields and kind is None:
        missing.append("kind")
    for f in missing:
        report.file_error(
            f,
            "missing_column",
            f"required column {f!r} is missing; add it (accepted headers include "
            f"{', '.join(schema._HEADER_ALIASES[f][:4])})"
            + (" or pass --kind." if f == "kind" else "."),
        )
    if missing:
        return ParseResult(
            pd.DataFrame(columns=list(schema.FIELDS) + list(amenities.KEYS)), tuple(report.problems)
        )
    text = {f: raw.cells[c].str.strip() for f, c in fields.items()}
    out = pd.DataFrame({f: text.get(f, "") for f in schema.FIELDS})
    default_crs = crs or coords.file_datum(raw.file_crs)
    lon, lat, where = _coordinates(report, fields, text, regions, default_crs=default_crs)
    out["lon"], out["lat"] = np.round(lon, 7), np.round(lat, 7)
    _fill_admin(out, regions, where)
    _check_kind(report, out, fields, kind)
    blank = out["name"] == ""
    report.add(blank, fields["name"], "", "missing_value", "the station has no name; fill it in.")
    fill_ids(report, out, fields.get("id"))
    check_amenities(report, out, raw.cells, amenity_cols, fields.get(schema.AMENITY_TEXT))
    check_opening_hours(report, out, fields.get("opening_hours"))
    check_duplicates(report, out, fields["name"])
    problems = tuple(sorted(report.problems, key=lambda p: (p.row, p.severity != ERROR)))
    return ParseResult(out[~report.bad].reset_index(drop=True), problems)


GEOGRAPHIC = ("wgs84", "gcj02", "bd09")


def _coordinates(
    report: Report,
    fields: dict[str, str],
    col: dict[str, pd.Series],
    regions: Regions,
    default_crs: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse, check and convert coordinates.

    Returns WGS84 lon, lat (NaN for rejected rows) and the row of
    ``regions.districts`` each point lies in (-1 for none).
    """
    lon_raw, lat_raw = col["lon"], col["lat"]
    pair = lon_raw + "," + lat_raw
    x = pd.to_numeric(lon_raw, errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(lat_raw, errors="coerce").to_numpy(dtype=float)
    for values, name, arr in ((lon_raw, "lon", x), (lat_raw, "lat", y)):
        report.add(
            ~np.isfinite(arr),
            fields[name],
            values,
            "bad_coordinate",
            "{value!r} is not a number; give decimal degrees such as 116.397 / 39.909.",
        )
    datum = _row_datums(report, fields, col, default_crs)
    ok = np.isfinite(x) & np.isfinite(y) & ~report.bad
    degrees = ok & np.isin(datum, GEOGRAPHIC)
    swapped = degrees & ~coords.in_china(x, y) & coords.in_china(y, x)
    for i in np.flatnonzero(swapped):
        report.add(
            [i],
            fields["lon"],
            pair,
            "swapped_lat_lon",
            f"longitude and latitude look swapped (lon={x[i]}, lat={y[i]}); "
            f"swap the columns: lon={y[i]}, lat={x[i]}.",
        )
    out_of_range = degrees & ~swapped & ((np.abs(x) > 180) | (np.abs(y) > 90))
    report.add(
        out_of_range,
        fields["lon"],
        pair,
        "out_of_range",
        "{value} is out of range: longitude must be in -180..180 and latitude in -90..90.",
    )
    ok &= ~swapped & ~out_of_range
    lon, lat = np.full(len(x), np.nan), np.full(len(x), np.nan)
    for name in pd.unique(datum[ok]):
        rows = ok & (datum == name)
        lon[rows], lat[rows] = coords.to_wgs84(x[rows], y[rows], name)
    outside = ok & ~coords.in_china(lon, lat)
    report.add(
        outside,
        fields["lon"],
        pair,
        "outside_china",
        "{value} lies outside China; check the coordinates, their order (lon, lat) "
        "and their coordinate system (--crs).",
    )
    ok &= ~outside
    where = np.where(ok, regions.locate(np.where(ok, lon, 0.0), np.where(ok, lat, 0.0)), -1)
    report.add(
        ok & (where < 0),
        fields["lon"],
        pair,
        "outside_region",
        f"{{value}} lies outside the configured region ({','.join(regions.names)}); "
        "check the coordinates, their datum (--crs) or the LOCATOR_REGION setting.",
    )
    lon[~ok], lat[~ok] = np.nan, np.nan
    return lon, lat, where


def _row_datums(
    report: Report, fields: dict[str, str], col: dict[str, pd.Series], default_crs: str
) -> np.ndarray:
    """Canonical datum name for each row: its own ``crs`` cell, else the file's."""
    default = coords.parse_crs(default_crs)
    if schema.ROW_CRS not in fields:
        return np.full(len(col["lon"]), default, dtype=object)
    cells = col[schema.ROW_CRS]
    names: dict[str, str | None] = {}
    for text in pd.unique(cells):
        try:
            names[text] = coords.parse_crs(text) if text else default
        except CoordinateError:
            names[text] = None
    datum = cells.map(names).to_numpy(dtype=object)
    report.add(
        pd.isna(datum),
        fields[schema.ROW_CRS],
        cells,
        "bad_crs",
        "unknown coordinate system {value!r}; use wgs84, gcj02, bd09 or EPSG:nnnn.",
    )
    return datum


def _fill_admin(out: pd.DataFrame, regions: Regions, where: np.ndarray) -> None:
    """Fill blank province/city/district fields from the polygon each point lies in."""
    blank = (where >= 0) & (out["district_adcode"] == "").to_numpy()
    if blank.any():
        source = regions.districts.iloc[where[blank]]
        for name in schema.ADMIN_FIELDS:
            out.loc[blank, name] = source[name].astype(str).to_numpy()


def _check_kind(
    report: Report, out: pd.DataFrame, fields: dict[str, str], kind: str | None
) -> None:
    default = schema.parse_kind(kind) if kind else None
    if kind and default is None:
        report.file_error(
            "kind", "bad_kind", f"unknown kind {kind!r}; use {' or '.join(schema.KINDS)}."
        )
        report.bad[:] = True
        return
    cells = out["kind"]
    parsed = cells.map({v: schema.parse_kind(v) if v else default for v in pd.unique(cells)})
    report.add(
        parsed.isna().to_numpy(),
        fields.get("kind", "kind"),
        cells,
        "bad_kind",
        "unknown kind {value!r}; use warm_heart (暖心驿站) or driver_home (司机之家).",
    )
    out["kind"] = parsed.fillna("")
