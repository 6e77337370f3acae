"""Per-client budgets for expensive work (Flask-Limiter), and who the client is.

Cheap reads (nearest, stations, points, pages served from a cache) are never counted. A
route calls :func:`charge` just before work that costs real CPU time: a map render that
misses the image cache, coverage at a radius other than the default, a batch or along-route
query, a plan upload, a planner page whose map is not cached. Every such call draws on one
shared budget per client address (``LOCATOR_RATELIMIT_EXPENSIVE``, a moving window);
beyond it the route answers :class:`~locator.errors.TooBusy` (429) with ``Retry-After``
set to when the oldest counted request leaves the window.

Budgets are counted in ``LOCATOR_RATELIMIT_STORAGE_URL``: ``memory://`` (each worker
process on its own) or Redis (shared); when Redis cannot be reached the limiter falls
back to memory rather than failing requests. The client is the socket's peer, or, behind
``LOCATOR_TRUSTED_PROXIES`` proxies, the address they forwarded (werkzeug ``ProxyFix``):
a client cannot pick its own address with a header unless a proxy is trusted.
"""

from __future__ import annotations

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

EXTENSION = "locator.budget"
SCOPE = "expensive"


@dataclass(frozen=True)
class Budget:
    """The app's limiter and the function whose calls are counted against a client."""

    limiter: Limiter
    spend: Callable[[], None]
    limits: str


def client_address() -> str:
    """The client's address: the peer, or what the trusted proxies forwarded."""
    return request.remote_addr or "unknown"


def _spend() -> None:
    """Nothing: Flask-Limiter counts each call of its wrapper (see :func:`register`)."""


def register(app: Flask, settings: dict[str, Any]) -> None:
    """Trust the configured proxies and set up the limiter and the shared budget."""
    proxies = int(settings["TRUSTED_PROXIES"])
    if proxies < 0:
        raise ValueError("LOCATOR_TRUSTED_PROXIES must be 0 or more.")
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    limits = str(settings["RATELIMIT_EXPENSIVE"])
    limiter = Limiter(
        client_address,
        app=app,
        storage_uri=str(settings["RATELIMIT_STORAGE_URL"]),
        strategy="moving-window",
        key_prefix="locator",
        in_memory_fallback_enabled=True,
        headers_enabled=False,
    )
    spend = limiter.shared_limit(limits, scope=SCOPE)(_spend)
    app.extensions[EXTENSION] = Budget(limiter, spend, limits)


def charge() -> None:
    """Count one expensive request against this client; TooBusy (429) when it is spent."""
    budget: Budget = current_app.extensions[EXTENSION]
    try:
        budget.spend()
    except RateLimitExceeded:
        current = budget.limiter.current_limit
        wait_s = math.ceil(current.reset_at - time.time()) if current is not None else 60
        raise TooBusy(
            f"this client has used its budget of expensive requests ({budget.limits}); "
            f"try again in {max(1, wait_s)} s, or ask for maps and results already made.",
            retry_after_s=wait_s,
        ) from None
