"""Absolute URLs, built from LOCATOR_PUBLIC_URL or a trusted host, never a forged one.

:func:`register` gives Flask ``TRUSTED_HOSTS``: LOCATOR_TRUSTED_HOSTS plus the host of
LOCATOR_PUBLIC_URL. Flask then refuses (400) a request whose ``Host`` header names any other
host before a route runs, so ``request.host`` is always a name the operator gave.
:func:`external_url` builds on LOCATOR_PUBLIC_URL when it is set (the address the public
uses, which a proxy may hide from the app), else on that trusted host. The oEmbed
``html``, the embed code and the embed's oEmbed link are built here.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, request, url_for

from locator.web.state import state, state_of


def public_base(settings: dict[str, Any]) -> str:
    """LOCATOR_PUBLIC_URL without a trailing slash ("" when unset); ValueError if it is not
    an http(s) URL with a host and nothing after the path."""
    value = str(settings["PUBLIC_URL"]).strip().rstrip("/")
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(
            f"LOCATOR_PUBLIC_URL must look like https://locator.example.org (optionally with a "
            f"path), got {value!r}."
        )
    return value


def trusted_hosts(settings: dict[str, Any]) -> list[str]:
    """The host names requests may carry; ValueError when there are none."""
    names = [name for name in re.split(r"[\s,]+", str(settings["TRUSTED_HOSTS"])) if name]
    base = public_base(settings)
    if base:
        names.append(str(urlsplit(base).hostname))
    if not names:
        raise ValueError(
            "LOCATOR_TRUSTED_HOSTS is empty and LOCATOR_PUBLIC_URL is unset: name the hosts "
            "this app is reached at, e.g. LOCATOR_TRUSTED_HOSTS=locator.example.org."
        )
    return list(dict.fromkeys(names))


def register(app: Flask) -> None:
    """Check LOCATOR_PUBLIC_URL and make Flask refuse untrusted Host headers."""
    app.config["TRUSTED_HOSTS"] = trusted_hosts(state_of(app).settings)


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of ``endpoint``: on LOCATOR_PUBLIC_URL, else on the request's
    (trusted) host."""
    base = public_base(state().settings)
    if not base:
        return url_for(endpoint, _external=True, **values)
    path = url_for(endpoint, **values)
    root = request.script_root
    if root and path.startswith(root):
        path = path[len(root) :]
    return base + path


def own_path(url: str) -> tuple[str, str] | None:
    """(path, query) of ``url`` when it is an address of this app, as :func:`external_url`
    writes them; None for any other URL. The path is as routes see it (with the script
    root)."""
    parts = urlsplit(url)
    base = public_base(state().settings)
    if base:
        home = urlsplit(base)
        same = (parts.scheme, parts.netloc) == (home.scheme, home.netloc)
        if not same or not parts.path.startswith(home.path + "/"):
            return None
        return request.script_root + parts.path[len(home.path) :], parts.query
    if parts.scheme not in ("http", "https") or parts.netloc != request.host:
        return None
    return parts.path, parts.query
