"""Siting-plan endpoints under ``/api/v1``.

``POST /plans`` checks every parameter it can (a bad one is a 400, see
:mod:`locator.planning.request`; a bad uploaded demand, candidate or exclusion file a
422, all before anything is queued), then queues the plan with the app's
:class:`~locator.planning.service.Planner` and answers 202 with the plan's URL.
Clients poll ``GET /plans/<id>`` and then download the sites. Planners list plans
(``GET /plans``), rename, publish or unpublish them (``PATCH /plans/<id>``) and delete them
(``DELETE /plans/<id>``); each change is audited by the registry. Each POST is counted
against the client's budget (:mod:`locator.web.budget`); one that takes longer than the
request deadline to read and check (:mod:`locator.web.work`) is not queued (503).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, g, request, url_for

from locator import params
from locator.db import suggestions
from locator.errors import BadQuery
from locator.planning import export, suggested
from locator.planning.plan import PlanRequest
from locator.planning.registry import JobStatus
from locator.planning.request import (
    UPLOADS,
    parse_name,
    read_plan_change,
    read_plan_request,
    region_districts,
)
from locator.stations import readers
from locator.web.auth import require
from locator.web.bodies import json_body, loads
from locator.web.budget import charge
from locator.web.state import data, state
from locator.web.work import check_deadline

bp = Blueprint("plans", __name__, url_prefix="/api/v1")
DEFAULT_PAGE, MAX_PAGE = 50, 500  # plans listed at once


def _options() -> dict[str, Any]:
    """Plan parameters from a JSON object or a multipart form (quotas as JSON text)."""
    if request.mimetype == "multipart/form-data":
        options: dict[str, Any] = dict(request.form)
        if "quotas" in options:
            options["quotas"] = loads(options["quotas"], "quotas", '{"110105": [2, 10]}')
        return options
    body = json_body()
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
@require("planner")
def submit_plan() -> Any:
    """Queue a siting plan; poll the returned URL for its progress and result.
    ---
    post:
      summary: Start a siting plan (runs in the background; planner role)
      security: [{token: []}]
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
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [new]
              additionalProperties: false
              properties: &fields
                name: {type: string, maxLength: 120,
                       description: 'what planners call the plan (stripped); default empty'}
                region: {type: string, default: beijing,
                         description: 'a loaded region by key, name or adcode (杭州市,
                           Hangzhou, 330100); plans keep its key (beijing, shaanxi, adcode)'}
                new: {type: integer, minimum: 1, maximum: 100000,
                      description: 'new sites to place; at most the candidate sites'}
                radius_m: {type: number, minimum: 0, exclusiveMinimum: true, maximum: 30000,
                           description: 'metres; default 1000 (warm_heart) or 15000
                             (driver_home); at most 5000 in beijing, 30000 in shaanxi'}
                kind: Kind
                amenities: {type: array, items: {type: string},
                            description: 'existing stations count only with all of these'}
                min_spacing_m: {type: number, minimum: 0, maximum: 50000, default: 0}
                quotas:
                  type: object
                  description: 'district adcode or name: [least, most] new sites, null for
                    no bound'
                  additionalProperties:
                    type: array
                    minItems: 2
                    maxItems: 2
                    items: {type: integer, minimum: 0, nullable: true}
                time_limit_s: {type: number, minimum: 0, exclusiveMinimum: true,
                               maximum: 300, default: 60}
                suggestion_weight:
                  type: number
                  minimum: 0
                  maximum: 1000000
                  default: 0
                  description: 'add the workers'' suggestions ("there should be a station
                    here", POST /api/v1/suggestions) to the demand, each weighing this much;
                    0 or absent: not used. The plan keeps the suggestions it used.'
                demand_crs: {type: string, example: gcj02}
                candidates_crs: {type: string, example: 'EPSG:4326'}
                exclusions_crs: {type: string, example: wgs84}
            examples:
              beijing:
                summary: '20 warm-heart stations in Beijing, at least 2 in 海淀区'
                value: {region: beijing, new: 20, radius_m: 1000, quotas: {'110108': [2, null]},
                        time_limit_s: 30}
              shaanxi: {summary: 'a driver''s home every 15 km in Shaanxi',
                        value: {region: shaanxi, new: 10, kind: driver_home}}
          multipart/form-data:
            schema:
              type: object
              required: [new]
              additionalProperties: false
              properties:
                <<: *fields
                quotas: {type: string, description: 'as in JSON, as JSON text',
                         example: '{"110108": [2, null]}'}
                amenities: {type: string, description: 'comma-separated amenity keys'}
                demand: {type: string, format: binary,
                         description: 'weighted points: CSV, XLSX, GeoJSON or GeoPackage'}
                candidates: {type: string, format: binary,
                             description: 'the only places new sites may go (a station file)'}
                exclusions: {type: string, format: binary,
                             description: 'polygons where no new site may go: GeoJSON or
                               GeoPackage'}
            example:
              new: 2
              time_limit_s: 5
              demand: |
                lon,lat,weight
                116.40,39.91,10
                116.46,39.91,5
      responses:
        202:
          description: 'queued; the Location header is the status URL'
          headers:
            Location: {required: true, schema: {type: string}, example: /api/v1/plans/NoGLRAopB1c}
          content:
            application/json:
              schema:
                type: object
                required: [id, status, url]
                properties:
                  id: {type: string}
                  status: {type: string, enum: [queued]}
                  url: {type: string}
              example: {id: NoGLRAopB1c, status: queued, url: /api/v1/plans/NoGLRAopB1c}
        400: {description: 'bad parameter: unknown region, kind, amenity or parameter,
              radius_m <= 0 or too large, new larger than the candidate sites (the uploaded
              candidates outside the exclusion zones, else the populated demand cells),
              time_limit_s over 300, malformed quotas, or more demand-cell and candidate
              pairs within radius_m than LOCATOR_PLAN_MAX_PAIRS',
              content: {application/json: {schema: Error}}}
        401: Unauthorized
        403: Forbidden
        405: MethodNotAllowed
        413: PayloadTooLarge
        422: {description: 'an uploaded file is unreadable or has bad rows or features
              (named by number)',
              content: {application/json: {schema: Error}}}
        429:
          description: 'the plan queue is full (LOCATOR_PLAN_QUEUE), or this client has
            used its budget for expensive requests; try again after Retry-After'
          headers:
            Retry-After: {required: true, schema: {type: integer, minimum: 0},
                          description: 'seconds to wait'}
          content: {application/json: {schema: Error}}
        503: ServiceUnavailable
    """
    charge()
    st = state()
    folder = Path(tempfile.mkdtemp(prefix="locator-upload-"))
    try:  # the files go into the database with the plan; this copy is only for checking
        options = _options()
        plan_request = read_plan_request(options, _saved_uploads(folder), st.regions)
        if plan_request.suggestion_weight > 0:  # today's suggestions, kept with the plan
            found = suggestions.all_suggestions(st.engine)
            cells = suggested.cells((s.lon, s.lat) for s in found)
            plan_request = dataclasses.replace(plan_request, suggestions=cells)
        job_id = st.planner.queue(
            plan_request,
            actor=g.identity.name,
            name=parse_name(options.get("name")),
            ready=lambda: check_deadline("reading and checking this plan"),
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    url = url_for("plans.plan_status", plan_id=job_id)
    body = {"id": job_id, "status": "queued", "url": url}
    return body, 202, {"Location": url}


def _time(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # SQLite gives back naive times; they were written in UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.isoformat(timespec="seconds")


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
        "suggestion_weight": plan_request.suggestion_weight,
        "suggestions": sum(n for _, _, n in plan_request.suggestions),
    }


def _status_json(job: JobStatus) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": job.id,
        "name": job.name,
        "published": job.published,
        "status": job.status,
        "progress": {"stage": job.stage, "fraction": round(job.fraction, 3)},
        "request": _request_json(job.request),
        "created_at": _time(job.created_at),
        "started_at": _time(job.started_at),
        "finished_at": _time(job.finished_at),
        "synthetic": data().table.info.synthetic,
    }
    if job.error is not None:
        out["error"] = job.error
    if job.summary is not None and job.curve is not None:
        out["summary"] = job.summary
        out["curve"] = [round(float(share), 6) for share in job.curve]
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
        - {name: plan_id, in: path, required: true, schema: {type: string},
           example: NoGLRAopB1c}
      responses:
        200:
          description: 'status (queued, running, done, failed), progress {stage,
            fraction}, request; when done: summary (covered_share_before/after,
            covered weights, upper_bound, gap, method, seconds, new), curve (covered share
            after 0..new sites) and downloads; when failed: error'
          content:
            application/json:
              schema:
                type: object
                required: [id, name, published, status, progress, request, created_at,
                           synthetic]
                properties:
                  id: {type: string}
                  name: {type: string}
                  published: {type: boolean}
                  status: {type: string, enum: [queued, running, done, failed]}
                  progress:
                    type: object
                    properties:
                      stage: {type: string}
                      fraction: {type: number, minimum: 0, maximum: 1}
                  request: {type: object}
                  created_at: {type: string, format: date-time}
                  started_at: {type: string, format: date-time, nullable: true}
                  finished_at: {type: string, format: date-time, nullable: true}
                  synthetic: {type: boolean}
                  error: {type: string}
                  summary: {type: object}
                  curve: {type: array, items: {type: number, minimum: 0, maximum: 1}}
                  downloads: {type: object, additionalProperties: {type: string}}
              example:
                id: NoGLRAopB1c
                name: east side, 2 sites
                published: false
                status: done
                progress: {stage: done, fraction: 1.0}
                request: {region: beijing, new: 2, radius_m: 1000.0, kind: warm_heart,
                          time_limit_s: 5.0, demand: uploaded file}
                created_at: '2024-05-01T08:00:00+00:00'
                started_at: '2024-05-01T08:00:00+00:00'
                finished_at: '2024-05-01T08:00:01+00:00'
                synthetic: true
                summary: {new: 2, covered_share_before: 0.125, covered_share_after: 0.9375,
                          gap: 0.0}
                curve: [0.125, 0.75, 0.9375]
                downloads: {csv: /api/v1/plans/NoGLRAopB1c/sites.csv}
        404: {description: 'no such plan (never made, or deleted)',
              content: {application/json: {schema: Error}}}
    """
    return _status_json(state().planner.plans.get(plan_id))


def _item_json(job: JobStatus) -> dict[str, Any]:
    """A plan as the list shows it: who ran it, when, with what, and its coverage."""
    out: dict[str, Any] = {
        "id": job.id,
        "name": job.name,
        "created_by": job.created_by,
        "created_at": _time(job.created_at),
        "finished_at": _time(job.finished_at),
        "status": job.status,
        "published": job.published,
        "request": _request_json(job.request),
        "url": url_for("plans.plan_status", plan_id=job.id),
    }
    if job.summary is not None:
        out["covered_share_before"] = job.summary["covered_share_before"]
        out["covered_share_after"] = job.summary["covered_share_after"]
    return out


@bp.get("/plans")
@require("planner")
def plan_list() -> Any:
    """The plans, newest first, a page at a time (planner role).
    ---
    get:
      summary: List plans, newest first (planner role)
      security: [{token: []}]
      description: 'Who ran which plan, when and with what inputs, its status, whether it
        is published and, when done, the covered share before and after. Pages with limit
        and offset; next is the URL of the next page, or null on the last.'
      parameters:
        - {name: limit, in: query, example: 20,
           schema: {type: integer, minimum: 1, maximum: 500, default: 50}}
        - {name: offset, in: query, example: 0,
           schema: {type: integer, minimum: 0, maximum: 1000000, default: 0}}
      responses:
        200:
          description: 'a page of plans'
          content:
            application/json:
              schema:
                type: object
                required: [plans, total, limit, offset, next]
                properties:
                  plans:
                    type: array
                    items:
                      type: object
                      required: [id, name, created_by, created_at, status, published,
                                 request, url]
                      properties:
                        id: {type: string}
                        name: {type: string}
                        created_by: {type: string}
                        created_at: {type: string, format: date-time}
                        finished_at: {type: string, format: date-time, nullable: true}
                        status: {type: string, enum: [queued, running, done, failed]}
                        published: {type: boolean}
                        request: {type: object}
                        url: {type: string}
                        covered_share_before: {type: number, minimum: 0, maximum: 1}
                        covered_share_after: {type: number, minimum: 0, maximum: 1}
                  total: {type: integer, minimum: 0}
                  limit: {type: integer, minimum: 1}
                  offset: {type: integer, minimum: 0}
                  next: {type: string, nullable: true}
              example:
                plans:
                  - {id: NoGLRAopB1c, name: east side, created_by: li,
                     created_at: '2024-05-01T08:00:00+00:00',
                     finished_at: '2024-05-01T08:00:01+00:00', status: done,
                     published: true, request: {region: beijing, new: 2},
                     url: /api/v1/plans/NoGLRAopB1c, covered_share_before: 0.125,
                     covered_share_after: 0.9375}
                total: 1
                limit: 50
                offset: 0
                next: null
        400: {description: 'bad limit or offset', content: {application/json: {schema: Error}}}
        401: Unauthorized
        403: Forbidden
    """
    args = request.args
    unknown = sorted(set(args) - {"limit", "offset"})
    if unknown:
        raise BadQuery(f"unknown parameter {', '.join(unknown)}; use limit and offset.")
    limit = params.parse_int("limit", args.get("limit"), DEFAULT_PAGE, 1, MAX_PAGE)
    offset = params.parse_int("offset", args.get("offset"), 0, 0, 1_000_000)
    page = state().planner.plans.page(limit, offset)
    more = offset + len(page.plans) < page.total
    return {
        "plans": [_item_json(job) for job in page.plans],
        "total": page.total,
        "limit": limit,
        "offset": offset,
        "next": url_for("plans.plan_list", limit=limit, offset=offset + limit) if more else None,
    }


@bp.patch("/plans/<plan_id>")
@require("planner")
def change_plan(plan_id: str) -> Any:
    """Rename, publish or unpublish a plan (planner role).
    ---
    patch:
      summary: Rename, publish or unpublish a plan (planner role)
      security: [{token: []}]
      description: 'Body: {"name": "...", "published": true|false}, either or both. Only
        a done plan can be published; published plans are what embeds and anonymous print
        maps show. Unpublishing drops the plan''s kept map images.'
      parameters:
        - {name: plan_id, in: path, required: true, schema: {type: string},
           example: NoGLRAopB1c}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              minProperties: 1
              additionalProperties: false
              properties:
                name: {type: string, maxLength: 120}
                published: {type: boolean}
            example: {name: east side, published: true}
      responses:
        200:
          description: 'the plan as the list shows it'
          content:
            application/json:
              schema: {type: object, required: [id, name, published, status]}
              example: {id: NoGLRAopB1c, name: east side, created_by: li, status: done,
                        published: true, request: {region: beijing, new: 2},
                        url: /api/v1/plans/NoGLRAopB1c}
        400: {description: 'not a JSON object of name and published, or a name over 120
              characters; a signed-in browser without its CSRF token',
              content: {application/json: {schema: Error}}}
        401: Unauthorized
        403: Forbidden
        404: {description: 'no such plan', content: {application/json: {schema: Error}}}
        409: {description: 'publishing a plan that is not done',
              content: {application/json: {schema: Error}}}
    """
    name, published = read_plan_change(json_body())
    job = state().planner.plans.change(plan_id, g.identity.name, name=name, published=published)
    return _item_json(job)


@bp.delete("/plans/<plan_id>")
@require("planner")
def delete_plan(plan_id: str) -> Any:
    """Delete a plan, its files and its kept images (planner role).
    ---
    delete:
      summary: Delete a plan (planner role)
      security: [{token: []}]
      description: 'A queued or running plan is deleted too; its worker finds nothing to
        report to.'
      parameters:
        - {name: plan_id, in: path, required: true, schema: {type: string},
           example: NoGLRAopB1c}
      responses:
        204: {description: 'deleted'}
        400: {description: 'a signed-in browser without its CSRF token',
              content: {application/json: {schema: Error}}}
        401: Unauthorized
        403: Forbidden
        404: {description: 'no such plan', content: {application/json: {schema: Error}}}
    """
    state().planner.plans.delete(plan_id, g.identity.name)
    return Response(status=204)


@bp.get("/plans/<plan_id>/sites.<any(geojson, csv, gpkg):fmt>")
def plan_sites(plan_id: str, fmt: str) -> Any:
    """A finished plan's new sites as GeoJSON, CSV or GeoPackage.
    ---
    get:
      summary: Download the new sites
      description: 'GeoJSON: FeatureCollection of points [lon, lat] in rank order with
        marginal_gain, covered_share_after, district and host_type, and a top-level
        caveats list ({input, status, note}: stations synthetic, demand modelled). CSV: the
        same, UTF-8 with BOM, the caveats in a last column ("stations synthetic; demand
        modelled"). GeoPackage: layers new_sites, uncovered_demand and district_summary
        (and suggested_demand when the plan used workers'' suggestions), and the table
        locator_caveats (input, status, note).'
      parameters:
        - {name: plan_id, in: path, required: true, schema: {type: string},
           example: NoGLRAopB1c}
        - {name: fmt, in: path, required: true,
           schema: {type: string, enum: [geojson, csv, gpkg]}, example: geojson}
      responses:
        200:
          description: 'the file, as an attachment'
          content:
            application/geo+json:
              schema:
                type: object
                required: [type, caveats, features]
                properties:
                  type: {type: string, enum: [FeatureCollection]}
                  caveats:
                    type: array
                    items:
                      type: object
                      required: [input, status, note]
                      properties:
                        input: {type: string, enum: [stations, demand]}
                        status: {type: string, enum: [synthetic, modelled]}
                        note: {type: string}
                  features: {type: array, items: {type: object}}
              example:
                type: FeatureCollection
                caveats:
                  - {input: stations, status: synthetic,
                     note: 'The stations are synthetic: generated by
                       locator.stations.synthetic, not real places.'}
                features:
                  - type: Feature
                    geometry: {type: Point, coordinates: [116.4, 39.91]}
                    properties: {rank: 1, marginal_gain: 50.0, covered_share_after: 0.75}
            text/csv:
              schema: {type: string}
              example: "rank,name,lon,lat,marginal_gain,covered_share_after,caveats\r\n1,\
                110105-0001,116.4,39.91,50.0,0.75,stations synthetic; demand modelled\r\n"
            application/geopackage+sqlite3: {schema: {type: string, format: binary}}
        404: {description: 'no such plan', content: {application/json: {schema: Error}}}
        409: {description: 'the plan is not done (queued, running or failed)',
              content: {application/json: {schema: Error}}}
    """
    plan = state().planner.plans.plan(plan_id)
    synthetic = data().table.info.synthetic
    if fmt == "geojson":
        collection = export.sites_geojson(plan, synthetic_stations=synthetic)
        body = json.dumps(collection, ensure_ascii=False, allow_nan=False).encode("utf-8")
    elif fmt == "csv":
        body = export.sites_csv(plan, synthetic_stations=synthetic)
    else:
        districts = region_districts(state().regions, plan.request.region)
        body = export.gpkg_bytes(plan, districts, synthetic_stations=synthetic)
    return Response(
        body,
        mimetype=export.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="plan-{plan_id}-sites.{fmt}"'},
    )
