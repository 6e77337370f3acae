"""Blueprint for planners' plan pages: ``/plans`` (every plan: who ran it, when, with what
inputs, its status and coverage; rename, publish, unpublish, delete) and
``/plans/compare?a=<id>&b=<id>`` (two plans side by side: inputs, coverage, curves and the
sites they share, from :func:`locator.planning.compare.compare_plans`).

Both need the planner role: an anonymous browser is sent to ``/login``. The list's small
forms post to ``/plans/<id>`` with the page's CSRF token; the changes go through the same
registry methods as ``PATCH`` and ``DELETE /api/v1/plans/<id>``, which audit them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from locator import params
from locator.db.accounts import Identity
from locator.errors import BadQuery, Forbidden, LocatorError
from locator.planning import export
from locator.planning.compare import compare_plans
from locator.planning.plan import Plan, PlanRequest
from locator.planning.registry import JobStatus
from locator.planning.request import parse_name
from locator.web import i18n
from locator.web.auth import identity, require
from locator.web.locale import current_lang
from locator.web.state import data, state

bp = Blueprint("plan_list", __name__)

PAGE_SIZE = 50
LISTED_SITES = 200  # sites listed per group on the compare page
CURVE_W, CURVE_H = 480, 200  # the compare chart's drawing area, in SVG units


def _planner_or_login() -> Identity | Any:
    """The signed-in planner, or a redirect to /login (Forbidden for another role)."""
    found = identity()
    if found is None:
        return redirect(url_for("account.sign_in", next=request.full_path.rstrip("?")))
    if not found.may("planner"):
        raise Forbidden(f"this page needs the planner role; {found.name} is a {found.role}.")
    return found


def _when(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:  # SQLite gives back naive times; they were written in UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def inputs(req: PlanRequest) -> list[tuple[str, str]]:
    """A plan's inputs as (label, value) rows in the page's language."""
    lang = current_lang()
    regions = {"beijing": _("Beijing"), "shaanxi": _("Shaanxi")}
    amenities = i18n.amenity_labels(lang)
    uploads = [
        label
        for label, path in (
            (_("demand"), req.demand_path),
            (_("candidates"), req.candidates_path),
            (_("exclusions"), req.exclusions_path),
        )
        if path is not None
    ]
    quotas = ", ".join(
        f"{code} {'' if lo is None else lo}–{'' if hi is None else hi}"
        for code, (lo, hi) in req.quotas.items()
    )
    return [
        (_("Region"), regions.get(req.region, req.region)),
        (_("New stations"), str(req.new)),
        (_("Radius (m)"), f"{req.resolved_radius_m:,.0f}"),
        (_("Station type"), i18n.kind_label(req.station_kind, lang)),
        (_("Amenities"), ", ".join(amenities.get(a, a) for a in req.amenities) or "–"),
        (_("Minimum spacing (m)"), f"{req.min_spacing_m:,.0f}"),
        (_("Quotas"), quotas or "–"),
        (_("Uploaded files"), ", ".join(uploads) or "–"),
    ]


def status_label(status: str) -> str:
    labels = {
        "queued": _("queued"),
        "running": _("running"),
        "done": _("done"),
        "failed": _("failed"),
    }
    return labels.get(status, status)


def _row(job: JobStatus) -> dict[str, Any]:
    return {
        "job": job,
        "when": _when(job.created_at),
        "status": status_label(job.status),
        "inputs": inputs(job.request),
        "downloads": [
            (fmt.upper() if fmt != "gpkg" else "GeoPackage", url_for("plans.plan_sites",
             plan_id=job.id, fmt=fmt))
            for fmt in export.MEDIA_TYPES
        ] + [("PNG", url_for("map_images.map_image", view="plan", fmt="png", plan=job.id))],
    }  # fmt: skip


@bp.get("/plans")
def plan_list() -> Any:
    """Every plan, newest first, ``PAGE_SIZE`` a page (``?offset=``)."""
    who = _planner_or_login()
    if not isinstance(who, Identity):
        return who
    offset = params.parse_int("offset", request.args.get("offset"), 0, 0, 1_000_000)
    return _list_page(offset)


def _list_page(offset: int, error: str | None = None, status: int = 200) -> Any:
    page = state().planner.plans.page(PAGE_SIZE, offset)
    rows = [_row(job) for job in page.plans]
    later = offset + PAGE_SIZE if offset + len(page.plans) < page.total else None
    earlier = max(0, offset - PAGE_SIZE) if offset > 0 else None
    return render_template(
        "plan_list.html",
        dataset=data().table.info,
        rows=rows,
        page=page,
        later=later,
        earlier=earlier,
        done=[row["job"] for row in rows if row["job"].status == "done"],
        error=error,
    ), status


@bp.post("/plans/<plan_id>")
@require("planner")
def change(plan_id: str) -> Any:
    """The list's forms: ``action`` rename (with ``name``), publish, unpublish or delete."""
    action = request.form.get("action", "")
    plans, actor = state().planner.plans, g.identity.name
    try:
        if action == "rename":
            plans.change(plan_id, actor, name=parse_name(request.form.get("name", "")))
        elif action in ("publish", "unpublish"):
            plans.change(plan_id, actor, published=action == "publish")
        elif action == "delete":
            plans.delete(plan_id, actor)
        else:
            raise BadQuery(f"unknown action {action!r}; use rename, publish, unpublish or delete.")
    except LocatorError as exc:
        return _list_page(0, exc.message, exc.status)
    return redirect(url_for("plan_list.plan_list"), 303)


def _curve_points(curve: list[float] | None, most: int) -> str:
    """SVG polyline points of a coverage curve: x new stations (0..``most``), y share."""
    if not curve:
        return ""
    step = CURVE_W / max(most, 1)
    return " ".join(
        f"{i * step:.1f},{CURVE_H - float(share) * CURVE_H:.1f}" for i, share in enumerate(curve)
    )


def _sites(frame: Any, ranks: tuple[int, ...]) -> list[dict[str, Any]]:
    """Rank, lon, lat and district of the sites with these ranks (the first LISTED_SITES)."""
    by_rank = frame.set_index("rank")
    return [
        {"rank": rank, "lon": float(by_rank.at[rank, "lon"]), "lat": float(by_rank.at[rank, "lat"]),
         "district": i18n.place_name(str(by_rank.at[rank, "district_name"]), current_lang())}
        for rank in ranks[:LISTED_SITES]
    ]  # fmt: skip


def _side(job: JobStatus, plan: Plan, most: int) -> dict[str, Any]:
    """One plan's column on the compare page."""
    return {
        "job": job,
        "when": _when(job.created_at),
        "inputs": inputs(job.request),
        "summary": export.summary(plan),
        "points": _curve_points(job.curve, most),
    }


@bp.get("/plans/compare")
def compare() -> Any:
    """Two done plans side by side (``?a=<id>&b=<id>``)."""
    who = _planner_or_login()
    if not isinstance(who, Identity):
        return who
    ids = (request.args.get("a", ""), request.args.get("b", ""))
    plans = state().planner.plans
    try:
        if not all(ids):
            raise BadQuery(_("Choose two done plans to compare (a and b)."))
        jobs = [plans.get(plan_id) for plan_id in ids]
        done = [plans.plan(plan_id) for plan_id in ids]  # Conflict until both are done
    except LocatorError as exc:
        page = render_template("plan_compare.html", dataset=data().table.info, error=exc.message)
        return page, exc.status
    found = compare_plans(done[0], done[1])
    most = max(len(job.curve or ()) for job in jobs) - 1
    return render_template(
        "plan_compare.html",
        dataset=data().table.info,
        error=None,
        plans=[_side(job, plan, most) for job, plan in zip(jobs, done, strict=True)],
        found=found,
        only_a=_sites(done[0].sites, found.only_a),
        only_b=_sites(done[1].sites, found.only_b),
        listed=LISTED_SITES,
        most=most,
        chart={"width": CURVE_W, "height": CURVE_H},
    )
