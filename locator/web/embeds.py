"""Blueprint for embeddable maps: ``/embed/<view>`` (an iframe's page) and ``/oembed``.

Views: ``stations`` (every station, read-only), ``coverage`` (district choropleth of the
covered share of modelled demand, from ``/api/v1/coverage``) and ``plan`` (a published
plan's proposed sites, ``plan=<id>``). Flags are parsed by :mod:`locator.maps.embed`; a bad
one is an HTML page with status 400 (the page sits in somebody's iframe), while ``/oembed``
answers in the API's JSON error shape. Embed pages may be framed by the origins of
``LOCATOR_EMBED_ORIGINS`` (``Content-Security-Policy: frame-ancestors``); every other page
keeps ``X-Frame-Options: DENY`` (:mod:`locator.web.headers`). Absolute URLs (the embed
code, oEmbed's ``html``) come from :func:`locator.web.urls.external_url`, never from an
untrusted Host header. Nothing here reads or
writes the session, so embed responses set no cookie. Station data never goes into the HTML:
the page's script fetches the compact points endpoint.
"""

from __future__ import annotations

import itertools
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, render_template, request, url_for
from flask_babel import force_locale, format_decimal, format_percent
from flask_babel import gettext as _

from locator import palette, params
from locator.errors import BadQuery, LocatorError, NotFound, TooBusy
from locator.maps import embed
from locator.maps.embed import Flags
from locator.planning import export
from locator.planning.plan import REGION_KIND, PlanRequest
from locator.planning.request import MAX_COVER_RADIUS_M
from locator.stations.table import select
from locator.web import i18n
from locator.web.budget import charge
from locator.web.handlers import locator_error
from locator.web.locale import current_lang, finder_text, select_locale
from locator.web.refusals import BUDGET_HEADER
from locator.web.state import data, state
from locator.web.urls import external_url, own_path

bp = Blueprint("embeds", __name__)


def parse_request_flags(view: str, args: Any) -> Flags:
    """The flags of an embed URL for this server (its loaded regions and radius caps)."""
    if view not in embed.VIEWS:
        raise NotFound(f"no embed view {view!r}; use one of {', '.join(embed.VIEWS)}.")
    return embed.parse_flags(view, args, state().regions.names, MAX_COVER_RADIUS_M)


def view_title(view: str) -> str:
    titles = {
        "stations": _("Rest stations for outdoor workers"),
        "coverage": _("Coverage of modelled demand by rest stations"),
        "plan": _("Proposed new rest stations"),
    }
    return titles[view]


def snippet(src: str, title: str, width: int, height: int) -> str:
    """The HTML a host page pastes: the iframe and the script that resizes it."""
    script = external_url("static", filename="js/embed-host.js")
    html = render_template(
        "embed_snippet.html", src=src, script=script, title=title, width=width, height=height
    )
    return html.strip()


@bp.app_context_processor
def embed_code_context() -> dict[str, Any]:
    """``embed_code(view, **flags)`` for pages that offer their map as an embed."""

    def embed_code(view: str = "stations", **flags: str) -> str:
        src = external_url("embeds.embed", view=view, **flags, lang=current_lang())
        return snippet(src, view_title(view), embed.WIDTH_PX, embed.HEIGHT_PX["full"])

    return {"embed_code": embed_code}


# --- the embed page ----------------------------------------------------------------------------


def embed_text() -> dict[str, str]:
    """Interface text embed.js shows; ``{name}`` marks a value it fills in."""
    finder = finder_text()
    return {
        "loading": _("Loading…"),
        "failed": _("The map data could not be loaded."),
        "coverage": _(
            "{covered} of the modelled demand lies within {radius} of a station; "
            "{uncovered} does not."
        ),
        "district": _("{name}: {share} covered, {stations} stations"),
        "site": _("Proposed site {rank} · {district}"),
        "details": finder["details"],
        "metres": finder["metres"],
        "kilometres": finder["kilometres"],
        "touch": _("Use two fingers to move the map"),
        "scroll": _("Use ctrl + scroll to zoom the map"),
        "scrollMac": _("Use ⌘ + scroll to zoom the map"),
        "zoomIn": _("Zoom in to see the stations."),
        "credit": _("locator, synthetic stations") if data().table.info.synthetic else "locator",
    }


def _share_legend() -> list[tuple[str, str]]:
    edges = (0.0, *palette.SHARE_BINS, 1.0)
    return [
        (f"share-{i}", f"{format_percent(lo)}–{format_percent(hi)}")
        for i, (lo, hi) in enumerate(itertools.pairwise(edges))
    ]


def _stations_part(flags: Flags, kind: str | None, amenity_keys: tuple[str, ...]) -> dict:
    """What the stations layer needs: its URL, legend, summary sentence and bounds."""
    table = data().table
    rows = select(table, kind=kind, amenity_keys=amenity_keys, limit=len(table) or 1).rows
    lon, lat = table.frame["lon"].to_numpy()[rows], table.frame["lat"].to_numpy()[rows]
    count, datum = len(rows), embed.display_datum(flags.tiles)
    kinds = i18n.kind_labels(current_lang())
    return {
        "url": _url(
            "api.station_points",
            datum=datum if datum != "wgs84" else None,
            kind=kind,
            amenities=",".join(amenity_keys),
        ),
        "legend": [(k, label) for k, label in kinds.items() if kind in (None, k)],
        "summary": _("Stations: %(count)s.", count=format_decimal(count)),
        "bounds": embed.leaflet_bounds(*embed.to_display(lon, lat, datum)),
    }


def _url(endpoint: str, **query: Any) -> str:
    """``url_for`` without the query parameters that are None or empty."""
    return url_for(endpoint, **{k: v for k, v in query.items() if v not in (None, "")})


def _page(flags: Flags, status: int = 200, **context: Any) -> Any:
    return render_template(
        "embed.html", flags=flags, title=view_title(flags.view), **context
    ), status


def _map_page(flags: Flags, parts: dict[str, Any], summary: list[str], legend: list) -> Any:
    """Render a map embed; ``parts`` adds view-specific entries to the script's config."""
    lang = current_lang()
    config = {
        "view": flags.view,
        "lang": lang,
        "id": flags.id,
        "static": flags.static,
        "tiles": flags.tiles,
        "layers": list(flags.layers),
        "center": embed.display_center(flags),
        "zoom": flags.zoom,
        "urls": {
            "station": url_for("api.station", station_id="__id__"),
            "page": url_for("pages.station", station_id="__id__", lang=lang),
            "home": external_url("pages.finder", lang=lang),
        },
        "kinds": i18n.kind_labels(lang),
        "text": embed_text(),
        **parts,
    }
    page_url = external_url("embeds.embed", view=flags.view)
    if request.query_string:
        page_url += "?" + request.query_string.decode("latin-1")
    oembed = external_url("embeds.oembed", url=page_url)
    return _page(flags, embed_config=config, summary=summary, legend=legend, oembed=oembed)


@bp.get("/embed/<view>", endpoint="embed")
def embed_page(view: str) -> Any:
    """An embeddable map; see README "Embedding maps" for the flags."""
    flags = parse_request_flags(view, request.args)
    if flags.view == "plan":
        return _plan(flags)
    kind = flags.kind
    if flags.view == "coverage":
        kind = kind or REGION_KIND[flags.region]
    stations = _stations_part(flags, kind, flags.amenities)
    parts: dict[str, Any] = {"bounds": stations["bounds"]}
    legend: list[tuple[str, str]] = []
    if "stations" in flags.layers:
        parts["points"] = stations["url"]
        legend += stations["legend"]
    if flags.view == "coverage":
        mine = state().regions.districts_of(flags.region)
        mine = i18n.with_place_names(mine, current_lang())
        outlines = embed.district_outlines(mine, embed.display_datum(flags.tiles))
        parts["coverage"] = _url(
            "coverage.coverage_summary",
            region=flags.region,
            kind=kind,
            amenities=",".join(flags.amenities),
            radius_m=flags.radius_m,
        )
        parts["bounds"] = outlines["bounds"]
        if "districts" in flags.layers:
            parts["outlines"] = outlines
            legend = _share_legend() + legend
    return _map_page(flags, parts, [stations["summary"]], legend)


def _published_plan_id(flags: Flags) -> str | None:
    """The id of the published plan a plan embed shows (by ``plan``, or the newest run with
    ``new`` and the other parameters), or None when there is none to show."""
    if flags.plan is None:
        charge()  # as the embed page: a lookup by parameters counts against the budget
        request = PlanRequest(
            region=flags.region,
            new=flags.new or 1,
            radius_m=flags.radius_m,
            kind=flags.kind,
            amenities=flags.amenities,
        )
        return state().planner.find(request, published_only=True)
    try:
        job = state().planner.plans.get(flags.plan)
    except NotFound:
        return None
    return job.id if job.published else None


def _plan(flags: Flags) -> Any:
    """A published plan's sites; a friendly 404 page for any other plan.

    Embeds are public and never read the session, so they show only what a planner has
    published (published plans are done). With ``new`` instead of ``plan``, the newest
    published plan run with those parameters is shown; an embed never starts one.
    """
    plan_id = flags.plan
    if plan_id is None:
        charge()  # a lookup by parameters: the budget keeps floods of them cheap
        plan_id = state().planner.find(
            PlanRequest(
                region=flags.region,
                new=flags.new or 1,
                radius_m=flags.radius_m,
                kind=flags.kind,
                amenities=flags.amenities,
            ),
            published_only=True,
        )
        if plan_id is None:
            message = _(
                "No plan with these settings has been published yet. A planner can run and "
                "publish it; this map then shows it."
            )
            return _page(flags, 404, message=message)
    try:
        job = state().planner.plans.get(plan_id)
    except NotFound:
        job = None
    if job is None or not job.published:
        message = _(
            "This plan is not available: a planner has not published it, or it was deleted."
        )
        return _page(flags, 404, message=message)
    plan = state().planner.plans.plan(job.id)
    req = plan.request
    named = i18n.with_place_names(plan.sites, current_lang())
    sites = embed.plan_sites(named, embed.display_datum(flags.tiles))
    stations = _stations_part(flags, req.station_kind, req.amenities)
    parts: dict[str, Any] = {"sites": sites, "bounds": sites["bounds"]}
    legend = [("site", _("Proposed new site"))]
    if "stations" in flags.layers:
        parts["points"] = stations["url"]
        legend.append((req.station_kind, _("Existing station")))
    radius_km = format_decimal(round(req.resolved_radius_m / 1000, 1))
    change = _(
        "%(new)s proposed sites would raise the share of modelled demand within "
        "%(radius)s of a station from %(before)s to %(after)s.",
        new=format_decimal(len(plan.sites)),
        radius=_("{n} km").format(n=radius_km),
        before=format_percent(plan.before.covered_share, "#,##0.0%"),
        after=format_percent(export.summary(plan)["covered_share_after"], "#,##0.0%"),
    )
    summary = [stations["summary"], change]
    return _map_page(flags, parts, summary, legend)


@bp.after_request
def allow_framing(response: Any) -> Any:
    """Embed pages (and their error pages) may be framed by LOCATOR_EMBED_ORIGINS."""
    if request.endpoint == "embeds.embed":
        tiles = request.args.get("tiles", "osm")
        policy = embed.content_security_policy(tiles, state().embed_origins)
        response.headers["Content-Security-Policy"] = policy
    return response


@bp.errorhandler(LocatorError)
def embed_error(exc: LocatorError) -> Any:
    """An HTML page inside the iframe for embeds; the API's JSON shape for oEmbed."""
    if request.endpoint != "embeds.embed":
        return locator_error(exc)
    flags = Flags(view="error", plain=True)
    page = render_template(
        "embed.html", flags=flags, title=_("This map cannot be shown"), message=exc.message
    )
    headers = {}
    if isinstance(exc, TooBusy):
        headers["Retry-After"] = str(exc.retry_after_s)
        if exc.budget:
            headers[BUDGET_HEADER] = "spent"
    return page, exc.status, headers


# --- oEmbed ------------------------------------------------------------------------------------


def _embed_target(url: str) -> tuple[str, dict[str, str]]:
    """The view and flags of one of our embed URLs; NotFound for any other URL."""
    found = own_path(url)
    if found is not None:
        path, query = found
        for view in embed.VIEWS:
            if path == url_for("embeds.embed", view=view):
                return view, dict(parse_qsl(query, keep_blank_values=True))
    example = external_url("embeds.embed", view="stations")
    raise NotFound(f"{url!r} is not an embed of this server; embed URLs look like {example}.")


@bp.get("/oembed")
def oembed() -> Any:
    """oEmbed (type rich) for an embed URL: ``?url=...&maxwidth=&maxheight=&format=json``.
    ---
    get:
      summary: oEmbed for an embed URL (the iframe and its resizing script)
      description: 'oEmbed 1.0, type rich, JSON only. The url must be an /embed/<view>
        address of this server; its flags are checked as the embed page checks them.'
      parameters:
        - {name: url, in: query, required: true, schema: {type: string},
           example: 'http://localhost/embed/coverage?region=beijing&lang=en'}
        - {name: maxwidth, in: query, schema: {type: integer, minimum: 1, maximum: 10000},
           example: 400, description: 'pixels; the answer is at most 600 wide, and its
             height keeps the frame''s proportions at that width'}
        - {name: maxheight, in: query, schema: {type: integer, minimum: 1, maximum: 10000},
           description: 'pixels; the answer is at most the embed''s own height'}
        - {name: format, in: query, schema: {type: string, enum: [json], default: json},
           description: 'only json; anything else is a 501'}
      responses:
        200:
          description: 'the oEmbed answer; html is the iframe and the script to paste'
          content:
            application/json:
              schema:
                type: object
                required: [type, version, title, provider_name, provider_url, html, width,
                           height]
                properties:
                  type: {type: string, enum: [rich]}
                  version: {type: string, enum: ['1.0']}
                  title: {type: string}
                  provider_name: {type: string}
                  provider_url: {type: string}
                  html: {type: string}
                  width: {type: integer, minimum: 1}
                  height: {type: integer, minimum: 1}
              example:
                type: rich
                version: '1.0'
                title: Rest stations for outdoor workers
                provider_name: locator
                provider_url: https://locator.example/
                html: '<iframe src="https://locator.example/embed/stations" ...></iframe>'
                width: 600
                height: 540
        400: {description: 'url missing, a bad embed flag, or a bad maxwidth or maxheight',
              content: {application/json: {schema: Error}}}
        404: {description: 'the url is not an embed of this server, or names no published plan',
              content: {application/json: {schema: Error}}}
        501: {description: 'a format other than json', content: {application/json: {schema: Error}}}
    """
    args = request.args
    if args.get("format", "json") != "json":
        raise LocatorError(f"format {args['format']!r} is not supported; use json.", status=501)
    url = args.get("url")
    if not url:
        raise BadQuery("url is required: the address of an embed, e.g. /embed/stations.")
    view, query = _embed_target(url)
    flags = parse_request_flags(view, query)
    max_width = params.parse_int("maxwidth", args.get("maxwidth"), embed.WIDTH_PX, 1, 10_000)
    max_height = params.parse_int("maxheight", args.get("maxheight"), 10_000, 1, 10_000)
    if view == "plan" and not _published_plan_id(flags):
        raise NotFound(
            "no published plan matches this embed: a planner has not published it, or it "
            "was deleted."
        )
    width, height = embed.frame_size_px(flags, max_width, max_height)
    src = external_url("embeds.embed", view=view)
    if query:
        src += "?" + urlencode(query)
    with force_locale(flags.lang or select_locale()):
        title = view_title(view)
        html = snippet(src, title, width, height)
    return {
        "type": "rich",
        "version": "1.0",
        "title": title,
        "provider_name": "locator",
        "provider_url": external_url("pages.finder"),
        "html": html,
        "width": width,
        "height": height,
    }
