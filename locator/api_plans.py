"""Siting-plan endpoints under ``/api/v1``.

The region's default demand model is built on first use and kept for the life of the
app (``planning().demand``). ``POST /plans`` checks every parameter it can (a bad one
is a 400, see :mod:`locator.api_plan_params`; a bad uploaded demand, candidate or
exclusion file a 422, all before anything is queued), then queues the plan on the app's
bounded :class:`~locator.plans.PlanJobs` pool and answers 202 with the plan's URL.
Clients poll ``GET /plans/<id>`` and then download the sites.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, url_for
from flask.blueprints import BlueprintSetupState

from locator import export, state
from locator.api_plan_params import (
    plan_options,
    read_plan_request,
    region_districts,
    saved_uploads,
)
from locator.demand import BEIJING_CELL_M, SHAANXI_CELL_M
from locator.demand_points import from_points
from locator.errors import BadQuery
from locator.plan import Plan, PlanRequest, Progress, run_plan, site_count
from locator.plans import DemandCache, JobStatus, PlanJobs

bp = Blueprint("plans", __name__, url_prefix="/api/v1")

EXTENSION = "locator.plans"
CELL_M = {"beijing": BEIJING_CELL_M, "shaanxi": SHAANXI_CELL_M}


@dataclass(frozen=True)
class Planning:
    """The app's plan pool and demand-model cache, kept in ``app.extensions``."""

    jobs: PlanJobs
    demand: DemandCache


@bp.record_once
def _set_up(setup: BlueprintSetupState) -> None:
    settings = setup.app.extensions["locator"].settings
    jobs = PlanJobs(settings["PLAN_WORKERS"], settings["PLAN_QUEUE"], settings["PLAN_KEEP"])
    setup.app.extensions[EXTENSION] = Planning(jobs, DemandCache(settings["DATA_DIR"]))


def planning() -> Planning:
    """The current app's plan pool and demand cache."""
    found: Planning = current_app.extensions[EXTENSION]
    return found


def _site_count(plan_request: PlanRequest) -> tuple[int, str]:
    """:func:`locator.plan.site_count` with the cached demand model (or the uploaded demand,
    read and so checked here)."""
    st, region = state(), plan_request.region
    if plan_request.demand_path is None:
        found = planning().demand.get(region)
    else:
        found = from_points(
            plan_request.demand_path,
            st.settings["DATA_DIR"],
            crs=plan_request.demand_crs,
            cell_size_m=CELL_M[region],
            region=region,
        )
    return site_count(plan_request, found, st.regions)


@bp.post("/plans")
def submit_plan() -> Any:
    """Queue a siting plan; poll the returned URL for its progress and result.
    ---
    post:
      summary: Start a siting plan (runs in the background)
      description: 'Body: a JSON object {"region": "beijing", "new": 100, "radius_m": 1000,
        "kind": "warm_heart", "amenities": ["shower"], "min_spacing_m": 0,
        "quotas": {"110105": [2, 10]}, "time_limit_s": 60}, or a multipart form with the
        same fields (quotas as JSON text) and optional files: "demand" (weighted points),
        "candidates" (the only places new sites may go, a station file with host_type) and
        "exclusions" (polygons where no new site may go). Points are CSV, XLSX, GeoJSON or
        GeoPackage, zones GeoJSON or GeoPackage; demand_crs, candidates_crs and
        exclusions_crs name their datum (wgs84, gcj02, bd09 or EPSG:n; default the CRS
        in the file, else wgs84). Only "new" is required. Quota keys are district adcodes or
        names; null means no bound. Everything is checked before the plan is queued.'
      responses:
        202: {description: '{"id", "status": "queued", "url"}; the Location header is the
              status URL'}
        400: {description: 'bad parameter: unknown region, kind, amenity or parameter,
              radius_m <= 0 or too large, new larger than the candidate sites (the uploaded
              candidates outside the exclusion zones, else the populated demand cells),
              time_limit_s over 300, malformed quotas',
              content: {application/json: {schema: Error}}}
        422: {description: 'an uploaded file is unreadable or has bad rows or features
              (named by number)',
              content: {application/json: {schema: Error}}}
        429: {description: 'the plan queue is full (LOCATOR_PLAN_QUEUE); try again later',
              content: {application/json: {schema: Error}}}
    """
    folder = Path(tempfile.mkdtemp(prefix="locator-upload-"))
    try:
        plan_request = read_plan_request(plan_options(), saved_uploads(folder))
        job_id = queue_plan(plan_request, cleanup=lambda: shutil.rmtree(folder, ignore_errors=True))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    url = url_for("plans.plan_status", plan_id=job_id)
    body = {"id": job_id, "status": "queued", "url": url}
    return body, 202, {"Location": url}


def queue_plan(plan_request: PlanRequest, cleanup: Callable[[], None] | None = None) -> str:
    """Check that the plan can have enough sites, queue it and return its id."""
    sites, what = _site_count(plan_request)
    if plan_request.new > sites:
        raise BadQuery(
            f"new={plan_request.new} is more than the {sites:,} {what}; "
            "there are not that many candidate sites."
        )
    st = state()
    data_dir, index, regions = st.settings["DATA_DIR"], st.index, st.regions

    def work(progress: Progress) -> Plan:
        return run_plan(
            plan_request, data_dir=data_dir, index=index, regions=regions, progress=progress
        )

    return planning().jobs.submit(plan_request, work, cleanup=cleanup)


def shared_plan(plan_request: PlanRequest) -> str:
    """The id of the kept plan for exactly this request, queueing one if there is none.

    Embeds use it, so every reader of a page asking for the same plan shares one job.
    """
    plan_request = dataclasses.replace(
        plan_request, radius_m=plan_request.radius, kind=plan_request.station_kind
    )  # defaults spelt out, so that equal plans compare equal
    return planning().jobs.find(plan_request) or queue_plan(plan_request)


def _time(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")


def _request_json(plan_request: PlanRequest) -> dict[str, Any]:
    return {
        "region": plan_request.region,
        "new": plan_request.new,
        "radius_m": plan_request.radius,
        "kind": plan_request.station_kind,
        "amenities": list(plan_request.amenities),
        "min_spacing_m": plan_request.min_spacing_m,
        "quotas": {k: list(v) for k, v in plan_request.quotas.items()},
        "time_limit_s": plan_request.time_limit_s,
        "demand": "uploaded file" if plan_request.demand_path else "default model",
        "candidates": "uploaded file" if plan_request.candidates_path else "demand cells",
        "exclusions": "uploaded file" if plan_request.exclusions_path else None,
    }


def _status_json(job: JobStatus) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": job.id,
        "status": job.status,
        "progress": {"stage": job.stage, "fraction": round(job.fraction, 3)},
        "request": _request_json(job.request),
        "created_at": _time(job.created_at),
        "started_at": _time(job.started_at),
        "finished_at": _time(job.finished_at),
        "synthetic": state().table.info.synthetic,
    }
    if job.error is not None:
        out["error"] = job.error
    if job.plan is not None:
        out["summary"] = export.summary(job.plan)
        out["curve"] = [round(float(share), 6) for share in job.plan.result.curve]
        out["downloads"] = {
            fmt: url_for("plans.plan_sites", plan_id=job.id, fmt=fmt) for fmt in export.MEDIA_TYPES
        }
    return out


@bp.get("/plans/<plan_id>")
def plan_status(plan_id: str) -> Any:
    """A plan's status and progress, and its summary and coverage curve once done.
    ---
    get:
      summary: Plan status and result
      parameters:
        - {name: plan_id, in: path, required: true, schema: {type: string}}
      responses:
        200: {description: 'status (queued, running, done, failed), progress {stage,
              fraction}, request; when done: summary (covered_share_before/after,
              covered weights, upper_bound, gap, method, seconds, new), curve (covered share
              after 0..new sites) and downloads; when failed: error'}
        404: {description: 'no such plan (plans are kept in memory, the last 50 finished)',
              content: {application/json: {schema: Error}}}
    """
    return _status_json(planning().jobs.get(plan_id))


@bp.get("/plans/<plan_id>/sites.<any(geojson, csv, gpkg):fmt>")
def plan_sites(plan_id: str, fmt: str) -> Any:
    """A finished plan's new sites as GeoJSON, CSV or GeoPackage.
    ---
    get:
      summary: Download the new sites
      description: 'GeoJSON: FeatureCollection of points [lon, lat] in rank order with
        marginal_gain, covered_share_after, district and host_type. CSV: the same, UTF-8
        with BOM. GeoPackage: layers new_sites, uncovered_demand and district_summary.'
      parameters:
        - {name: plan_id, in: path, required: true, schema: {type: string}}
        - {name: fmt, in: path, required: true,
           schema: {type: string, enum: [geojson, csv, gpkg]}}
      responses:
        200: {description: 'the file, as an attachment'}
        404: {description: 'no such plan', content: {application/json: {schema: Error}}}
        409: {description: 'the plan is not done (queued, running or failed)',
              content: {application/json: {schema: Error}}}
    """
    plan = planning().jobs.plan(plan_id)
    if fmt == "geojson":
        text = json.dumps(export.sites_geojson(plan), ensure_ascii=False, allow_nan=False)
        body = text.encode("utf-8")
    elif fmt == "csv":
        body = export.sites_csv(plan)
    else:
        body = export.gpkg_bytes(plan, region_districts(plan.request.region))
    return Response(
        body,
        mimetype=export.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="plan-{plan_id}-sites.{fmt}"'},
    )
