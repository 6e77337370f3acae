"""Request bodies: the one JSON parser every body goes through, and its depth bound.

:class:`JsonProvider` is the app's ``app.json``: ``request.get_json()`` and
:func:`loads` (for JSON sent as form text, e.g. a plan's quotas) parse with it. A document
nested more than ``MAX_JSON_DEPTH`` arrays and objects deep is refused, whether Python's
parser gives up on it (``RecursionError`` near 1,000 levels) or not, so no route ever walks
a deep body. :func:`json_body` turns a bad body into :class:`~locator.errors.BadQuery`
(HTTP 400) with a message that says what was wrong.
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, request
from flask.json.provider import DefaultJSONProvider

from locator.errors import BadQuery

MAX_JSON_DEPTH = 32  # a plan, a batch or a GeoJSON route needs at most 5


class JsonDepthError(ValueError):
    """A JSON document nested deeper than ``MAX_JSON_DEPTH``."""


def check_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> None:
    """JsonDepthError if ``value`` nests lists and dicts more than ``limit`` deep.

    Iterative, so it cannot itself run out of stack; it visits only containers.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, list | dict):
                if depth + 1 > limit:
                    raise JsonDepthError(f"it nests arrays and objects more than {limit} deep")
                stack.append((child, depth + 1))


def _checked(text: str | bytes, **kwargs: Any) -> Any:
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise JsonDepthError(
            f"it nests arrays and objects more than {MAX_JSON_DEPTH} deep"
        ) from None
    if isinstance(value, list | dict):
        check_depth(value)
    return value


class JsonProvider(DefaultJSONProvider):
    """Flask's JSON with Chinese written as it is, keys in the order given, and
    :func:`check_depth` on everything parsed."""

    ensure_ascii = False
    sort_keys = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return _checked(s, **kwargs)


def loads(text: str | bytes, name: str, example: str) -> Any:
    """Parse JSON sent as text (a form field ``name``); BadQuery when it is not JSON."""
    try:
        return current_app.json.loads(text)
    except JsonDepthError as exc:
        raise BadQuery(f"{name} is refused: {exc}.") from None
    except ValueError as exc:
        raise BadQuery(f"{name} must be JSON like {example}: {_reason(exc)}.") from None


def json_body() -> Any:
    """The request's JSON body, or None when it is not sent as JSON (another media type).

    BadQuery (400) names the problem of a body that claims to be JSON and is not, or is
    nested too deep.
    """
    if not request.is_json:
        return None
    data = request.get_data(cache=True)
    if not data.strip():
        raise BadQuery("the request body is empty; send a JSON document.")
    try:
        return current_app.json.loads(data)
    except JsonDepthError as exc:
        raise BadQuery(f"the JSON body is refused: {exc}.") from None
    except ValueError as exc:
        raise BadQuery(f"the request body is not valid JSON: {_reason(exc)}.") from None


def _reason(exc: ValueError) -> str:
    """A parser error in a few words: what and where, never the document itself."""
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
    if isinstance(exc, UnicodeDecodeError):
        return f"it is not UTF-8 text (byte {exc.start})"
    return "it cannot be parsed"


def limit_body(max_bytes: int) -> None:
    """Lower this request's body limit to ``max_bytes`` (413 beyond it); never raise it."""
    current = request.max_content_length
    request.max_content_length = max_bytes if current is None else min(current, max_bytes)
