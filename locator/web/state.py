"""The one object a running app holds: what it loaded at start-up and what it shares.

:func:`load_state` builds it once in :func:`locator.create_app`, which keeps it in
``app.extensions["locator"]``; every route reads it through :func:`state`, and the
served dataset version through :func:`data`. Nothing here is built at import time or
set up by a blueprint.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Engine

from locator.cache import LruCache
from locator.db.datasets import Source, seed_if_empty
from locator.db.live import LiveData
from locator.db.reports import ClosedFlags
from locator.db.session import database_url, engine_for, upgrade
from locator.index import StationIndex
from locator.maps.embed import parse_origins
from locator.planning.demand_cache import DemandCache
from locator.planning.queue import PlanQueue, PlanRunner, make_huey
from locator.planning.registry import PlanRegistry
from locator.planning.service import PlanLimits, Planner
from locator.regions import Regions, load_regions
from locator.render.scene import Rendered
from locator.stations.store import DEFAULT_STATIONS, load_table
from locator.stations.table import StationTable, dataset_json
from locator.web.serialise import FeatureWriter

EXTENSION = "locator"
CACHED_IMAGES = 16  # print maps (PNG/SVG) kept per worker
CACHED_PLANNER_MAPS = 16  # planner pages' folium maps and tables kept per worker


@dataclass(frozen=True)
class Data:
    """One dataset version and what requests need of it; swapped whole when the served
    version changes (:class:`~locator.db.live.LiveData`)."""

    version: int
    table: StationTable
    index: StationIndex
    writer: FeatureWriter
    dataset: dict[str, Any]


def build_data(
    version: int, table: StationTable, flags: Callable[[], Mapping[str, str]] = dict
) -> Data:
    """Index and serialiser of one version (built off the request path); ``flags`` gives
    the stations reported closed (:class:`~locator.db.reports.ClosedFlags`)."""
    dataset = {**dataset_json(table), "version": version}
    writer = FeatureWriter(table, dataset, flags)
    return Data(version, table, StationIndex(table), writer, dataset)


@dataclass(frozen=True)
class State:
    """Settings, the database, the served data and the services and caches every route
    shares."""

    settings: dict[str, Any]
    regions: Regions
    engine: Engine
    live: LiveData[Data]
    planner: Planner
    embed_origins: tuple[str, ...]
    images: LruCache[Rendered]
    planner_maps: LruCache[Any]
    render_slots: threading.BoundedSemaphore  # maps drawn at once (web.work.render)


def _first_start(settings: dict[str, Any], regions: Regions) -> tuple[StationTable, Source]:
    """What a new database starts with: the GeoPackage store of earlier versions
    (``LOCATOR_STORE``) when there is one, else the shipped synthetic stations."""
    data_dir, store = Path(settings["DATA_DIR"]), Path(settings["STORE"])
    table = load_table(data_dir, store, regions)
    path = store if store.exists() else data_dir / DEFAULT_STATIONS
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return table, Source(path.name, digest, "first start")


def load_state(settings: dict[str, Any], work_dir: Path) -> State:
    """Open (and upgrade) the database, seed it on first start, load the served version
    and set up the shared services. ``work_dir`` holds the embedded database and queue
    when no URL is set. LOCATOR_EMBED_ORIGINS is checked here, at start-up, so that a
    typo cannot open framing up (ValueError)."""
    embed_origins = parse_origins(str(settings["EMBED_ORIGINS"]))  # before any side effect
    data_dir = Path(settings["DATA_DIR"])
    regions = load_regions(data_dir, settings["REGION"])
    url = database_url(settings["DATABASE_URL"], work_dir)
    engine = engine_for(url)
    upgrade(engine)
    seed_if_empty(engine, lambda: _first_start(settings, regions))
    flags = ClosedFlags(engine, int(settings["REPORTS_CLOSED_FLAG_CLIENTS"]))
    live = LiveData(
        engine, partial(build_data, flags=flags.current), poll_s=float(settings["LIVE_POLL_S"])
    )
    registry = PlanRegistry(engine, int(settings["PLAN_QUEUE"]), float(settings["PLAN_STALE_S"]))

    def served_index() -> StationIndex:
        return live.current().index

    runner = PlanRunner(registry, data_dir, regions, served_index)
    huey = make_huey(str(settings["QUEUE_URL"]), work_dir, name_of=url)
    planner = Planner(
        plans=registry,
        tasks=PlanQueue(huey, runner, threads=int(settings["PLAN_WORKERS"])),
        demand=DemandCache(data_dir),
        data_dir=data_dir,
        regions=regions,
        index=served_index,
        limits=PlanLimits(settings["PLAN_MAX_CANDIDATES"], settings["PLAN_MAX_PAIRS"]),
    )
    return State(
        settings=settings,
        regions=regions,
        engine=engine,
        live=live,
        planner=planner,
        embed_origins=embed_origins,
        images=LruCache(CACHED_IMAGES),
        planner_maps=LruCache(CACHED_PLANNER_MAPS),
        render_slots=threading.BoundedSemaphore(_positive(settings, "RENDER_CONCURRENCY")),
    )


def _positive(settings: Mapping[str, Any], name: str) -> int:
    value = int(settings[name])
    if value < 1:
        raise ValueError(f"LOCATOR_{name} must be at least 1.")
    return value


def state_of(app: Flask) -> State:
    """The state of ``app`` (for the CLI and tests, outside a request)."""
    found: State = app.extensions[EXTENSION]
    return found


def state() -> State:
    """The current app's state (inside a request or app context)."""
    return state_of(current_app)


def data() -> Data:
    """The dataset version this request is answered from: read once, then kept for the
    rest of the request, so no answer mixes two versions."""
    if "locator_data" not in g:
        g.locator_data = state().live.current()
    found: Data = g.locator_data
    return found


def large() -> bool:
    """Whether the served dataset has more stations than ``LOCATOR_LARGE_DATASET``: its
    maps then leave out the points of low-zoom tiles and its offline copy covers an area."""
    return len(data().table) > int(state().settings["LARGE_DATASET"])
