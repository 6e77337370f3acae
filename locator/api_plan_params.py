"""Reading a plan request from HTTP: a JSON object or a multipart form with files, and
the region and radius parameters that ``/coverage``, the maps and the embeds share.

Every parameter is checked here (a bad one is a BadQuery, HTTP 400); uploaded files are
only saved, and :mod:`locator.api_plans` reads (so checks) them before queueing. Radii
are capped per region (``MAX_RADIUS_M``) so that one request cannot build a coverage
matrix too large for the server.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from flask import request

from locator import coverage, params, readers, state
from locator.errors import BadQuery
from locator.plan import REGION_KIND, PlanRequest
from locator.quotas import check_quotas
from locator.regions import PROVINCES

MAX_RADIUS_M = {"beijing": 5_000.0, "shaanxi": 30_000.0}  # 500 m and 2 km demand cells
MAX_NEW = 100_000
MAX_SPACING_M = 50_000.0
MAX_TIME_LIMIT_S = 300.0
DEFAULT_TIME_LIMIT_S = 60.0
PLAN_FIELDS = (
    "region",
    "new",
    "radius_m",
    "kind",
    "amenities",
    "min_spacing_m",
    "quotas",
    "time_limit_s",
    "demand_crs",
    "candidates_crs",
    "exclusions_crs",
)
UPLOADS = ("demand", "candidates", "exclusions")  # multipart file fields


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def parse_region(value: Any) -> str:
    """The region asked for (default beijing); BadQuery if unknown or not loaded here."""
    region = (_text(value) or "beijing").strip().lower()
    if region not in REGION_KIND:
        raise BadQuery(f"unknown region {value!r}; use one of {', '.join(REGION_KIND)}.")
    if region not in state().regions.names:
        raise BadQuery(f"region {region} is not loaded on this server (see LOCATOR_REGION).")
    return region


def parse_radius(value: Any, region: str, kind: str) -> float:
    """The radius in metres, at most ``MAX_RADIUS_M[region]``; the kind's default when absent."""
    found = params.parse_positive("radius_m", _text(value), MAX_RADIUS_M[region])
    return found or coverage.DEFAULT_RADIUS_M[kind]


def region_districts(region: str) -> pd.DataFrame:
    frame = state().regions.districts
    return frame[frame["province_adcode"] == PROVINCES[region]]


def plan_options() -> dict[str, Any]:
    """Plan parameters from a JSON object or a multipart form; unknown names are refused."""
    if request.mimetype == "multipart/form-data":
        options: dict[str, Any] = dict(request.form)
        if "quotas" in options:
            try:
                options["quotas"] = json.loads(options["quotas"])
            except ValueError:
                raise BadQuery('quotas must be JSON like {"110105": [2, 10]}.') from None
    else:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise BadQuery('send a JSON object like {"region": "beijing", "new": 10}.')
        options = body
    unknown = sorted(set(options) - set(PLAN_FIELDS))
    if unknown:
        raise BadQuery(f"unknown parameter {', '.join(unknown)}; use {', '.join(PLAN_FIELDS)}.")
    return options


def read_plan_request(options: Mapping[str, Any], files: Mapping[str, Path]) -> PlanRequest:
    region = parse_region(options.get("region"))
    if options.get("new") is None:
        raise BadQuery("new (the number of new sites to place) is required.")
    new = params.parse_int("new", _text(options.get("new")), 0, 1, MAX_NEW)
    kind = params.parse_kind(_text(options.get("kind")))
    spacing = _text(options.get("min_spacing_m"))
    limit = params.parse_positive(
        "time_limit_s", _text(options.get("time_limit_s")), MAX_TIME_LIMIT_S
    )
    return PlanRequest(
        region=region,
        new=new,
        radius_m=parse_radius(options.get("radius_m"), region, kind or REGION_KIND[region]),
        kind=kind,
        amenities=params.parse_amenities(_text(options.get("amenities"))),
        min_spacing_m=params.parse_float("min_spacing_m", spacing, 0, MAX_SPACING_M)
        if spacing
        else 0.0,
        quotas=check_quotas(options.get("quotas") or {}, region_districts(region), new),
        demand_path=files.get("demand"),
        demand_crs=_text(options.get("demand_crs")),
        candidates_path=files.get("candidates"),
        candidates_crs=_text(options.get("candidates_crs")),
        exclusions_path=files.get("exclusions"),
        exclusions_crs=_text(options.get("exclusions_crs")),
        time_limit_s=limit or DEFAULT_TIME_LIMIT_S,
    )


def saved_uploads(folder: Path) -> dict[str, Path]:
    """The multipart files (``UPLOADS``) saved under ``folder``, one subfolder each."""
    unknown = sorted(set(request.files) - set(UPLOADS))
    if unknown:
        raise BadQuery(f"unknown file field {', '.join(unknown)}; use {', '.join(UPLOADS)}.")
    saved = {}
    for field, upload in request.files.items():
        name = Path(upload.filename or f"{field}.csv").name  # no folders: it stays in ``folder``
        if Path(name).suffix.lower() not in readers.SUFFIXES:
            raise BadQuery(
                f"the {field} file must be one of {', '.join(sorted(readers.SUFFIXES))}, "
                f"got {upload.filename!r}."
            )
        (folder / field).mkdir()
        saved[field] = folder / field / name  # the client's name, which errors then show
        upload.save(saved[field])
    return saved
