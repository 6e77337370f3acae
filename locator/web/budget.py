"""Per-client budgets for expensive work (Flask-Limiter), and who the client is.

Cheap reads (nearest, stations, points, pages served from a cache) are never counted. A
route calls :func:`charge` just before work that costs real CPU time: a map render that
misses the image cache, coverage at a radius other than the default, a batch or along-route
query, a plan upload, a planner page whose map is not cached. Every such call draws on one
shared budget per client address (``LOCATOR_RATELIMIT_EXPENSIVE``, a moving window);
beyond it the route answers :class:`~locator.errors.TooBusy` (429) with ``Retry-After``
set to when the oldest counted request leaves the window.

Sign-in attempts have a budget of their own (``LOCATOR_RATELIMIT_SIGN_IN``,
:func:`charge_sign_in`), so that passwords cannot be guessed at speed, and so have the
reports and suggestions anyone may send (``LOCATOR_RATELIMIT_REPORTS``,
:func:`charge_report`).

Budgets are counted in ``LOCATOR_RATELIMIT_STORAGE_URL``: ``memory://`` (each worker
process on its own) or Redis (shared); when Redis cannot be reached the limiter falls
back to memory rather than failing requests. The client is the socket's peer, or, behind
``LOCATOR_TRUSTED_PROXIES`` proxies, the address they forwarded (werkzeug ``ProxyFix``):
a client cannot pick its own address with a header unless a proxy is trusted.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from werkzeug.middleware.proxy_fix import ProxyFix

from locator.errors import TooBusy
from locator.web.refusals import RefusalCache

EXTENSION = "locator.budget"


@dataclass(frozen=True)
class Budget:
    """The app's limiter, and per budget the function whose calls are counted against a
    client and the limits (Flask-Limiter notation) it is counted against."""

    limiter: Limiter
    spend: dict[str, Callable[[], None]]
    limits: dict[str, str]


def client_address() -> str:
    """The client's address: the peer, or what the trusted proxies forwarded. An IPv6
    client is its /64 network, the block one subscriber is usually given."""
    address = request.remote_addr or "unknown"
    if ":" in address:
        try:
            return str(ipaddress.ip_network(f"{address}/64", strict=False))
        except ValueError:
            return address
    return address


def _expensive() -> None:
    """Nothing: Flask-Limiter counts each call of its wrapper (see :func:`register`)."""


def _sign_in() -> None:
    """Nothing: Flask-Limiter counts each call of its wrapper (see :func:`register`)."""


def _report() -> None:
    """Nothing: Flask-Limiter counts each call of its wrapper (see :func:`register`)."""


def register(app: Flask, settings: dict[str, Any]) -> None:
    """Trust the configured proxies and set up the limiter and the shared budget."""
    proxies = int(settings["TRUSTED_PROXIES"])
    if proxies < 0:
        raise ValueError("LOCATOR_TRUSTED_PROXIES must be 0 or more.")
    app.wsgi_app = RefusalCache(app.wsgi_app)  # type: ignore[method-assign]
    if proxies:  # outside the refusal cache, which then sees the forwarded address
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    limiter = Limiter(
        client_address,
        app=app,
        storage_uri=str(settings["RATELIMIT_STORAGE_URL"]),
        strategy="moving-window",
        key_prefix="locator",
        in_memory_fallback_enabled=True,
        headers_enabled=False,
    )
    # Only the charge functions count, and there are no default or application limits:
    # the limiter's check before every request (nearest included) found nothing to count
    # yet cost a second pass over the limits of every charged route (Flask-Limiter
    # remembers which routes called a charge function, its "endpoint hints").
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    limits = {
        "expensive": str(settings["RATELIMIT_EXPENSIVE"]),
        "sign-in": str(settings["RATELIMIT_SIGN_IN"]),
        "reports": str(settings["RATELIMIT_REPORTS"]),
    }
    counted = {"expensive": _expensive, "sign-in": _sign_in, "reports": _report}
    spend = {
        scope: limiter.shared_limit(limits[scope], scope=scope)(function)
        for scope, function in counted.items()
    }
    app.extensions[EXTENSION] = Budget(limiter, spend, limits)


def _charge(scope: str, message: str) -> None:
    """Count one call against this client's ``scope`` budget; TooBusy (429) saying
    ``message`` (with ``{limits}`` and ``{wait}`` filled in) when it is spent."""
    budget: Budget = current_app.extensions[EXTENSION]
    try:
        budget.spend[scope]()
    except RateLimitExceeded:
        current = budget.limiter.current_limit
        wait_s = max(1, math.ceil(current.reset_at - time.time())) if current else 60
        refused = TooBusy(
            message.format(limits=budget.limits[scope], wait=wait_s), retry_after_s=wait_s
        )
        refused.budget = True
        raise refused from None


def charge() -> None:
    """Count one expensive request against this client; TooBusy (429) when it is spent."""
    _charge(
        "expensive",
        "this client has used its budget of expensive requests ({limits}); try again in "
        "{wait} s, or ask for maps and results already made.",
    )


def charge_sign_in() -> None:
    """Count one sign-in attempt against this client; TooBusy (429) when it is spent."""
    _charge(
        "sign-in", "too many sign-in attempts from this address ({limits}); try again in {wait} s."
    )


def charge_report() -> None:
    """Count one report or suggestion against this client; TooBusy (429) when spent."""
    _charge(
        "reports",
        "this client has sent as many reports and suggestions as it may for now ({limits}); "
        "thank you, try again in {wait} s.",
    )
