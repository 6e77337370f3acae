"""``GET /api/v1/coverage``: how much of the modelled demand existing stations cover.

It answers at once: the region's default demand model is built on first use and kept
for the life of the app (:class:`locator.planning.service.Planner`). A radius other than
the kind's default costs more and is counted against the client's budget
(:mod:`locator.web.budget`).
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from flask import Blueprint, request

from locator import coverage, params
from locator.planning import export
from locator.planning.plan import REGION_KIND, default_radius_m
from locator.planning.request import parse_radius, parse_region
from locator.web.budget import charge
from locator.web.state import data, state
from locator.web.work import check_deadline

bp = Blueprint("coverage", __name__, url_prefix="/api/v1")


@bp.get("/coverage")
def coverage_summary() -> Any:
    """How much of the modelled demand existing stations cover, overall and per district.
    ---
    get:
      summary: Coverage of the demand model by existing stations
      description: 'A demand cell is covered when a station passing the filters lies within
        radius_m of its centre (ellipsoidal distance). Demand is the default MODEL of the
        region (2020 census spread around GeoNames places), not a measurement.'
      parameters:
        - {name: region, in: query, schema: {type: string, default: beijing},
           example: beijing, description: 'a loaded region by key, name or adcode
             (beijing, shaanxi, 杭州市, Hangzhou, 330100); answers give its key'}
        - {name: kind, in: query, schema: Kind,
           description: 'default: warm_heart in beijing, driver_home in shaanxi'}
        - amenities
        - {name: radius_m, in: query, example: 2000,
           schema: {type: number, minimum: 0, exclusiveMinimum: true, maximum: 30000},
           description: 'metres; default 1000 (warm_heart) or 15000 (driver_home); at most
             5000 in beijing and 30000 in shaanxi'}
      responses:
        200:
          description: 'covered_share, total_weight, covered_weight, radius_m,
            distance_percentiles_m (weighted distance to the nearest station), clusters
            (heaviest uncovered patches), districts, demand and the synthetic flag'
          content:
            application/json:
              schema:
                type: object
                required: [region, kind, radius_m, covered_share, total_weight,
                           covered_weight, districts, demand, synthetic]
                properties:
                  region: {type: string, description: 'beijing, shaanxi or an adcode'}
                  kind: Kind
                  amenities: {type: array, items: {type: string}}
                  radius_m: {type: number, minimum: 0}
                  covered_share: {type: number, minimum: 0, maximum: 1}
                  total_weight: {type: number, minimum: 0}
                  covered_weight: {type: number, minimum: 0}
                  distance_percentiles_m:
                    type: object
                    additionalProperties: {type: number, nullable: true}
                  clusters:
                    type: array
                    items:
                      type: object
                      properties:
                        lon: {type: number}
                        lat: {type: number}
                        weight: {type: number}
                        cells: {type: integer}
                        district_name: {type: string, nullable: true}
                  districts:
                    type: array
                    items:
                      type: object
                      properties:
                        district_adcode: {type: string}
                        district_name: {type: string}
                        demand: {type: number, nullable: true}
                        covered: {type: number, nullable: true}
                        covered_share: {type: number, nullable: true}
                        stations: {type: integer}
                  demand:
                    type: object
                    properties:
                      description: {type: string}
                      modelled: {type: boolean}
                      totals: {type: string, enum: [census, share, mixed],
                               description: 'what a district''s demand is: its 2020 census
                                 figure, or a share of the prefecture total, modelled (for
                                 all districts, or for those in modelled_districts)'}
                      modelled_districts: {type: array, items: {type: string},
                                           description: 'adcodes whose demand is a share
                                             of the prefecture total, modelled'}
                      cell_size_m: {type: number}
                      cells: {type: integer}
                  stations: {type: object, properties: {count: {type: integer}}}
                  synthetic: {type: boolean}
              example:
                region: beijing
                kind: warm_heart
                amenities: []
                radius_m: 3000.0
                covered_share: 0.0597
                total_weight: 21893095.0
                covered_weight: 1308045.1
                distance_percentiles_m: {'50': 20147.3, '90': 46900.6}
                clusters: [{lon: 116.3877, lat: 39.9045, weight: 11518507.0, cells: 4712,
                            district_name: 海淀区}]
                districts: [{district_adcode: '110101', district_name: 东城区, demand: 708829.0,
                             covered: 427798.8, covered_share: 0.6035, stations: 1}]
                demand: {description: 'Beijing demand model, 500 m cells (modelled)',
                         modelled: true, totals: census, modelled_districts: [],
                         cell_size_m: 500.0, cells: 65630}
                stations: {count: 2}
                synthetic: true
        400: {description: 'unknown region, kind or amenity; radius out of range',
              content: {application/json: {schema: Error}}}
        429: TooManyRequests
        503: ServiceUnavailable
    """
    args = request.args
    st = state()
    region = parse_region(args.get("region"), st.regions)
    kind = params.parse_kind(args.get("kind")) or REGION_KIND[region]
    filters = params.Filters(kind=kind, amenities=params.parse_amenities(args.get("amenities")))
    radius_m = parse_radius(args.get("radius_m"), region, kind)
    if radius_m != default_radius_m(region, kind):
        charge()
    demand = st.planner.demand.get(region)
    found = coverage.station_coverage(demand, data().index, filters, radius_m)
    check_deadline("this coverage summary")
    return {
        "region": region,
        "kind": kind,
        "amenities": list(filters.amenities),
        "radius_m": radius_m,
        "covered_share": found.covered_share,
        "total_weight": found.total_weight,
        "covered_weight": found.covered_weight,
        "distance_percentiles_m": {
            str(q): export.finite(v) for q, v in found.distance_percentiles_m.items()
        },
        "clusters": [
            {
                "lon": c.lon,
                "lat": c.lat,
                "weight": c.weight,
                "cells": c.cells,
                "district_name": c.district_name,
            }
            for c in found.clusters
        ],
        "districts": _records(found.districts),
        "demand": {
            "description": demand.description,
            "modelled": True,
            "totals": demand.totals,
            "modelled_districts": sorted(demand.modelled),
            "cell_size_m": demand.cell_size_m,
            "cells": len(demand.weight),
        },
        "stations": {"count": len(data().index.subset(filters).rows)},
        "synthetic": data().table.info.synthetic,
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-safe rows: numpy numbers to Python, NaN to null."""
    rows: list[dict[str, Any]] = json.loads(frame.to_json(orient="records", force_ascii=False))
    return rows
