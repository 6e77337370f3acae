"""Search endpoints: nearest stations, batch nearest, and stations along a route."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from flask import Blueprint, Response, request

from locator import coords, params, schema
from locator.errors import BadQuery
from locator.index import along_route
from locator.route import parse_route
from locator.spreadsheet import safe_cell
from locator.web import serialise
from locator.web.state import state

bp = Blueprint("search", __name__, url_prefix="/api/v1")

MAX_K = 100
MAX_BATCH_K = 10
MAX_BATCH_POINTS = 100_000
MAX_SEARCH_RADIUS_M = 500_000
MAX_CORRIDOR_M = 50_000


@bp.get("/nearest")
def nearest() -> Any:
    """The k nearest stations to a point, sorted by ellipsoidal distance.
    ---
    get:
      summary: Nearest stations (GeoJSON FeatureCollection)
      parameters:
        - {name: lat, in: query, required: true, schema: {type: number, minimum: -90, maximum: 90},
           example: 39.91}
        - {name: lon, in: query, required: true,
           schema: {type: number, minimum: -180, maximum: 180}, example: 116.42}
        - crs
        - {name: k, in: query, schema: {type: integer, minimum: 1, maximum: 100, default: 5},
           example: 3}
        - kind
        - amenities
        - {name: include_unknown, in: query, schema: {type: boolean, default: false},
           description: 'an amenity of unknown presence matches too'}
        - {name: open_at, in: query, schema: {type: string}, example: '2024-05-01T21:30',
           description: 'ISO 8601 (naive = Beijing time) or now; drops stations closed then,
             keeps unknown hours (flagged open_now=unknown)'}
        - {name: radius_m, in: query, example: 5000,
           schema: {type: number, minimum: 0, exclusiveMinimum: true, maximum: 500000},
           description: 'only stations within this distance (metres, at most 500 km)'}
      responses:
        200:
          description: 'FeatureCollection nearest first, with numberMatched (stations passing
            the filters, within radius_m if given), numberReturned and the query; each
            feature has distance_m, bearing_deg, open_now, travel estimates and links'
          content:
            application/json:
              schema: Stations
              example:
                type: FeatureCollection
                numberMatched: 3
                numberReturned: 1
                query: {lon: 116.42, lat: 39.91, k: 1, radius_m: null}
                features:
                  - type: Feature
                    id: t1
                    geometry: {type: Point, coordinates: [116.418, 39.913]}
                    properties: {id: t1, name: 东单驿站, kind: warm_heart, distance_m: 380.2,
                                 bearing_deg: 332.1, open_now: 'yes'}
        400: {description: 'bad parameter (NaN, out of range, k=0, k>100, unknown amenity, ...)',
              content: {application/json: {schema: Error}}}
    """
    args = request.args.to_dict()  # a plain dict: a missing key costs no exception
    lon, lat = params.parse_point(args.get("lon"), args.get("lat"), args.get("crs"))
    k = params.parse_int("k", args.get("k"), 5, 1, MAX_K)
    radius_m = params.parse_positive("radius_m", args.get("radius_m"), MAX_SEARCH_RADIUS_M)
    filters = params.parse_filters(args)
    st = state()
    found = st.index.nearest(lon, lat, k, filters, radius_m=radius_m)
    query = {"lon": lon, "lat": lat, "k": k, "radius_m": radius_m}
    return Response(serialise.nearest_json(st.writer, found, query), mimetype="application/json")


def _points_from_request() -> tuple[np.ndarray, np.ndarray, list[str] | None, dict[str, Any]]:
    """(lon, lat, ids, options) from a JSON body or a CSV upload; options hold the filters."""
    upload = request.files.get("file")
    if upload is not None or request.mimetype in ("text/csv", "text/plain"):
        raw = upload.read() if upload is not None else request.get_data()
        return (*_points_from_csv(raw), dict(request.args))
    body = request.get_json(silent=True)
    options: dict[str, Any] = dict(request.args)
    if isinstance(body, dict):
        options.update({k: v for k, v in body.items() if k != "points"})
        body = body.get("points")
    if not isinstance(body, list):
        raise BadQuery(
            "send a JSON array of points ([lon, lat] or {lon, lat, id}), "
            "an object with 'points', or a CSV file with lon and lat columns."
        )
    if body and isinstance(body[0], dict):
        frame = pd.DataFrame(body)
        if not {"lon", "lat"} <= set(frame.columns):
            raise BadQuery("each point object needs lon and lat.")
        ids = frame["id"].astype(str).tolist() if "id" in frame else None
        return (*_numbers(frame["lon"], frame["lat"], first_row=0), ids, options)
    try:
        pairs = np.asarray(body, dtype=float).reshape(-1, 2)
    except (TypeError, ValueError):
        raise BadQuery("points must be [lon, lat] number pairs.") from None
    return (*_numbers(pd.Series(pairs[:, 0]), pd.Series(pairs[:, 1]), first_row=0), None, options)


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
    return (*_numbers(frame[names["lon"]], frame[names["lat"]], first_row=2), ids)


def _numbers(lon: pd.Series, lat: pd.Series, first_row: int) -> tuple[np.ndarray, np.ndarray]:
    """Numeric lon/lat; the first bad one is reported by its row (CSV) or index (JSON)."""
    x = pd.to_numeric(lon, errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(lat, errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(x) & np.isfinite(y) & (np.abs(x) <= 180) & (np.abs(y) <= 90))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        where = f"row {i + first_row}" if first_row else f"point {i}"
        raise BadQuery(
            f"{where}: lon {lon.iloc[i]!r}, lat {lat.iloc[i]!r} is not a valid "
            f"coordinate ({int(bad.sum())} bad point(s) in all)."
        )
    return x, y


@bp.post("/nearest/batch")
def nearest_batch() -> Any:
    """Nearest station for up to 100,000 points, as JSON or streamed CSV.
    ---
    post:
      summary: Batch nearest station
      description: 'Body: a JSON array of [lon, lat] or {lon, lat, id}; or {"points": [...],
        "k": 1, "kind": ..., "amenities": [...], "crs": "wgs84"}; or a CSV (text/csv body or
        multipart field "file") with lon/lat (or 经度/纬度) and optional id columns. Opening
        hours are not applied.'
      parameters:
        - {name: format, in: query, schema: {type: string, enum: [json, csv], default: json},
           description: 'csv streams the rows (so does Accept: text/csv)'}
        - {name: k, in: query, schema: {type: integer, minimum: 1, maximum: 10, default: 1},
           description: 'stations per point, at most 10'}
        - crs
        - kind
        - amenities
        - {name: include_unknown, in: query, schema: {type: boolean, default: false}}
      requestBody:
        required: true
        description: 'from 1 to 100,000 points; options in the body override the query'
        content:
          application/json:
            schema:
              oneOf:
                - &points
                  oneOf:
                    - type: array
                      minItems: 1
                      maxItems: 100000
                      items: {type: array, items: {type: number}, minItems: 2, maxItems: 2,
                              description: '[lon, lat]'}
                    - type: array
                      minItems: 1
                      maxItems: 100000
                      items:
                        type: object
                        required: [lon, lat]
                        properties:
                          lon: {type: number, minimum: -180, maximum: 180}
                          lat: {type: number, minimum: -90, maximum: 90}
                          id: {type: string}
                - type: object
                  required: [points]
                  properties:
                    points: *points
                    k: {type: integer, minimum: 1, maximum: 10, default: 1}
                    crs: {type: string, enum: [wgs84, gcj02, bd09], default: wgs84}
                    kind: Kind
                    amenities: {type: array, items: {type: string}}
                    include_unknown: {type: boolean, default: false}
                    format: {type: string, enum: [json, csv], default: json}
            examples:
              pairs: {summary: '[lon, lat] pairs', value: [[116.4, 39.9], [116.46, 39.91]]}
              objects:
                summary: 'points with ids, and options'
                value: {points: [{id: home, lon: 116.4, lat: 39.9}], k: 2,
                        kind: warm_heart, amenities: [toilet]}
          text/csv:
            schema: {type: string, description: 'a CSV with lon and lat (or 经度 and 纬度)
              columns and an optional id column'}
            example: |
              id,lon,lat
              home,116.4,39.9
              work,116.46,39.91
          multipart/form-data:
            schema:
              type: object
              required: [file]
              properties:
                file: {type: string, format: binary, description: 'the CSV, as for text/csv'}
            example:
              file: |
                id,lon,lat
                home,116.4,39.9
      responses:
        200:
          description: 'one row per point and rank: point (its id, else its index), rank,
            station_id and distance_m (null when no station passes the filters)'
          content:
            application/json:
              schema:
                type: object
                required: [numberReturned, results]
                properties:
                  numberReturned: {type: integer, minimum: 1}
                  dataset: Dataset
                  results:
                    type: array
                    items:
                      type: object
                      required: [point, rank, station_id, distance_m]
                      properties:
                        point: {type: string}
                        rank: {type: integer, minimum: 1}
                        station_id: {type: string, nullable: true}
                        distance_m: {type: number, minimum: 0, nullable: true}
              example:
                numberReturned: 1
                results: [{point: home, rank: 1, station_id: t1, distance_m: 2071.3}]
            text/csv:
              schema: {type: string}
              example: |
                point,rank,station_id,distance_m
                home,1,t1,2071.3
        400: {description: 'bad body, a bad point (named by row), or too many points',
              content: {application/json: {schema: Error}}}
        405: MethodNotAllowed
        422: {description: 'the CSV is not text (UTF-8 or GBK/GB18030)',
              content: {application/json: {schema: Error}}}
        413: PayloadTooLarge
        429: TooManyRequests
        503: ServiceUnavailable
    """
    lon, lat, ids, options = _points_from_request()
    if len(lon) == 0 or len(lon) > MAX_BATCH_POINTS:
        raise BadQuery(f"send between 1 and {MAX_BATCH_POINTS:,} points, got {len(lon):,}.")
    k = params.parse_int("k", params.text(options.get("k")), 1, 1, MAX_BATCH_K)
    datum = str(options.get("crs") or "wgs84").lower()
    if datum not in params.POINT_DATUMS:
        raise BadQuery(f"crs must be one of {', '.join(params.POINT_DATUMS)}, got {datum!r}.")
    filters = params.parse_filters({**options, "open_at": None})
    lon, lat = coords.to_wgs84(lon, lat, datum)
    st = state()
    rows, dist = st.index.nearest_many(lon, lat, k, filters)
    station_ids = st.table.frame["id"].to_numpy()
    labels = ids or [str(i) for i in range(len(lon))]
    if options.get("format") == "csv" or request.accept_mimetypes.best == "text/csv":
        return Response(_csv_rows(labels, rows, dist, station_ids), mimetype="text/csv")
    return {
        "numberReturned": len(lon),
        "dataset": st.dataset,
        "results": [
            {
                "point": labels[i],
                "rank": r + 1,
                "station_id": None if rows[i, r] < 0 else str(station_ids[rows[i, r]]),
                "distance_m": None if rows[i, r] < 0 else round(float(dist[i, r]), 1),
            }
            for i in range(len(lon))
            for r in range(k)
        ],
    }


def _csv_rows(
    labels: list[str], rows: np.ndarray, dist: np.ndarray, station_ids: np.ndarray
) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["point", "rank", "station_id", "distance_m"])
    for start in range(0, len(labels), 5000):
        for i in range(start, min(start + 5000, len(labels))):
            for r in range(rows.shape[1]):
                found = rows[i, r] >= 0
                writer.writerow(
                    [
                        safe_cell(labels[i]),
                        r + 1,
                        safe_cell(station_ids[rows[i, r]]) if found else "",
                        f"{dist[i, r]:.1f}" if found else "",
                    ]
                )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


@bp.post("/along-route")
def along() -> Any:
    """Stations within a corridor of a route, ordered by distance along it.
    ---
    post:
      summary: Stations along a route (for drivers)
      description: 'Body: {"route": <GeoJSON LineString or encoded polyline (precision 5)>,
        "corridor_m": 2000, "limit": 100, "kind": ..., "amenities": [...],
        "include_unknown": false, "open_at": ..., "crs": "wgs84"}'
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [route]
              properties:
                route:
                  oneOf:
                    - {type: string, minLength: 4,
                       description: 'encoded polyline, precision 5 (lat, lon order inside)'}
                    - type: object
                      required: [type, coordinates]
                      properties:
                        type: {type: string, enum: [LineString]}
                        coordinates:
                          type: array
                          minItems: 2
                          maxItems: 20000
                          items: {type: array, items: {type: number}, minItems: 2,
                                  maxItems: 3, description: '[lon, lat]'}
                corridor_m: {type: number, minimum: 0, exclusiveMinimum: true,
                             maximum: 50000, default: 2000}
                limit: {type: integer, minimum: 1, maximum: 1000, default: 100}
                kind: Kind
                amenities: {type: array, items: {type: string}}
                include_unknown: {type: boolean, default: false}
                open_at: {type: string, description: 'as for GET /api/v1/nearest'}
                crs: {type: string, enum: [wgs84, gcj02, bd09], default: wgs84}
            examples:
              linestring:
                summary: 'a GeoJSON LineString across Beijing'
                value: {route: {type: LineString, coordinates: [[116.30, 39.91], [116.50, 39.91]]},
                        corridor_m: 2000, kind: warm_heart}
              polyline:
                summary: 'an encoded polyline'
                value: {route: '_p~iF~ps|U_ulLnnqC_mqNvxq`@', corridor_m: 5000}
      responses:
        200:
          description: 'FeatureCollection ordered by along_m, with route_length_m; each
            feature has along_m, offset_m and open_now'
          content:
            application/json:
              schema: Stations
              example:
                type: FeatureCollection
                numberMatched: 1
                numberReturned: 1
                route_length_m: 17085.2
                features:
                  - type: Feature
                    id: t1
                    geometry: {type: Point, coordinates: [116.418, 39.913]}
                    properties: {id: t1, name: 东单驿站, kind: warm_heart, along_m: 10093.6,
                                 offset_m: 222.4, open_now: 'yes'}
        400: {description: 'empty or invalid route (over 20,000 points), bad corridor (over
              50 km), limit (over 1,000) or filter', content: {application/json: {schema: Error}}}
        405: MethodNotAllowed
        413: PayloadTooLarge
        429: TooManyRequests
        503: ServiceUnavailable
    """
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadQuery(
            'send a JSON object like {"route": {"type": "LineString", ...}, "corridor_m": 2000}.'
        )
    points = parse_route(body.get("route"))
    datum = str(body.get("crs") or "wgs84").lower()
    if datum not in params.POINT_DATUMS:
        raise BadQuery(f"crs must be one of {', '.join(params.POINT_DATUMS)}, got {datum!r}.")
    points = np.column_stack(coords.to_wgs84(points[:, 0], points[:, 1], datum))
    corridor_m = params.parse_positive(
        "corridor_m", params.text(body.get("corridor_m", 2000)), MAX_CORRIDOR_M
    )
    limit = params.parse_int("limit", params.text(body.get("limit")), 100, 1, 1000)
    st = state()
    found = along_route(st.index, points, float(corridor_m or 0), limit, params.parse_filters(body))
    return Response(serialise.along_route_json(st.writer, found), mimetype="application/json")
