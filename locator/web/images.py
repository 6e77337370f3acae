"""Print maps under ``/api/v1/maps``: PNG and SVG of the coverage and plan views.

The parameters are the embeds' (``/embed/<view>``): ``lang``, ``dark``, and per view
``region``, ``kind``, ``amenities``, ``radius_m`` (coverage) or ``plan`` (plan, whose
own settings are drawn). Unknown parameters, and those the view does not use, are
refused. Drawing is :mod:`locator.render.sheet`'s; the region's demand model comes from the
app's :class:`~locator.planning.service.Planner`, and the last images are kept
(:class:`~locator.web.state.State`), so asking again for the same map costs nothing. A
coverage map is drawn at its radius rounded to the planner's step (``RADIUS_STEP_M``), so
nearby radii share one drawing. A map not in the cache is counted against the client's
budget (:mod:`locator.web.budget`) and drawn in one of the worker's render slots within
the request's deadline (:mod:`locator.web.work`). A GET never starts a plan: ``new=``
draws a plan already run with those parameters.

Anonymous readers get only published plans (404 for any other); a caller with the planner
role (token or signed-in session) may draw any done plan. A published plan's images are
also kept in the database (:mod:`locator.planning.images`), so every worker serves them
without drawing them again, with ``Cache-Control: public`` and an ``ETag``; an unpublished
plan's image is ``private``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from typing import Any

from flask import Blueprint, Response, current_app, request

from locator import params
from locator.errors import BadQuery, NotFound, Unauthorized
from locator.maps.embed import MAX_EMBED_NEW
from locator.planning import images as kept_images
from locator.planning.plan import REGION_KIND, PlanRequest
from locator.planning.registry import JobStatus
from locator.planning.request import parse_radius, parse_region, rounded_radius
from locator.render import scene, sheet
from locator.web import i18n
from locator.web.auth import identity
from locator.web.budget import charge
from locator.web.state import data, state
from locator.web.work import render

bp = Blueprint("map_images", __name__, url_prefix="/api/v1")

COMMON = ("lang", "dark")
VIEW_PARAMS = {
    "coverage": ("region", "kind", "amenities", "radius_m"),
    "plan": ("plan", "new", "region", "kind", "amenities", "radius_m"),
}


def _style(fmt: str) -> scene.MapStyle:
    args = request.args
    lang = args.get("lang")
    if lang is not None and lang not in scene.LANGS:
        raise BadQuery(f"lang must be zh or en, got {lang!r}.")
    chosen = i18n.choose(lang, request.accept_languages)
    dark = args.get("dark")  # like the embeds: ?dark alone turns it on
    return scene.MapStyle(fmt, chosen, params.parse_bool("dark", dark, default=dark is not None))


def _check_names(view: str) -> None:
    allowed = COMMON + VIEW_PARAMS[view]
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        raise BadQuery(
            f"unknown parameter {', '.join(unknown)} for the {view} map; use {', '.join(allowed)}."
        )


def _coverage(style: scene.MapStyle) -> tuple[Hashable, Callable[[], scene.Rendered], str]:
    """The cache key of the coverage map asked for, a function drawing it, and the region
    whose demand model it draws."""
    args = request.args
    region = parse_region(args.get("region"), state().regions)
    kind = params.parse_kind(args.get("kind")) or REGION_KIND[region]
    keys = tuple(sorted(set(params.parse_amenities(args.get("amenities")))))
    radius_m = rounded_radius(parse_radius(args.get("radius_m"), region, kind))
    st, served = state(), data()

    def draw() -> scene.Rendered:
        return sheet.coverage_map(
            style,
            region=region,
            filters=params.Filters(kind=kind, amenities=keys),
            radius_m=radius_m,
            demand=st.planner.demand.get(region),  # built beforehand (map_image)
            index=served.index,
            regions=st.regions,
            dataset=served.table.info,
        )

    return ("coverage", style, region, kind, keys, radius_m), draw, region


def _planner_asks() -> bool:
    """Whether the caller has the planner role. Without a token or a session cookie the
    session is not touched (so the answer does not vary by cookie); a bad token is an
    anonymous reader here."""
    cookie = current_app.config["SESSION_COOKIE_NAME"]
    if "Authorization" not in request.headers and cookie not in request.cookies:
        return False
    try:
        found = identity()
    except Unauthorized:
        return False
    return found is not None and found.may("planner")


def _plan(
    style: scene.MapStyle,
) -> tuple[Hashable, Callable[[], scene.Rendered], str | None, JobStatus]:
    """The cache key of the plan map asked for, a function drawing it, the region whose
    demand model it draws (None: the plan's own demand points), and the plan."""
    args = request.args
    plan_id = args.get("plan")
    if bool(plan_id) == bool(args.get("new")):
        raise BadQuery(
            "give either plan=<id> (the id POST /api/v1/plans answered with) or new=<number of "
            "sites> with region, radius_m, kind and amenities, as for the embeds."
        )
    st = state()
    planner = _planner_asks()
    if not plan_id:  # a kept plan for these parameters; a GET never starts one
        region = parse_region(args.get("region"), st.regions)
        kind = params.parse_kind(args.get("kind"))
        plan_id = st.planner.find(
            PlanRequest(
                region=region,
                new=params.parse_int("new", args.get("new"), 1, 1, MAX_EMBED_NEW),
                radius_m=parse_radius(args.get("radius_m"), region, kind or REGION_KIND[region]),
                kind=kind,
                amenities=params.parse_amenities(args.get("amenities")),
            ),
            published_only=not planner,
        )
        if plan_id is None:
            raise NotFound(
                "no plan with these parameters has been run and published; start one with "
                "POST /api/v1/plans."
            )
    job = st.planner.plans.get(plan_id)  # 404 unknown
    if not (job.published or planner):
        raise NotFound(
            f"no published plan {plan_id!r}; a planner publishes plans on /plans, and may "
            "draw unpublished ones with their token."
        )
    plan = st.planner.plans.plan(plan_id)  # 409 not done or failed
    modelled = plan.request.demand_path is None
    served = data()

    def draw() -> scene.Rendered:
        return sheet.plan_map(
            style,
            plan,
            demand=st.planner.demand.get(plan.request.region) if modelled else None,
            index=served.index,
            regions=st.regions,
            dataset=served.table.info,
        )

    return ("plan", style, plan_id), draw, plan.request.region if modelled else None, job


@bp.get("/maps/<any(coverage, plan):view>.<any(png, svg):fmt>")
def map_image(view: str, fmt: str) -> Any:
    """A map for print: PNG (2,400 px wide) or SVG of the coverage or plan view.
    ---
    get:
      summary: Coverage or plan map as PNG or SVG
      description: 'Drawn on the server in an Albers equal-area projection (no tiles):
        district boundaries, existing stations, the covered area, uncovered demand by
        500 m (Beijing) or 2 km (Shaanxi) cell, and for the plan view the proposed sites
        (the top 10 numbered); with a title, legend, source line and notes saying when the
        stations are synthetic and that the demand is modelled. The plan view draws the
        plan''s own region, kind, amenities and radius. Without a CJK font on the server
        a zh map is drawn in English (the Content-Language header says which).'
      parameters:
        - {name: view, in: path, required: true,
           schema: {type: string, enum: [coverage, plan]}, example: coverage}
        - {name: fmt, in: path, required: true, schema: {type: string, enum: [png, svg]},
           example: svg}
        - {name: lang, in: query, schema: {type: string, enum: [zh, en]},
           description: 'default: from Accept-Language, else zh'}
        - {name: dark, in: query, schema: {type: boolean, default: false},
           description: 'dark background; ?dark alone means true'}
        - {name: region, in: query, schema: {type: string, default: beijing},
           example: beijing, description: 'a loaded region by key, name or adcode'}
        - {name: kind, in: query, schema: Kind,
           description: 'default: the region''s kind'}
        - {name: amenities, in: query, schema: {type: string}, example: 'shower',
           description: 'count only stations with all of these'}
        - {name: radius_m, in: query, example: 2000,
           schema: {type: number, minimum: 0, exclusiveMinimum: true, maximum: 30000},
           description: 'metres; default 1000 (warm_heart) or 15000 (driver_home); at most
             5000 in beijing and 30000 in shaanxi'}
        - {name: plan, in: query, schema: {type: string},
           description: 'plan view only: the id of a finished plan (or give new instead)'}
        - {name: new, in: query, schema: {type: integer, minimum: 1, maximum: 5000},
           description: 'plan view only: draw the plan already run for this many sites with
             region, radius_m, kind and amenities (a GET never starts one: 404 when none was
             run, 409 until it is done)'}
      responses:
        200:
          description: 'the image; Content-Language says which language it is drawn in'
          headers:
            Content-Language: {schema: {type: string, enum: [zh, en]}}
          content:
            image/png: {schema: {type: string, format: binary}}
            image/svg+xml: {schema: {type: string}}
        400: {description: 'bad or missing parameter, or one the view does not use',
              content: {application/json: {schema: Error}}}
        404: {description: 'no such plan', content: {application/json: {schema: Error}}}
        409: {description: 'the plan is not done (queued, running or failed)',
              content: {application/json: {schema: Error}}}
        429: TooManyRequests
        503: ServiceUnavailable
    """
    _check_names(view)
    style = _style(fmt)
    job: JobStatus | None = None
    region: str | None
    if view == "coverage":
        key, draw, region = _coverage(style)
    else:
        key, draw, region, job = _plan(style)
    published = job is not None and job.published
    cache, engine = state().images, state().engine
    stored_key = kept_images.image_key(view, style)  # the plan's own images in the database
    image = cache.get(key)
    if image is None and job is not None and published:
        stored = kept_images.find(engine, job.id, stored_key)
        if stored is not None:
            image = scene.Rendered(stored.content, stored.media_type, style.lang, (0, 0), 0.0)
            cache.put(key, image)
    elif image is not None and job is not None and published and image.lang == style.lang:
        # drawn here before it was (re)published: offer it to the other workers too
        kept_images.keep(engine, job.id, stored_key, image.media_type, image.body)
    if image is None:
        charge()
        if region is not None:  # built here, where it is kept for the next map
            state().planner.demand.get(region)
        image = render(draw, f"drawing the {view} map")
        cache.put(key, image)
        if job is not None and published and image.lang == style.lang:
            kept_images.keep(engine, job.id, stored_key, image.media_type, image.body)
    private = job is not None and not published  # only a planner sees it
    response = Response(
        image.body,
        mimetype=image.media_type,
        headers={
            "Content-Disposition": f'inline; filename="{view}-map.{fmt}"',
            "Content-Language": image.lang,
            "Vary": "Accept-Language",
            "Cache-Control": "private, no-cache" if private else "public, max-age=300",
        },
    )
    if published:
        response.set_etag(hashlib.sha256(image.body).hexdigest())
        response.make_conditional(request)
    return response
