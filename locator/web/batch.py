"""The points of ``POST /api/v1/nearest/batch`` in, and its answer out as a stream.

Points come as a JSON array (``[lon, lat]`` pairs or ``{lon, lat, id}`` objects, checked
item by item by :func:`locator.params.parse_point_list`), an object with ``points`` and
options, or a CSV (a ``text/csv`` body or a multipart ``file``) with lon and lat columns.
The body may be at most ``MAX_BATCH_BODY_BYTES`` (413 beyond). The answer, JSON or CSV, is
written ``CHUNK_POINTS`` points at a time from the result arrays, so what it holds in
memory is those arrays, not a Python object per row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from flask import request

from locator import caveats, params, schema
from locator.errors import BadQuery
from locator.spreadsheet import safe_cell
from locator.web.bodies import json_body, limit_body
from locator.web.serialise import dumps

MAX_BATCH_BODY_BYTES = 8 * 2**20  # 100,000 points with ids is about 5 MB of JSON
CHUNK_POINTS = 5_000
CSV_HEADER = ("point", "rank", "station_id", "distance_m", caveats.CSV_COLUMN)


@dataclass(frozen=True)
class BatchPoints:
    """WGS84-or-``crs`` degrees as sent, the points' ids (None: their index) and the options
    (query string, overridden by the JSON object's other keys)."""

    lon: np.ndarray
    lat: np.ndarray
    ids: list[str] | None
    options: dict[str, Any]


@dataclass(frozen=True)
class BatchResult:
    """``rows[i, r]``: the table row of point i's (r+1)-th nearest station, -1 for none."""

    labels: list[str] | None
    rows: np.ndarray
    dist_m: np.ndarray
    station_ids: np.ndarray

    def label(self, i: int) -> str:
        return self.labels[i] if self.labels is not None else str(i)


def read_points() -> BatchPoints:
    """The points and options of this request; BadQuery (400) names a bad point."""
    limit_body(MAX_BATCH_BODY_BYTES)
    upload = request.files.get("file")
    if upload is not None or request.mimetype in ("text/csv", "text/plain"):
        raw = upload.read() if upload is not None else request.get_data()
        return BatchPoints(*_points_from_csv(raw), dict(request.args))
    body = json_body()
    options: dict[str, Any] = dict(request.args)
    if isinstance(body, dict):
        options.update({k: v for k, v in body.items() if k != "points"})
        body = body.get("points")
    if not isinstance(body, list):
        raise BadQuery(
            "send a JSON array of points ([lon, lat] or {lon, lat, id}), "
            "an object with 'points', or a CSV file with lon and lat columns."
        )
    lon, lat, ids = params.parse_point_list(body)
    _check_ranges(lon, lat, lon, lat, first_row=0)
    return BatchPoints(lon, lat, ids, options)


def _points_from_csv(raw: bytes) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    from locator.stations.readers import decode_text

    try:
        frame = pd.read_csv(
            io.StringIO(decode_text(raw, "upload")), dtype=str, keep_default_na=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError):
        raise BadQuery("the uploaded file is not a readable CSV.") from None
    names = {schema.header_field(c): c for c in frame.columns}
    if "lon" not in names or "lat" not in names:
        raise BadQuery("the CSV needs lon and lat columns (or 经度 and 纬度).")
    ids = frame[names["id"]].tolist() if "id" in names else None
    lon, lat = frame[names["lon"]], frame[names["lat"]]
    x = pd.to_numeric(lon, errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(lat, errors="coerce").to_numpy(dtype=float)
    _check_ranges(x, y, lon.to_numpy(), lat.to_numpy(), first_row=2)
    return x, y, ids


def _check_ranges(
    x: np.ndarray, y: np.ndarray, lon: np.ndarray, lat: np.ndarray, first_row: int
) -> None:
    """BadQuery naming the first point that is not a finite lon/lat in range, by its row
    (CSV, ``first_row`` is the first data row's number) or index (JSON)."""
    bad = ~(np.isfinite(x) & np.isfinite(y) & (np.abs(x) <= 180) & (np.abs(y) <= 90))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        where = f"row {i + first_row}" if first_row else f"point {i}"
        raise BadQuery(
            f"{where}: lon {params.shown(lon[i])}, lat {params.shown(lat[i])} is not a valid "
            f"coordinate ({int(bad.sum())} bad point(s) in all)."
        )


def _records(result: BatchResult, start: int, stop: int) -> Iterator[tuple[str, int, Any, Any]]:
    """(point, rank, station id or None, distance in metres or None) of points start..stop."""
    for i in range(start, stop):
        label = result.label(i)
        for r in range(result.rows.shape[1]):
            row = int(result.rows[i, r])
            if row < 0:
                yield label, r + 1, None, None
            else:
                yield label, r + 1, str(result.station_ids[row]), float(result.dist_m[i, r])


def json_chunks(result: BatchResult, head: dict[str, Any]) -> Iterator[str]:
    """``{**head, "results": [{point, rank, station_id, distance_m}, ...]}`` in pieces."""
    opening = dumps(head)
    yield opening[:-1] + (',"results":[' if head else '"results":[')
    n = len(result.rows)
    for start in range(0, n, CHUNK_POINTS):
        items = [
            {
                "point": p,
                "rank": r,
                "station_id": s,
                "distance_m": None if d is None else round(d, 1),
            }
            for p, r, s, d in _records(result, start, min(start + CHUNK_POINTS, n))
        ]
        yield ("," if start else "") + dumps(items)[1:-1]
    yield "]}"


def csv_chunks(result: BatchResult, *, synthetic_stations: bool) -> Iterator[str]:
    """The CSV answer (point labels and ids made safe for spreadsheets) in pieces; the last
    column says ``stations synthetic`` on every row when the served stations are."""
    caveat = caveats.csv_cell(caveats.caveats_of(synthetic_stations=synthetic_stations))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    n = len(result.rows)
    for start in range(0, n, CHUNK_POINTS):
        for p, r, s, d in _records(result, start, min(start + CHUNK_POINTS, n)):
            writer.writerow(
                [
                    safe_cell(p),
                    r,
                    "" if s is None else safe_cell(s),
                    "" if d is None else f"{d:.1f}",
                    caveat,
                ]
            )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
