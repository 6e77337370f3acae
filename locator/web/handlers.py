"""How the web layer answers errors, and the headers every response carries.

Every :class:`~locator.errors.LocatorError`, and every HTTP error under ``/api/``
(including an unexpected 500, which shows no traceback), leaves as the one JSON shape
of :func:`locator.errors.error_body`. Pages may not be framed by other sites; embeds
set their own policy.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from locator.errors import LocatorError, error_body


def error_response(status: int, message: str) -> Any:
    """The JSON error answer with ``status``."""
    return jsonify(error_body(message, status)), status


def register(app: Flask) -> None:
    """Install the error handlers and the response headers on ``app``."""

    @app.errorhandler(LocatorError)
    def locator_error(exc: LocatorError) -> Any:
        return error_response(exc.status, exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        if not request.path.startswith("/api/"):
            return exc
        return error_response(exc.code or 500, exc.description or exc.name)

    @app.after_request
    def deny_framing(response: Any) -> Any:
        """Pages may not be framed by other sites; embeds opt in (:mod:`locator.web.embeds`).

        The referrer policy keeps the finder's query string (the user's position) from
        leaking to map tiles and navigation apps.
        """
        if request.endpoint != "embeds.embed":  # its own frame-ancestors policy allows framing
            response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        return response
