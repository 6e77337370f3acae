"""The served dataset version, kept current in every process without a restart.

:class:`LiveData` holds what a process builds from the served version (the table, its
index, …; the caller's ``build``). A daemon thread asks the database every ``poll_s``
which version is served; when it changes, the new one is loaded and built in that
thread, off the request path, and then swapped in with one assignment. A request that
reads :meth:`LiveData.current` once therefore sees one version throughout, never half of
each. The thread holds only a weak reference, so it ends when its owner is dropped.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy import Engine

from locator.db.datasets import load_version, served_version
from locator.errors import NotFound
from locator.stations.table import StationTable

T = TypeVar("T")
logger = logging.getLogger(__name__)


class LiveData(Generic[T]):
    """``build(version_id, table)`` of the served version, rebuilt when it changes."""

    def __init__(
        self, engine: Engine, build: Callable[[int, StationTable], T], poll_s: float = 1.0
    ) -> None:
        self.engine, self._build = engine, build
        version = served_version(engine)
        if version is None:
            raise NotFound("no dataset version is served; import stations first.")
        self.version = version
        self._current = build(version, load_version(engine, version))
        self._lock = threading.Lock()
        self._stop = threading.Event()
        if poll_s > 0:
            threading.Thread(
                target=_poll,
                args=(weakref.ref(self), self._stop, poll_s),
                name="locator-live",
                daemon=True,
            ).start()

    def close(self) -> None:
        """Stop following the served version (the poller ends within ``poll_s``)."""
        self._stop.set()

    def current(self) -> T:
        """What was built from the served version (read it once per request)."""
        return self._current

    def refresh(self) -> bool:
        """Load and swap in the served version if it changed; True when it did."""
        with self._lock:
            version = served_version(self.engine)
            if version is None or version == self.version:
                return False
            built = self._build(version, load_version(self.engine, version))
            self._current, self.version = built, version
            logger.info("now serving dataset version %s", version)
            return True


def _poll(ref: weakref.ref[LiveData[object]], stop: threading.Event, poll_s: float) -> None:
    while not stop.wait(poll_s):
        live = ref()
        if live is None:
            return
        try:
            live.refresh()
        except Exception:  # a database hiccup must not end the thread
            logger.exception("could not check the served dataset version")
        del live
