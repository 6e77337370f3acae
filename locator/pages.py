"""Blueprint for the HTML pages. Templates escape every data field (Jinja autoescape)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from locator import state
from locator.api import SYNTHETIC_NOTE

bp = Blueprint("pages", __name__)


@bp.get("/")
def home() -> Any:
    """A map of every station; the finder replaces it later."""
    table = state().table
    return render_template(
        "home.html",
        dataset=table.info,
        count=len(table),
        synthetic_note=SYNTHETIC_NOTE,
        tiles=request.args.get("tiles", "osm") != "none",
    )


@bp.get("/api/docs")
def api_docs() -> Any:
    """The OpenAPI document rendered as a plain page (no external assets)."""
    from locator.openapi import build_spec

    return render_template("docs.html", spec=build_spec())


@bp.after_app_request
def deny_framing(response: Any) -> Any:
    """Pages may not be framed by other sites (embeds will opt in explicitly)."""
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response
