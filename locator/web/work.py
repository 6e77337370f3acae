"""The wall-time deadline of a request's expensive work, and the slots maps are drawn in.

Every request may spend ``LOCATOR_REQUEST_DEADLINE_S`` seconds (counted from when it
arrived) on expensive work. Routes whose work comes in steps call :func:`check_deadline`
between them; a map, which is one long call, is drawn by :func:`render` in a child process
(:mod:`locator.forked`: lower CPU priority, a memory ceiling, stopped at the deadline), at
most ``LOCATOR_RENDER_CONCURRENCY`` at once per worker. Past the deadline the answer is 503
in the JSON error shape: gunicorn's ``timeout`` (``gunicorn.conf.py``) is set above the
deadline, so its own error page is never what a client sees.

When every render slot is taken, :func:`render` answers 429 with ``Retry-After`` at once
instead of queueing the request behind the others.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, g

from locator import forked
from locator.errors import LocatorError, TooBusy
from locator.web.state import state

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
    """``draw()`` in a forked child (:func:`locator.forked.call`) within the request's
    deadline and the render memory ceiling, holding one of the worker's render slots.

    TooBusy (429) at once when every slot is taken; LocatorError (503) when the deadline
    passes first (the child is stopped) or the drawing runs out of memory. ``draw`` runs
    in the child with this request's context (``url_for``, translations); it must return
    a picklable value and leave caches, the database and the served data's loading to the
    caller (what it changes in the child is lost).
    """
    check_deadline(what)
    st = state()
    if not st.render_slots.acquire(blocking=False):
        raise TooBusy(
            "the server is drawing as many maps as it can at once; "
            f"try again in {BUSY_RETRY_AFTER_S} s.",
            retry_after_s=BUSY_RETRY_AFTER_S,
        )
    memory_mb = int(st.settings["RENDER_MAX_MEMORY_MB"])
    try:
        return forked.call(draw, forked.Ceiling(seconds_left(), memory_mb * 2**20))
    except TimeoutError:
        raise _exceeded(what) from None
    except MemoryError:
        raise LocatorError(
            f"{what} needed more than the {memory_mb} MiB this server gives one map "
            "(LOCATOR_RENDER_MAX_MEMORY_MB); ask for less.",
            status=503,
        ) from None
    except ChildProcessError:
        raise LocatorError(f"{what} stopped before it finished; try again.", status=503) from None
    finally:
        st.render_slots.release()
