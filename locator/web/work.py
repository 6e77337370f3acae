"""The wall-time deadline of a request's expensive work, and the slots maps are drawn in.

Every request may spend ``LOCATOR_REQUEST_DEADLINE_S`` seconds (counted from when it
arrived) on expensive work. Routes whose work comes in steps call :func:`check_deadline`
between them; a map, which is one long call, is drawn by :func:`render` in one of the
worker's ``LOCATOR_RENDER_CONCURRENCY`` render threads while the request waits at most
until its deadline. Past the deadline the answer is 503 in the JSON error shape: gunicorn's
``timeout`` (``gunicorn.conf.py``) is set above the deadline, so its own error page is never
what a client sees. A render that overruns finishes in its thread, keeps its slot until
then (so an overloaded worker refuses more renders) and still fills the cache.

When every render slot is taken, :func:`render` answers 429 with ``Retry-After`` at once
instead of queueing the request behind the others.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from flask import Flask, copy_current_request_context, g

from locator.errors import LocatorError, TooBusy
from locator.web.state import RenderSlots, state

T = TypeVar("T")
BUSY_RETRY_AFTER_S = 5  # a map takes 1-3 s to draw


def register(app: Flask) -> None:
    """Note when each request arrived: its deadline counts from then."""

    @app.before_request
    def start_clock() -> None:
        g.locator_started = time.monotonic()


def seconds_left() -> float:
    """Seconds of the request's deadline that remain (negative once past it)."""
    limit_s = float(state().settings["REQUEST_DEADLINE_S"])
    started = g.get("locator_started", time.monotonic())
    return started + limit_s - time.monotonic()


def check_deadline(what: str = "this request") -> None:
    """LocatorError (503) once the request has used up its wall time."""
    if seconds_left() <= 0:
        raise _exceeded(what)


def _exceeded(what: str) -> LocatorError:
    limit_s = float(state().settings["REQUEST_DEADLINE_S"])
    return LocatorError(
        f"{what} took longer than the {limit_s:g} s this server gives one request "
        "(LOCATOR_REQUEST_DEADLINE_S); ask for less, or try again later.",
        status=503,
    )


def render(draw: Callable[[], T], what: str = "drawing this map") -> T:
    """``draw()`` in a render thread, within the request's deadline.

    TooBusy (429) at once when every slot is taken; LocatorError (503) when the
    deadline passes first. ``draw`` runs with a copy of the request context, so it may
    use ``url_for``, translations and the app's state.
    """
    check_deadline(what)
    pool: RenderSlots = state().renders
    if not pool.slots.acquire(blocking=False):
        raise TooBusy(
            "the server is drawing as many maps as it can at once; "
            f"try again in {BUSY_RETRY_AFTER_S} s.",
            retry_after_s=BUSY_RETRY_AFTER_S,
        )
    work = copy_current_request_context(draw)

    def run() -> T:
        try:
            return work()
        finally:
            pool.slots.release()

    try:
        future = pool.threads.submit(run)
    except BaseException:
        pool.slots.release()
        raise
    try:
        return future.result(timeout=max(0.0, seconds_left()))
    except FutureTimeout:
        raise _exceeded(what) from None
