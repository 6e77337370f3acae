"""The start, end and road of a drive: place-name search and reading a pasted route.

Both are read-only and cheap; the finder's route search (static/js/finder-route.js) uses
them before it asks ``POST /api/v1/along-route`` for the stations along the way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from locator import params
from locator.errors import BadQuery
from locator.places import MAX_LIMIT, Gazetteer, load_gazetteer, search_places
from locator.route_links import MAX_TEXT_CHARS, read_route_text
from locator.web.bodies import json_body, limit_body
from locator.web.state import state

bp = Blueprint("journey", __name__, url_prefix="/api/v1")

EXTENSION = "locator.gazetteer"
MAX_TEXT_BODY_BYTES = 4 * MAX_TEXT_CHARS


def gazetteer() -> Gazetteer:
    """The app's place names, read from its data folder on first use (read-only after)."""
    found = current_app.extensions.get(EXTENSION)
    if found is None:
        st = state()
        found = load_gazetteer(Path(st.settings["DATA_DIR"]), st.regions)
        current_app.extensions[EXTENSION] = found
    return found


@bp.get("/places")
def places() -> Any:
    """Districts and places whose name (Chinese or pinyin) matches a query.
    ---
    get:
      summary: Search place and district names (start and end of a route)
      parameters:
        - {name: q, in: query, required: true, example: 东城,
           schema: {type: string, minLength: 1, maxLength: 40},
           description: 'a name or its start, in Chinese or pinyin (case, spaces, hyphens
             and apostrophes ignored)'}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 20, default: 10}}
      responses:
        200:
          description: 'names that start with q first, then names that contain it;
            districts before places; lon/lat are WGS84'
          content:
            application/json:
              schema:
                type: object
                required: [query, numberMatched, numberReturned, places]
                properties:
                  query: {type: string}
                  numberMatched: {type: integer, minimum: 0}
                  numberReturned: {type: integer, minimum: 0}
                  places:
                    type: array
                    items:
                      type: object
                      required: [name, name_latin, kind, district, lon, lat]
                      properties:
                        name: {type: string}
                        name_latin: {type: string}
                        kind: {type: string, enum: [district, place]}
                        district: {type: string}
                        lon: {type: number, minimum: -180, maximum: 180}
                        lat: {type: number, minimum: -90, maximum: 90}
              example:
                query: 东城
                numberMatched: 1
                numberReturned: 1
                places: [{name: 东城区, name_latin: Dongcheng District, kind: district,
                          district: 东城区, lon: 116.41, lat: 39.93}]
        400: {description: 'q missing, empty or over 40 characters, or a bad limit',
              content: {application/json: {schema: Error}}}
        405: MethodNotAllowed
    """
    args = request.args.to_dict()
    query = params.text(args.get("q"), "q")
    if query is None:
        raise BadQuery("q is required: a place or district name, e.g. 东城 or Baoji.")
    limit = params.parse_int("limit", args.get("limit"), 10, 1, MAX_LIMIT)
    found = search_places(gazetteer(), query, limit)
    return jsonify(
        {
            "query": found.query,
            "numberMatched": found.number_matched,
            "numberReturned": len(found.places),
            "places": [
                {
                    "name": p.name,
                    "name_latin": p.name_latin,
                    "kind": p.kind,
                    "district": p.district,
                    "lon": round(p.lon, 5),
                    "lat": round(p.lat, 5),
                }
                for p in found.places
            ],
        }
    )


@bp.post("/route-text")
def route_text() -> Any:
    """Read a route from pasted text: an encoded polyline, an Amap polyline or route link,
    or a Baidu route link, as a WGS84 GeoJSON LineString.
    ---
    post:
      summary: Read a pasted route (polyline, Amap or Baidu link)
      description: 'Links name only their start, waypoints and end: their route is
        straight lines between them (properties.straight is true). Amap coordinates are
        GCJ-02 and Baidu BD-09 (or its link''s coord_type); the answer is WGS84.'
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [text]
              properties:
                text: {type: string, minLength: 1, maxLength: 200000}
            examples:
              polyline:
                summary: 'an encoded polyline'
                value: {text: 'ktqrFk{leUkf@seKvj@otL'}
              amap:
                summary: 'an Amap navigation link'
                value: {text: 'https://uri.amap.com/navigation?from=116.3975,39.9087,A&to=116.4675,39.9070,B&mode=car'}
      responses:
        200:
          description: 'a GeoJSON Feature: a LineString of [lon, lat] WGS84, with source
            (polyline, amap or baidu) and straight'
          content:
            application/json:
              schema:
                type: object
                required: [type, geometry, properties]
                properties:
                  type: {type: string, enum: [Feature]}
                  geometry:
                    type: object
                    required: [type, coordinates]
                    properties:
                      type: {type: string, enum: [LineString]}
                      coordinates:
                        type: array
                        minItems: 2
                        items: {type: array, items: {type: number}, minItems: 2, maxItems: 2}
                  properties:
                    type: object
                    required: [source, straight]
                    properties:
                      source: {type: string, enum: [polyline, amap, baidu]}
                      straight: {type: boolean}
              example:
                type: Feature
                geometry: {type: LineString,
                           coordinates: [[116.3913, 39.9073], [116.4613, 39.9056]]}
                properties: {source: amap, straight: true}
        400: {description: 'no route in the text (a short link, an unknown link, a bad
              polyline, over 20,000 points)', content: {application/json: {schema: Error}}}
        405: MethodNotAllowed
        413: PayloadTooLarge
    """
    limit_body(MAX_TEXT_BODY_BYTES)
    body = json_body()
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str):
        raise BadQuery('send a JSON object like {"text": "<a route link or encoded polyline>"}.')
    found = read_route_text(text)
    return jsonify(
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [list(p) for p in found.points]},
            "properties": {"source": found.source, "straight": found.straight},
        }
    )
