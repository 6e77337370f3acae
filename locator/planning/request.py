"""Reading a plan request from a web form or JSON body, and the region and radius
parameters that coverage, the print maps, the planner page and the embeds share.

Flask-free: callers pass the parsed options, the saved upload paths and the loaded
:class:`~locator.regions.Regions`. Every parameter is checked here (a bad one is a
BadQuery, HTTP 400); uploaded files are only named here and read (so checked) by
:class:`locator.planning.service.Planner` before anything is queued. Coverage radii are
capped per region (``MAX_COVER_RADIUS_M``) so that one request cannot build a coverage
matrix too large for the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from locator import params
from locator.errors import BadQuery
from locator.planning.plan import REGION_KIND, PlanRequest, default_radius_m
from locator.planning.quotas import check_quotas
from locator.regions import PerRegion, Regions, region_key

MAX_COVER_RADIUS_M: PerRegion[float] = PerRegion(lambda t: t.max_radius_m)  # by region type
RADIUS_STEP_M = 50.0  # the planner's radius field steps by this; drawn maps round to it
MAX_NEW = 100_000
MAX_SPACING_M = 50_000.0
MAX_TIME_LIMIT_S = 300.0
DEFAULT_TIME_LIMIT_S = 60.0
MAX_NAME_CHARS = 120
MAX_SUGGESTION_WEIGHT = 1_000_000.0  # people-equivalents one suggestion may stand for
PLAN_FIELDS = (
    "name",
    "region",
    "new",
    "radius_m",
    "kind",
    "amenities",
    "min_spacing_m",
    "quotas",
    "time_limit_s",
    "suggestion_weight",
    "demand_crs",
    "candidates_crs",
    "exclusions_crs",
)
UPLOADS = ("demand", "candidates", "exclusions")  # multipart file fields


def parse_region(value: Any, regions: Regions) -> str:
    """The key of the region asked for by key, name or adcode (default: the first loaded);
    BadQuery if unknown or not loaded here."""
    region = region_key(params.text(value, "region") or regions.names[0])
    if region not in regions.names:
        raise BadQuery(f"region {region} is not loaded on this server (see LOCATOR_REGION).")
    return region


def parse_radius(value: Any, region: str, kind: str) -> float:
    """The radius in metres, at most ``MAX_COVER_RADIUS_M[region]``; the region's default
    for ``kind`` when absent (:func:`~locator.planning.plan.default_radius_m`)."""
    found = params.parse_positive(
        "radius_m", params.text(value, "radius_m"), MAX_COVER_RADIUS_M[region]
    )
    return found or default_radius_m(region, kind)


def rounded_radius(radius_m: float) -> float:
    """``radius_m`` to the nearest ``RADIUS_STEP_M`` (at least one step): the radius a map
    is drawn and cached at, so that nearby radii share one drawing."""
    return max(RADIUS_STEP_M, round(radius_m / RADIUS_STEP_M) * RADIUS_STEP_M)


def region_districts(regions: Regions, region: str) -> pd.DataFrame:
    """The districts (and counties) of one loaded region."""
    return regions.districts_of(region)


def check_fields(options: Mapping[str, Any], files: Mapping[str, Any]) -> None:
    """BadQuery for an option or upload field that a plan does not take."""
    unknown = sorted(set(options) - set(PLAN_FIELDS))
    if unknown:
        raise BadQuery(f"unknown parameter {', '.join(unknown)}; use {', '.join(PLAN_FIELDS)}.")
    unknown = sorted(set(files) - set(UPLOADS))
    if unknown:
        raise BadQuery(f"unknown file field {', '.join(unknown)}; use {', '.join(UPLOADS)}.")


def parse_name(value: Any) -> str:
    """A plan's name: text, stripped, at most ``MAX_NAME_CHARS`` characters ("" when absent)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadQuery(f"name must be text, got {params.shown(value)}.")
    name = value.strip()
    if len(name) > MAX_NAME_CHARS:
        raise BadQuery(f"name has {len(name)} characters; use at most {MAX_NAME_CHARS}.")
    return name


def read_plan_change(body: Any) -> tuple[str | None, bool | None]:
    """``name`` and ``published`` from a JSON object changing a plan (None: unchanged)."""
    if not isinstance(body, dict) or not body:
        raise BadQuery('send a JSON object like {"name": "east side", "published": true}.')
    unknown = sorted(set(body) - {"name", "published"})
    if unknown:
        raise BadQuery(f"unknown field {', '.join(unknown)}; use name and published.")
    published = body.get("published")
    if "published" in body and not isinstance(published, bool):
        raise BadQuery(f"published must be true or false, got {params.shown(published)}.")
    return (parse_name(body["name"]) if "name" in body else None), published


def read_plan_request(
    options: Mapping[str, Any], files: Mapping[str, Path], regions: Regions
) -> PlanRequest:
    """A checked :class:`PlanRequest` from the options and the saved uploads."""
    check_fields(options, files)
    region = parse_region(options.get("region"), regions)
    if options.get("new") is None:
        raise BadQuery("new (the number of new sites to place) is required.")
    new = params.parse_int("new", params.text(options.get("new"), "new"), 0, 1, MAX_NEW)
    kind = params.parse_kind(params.text(options.get("kind"), "kind"))
    spacing = params.text(options.get("min_spacing_m"), "min_spacing_m")
    limit = params.parse_positive(
        "time_limit_s",
        params.text(options.get("time_limit_s"), "time_limit_s"),
        MAX_TIME_LIMIT_S,
    )
    return PlanRequest(
        region=region,
        new=new,
        radius_m=parse_radius(options.get("radius_m"), region, kind or REGION_KIND[region]),
        kind=kind,
        amenities=params.parse_amenities(params.text_list(options.get("amenities"), "amenities")),
        min_spacing_m=params.parse_float("min_spacing_m", spacing, 0, MAX_SPACING_M)
        if spacing
        else 0.0,
        quotas=check_quotas(options.get("quotas") or {}, region_districts(regions, region), new),
        demand_path=files.get("demand"),
        demand_crs=params.text(options.get("demand_crs"), "demand_crs"),
        candidates_path=files.get("candidates"),
        candidates_crs=params.text(options.get("candidates_crs"), "candidates_crs"),
        exclusions_path=files.get("exclusions"),
        exclusions_crs=params.text(options.get("exclusions_crs"), "exclusions_crs"),
        time_limit_s=limit or DEFAULT_TIME_LIMIT_S,
        suggestion_weight=_suggestion_weight(options.get("suggestion_weight")),
    )


def _suggestion_weight(value: Any) -> float:
    """How much one suggestion weighs in the demand, 0 (not used, the default) or more."""
    found = params.text(value, "suggestion_weight")
    if not found:
        return 0.0
    return params.parse_float("suggestion_weight", found, 0, MAX_SUGGESTION_WEIGHT)
