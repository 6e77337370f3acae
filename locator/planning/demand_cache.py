"""Each region's default demand model, built on first use and then shared by every
request of a process (coverage, maps, the planner page and plan checks)."""

from __future__ import annotations

import threading
from pathlib import Path

from locator import demand


class DemandCache:
    """Each region's default demand model, built on first use and then shared (thread-safe)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self._models: dict[str, demand.Demand] = {}
        self._lock = threading.Lock()

    def get(self, region: str) -> demand.Demand:
        """The model of ``region``; BadQuery for an unknown region."""
        with self._lock:
            if region not in self._models:
                self._models[region] = demand.default_model(self.data_dir, region)
            return self._models[region]
