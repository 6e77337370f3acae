"""Progress of one solve, for a caller that shows it while the solve runs.

A solve is bounded by its time limit, so its fraction is mostly time: the elapsed share of
``time_limit_s``, held inside the current phase's span and never going back. Loops that
know how far they are (the greedy picks) say so instead. The search and bound loops call
:meth:`Meter.tick` once per step; while a solver with no callbacks runs (HiGHS's LP and
MILP), a thread ticks every :data:`TICK_S`. The callback gets ``(phase, fraction)`` with
``fraction`` in [0, 1]; it must be cheap or throttle itself (calls may come from the LP
thread and the ticker thread too, one at a time).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

Progress = Callable[[str, float], None]

TICK_S = 1.0  # a silent solver still reports this often
PHASES = {  # phase: its span of the solve's fraction (the search and LP share the clock)
    "greedy": (0.0, 0.05),
    "search": (0.05, 0.8),
    "exact": (0.8, 0.99),
    "done": (1.0, 1.0),
}


class Meter:
    """The fraction of one solve, reported to ``callback`` (or nowhere when it is None)."""

    def __init__(self, callback: Progress | None, time_limit_s: float) -> None:
        self.callback, self.time_limit_s = callback, max(float(time_limit_s), 1e-9)
        self.start = time.perf_counter()
        self.phase, self.fraction = "greedy", 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def enter(self, phase: str) -> None:
        """Start ``phase`` (a key of :data:`PHASES`) and report."""
        self.phase = phase
        self.tick()

    def tick(self, done: float | None = None) -> None:
        """Report: ``done`` (0..1) of the phase when known, else the elapsed time."""
        if self.callback is None:
            return
        low, high = PHASES[self.phase]
        if done is None:
            share = (time.perf_counter() - self.start) / self.time_limit_s
            value = min(max(share, low), high)
        else:
            value = low + min(max(done, 0.0), 1.0) * (high - low)
        with self._lock:
            self.fraction = max(self.fraction, value)
            self.callback(self.phase, self.fraction)

    def __enter__(self) -> Meter:
        if self.callback is not None:
            self._thread = threading.Thread(target=self._run, name="locator-solve-ticker")
            self._thread.daemon = True
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(TICK_S):
            self.tick()


def still() -> None:
    """A tick that reports nowhere: the default of the loops' ``tick`` arguments."""
