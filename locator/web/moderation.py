"""Blueprint for the moderation page: what riders and drivers reported, station by station.

``/admin/reports`` lists the stations with reports waiting (most reported first), each with
its name and district from the served data and its reports of the last 30 days: kind,
amenity, comment (escaped, as every text from a reporter), whether the reporter was near,
when, and what became of it. An admin confirms a pending report (the station changes in a
new dataset version: :func:`locator.db.reports.moderate`), dismisses it, or marks the
station for a site visit. The JSON twin is ``/api/v1/admin/reports``
(:mod:`locator.web.reports`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, url_for

from locator.db import reports
from locator.errors import Conflict, NotFound
from locator.web import i18n
from locator.web.auth import admin_page, require
from locator.web.locale import current_lang
from locator.web.state import data, state

bp = Blueprint("moderation", __name__, url_prefix="/admin")


@bp.get("/reports")
@admin_page
def report_queue() -> Any:
    """The moderation queue."""
    return _queue_page()


def _queue_page(error: str | None = None, status: int = 200) -> Any:
    table = data().table
    stations = []
    for station_id, found in reports.pending(state().engine).items():
        try:
            row = table.frame.iloc[table.row_of(station_id)]
            name, district = str(row["name"]), str(row["district_name"] or "")
        except NotFound:  # no longer served: its reports can still be dismissed
            name, district = "", ""
        stations.append({"id": station_id, "name": name, "district": district, "reports": found})
    return render_template(
        "admin_reports.html",
        stations=stations,
        kinds=i18n.report_kind_labels(),
        amenities=i18n.amenity_labels(current_lang()),
        confirmable=reports.CONFIRMABLE,
        error=error,
    ), status


@bp.post("/reports/<int:report_id>/<any(confirm, dismiss, visit):action>")
@require("admin")
def moderate(report_id: int, action: str) -> Any:
    """Act on one report, then show the queue again (409 page when it was settled)."""
    try:
        reports.moderate(state().engine, report_id, action, g.identity.name)
    except (Conflict, NotFound) as exc:
        return _queue_page(error=exc.message, status=exc.status)
    state().live.refresh()  # this worker serves the new version at once
    return redirect(url_for("moderation.report_queue"), 303)
