"""How the web layer answers errors.

Every :class:`~locator.errors.LocatorError`, and every HTTP error under ``/api/`` and
``/oembed`` (including an unexpected 500, which shows no traceback), leaves as the one
JSON shape of :func:`locator.errors.error_body`, as does a write sent without the
session's CSRF token (Flask-WTF's CSRFError), wherever it is. The headers the error
would carry stay:
``Allow`` on a 405, ``Retry-After`` on a 429 (from :class:`~locator.errors.TooBusy`,
which says when to come back). Pages keep werkzeug's HTML error pages. A request for a
host name not in LOCATOR_TRUSTED_HOSTS is a 400 that does not repeat the name. The headers
every response carries are :mod:`locator.web.headers`'.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException, SecurityError

from locator.errors import LocatorError, TooBusy, error_body
from locator.web.refusals import BUDGET_HEADER

JSON_PATHS = ("/api/", "/oembed")
UNTRUSTED_HOST = (
    "this server does not answer to the host name in the request (see LOCATOR_TRUSTED_HOSTS)."
)


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Any:
    """The JSON error answer with ``status`` (and ``headers``)."""
    return jsonify(error_body(message, status)), status, headers or {}


def locator_error(exc: LocatorError) -> Any:
    """The JSON answer of ``exc``; a 429 says when to retry."""
    headers = {}
    if isinstance(exc, TooBusy):
        headers["Retry-After"] = str(exc.retry_after_s)
        if exc.budget:
            headers[BUDGET_HEADER] = "spent"
    return error_response(exc.status, exc.message, headers)


def register(app: Flask) -> None:
    """Install the error handlers on ``app``."""
    app.register_error_handler(LocatorError, locator_error)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        return error_response(400, exc.description or "The CSRF token is missing.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        if isinstance(exc, SecurityError):  # an untrusted Host: never repeat it
            exc = BadRequest(UNTRUSTED_HOST)
        if not request.path.startswith(JSON_PATHS):
            return exc
        kept = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        return error_response(exc.code or 500, exc.description or exc.name, kept)
