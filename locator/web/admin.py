"""Blueprint for the admin pages: check a station file and apply it only when confirmed,
list dataset versions and roll back, read the audit log.

The pages (GET) send an anonymous browser to ``/login`` and show anyone without the
admin role a 403 page. Every write (POST) needs the admin role through
:func:`~locator.web.auth.require` (401/403 in the JSON error shape, the page's CSRF token
for a signed-in browser). A check (:func:`locator.db.pending.preview`) and a confirm read
the whole file, so both are counted against the client's budget. What a check found is
kept in the database, so any web worker can show or confirm it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from locator import schema
from locator.db import audit, datasets, pending
from locator.errors import BadQuery, Conflict, CoordinateError, DataError, NotFound
from locator.stations.limits import ReadLimits
from locator.stations.readers import SUFFIXES
from locator.stations.validation import Problem
from locator.web import i18n
from locator.web.auth import admin_page, identity, require
from locator.web.bodies import limit_body
from locator.web.budget import charge
from locator.web.locale import current_lang
from locator.web.state import state

bp = Blueprint("admin", __name__, url_prefix="/admin")

MULTIPART_OVERHEAD_BYTES = 64 * 1024  # the form's other fields and part headers


@bp.before_request
def _bound_uploads() -> None:
    """A file sent here may be at most LOCATOR_UPLOAD_MAX_BYTES (413 beyond), checked
    before the body is parsed (the CSRF check reads the form)."""
    if request.method == "POST":
        limits = ReadLimits.from_settings(state().settings)
        limit_body(limits.max_bytes + MULTIPART_OVERHEAD_BYTES)


def _form_values() -> dict[str, str]:
    return {k: request.form.get(k, "")[:40] for k in ("kind", "crs", "merge")}


def _import_page(
    found: pending.Pending | None = None,
    *,
    error: str | None = None,
    status: int = 200,
    form: dict[str, str] | None = None,
) -> Any:
    """The import page: the upload form, and what a check found when there is one."""
    lines = []
    if found is not None:  # the report as `locator validate` prints it
        lines = [(p["severity"], str(Problem(**p))) for p in found.summary["problems"]]
    page = render_template(
        "admin_import.html",
        found=found,
        lines=lines,
        error=error,
        form=form or {"kind": "", "crs": "", "merge": ""},
        kinds=i18n.kind_labels(current_lang()),
        amenity_names=i18n.amenity_labels(current_lang()),
        suffixes=", ".join(sorted(SUFFIXES)),
        served=datasets.served_version(state().engine),
        live_s=float(state().settings["LIVE_POLL_S"]) + 1,
    )
    return page, status


@bp.get("")
@admin_page
def home() -> Any:
    """The admin pages start at the import page."""
    return redirect(url_for("admin.import_form"))


@bp.get("/import")
@admin_page
def import_form() -> Any:
    """The form to check a station file."""
    return _import_page()


@bp.post("/import")
@require("admin")
def check_import() -> Any:
    """Check an uploaded file: show its report and what it would change; apply nothing."""
    charge()
    st, form = state(), _form_values()
    try:
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise BadQuery(_("Choose a station file to check."))
        kind = form["kind"] or None
        if kind is not None and kind not in schema.KINDS:
            raise BadQuery(_("Unknown station kind %(kind)s.", kind=kind))
        found = pending.preview(
            st.engine,
            upload.filename,
            upload.read(),
            st.regions,
            actor=g.identity.name,
            kind=kind,
            crs=form["crs"].strip() or None,
            merge=bool(form["merge"]),
            limits=ReadLimits.from_settings(st.settings),
        )
    except (BadQuery, CoordinateError, DataError) as exc:
        return _import_page(error=exc.message, status=exc.status, form=form)
    return _import_page(found)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> Any:
    """An upload over the limit: the import page says so to an admin."""
    who = identity()
    if who is None or not who.may("admin"):
        return exc
    limit = min(
        ReadLimits.from_settings(state().settings).max_bytes, request.max_content_length or 0
    )
    message = _("The file is too large: at most %(n)s bytes (LOCATOR_UPLOAD_MAX_BYTES).", n=limit)
    return _import_page(error=message, status=413)


@bp.get("/import/<pending_id>")
@admin_page
def show_import(pending_id: str) -> Any:
    """A checked import again: pending, applied (and as which version) or discarded."""
    return _import_page(pending.get(state().engine, pending_id))


@bp.post("/import/<pending_id>/confirm")
@require("admin")
def confirm_import(pending_id: str) -> Any:
    """Apply a checked import as a new dataset version (409 when that is no longer
    possible: applied or discarded already, errors, or the served data changed)."""
    charge()
    st = state()
    try:
        pending.confirm(
            st.engine,
            pending_id,
            st.regions,
            actor=g.identity.name,
            limits=ReadLimits.from_settings(st.settings),
        )
    except (Conflict, DataError) as exc:
        found = pending.get(st.engine, pending_id)
        return _import_page(found, error=exc.message, status=exc.status)
    return redirect(url_for("admin.show_import", pending_id=pending_id), 303)


@bp.post("/import/<pending_id>/discard")
@require("admin")
def discard_import(pending_id: str) -> Any:
    """Drop a checked import."""
    st = state()
    try:
        pending.discard(st.engine, pending_id, actor=g.identity.name)
    except Conflict as exc:
        found = pending.get(st.engine, pending_id)
        return _import_page(found, error=exc.message, status=exc.status)
    return redirect(url_for("admin.show_import", pending_id=pending_id), 303)


@bp.get("/datasets")
@admin_page
def dataset_list() -> Any:
    """Every dataset version, newest first, with a button to serve an older one again."""
    versions = datasets.list_versions(state().engine)
    return render_template("admin_datasets.html", versions=versions)


@bp.post("/datasets/<version_id>/rollback")
@require("admin")
def rollback(version_id: str) -> Any:
    """Serve ``version_id`` again (404 when there is no such version). The id is parsed
    here, after the role and CSRF checks, so every caller gets those answers first."""
    if not version_id.isdigit() or len(version_id) > 9:
        raise NotFound(f"no dataset version {version_id[:20]!r}; see /admin/datasets.")
    datasets.rollback(state().engine, int(version_id), actor=g.identity.name)
    return redirect(url_for("admin.dataset_list"), 303)


@bp.get("/audit")
@admin_page
def audit_page() -> Any:
    """The audit log, newest first, ``audit.PER_PAGE`` entries a page (``?page=``)."""
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 10**6:
        raise BadQuery(_("page must be a whole number from 1."))
    found = audit.audit_log(state().engine, int(raw))
    return render_template("admin_audit.html", log=found)
