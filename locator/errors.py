"""Every error locator raises on purpose, and the HTTP status each maps to.

The API turns any :class:`LocatorError` into one JSON shape::

    {"ok": false, "error": "<message a person can act on>", "status": 400}
"""

from __future__ import annotations


class LocatorError(Exception):
    """Base class: a message for a person, and the HTTP status it maps to."""

    status = 500

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


def error_body(message: str, status: int) -> dict[str, object]:
    """The one JSON error shape every API answer with a 4xx or 5xx status has."""
    return {"ok": False, "error": message, "status": status}


class BadQuery(LocatorError, ValueError):
    """A request parameter is missing, malformed or out of range (HTTP 400)."""

    status = 400


class NotFound(LocatorError, LookupError):
    """The requested resource does not exist (HTTP 404)."""

    status = 404


class DataError(LocatorError, ValueError):
    """An input file cannot be used as it is (HTTP 422).

    ``problems`` holds the row-level findings (see ``locator.stations.validation.Problem``).
    """

    status = 422

    def __init__(self, message: str, problems: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class TooLarge(DataError):
    """An input file exceeds a size limit: bytes, rows, columns, cells or time (HTTP 413).

    The message names the limit and its setting. A DataError, so every path that reports
    an unusable file (and keeps a store unchanged) treats it the same way.
    """

    status = 413


class Unauthorized(LocatorError):
    """Nobody is signed in and no API token was sent, or the token is not valid (HTTP 401)."""

    status = 401


class Forbidden(LocatorError):
    """The caller is known but their role may not do this (HTTP 403)."""

    status = 403


class CoordinateError(LocatorError, ValueError):
    """A coordinate system name or a coordinate value is not usable (HTTP 400)."""

    status = 400


class Conflict(LocatorError):
    """The resource is not in a state to do that yet, e.g. a plan still running (HTTP 409)."""

    status = 409


class TooBusy(LocatorError):
    """Too much work is queued, or this client has used its budget; the client should retry
    after ``retry_after_s`` seconds (HTTP 429, with a ``Retry-After`` header)."""

    status = 429

    def __init__(self, message: str, *, status: int | None = None, retry_after_s: int = 5) -> None:
        super().__init__(message, status=status)
        self.retry_after_s = max(1, int(retry_after_s))
        self.budget = False  # True when the client's own budget is spent (not a busy server)
