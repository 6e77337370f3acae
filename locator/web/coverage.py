"""``GET /api/v1/coverage``: how much of the modelled demand existing stations cover.

It answers at once: the region's default demand model is built on first use and kept
for the life of the app (:class:`locator.planning.service.Planner`).
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from flask import Blueprint, request

from locator import coverage, params
from locator.planning import export
from locator.planning.plan import REGION_KIND
from locator.planning.request import parse_radius, parse_region
from locator.web.state import state

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
        - {name: region, in: query, schema: {type: string, enum: [beijing, shaanxi],
           default: beijing}}
        - {name: kind, in: query, schema: {type: string, enum: [warm_heart, driver_home]},
           description: 'default: warm_heart in beijing, driver_home in shaanxi'}
        - {name: amenities, in: query, schema: {type: string}, example: 'shower,toilet',
           description: 'count only stations that have all of these'}
        - {name: radius_m, in: query, schema: {type: number, exclusiveMinimum: 0},
           description: 'default 1000 (warm_heart) or 15000 (driver_home); at most 5000
             in beijing and 30000 in shaanxi'}
      responses:
        200: {description: 'covered_share, total_weight, covered_weight, radius_m,
              distance_percentiles_m (weighted distance to the nearest station), clusters
              (heaviest uncovered patches), districts, demand and the synthetic flag'}
        400: {description: 'unknown region, kind or amenity; radius out of range',
              content: {application/json: {schema: Error}}}
    """
    args = request.args
    st = state()
    region = parse_region(args.get("region"), st.regions)
    kind = params.parse_kind(args.get("kind")) or REGION_KIND[region]
    filters = params.Filters(kind=kind, amenities=params.parse_amenities(args.get("amenities")))
    radius_m = parse_radius(args.get("radius_m"), region, kind)
    demand = st.planner.demand.get(region)
    found = coverage.station_coverage(demand, st.index, filters, radius_m)
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
            "cell_size_m": demand.cell_size_m,
            "cells": len(demand.weight),
        },
        "stations": {"count": len(st.index.subset(filters).rows)},
        "synthetic": st.table.info.synthetic,
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-safe rows: numpy numbers to Python, NaN to null."""
    rows: list[dict[str, Any]] = json.loads(frame.to_json(orient="records", force_ascii=False))
    return rows
