"""Blueprint ``/api/v1``: parse the request, call one core function, serialise.

Every error leaves as ``{"ok": false, "error": "...", "status": N}``. The
OpenAPI document is built from the YAML after ``---`` in each view's docstring.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, make_response, request

from locator import amenities, params
from locator.errors import BadQuery
from locator.stations.table import select
from locator.web.serialise import PROPERTIES, compact_points
from locator.web.state import data, large, state
from locator.web.transfer import conditional

bp = Blueprint("api", __name__, url_prefix="/api/v1")
POINTS_MAX_AGE_S = 30  # a browser asks again (If-None-Match) after this; a new import shows
# A large dataset's tiles below this zoom (a province or more of them in a map's view)
# answer with their count only, so that no phone downloads a country's stations.
POINTS_MIN_TILE_ZOOM = 8


@bp.get("/health")
def health() -> Any:
    """Liveness and what is loaded.
    ---
    get:
      summary: Health check
      responses:
        200:
          description: 'ok, with the number of stations loaded'
          content:
            application/json:
              schema:
                type: object
                required: [ok, stations, synthetic]
                properties:
                  ok: {type: boolean, enum: [true]}
                  stations: {type: integer, minimum: 0}
                  synthetic: {type: boolean}
              example: {ok: true, stations: 3, synthetic: true}
    """
    table = data().table
    return {"ok": True, "stations": len(table), "synthetic": table.info.synthetic}


@bp.get("/stations")
def stations() -> Any:
    """Stations in a bounding box, with filters, in id order.
    ---
    get:
      summary: List stations (GeoJSON FeatureCollection)
      parameters:
        - {name: bbox, in: query, schema: {type: string}, example: '116.3,39.8,116.5,40.0',
           description: 'west,south,east,north in WGS84 degrees'}
        - kind
        - amenities
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 10000,
           default: 100}, example: 10, description: 'page size; the maximum is
             LOCATOR_MAX_LIMIT (default 10000), the default LOCATOR_DEFAULT_LIMIT'}
        - {name: offset, in: query, schema: {type: integer, minimum: 0, maximum: 1000000000,
           default: 0}, example: 0}
        - {name: fields, in: query, schema: {type: string}, example: 'id,name,kind',
           description: 'comma-separated properties to return (default all)'}
      responses:
        200:
          description: 'FeatureCollection with numberMatched (all stations passing the
            filters) and numberReturned (this page)'
          content:
            application/json:
              schema: Stations
              example:
                type: FeatureCollection
                numberMatched: 2
                numberReturned: 1
                dataset: {name: synthetic stations, synthetic: true, count: 2,
                          counts_by_kind: {warm_heart: 2}}
                features:
                  - type: Feature
                    id: t1
                    geometry: {type: Point, coordinates: [116.418, 39.913]}
                    properties: {id: t1, name: 东单驿站, kind: warm_heart}
        400: {description: 'bad parameter (bbox, kind, amenity, limit, offset or field)',
              content: {application/json: {schema: Error}}}
    """
    st = state()
    args = request.args
    limit = params.parse_int(
        "limit", args.get("limit"), st.settings["DEFAULT_LIMIT"], 1, st.settings["MAX_LIMIT"]
    )
    offset = params.parse_int("offset", args.get("offset"), 0, 0, 10**9)
    fields = params.parse_fields(args.get("fields"), PROPERTIES)
    sel = select(
        data().table,
        bbox=params.parse_bbox(args.get("bbox")),
        kind=params.parse_kind(args.get("kind")),
        amenity_keys=params.parse_amenities(args.get("amenities")),
        limit=limit,
        offset=offset,
    )
    return {
        "type": "FeatureCollection",
        "numberMatched": sel.number_matched,
        "numberReturned": len(sel.rows),
        "dataset": data().dataset,
        "features": data().writer.features(sel.rows, fields),
    }


@bp.get("/stations/points")
def station_points() -> Any:
    """Matching stations (all, or those in a bbox or tile) in a compact form for maps.
    ---
    get:
      summary: Station points, compact (ids, kind codes, delta-encoded coordinates)
      parameters:
        - {name: bbox, in: query, schema: {type: string}, example: '116.3,39.8,116.5,40.0',
           description: 'only the stations in west,south,east,north (WGS84 degrees), so a
           phone asks for the map in view, never all 186,000 of a national dataset'}
        - {name: tile, in: query, schema: {type: string}, example: '12/3372/1551',
           description: 'only the stations in web-map tile z/x/y (XYZ scheme, WGS84 edges);
           not with bbox. For a dataset of more than LOCATOR_LARGE_DATASET stations a tile
           below zoom 8 answers with its count and omitted: true, without points'}
        - kind
        - amenities
        - {name: datum, in: query, schema: {type: string, enum: [wgs84, gcj02], default: wgs84},
           description: 'gcj02 for maps drawn on Amap tiles'}
      responses:
        200:
          description: 'count, datum, scale, kinds, ids, kind (index into kinds) and coords
            (flat [dlon, dlat, ...] integers in 1/scale degrees, each relative to the
            previous point); omitted (true: the points of this low-zoom tile of a large
            dataset are left out, count says how many there are) and version (the served
            dataset version); an ETag from that version, so a repeat request with
            If-None-Match gets a 304'
          content:
            application/json:
              schema:
                type: object
                required: [count, datum, scale, kinds, ids, kind, coords, omitted, version,
                           synthetic]
                properties:
                  count: {type: integer, minimum: 0}
                  omitted: {type: boolean}
                  version: {type: integer}
                  datum: {type: string, enum: [wgs84, gcj02]}
                  scale: {type: integer}
                  kinds: {type: array, items: Kind}
                  ids: {type: array, items: {type: string}}
                  kind: {type: array, items: {type: integer, minimum: 0}}
                  coords: {type: array, items: {type: integer}}
                  synthetic: {type: boolean}
              example: {count: 2, datum: wgs84, scale: 100000,
                        kinds: [warm_heart, driver_home], ids: [t1, t2], kind: [0, 0],
                        coords: [11641800, 3991300, 4300, -400], omitted: false,
                        version: 1, synthetic: true}
        304: {description: 'not modified: the served dataset version is the one named in
              If-None-Match'}
        400: {description: 'bad parameter', content: {application/json: {schema: Error}}}
    """
    args = request.args
    datum = args.get("datum", "wgs84")
    if datum not in ("wgs84", "gcj02"):
        raise BadQuery(f"datum must be wgs84 or gcj02, got {datum!r}.")
    box = params.parse_bbox(args.get("bbox"))
    tile = params.parse_tile(args.get("tile"))
    if box and tile:
        raise BadQuery("give bbox or tile, not both.")
    table = data().table
    sel = select(
        table,
        bbox=box or tile,
        kind=params.parse_kind(args.get("kind")),
        amenity_keys=params.parse_amenities(args.get("amenities")),
        limit=len(table) or 1,
    )
    zoom = int(args["tile"].split("/")[0]) if tile else None
    omitted = zoom is not None and zoom < POINTS_MIN_TILE_ZOOM and large()
    body = {
        **compact_points(table, sel.rows[:0] if omitted else sel.rows, datum),
        "count": len(sel.rows),
        "omitted": omitted,
        "version": data().version,
        "synthetic": table.info.synthetic,
    }
    return conditional(make_response(body), f"points-v{data().version}", POINTS_MAX_AGE_S)


@bp.get("/stations/<station_id>")
def station(station_id: str) -> Any:
    """One station as a GeoJSON Feature.
    ---
    get:
      summary: One station
      parameters:
        - {name: station_id, in: path, required: true, example: t1,
           schema: {type: string, not: {enum: [points]}},
           description: 'any id but "points" (GET /api/v1/stations/points is the compact
             points of every station)'}
      responses:
        200:
          description: 'GeoJSON Feature, with every property and the synthetic flag'
          content:
            application/json:
              schema: Station
              example:
                type: Feature
                id: t1
                geometry: {type: Point, coordinates: [116.418, 39.913]}
                properties: {id: t1, name: 东单驿站, kind: warm_heart, opening_hours: 24/7,
                             opening_hours_text: {en: open 24 hours, zh: 24 小时},
                             amenities: {shower: 'yes', toilet: unknown}, synthetic: true}
        404: {description: 'no such station', content: {application/json: {schema: Error}}}
    """
    served = data()
    feature = served.writer.feature(served.table.row_of(station_id))
    feature["properties"]["synthetic"] = served.table.info.synthetic
    return feature


@bp.get("/amenities")
def amenity_vocabulary() -> Any:
    """The amenity vocabulary: key, Chinese and English labels, accepted aliases.
    ---
    get:
      summary: Amenity vocabulary
      responses:
        200:
          description: 'the amenities (key, zh and en labels, aliases a file may use) and
            the values a station has for each'
          content:
            application/json:
              schema:
                type: object
                required: [amenities, values]
                properties:
                  amenities:
                    type: array
                    items:
                      type: object
                      required: [key, zh, en, aliases]
                      properties:
                        key: {type: string}
                        zh: {type: string}
                        en: {type: string}
                        aliases: {type: array, items: {type: string}}
                  values: {type: array, items: {type: string}}
              example:
                amenities: [{key: shower, zh: 淋浴, en: Shower, aliases: [shower, 淋浴, 洗澡]}]
                values: ['yes', 'no', unknown]
    """
    return {"amenities": amenities.vocabulary(), "values": ["yes", "no", "unknown"]}


@bp.get("/datasets")
def datasets() -> Any:
    """The loaded datasets: counts, provenance and the synthetic flag.
    ---
    get:
      summary: Loaded datasets
      responses:
        200:
          description: 'the loaded station datasets: name, counts, provenance, licence and
            the synthetic flag'
          content:
            application/json:
              schema:
                type: object
                required: [datasets]
                properties:
                  datasets: {type: array, items: Dataset}
              example:
                datasets: [{name: synthetic stations, synthetic: true, count: 3,
                            counts_by_kind: {warm_heart: 2, driver_home: 1}}]
    """
    return {"datasets": [data().dataset]}


@bp.get("/openapi.json")
def openapi() -> Any:
    """This OpenAPI document."""
    from locator.web.openapi import build_spec

    return jsonify(build_spec())
