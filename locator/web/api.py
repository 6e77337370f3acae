"""Blueprint ``/api/v1``: parse the request, call one core function, serialise.

Every error leaves as ``{"ok": false, "error": "...", "status": N}``. The
OpenAPI document is built from the YAML after ``---`` in each view's docstring.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from locator import amenities, params
from locator.errors import BadQuery
from locator.stations.table import select
from locator.web.serialise import PROPERTIES, compact_points
from locator.web.state import state

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/health")
def health() -> Any:
    """Liveness and what is loaded.
    ---
    get:
      summary: Health check
      responses:
        200: {description: 'ok, with the number of stations loaded'}
    """
    table = state().table
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
        - {name: kind, in: query, schema: {type: string, enum: [warm_heart, driver_home]}}
        - {name: amenities, in: query, schema: {type: string}, example: 'shower,toilet',
           description: 'comma-separated amenity keys; a station must have all of them'}
        - {name: limit, in: query, schema: {type: integer, minimum: 1}}
        - {name: offset, in: query, schema: {type: integer, minimum: 0}}
        - {name: fields, in: query, schema: {type: string}, example: 'id,name,kind',
           description: 'comma-separated properties to return (default all)'}
      responses:
        200: {description: 'FeatureCollection with numberMatched and numberReturned'}
        400: {description: 'bad parameter', content: {application/json: {schema: Error}}}
    """
    st = state()
    args = request.args
    limit = params.parse_int(
        "limit", args.get("limit"), st.settings["DEFAULT_LIMIT"], 1, st.settings["MAX_LIMIT"]
    )
    offset = params.parse_int("offset", args.get("offset"), 0, 0, 10**9)
    fields = params.parse_fields(args.get("fields"), PROPERTIES)
    sel = select(
        st.table,
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
        "dataset": st.dataset,
        "features": st.writer.features(sel.rows, fields),
    }


@bp.get("/stations/points")
def station_points() -> Any:
    """All matching stations in a compact form for maps (about 30 bytes a station).
    ---
    get:
      summary: Station points, compact (ids, kind codes, delta-encoded coordinates)
      parameters:
        - {name: kind, in: query, schema: {type: string, enum: [warm_heart, driver_home]}}
        - {name: amenities, in: query, schema: {type: string}}
        - {name: datum, in: query, schema: {type: string, enum: [wgs84, gcj02], default: wgs84},
           description: 'gcj02 for maps drawn on Amap tiles'}
      responses:
        200: {description: 'count, datum, scale, kinds, ids, kind (index into kinds) and coords
              (flat [dlon, dlat, ...] integers in 1/scale degrees, each relative to the
              previous point)'}
        400: {description: 'bad parameter', content: {application/json: {schema: Error}}}
    """
    st = state()
    args = request.args
    datum = args.get("datum", "wgs84")
    if datum not in ("wgs84", "gcj02"):
        raise BadQuery(f"datum must be wgs84 or gcj02, got {datum!r}.")
    sel = select(
        st.table,
        kind=params.parse_kind(args.get("kind")),
        amenity_keys=params.parse_amenities(args.get("amenities")),
        limit=len(st.table) or 1,
    )
    return {**compact_points(st.table, sel.rows, datum), "synthetic": st.table.info.synthetic}


@bp.get("/stations/<station_id>")
def station(station_id: str) -> Any:
    """One station as a GeoJSON Feature.
    ---
    get:
      summary: One station
      parameters:
        - {name: station_id, in: path, required: true, schema: {type: string}}
      responses:
        200: {description: 'GeoJSON Feature'}
        404: {description: 'no such station', content: {application/json: {schema: Error}}}
    """
    st = state()
    feature = st.writer.feature(st.table.row_of(station_id))
    feature["properties"]["synthetic"] = st.table.info.synthetic
    return feature


@bp.get("/amenities")
def amenity_vocabulary() -> Any:
    """The amenity vocabulary: key, Chinese and English labels, accepted aliases.
    ---
    get:
      summary: Amenity vocabulary
      responses:
        200: {description: 'list of amenities'}
    """
    return {"amenities": amenities.vocabulary(), "values": ["yes", "no", "unknown"]}


@bp.get("/datasets")
def datasets() -> Any:
    """The loaded datasets: counts, provenance and the synthetic flag.
    ---
    get:
      summary: Loaded datasets
      responses:
        200: {description: 'datasets'}
    """
    return {"datasets": [state().dataset]}


@bp.get("/openapi.json")
def openapi() -> Any:
    """This OpenAPI document."""
    from locator.web.openapi import build_spec

    return jsonify(build_spec())
