"""One expensive call in a forked child process, with a wall-time, CPU and memory ceiling.

Drawing a map is seconds of CPU in matplotlib and shapely, most of it holding Python's
GIL. Drawn in a thread of a web worker, it slows every other request of that worker (each
waits for the GIL) however few maps are drawn. :func:`call` runs the function in a child
forked from the calling process (so it sees the loaded stations, demand and templates
without copying them), at a lower CPU priority (``nice``), so the kernel gives the web
workers' cheap requests the CPU first. The child has an address-space ceiling
(``RLIMIT_AS``: what it may add to the parent's size) and a CPU-time ceiling
(``RLIMIT_CPU``, which also ends a child whose parent died); the parent kills it when the
wall time runs out. The result comes back pickled through a pipe.

The function must not use locks, connections or caches that other threads of the parent
may hold: resolve those before the call and pass the values in (a forked child keeps only
the calling thread). Linux and macOS only (``fork``).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import resource
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TypeVar, cast

from locator.errors import LocatorError

T = TypeVar("T")
_FORK = multiprocessing.get_context("fork")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Ceiling:
    """What one call may use: wall seconds, bytes of memory beyond the parent's address
    space, and how much lower its CPU priority is (``nice`` increment, 0–19)."""

    wall_s: float
    memory_bytes: int
    nice: int = 10


def call(function: Callable[[], T], ceiling: Ceiling) -> T:
    """``function()`` in a forked child within ``ceiling``.

    Raises TimeoutError when the wall time passes first (the child is killed), MemoryError
    when the child runs out of memory, ChildProcessError when it dies before answering
    (killed by a signal, its CPU ceiling, the kernel's OOM killer), the child's
    LocatorError as it was, and RuntimeError with the child's traceback for any other
    exception.
    """
    receive, send = _FORK.Pipe(duplex=False)
    child = _FORK.Process(target=_run, args=(function, send, ceiling), daemon=True)
    child.start()
    send.close()  # the child holds the only sending end: EOF when it dies
    try:
        if not receive.poll(max(0.0, ceiling.wall_s)):
            raise TimeoutError(f"the work did not finish within {ceiling.wall_s:.1f} s")
        outcome, value = receive.recv()
    except EOFError:
        raise ChildProcessError("the process doing the work stopped before it answered") from None
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join()
    if outcome == "ok":
        return cast(T, value)
    if outcome == "memory":
        raise MemoryError(f"the work needed more than {ceiling.memory_bytes // 2**20} MiB")
    if outcome == "locator":
        raise cast(LocatorError, value)
    raise RuntimeError(f"forked call failed:\n{value}")


def _run(function: Callable[[], object], send: Connection, ceiling: Ceiling) -> None:
    """The child: lower priority, set the ceilings, call, send ``(outcome, value)``."""
    os.nice(ceiling.nice)
    size_bytes = _address_space_bytes()
    if size_bytes:
        _limit(resource.RLIMIT_AS, size_bytes + ceiling.memory_bytes)
    _limit(resource.RLIMIT_CPU, math.ceil(ceiling.wall_s) + 1)
    try:
        message: tuple[str, object] = ("ok", function())
    except MemoryError:
        message = ("memory", None)
    except LocatorError as exc:
        message = ("locator", exc)
    except Exception:  # handed to the parent, which raises it
        message = ("error", traceback.format_exc())
    try:
        send.send(message)
    except MemoryError:
        send.send(("memory", None))


def _limit(which: int, value: int) -> None:
    """Lower a soft limit to ``value`` (never above the hard limit)."""
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, hard))


def _address_space_bytes() -> int:
    """This process's virtual size (Linux ``/proc``; 0 where unknown: no memory ceiling)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[0]) * PAGE_BYTES
    except OSError:
        return 0
