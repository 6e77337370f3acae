"""One call in a forked child: its value, its errors, and its ceilings."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from locator import forked
from locator.errors import BadQuery

ROOMY = forked.Ceiling(wall_s=20, memory_bytes=512 * 2**20)


def test_the_value_comes_back_from_a_child_with_lower_priority() -> None:
    pid, niceness = forked.call(lambda: (os.getpid(), os.nice(0)), ROOMY)
    assert pid != os.getpid()
    assert niceness == os.nice(0) + 10 or niceness == 19


def test_it_sees_what_the_parent_had_loaded() -> None:
    loaded = np.arange(1_000_000)
    assert forked.call(lambda: int(loaded.sum()), ROOMY) == 499_999_500_000


def test_a_locator_error_comes_back_as_it_was() -> None:
    def refuse() -> None:
        raise BadQuery("radius_m must be positive.")

    with pytest.raises(BadQuery, match="radius_m must be positive"):
        forked.call(refuse, ROOMY)


def test_any_other_error_comes_back_with_its_traceback() -> None:
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        forked.call(lambda: 1 / 0, ROOMY)


def test_past_the_wall_time_the_child_is_stopped() -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError, match=r"0\.3 s"):
        forked.call(lambda: time.sleep(30), forked.Ceiling(wall_s=0.3, memory_bytes=2**26))
    assert time.monotonic() - started < 2
    assert not forked.multiprocessing.active_children()


def test_more_memory_than_the_ceiling_is_a_memory_error() -> None:
    def hog() -> int:
        return len(np.ones(400 * 2**20, dtype=np.uint8))  # 400 MiB

    with pytest.raises(MemoryError, match="100 MiB"):
        forked.call(hog, forked.Ceiling(wall_s=20, memory_bytes=100 * 2**20))
    assert forked.call(hog, ROOMY) == 400 * 2**20


def test_a_child_that_dies_is_a_child_process_error() -> None:
    with pytest.raises(ChildProcessError):
        forked.call(lambda: os._exit(3), ROOMY)
