"""Print maps under ``/api/v1/maps``: PNG and SVG of the coverage and plan views.

The parameters are the embeds' (``/embed/<view>``): ``lang``, ``dark``, and per view
``region``, ``kind``, ``amenities``, ``radius_m`` (coverage) or ``plan`` (plan, whose
own settings are drawn). Unknown parameters, and those the view does not use, are
refused. Drawing is :mod:`locator.render`'s; the region's demand model comes from the
plans' :class:`~locator.plans.DemandCache`, and the last :data:`CACHED_IMAGES` images
are kept, so asking again for the same map costs nothing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask.blueprints import BlueprintSetupState

from locator import i18n, params, render, state
from locator.api_plan_params import parse_radius, parse_region
from locator.api_plans import planning, shared_plan
from locator.embedding import MAX_EMBED_NEW
from locator.errors import BadQuery
from locator.index import Filters
from locator.plan import REGION_KIND, PlanRequest

bp = Blueprint("map_images", __name__, url_prefix="/api/v1")

EXTENSION = "locator.map_images"
CACHED_IMAGES = 16
COMMON = ("lang", "dark")
VIEW_PARAMS = {
    "coverage": ("region", "kind", "amenities", "radius_m"),
    "plan": ("plan", "new", "region", "kind", "amenities", "radius_m"),
}


class ImageCache:
    """The most recently rendered images (least recently used dropped); thread-safe."""

    def __init__(self, size: int = CACHED_IMAGES) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, render.Rendered] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> render.Rendered | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Hashable, image: render.Rendered) -> None:
        with self._lock:
            self._items[key] = image
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


@bp.record_once
def _set_up(setup: BlueprintSetupState) -> None:
    setup.app.extensions[EXTENSION] = ImageCache()


def _style(fmt: str) -> render.MapStyle:
    args = request.args
    lang = args.get("lang")
    if lang is not None and lang not in render.LANGS:
        raise BadQuery(f"lang must be zh or en, got {lang!r}.")
    chosen = i18n.choose(lang, request.accept_languages)
    dark = args.get("dark")  # like the embeds: ?dark alone turns it on
    return render.MapStyle(fmt, chosen, params.parse_bool("dark", dark, default=dark is not None))


def _check_names(view: str) -> None:
    allowed = COMMON + VIEW_PARAMS[view]
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        raise BadQuery(
            f"unknown parameter {', '.join(unknown)} for the {view} map; use {', '.join(allowed)}."
        )


def _coverage(style: render.MapStyle) -> tuple[Hashable, Callable[[], render.Rendered]]:
    """The cache key of the coverage map asked for, and a function drawing it."""
    args = request.args
    region = parse_region(args.get("region"))
    kind = params.parse_kind(args.get("kind")) or REGION_KIND[region]
    keys = tuple(sorted(set(params.parse_amenities(args.get("amenities")))))
    radius_m = parse_radius(args.get("radius_m"), region, kind)
    st, demand = state(), planning().demand

    def draw() -> render.Rendered:
        return render.coverage_map(
            style,
            region=region,
            filters=Filters(kind=kind, amenities=keys),
            radius_m=radius_m,
            demand=demand.get(region),
            index=st.index,
            regions=st.regions,
            dataset=st.table.info,
        )

    return ("coverage", style, region, kind, keys, radius_m), draw


def _plan(style: render.MapStyle) -> tuple[Hashable, Callable[[], render.Rendered]]:
    """The cache key of the plan map asked for, and a function drawing it."""
    args = request.args
    plan_id = args.get("plan")
    if bool(plan_id) == bool(args.get("new")):
        raise BadQuery(
            "give either plan=<id> (the id POST /api/v1/plans answered with) or new=<number of "
            "sites> with region, radius_m, kind and amenities, as for the embeds."
        )
    if not plan_id:  # the plan for these parameters, shared with the embeds
        region = parse_region(args.get("region"))
        kind = params.parse_kind(args.get("kind"))
        plan_id = shared_plan(
            PlanRequest(
                region=region,
                new=params.parse_int("new", args.get("new"), 1, 1, MAX_EMBED_NEW),
                radius_m=parse_radius(args.get("radius_m"), region, kind or REGION_KIND[region]),
                kind=kind,
                amenities=params.parse_amenities(args.get("amenities")),
            )
        )
    plan = planning().jobs.plan(plan_id)  # 404 unknown, 409 not done or failed
    modelled = plan.request.demand_path is None
    st, demand = state(), planning().demand

    def draw() -> render.Rendered:
        return render.plan_map(
            style,
            plan,
            demand=demand.get(plan.request.region) if modelled else None,
            index=st.index,
            regions=st.regions,
            dataset=st.table.info,
        )

    return ("plan", style, plan_id), draw


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
           schema: {type: string, enum: [coverage, plan]}}
        - {name: fmt, in: path, required: true, schema: {type: string, enum: [png, svg]}}
        - {name: lang, in: query, schema: {type: string, enum: [zh, en]},
           description: 'default: from Accept-Language, else zh'}
        - {name: dark, in: query, schema: {type: boolean, default: false},
           description: 'dark background; ?dark alone means true'}
        - {name: region, in: query, schema: {type: string, enum: [beijing, shaanxi],
           default: beijing}, description: 'coverage view only'}
        - {name: kind, in: query, schema: {type: string, enum: [warm_heart, driver_home]},
           description: 'coverage view only; default: the region''s kind'}
        - {name: amenities, in: query, schema: {type: string}, example: 'shower',
           description: 'coverage view only; count only stations with all of these'}
        - {name: radius_m, in: query, schema: {type: number, exclusiveMinimum: 0},
           description: 'coverage view only; default 1000 (warm_heart) or 15000
             (driver_home); at most 5000 in beijing and 30000 in shaanxi'}
        - {name: plan, in: query, schema: {type: string},
           description: 'plan view: the id of a finished plan (or give new instead)'}
        - {name: new, in: query, schema: {type: integer, minimum: 1, maximum: 5000},
           description: 'plan view: plan this many sites with region, radius_m, kind and
             amenities (one shared job per parameter set, as for the embeds; 409 until done)'}
      responses:
        200: {description: 'the image (image/png or image/svg+xml)'}
        400: {description: 'bad or missing parameter, or one the view does not use',
              content: {application/json: {schema: Error}}}
        404: {description: 'no such plan', content: {application/json: {schema: Error}}}
        409: {description: 'the plan is not done (queued, running or failed)',
              content: {application/json: {schema: Error}}}
    """
    _check_names(view)
    style = _style(fmt)
    key, draw = _coverage(style) if view == "coverage" else _plan(style)
    cache: ImageCache = current_app.extensions[EXTENSION]
    image = cache.get(key)
    if image is None:
        image = draw()
        cache.put(key, image)
    return Response(
        image.body,
        mimetype=image.media_type,
        headers={
            "Content-Disposition": f'inline; filename="{view}-map.{fmt}"',
            "Content-Language": image.lang,
            "Vary": "Accept-Language",
            "Cache-Control": "public, max-age=300",
        },
    )
