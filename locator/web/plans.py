"""Siting-plan endpoints under ``/api/v1``.

``POST /plans`` checks every parameter it can (a bad one is a 400, see
:mod:`locator.planning.request`; a bad uploaded demand, candidate or exclusion file a
422, all before anything is queued), then queues the plan with the app's
:class:`~locator.planning.service.Planner` and answers 202 with the plan's URL.
Clients poll ``GET /plans/<id>`` and then download the sites.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, request, url_for

from locator.errors import BadQuery
from locator.planning import export
from locator.planning.jobs import JobStatus
from locator.planning.plan import PlanRequest
from locator.planning.request import UPLOADS, read_plan_request, region_districts
from locator.stations import readers
from locator.web.state import state

bp = Blueprint("plans", __name__, url_prefix="/api/v1")


def _options() -> dict[str, Any]:
    """Plan parameters from a JSON object or a multipart form (quotas as JSON text)."""
    if request.mimetype == "multipart/form-data":
        options: dict[str, Any] = dict(request.form)
        if "quotas" in options:
            try:
                options["quotas"] = json.loads(options["quotas"])
            except ValueError:
                raise BadQuery('quotas must be JSON like {"110105": [2, 10]}.') from None
        return options
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadQuery('send a JSON object like {"region": "beijing", "new": 10}.')
    return body


def _saved_uploads(folder: Path) -> dict[str, Path]:
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
    st = state()
    folder = Path(tempfile.mkdtemp(prefix="locator-upload-"))
    try:
        plan_request = read_plan_request(_options(), _saved_uploads(folder), st.regions)
        job_id = st.planner.queue(
            plan_request, cleanup=lambda: shutil.rmtree(folder, ignore_errors=True)
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    url = url_for("plans.plan_status", plan_id=job_id)
    body = {"id": job_id, "status": "queued", "url": url}
    return body, 202, {"Location": url}


def _time(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")


def _request_json(plan_request: PlanRequest) -> dict[str, Any]:
    return {
        "region": plan_request.region,
        "new": plan_request.new,
        "radius_m": plan_request.resolved_radius_m,
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
    return _status_json(state().planner.jobs.get(plan_id))


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
    plan = state().planner.jobs.plan(plan_id)
    if fmt == "geojson":
        text = json.dumps(export.sites_geojson(plan), ensure_ascii=False, allow_nan=False)
        body = text.encode("utf-8")
    elif fmt == "csv":
        body = export.sites_csv(plan)
    else:
        body = export.gpkg_bytes(plan, region_districts(state().regions, plan.request.region))
    return Response(
        body,
        mimetype=export.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="plan-{plan_id}-sites.{fmt}"'},
    )
