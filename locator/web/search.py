"""Search endpoints: nearest stations, batch nearest, and stations along a route."""

from __future__ import annotations

from typing import Any

import numpy as np
from flask import Blueprint, Response, request

from locator import coords, params
from locator.errors import BadQuery
from locator.index import along_route
from locator.route import parse_route
from locator.web import batch, serialise
from locator.web.bodies import json_body, limit_body
from locator.web.budget import charge
from locator.web.state import data, state
from locator.web.work import check_deadline

bp = Blueprint("search", __name__, url_prefix="/api/v1")

MAX_K = 100
MAX_BATCH_K = 10
MAX_BATCH_POINTS = 100_000
MAX_SEARCH_RADIUS_M = 500_000
MAX_CORRIDOR_M = 50_000
MAX_ROUTE_BODY_BYTES = 2 * 2**20  # 20,000 [lon, lat] pairs are about 0.8 MB


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
        - confirmed_months
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
    served = data()
    found = served.index.nearest(lon, lat, k, filters, radius_m=radius_m)
    query = {"lon": lon, "lat": lat, "k": k, "radius_m": radius_m}
    body = serialise.nearest_json(served.writer, found, query)
    return Response(body, mimetype="application/json")


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
        description: 'from 1 to 100,000 points, and points times k at most
          LOCATOR_BATCH_MAX_RESULTS (default 200,000), in at most 8 MiB; options in the body
          override the query'
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
            station_id and distance_m (null when no station passes the filters); the CSV
            adds a caveats column ("stations synthetic" when the served stations are)'
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
                point,rank,station_id,distance_m,caveats
                home,1,t1,2071.3,stations synthetic
        400: {description: 'bad body, a bad point (named by row), too many points, or more
              rows (points times k) than LOCATOR_BATCH_MAX_RESULTS',
              content: {application/json: {schema: Error}}}
        405: MethodNotAllowed
        413: PayloadTooLarge
        422: {description: 'the CSV is not text (UTF-8 or GBK/GB18030)',
              content: {application/json: {schema: Error}}}
        429: TooManyRequests
        503: ServiceUnavailable
    """
    charge()
    points = batch.read_points()
    options = points.options
    n = len(points.lon)
    if n == 0 or n > MAX_BATCH_POINTS:
        raise BadQuery(f"send between 1 and {MAX_BATCH_POINTS:,} points, got {n:,}.")
    k = params.parse_int("k", params.text(options.get("k"), "k"), 1, 1, MAX_BATCH_K)
    st = state()
    max_rows = int(st.settings["BATCH_MAX_RESULTS"])
    if n * k > max_rows:
        raise BadQuery(
            f"{n:,} points with k={k} would be {n * k:,} rows, more than the {max_rows:,} one "
            "batch may answer (LOCATOR_BATCH_MAX_RESULTS); send fewer points or a smaller k."
        )
    fmt = params.text(options.get("format"), "format")
    if fmt not in (None, "json", "csv"):
        raise BadQuery(f"format must be json or csv, got {fmt!r}.")
    datum = params.parse_datum(options.get("crs"))
    filters = params.parse_filters({**options, "open_at": None})
    lon, lat = coords.to_wgs84(points.lon, points.lat, datum)
    check_deadline("reading the points")
    rows, dist = data().index.nearest_many(lon, lat, k, filters)
    check_deadline("this batch")
    result = batch.BatchResult(points.ids, rows, dist, data().table.frame["id"].to_numpy())
    if fmt == "csv" or (fmt is None and request.accept_mimetypes.best == "text/csv"):
        chunks = batch.csv_chunks(result, synthetic_stations=data().table.info.synthetic)
        return Response(chunks, mimetype="text/csv")
    head = {"numberReturned": n, "dataset": data().dataset}
    return Response(batch.json_chunks(result, head), mimetype="application/json")


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
                summary: 'an encoded polyline: 天安门 to 国贸 to 通州'
                value: {route: 'ktqrFk{leUkf@seKvj@otL', corridor_m: 5000}
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
    charge()
    limit_body(MAX_ROUTE_BODY_BYTES)
    body = json_body()
    if not isinstance(body, dict):
        raise BadQuery(
            'send a JSON object like {"route": {"type": "LineString", ...}, "corridor_m": 2000}.'
        )
    route = body.get("route")
    if isinstance(route, dict) and isinstance(route.get("coordinates"), list):
        params.check_positions(route["coordinates"], "route coordinates")
    points = parse_route(route)
    datum = params.parse_datum(body.get("crs"))
    points = np.column_stack(coords.to_wgs84(points[:, 0], points[:, 1], datum))
    corridor_m = params.parse_positive(
        "corridor_m", params.text(body.get("corridor_m", 2000), "corridor_m"), MAX_CORRIDOR_M
    )
    limit = params.parse_int("limit", params.text(body.get("limit"), "limit"), 100, 1, 1000)
    served = data()
    filters = params.parse_filters(body)
    found = along_route(served.index, points, float(corridor_m or 0), limit, filters)
    check_deadline("this route")
    return Response(serialise.along_route_json(served.writer, found), mimetype="application/json")
