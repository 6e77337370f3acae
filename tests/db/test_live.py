"""A new dataset version reaches a running process within its poll interval, built off
the request path, and a reader holding the old one keeps it whole."""

from __future__ import annotations

import gc
import threading
import time

from locator.db.datasets import Source, commit_version, rollback
from locator.db.live import LiveData
from locator.db.session import upgrade
from locator.web.state import state_of


def test_a_new_version_is_served_without_a_restart(engine, app) -> None:
    table = state_of(app).live.current().table
    upgrade(engine)
    first, _ = commit_version(engine, table, Source("a.csv", "a" * 64, "admin"))
    live = LiveData(engine, lambda version, t: (version, len(t)), poll_s=0.1)
    held = live.current()
    assert held == (first, 3)
    smaller = type(table)(table.frame.iloc[:1], table.amenity_codes[:1], table.info)
    second, _ = commit_version(engine, smaller, Source("b.csv", "b" * 64, "admin"))
    deadline = time.monotonic() + 2.0
    while live.current() == held and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live.current() == (second, 1) and held == (first, 3)
    rollback(engine, first, "admin")
    assert live.refresh() and live.current() == (first, 3)
    assert not live.refresh()


def test_the_poll_thread_ends_with_its_owner(engine, app) -> None:
    upgrade(engine)
    commit_version(engine, state_of(app).live.current().table, Source("a.csv", "a" * 64, "admin"))
    before = set(threading.enumerate())
    live = LiveData(engine, lambda version, t: version, poll_s=0.05)
    (poller,) = [t for t in set(threading.enumerate()) - before if t.name == "locator-live"]
    del live
    gc.collect()
    poller.join(timeout=2.0)
    assert not poller.is_alive()
