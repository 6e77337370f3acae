"""The one object a running app holds: what it loaded at start-up and what it shares.

:func:`load_state` builds it once in :func:`locator.create_app`, which keeps it in
``app.extensions["locator"]``; every route reads it through :func:`state`. Nothing here
is built at import time or set up by a blueprint.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from locator.cache import LruCache
from locator.index import StationIndex
from locator.maps.embed import parse_origins
from locator.planning.jobs import DemandCache, PlanJobs
from locator.planning.service import PlanLimits, Planner
from locator.regions import Regions, load_regions
from locator.render.scene import Rendered
from locator.stations.store import load_table
from locator.stations.table import StationTable, dataset_json
from locator.web.serialise import FeatureWriter

EXTENSION = "locator"
CACHED_IMAGES = 16  # print maps (PNG/SVG) kept per worker
CACHED_PLANNER_MAPS = 16  # planner pages' folium maps and tables kept per worker


@dataclass(frozen=True)
class RenderSlots:
    """``size`` threads a worker process draws maps in, and a semaphore that says whether
    one is free (:func:`locator.web.work.render` never waits for one)."""

    size: int
    slots: threading.BoundedSemaphore = field(init=False, repr=False)
    threads: ThreadPoolExecutor = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError("LOCATOR_RENDER_CONCURRENCY must be at least 1.")
        object.__setattr__(self, "slots", threading.BoundedSemaphore(self.size))
        threads = ThreadPoolExecutor(self.size, thread_name_prefix="locator-render")
        object.__setattr__(self, "threads", threads)


@dataclass(frozen=True)
class State:
    """Settings, loaded data and the services and caches every route shares."""

    settings: dict[str, Any]
    regions: Regions
    table: StationTable
    index: StationIndex
    writer: FeatureWriter
    dataset: dict[str, Any]
    planner: Planner
    embed_origins: tuple[str, ...]
    images: LruCache[Rendered]
    planner_maps: LruCache[Any]
    renders: RenderSlots


def load_state(settings: dict[str, Any]) -> State:
    """Read and validate the stations and regions once, and set up the shared services.

    ``settings["STORE"]`` must already be a path. LOCATOR_EMBED_ORIGINS is checked here,
    at start-up, so that a typo cannot open framing up (ValueError).
    """
    data_dir = Path(settings["DATA_DIR"])
    regions = load_regions(data_dir, settings["REGION"])
    table = load_table(data_dir, Path(settings["STORE"]), regions)
    index = StationIndex(table)
    jobs = PlanJobs(settings["PLAN_WORKERS"], settings["PLAN_QUEUE"], settings["PLAN_KEEP"])
    return State(
        settings=settings,
        regions=regions,
        table=table,
        index=index,
        writer=FeatureWriter(table),
        dataset=dataset_json(table),
        planner=Planner(
            jobs,
            DemandCache(data_dir),
            data_dir,
            index,
            regions,
            PlanLimits(settings["PLAN_MAX_CANDIDATES"], settings["PLAN_MAX_PAIRS"]),
        ),
        embed_origins=parse_origins(str(settings["EMBED_ORIGINS"])),
        images=LruCache(CACHED_IMAGES),
        planner_maps=LruCache(CACHED_PLANNER_MAPS),
        renders=RenderSlots(int(settings["RENDER_CONCURRENCY"])),
    )


def state_of(app: Flask) -> State:
    """The state of ``app`` (for the CLI and tests, outside a request)."""
    found: State = app.extensions[EXTENSION]
    return found


def state() -> State:
    """The current app's state (inside a request or app context)."""
    return state_of(current_app)
