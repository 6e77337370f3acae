"""Answering a client that is over its budget, cheaply.

Once the app has refused a client on an expensive path because its budget is spent (a
print map, coverage, a batch, a route, a plan embed looked up by parameters),
:class:`RefusalCache` answers that client's further requests to the same kind of path with
the same 429 itself, until the ``Retry-After`` it was given has passed, without entering
Flask. A flood of refused requests then costs a few microseconds each instead of a full
request, so it cannot crowd out other people's searches. It decides nothing on its own:
only a refusal the app made for a spent Flask-Limiter budget is repeated (never "the
server is busy"), and only for as long as the app said.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from locator.errors import error_body

FAMILIES = (
    "/api/v1/maps/",
    "/api/v1/coverage",
    "/api/v1/nearest/batch",
    "/api/v1/along-route",
    "/embed/plan",
)
MAX_KEYS = 10_000
BUDGET_HEADER = "X-Locator-Budget"  # set by the app on a budget refusal; never sent out
MESSAGE = (
    "this client has used its budget of expensive requests, or the server is busy drawing "
    "maps; try again after Retry-After seconds."
)


def family(path: str) -> str | None:
    """The kind of expensive path ``path`` is, or None for everything else."""
    return next((f for f in FAMILIES if path.startswith(f)), None)


class RefusalCache:
    """WSGI middleware that repeats the app's own 429s until their Retry-After."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self._until: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        kind = family(environ.get("PATH_INFO", ""))
        if kind is None:
            return self.app(environ, start_response)
        key = (str(environ.get("REMOTE_ADDR", "")), kind)
        now = time.monotonic()
        until = self._until.get(key, 0.0)
        if now < until:
            return self._refuse(start_response, math.ceil(until - now))

        def watch(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if any(k == BUDGET_HEADER for k, _ in headers):  # a spent budget, not a busy server
                wait = next((v for k, v in headers if k.lower() == "retry-after"), "")
                if wait.isdigit():
                    self._remember(key, now + int(wait))
                headers = [(k, v) for k, v in headers if k != BUDGET_HEADER]
            return start_response(status, headers, exc_info)

        return self.app(environ, watch)

    def _remember(self, key: tuple[str, str], until: float) -> None:
        with self._lock:
            if len(self._until) >= MAX_KEYS:
                now = time.monotonic()
                self._until = {k: v for k, v in self._until.items() if v > now}
            self._until[key] = until

    @staticmethod
    def _refuse(start_response: Callable[..., Any], wait_s: int) -> list[bytes]:
        body = json.dumps(error_body(MESSAGE, 429)).encode("utf-8")
        start_response(
            "429 TOO MANY REQUESTS",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("Retry-After", str(max(1, wait_s))),
                ("X-Content-Type-Options", "nosniff"),
                ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
                ("Cache-Control", "no-store"),
            ],
        )
        return [body]
