"""The plans a server runs: one :class:`Planner` per app, shared by every page and route.

It holds the plans in the database (:class:`~locator.planning.registry.PlanRegistry`),
the job queue (:class:`~locator.planning.queue.PlanQueue`), each region's default demand
model (:class:`~locator.planning.demand_cache.DemandCache`) and the served stations and
regions, and it is the one place that checks a request before queueing it:
that it can have enough sites, and that it stays within :class:`PlanLimits`, so that one
plan cannot take gigabytes (its coverage matrix takes about 70 bytes a pair while it is
built). Flask-free.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from locator.demand import CELL_M, Demand
from locator.errors import BadQuery, TooLarge
from locator.index import StationIndex
from locator.planning.demand_cache import DemandCache
from locator.planning.demand_points import from_points
from locator.planning.plan import PlanRequest, site_count
from locator.planning.queue import PlanQueue
from locator.planning.registry import PlanRegistry
from locator.regions import Regions


@dataclass(frozen=True)
class PlanLimits:
    """What one plan may cost (LOCATOR_PLAN_MAX_CANDIDATES, LOCATOR_PLAN_MAX_PAIRS)."""

    max_candidates: int = 50_000
    max_pairs: int = 10_000_000


@dataclass(frozen=True)
class Planner:
    """Check and queue plans for the served data, and find the ones already kept.

    ``plans`` keeps them in the database and ``tasks`` carries their ids to a worker, so
    any web worker answers for any plan; ``index`` gives the stations served now.
    """

    plans: PlanRegistry
    tasks: PlanQueue
    demand: DemandCache
    data_dir: Path
    regions: Regions
    index: Callable[[], StationIndex]
    limits: PlanLimits = PlanLimits()

    def request_demand(self, request: PlanRequest) -> Demand:
        """The cached demand model, or the uploaded demand (read, and so checked, here)."""
        if request.demand_path is None:
            return self.demand.get(request.region)
        return from_points(
            request.demand_path,
            self.data_dir,
            crs=request.demand_crs,
            cell_size_m=CELL_M[request.region],
            region=request.region,
        )

    def site_count(self, request: PlanRequest) -> tuple[int, str]:
        """:func:`locator.planning.plan.site_count` with :meth:`request_demand`."""
        return site_count(request, self.request_demand(request), self.regions)

    def queue(
        self,
        request: PlanRequest,
        *,
        actor: str = "",
        name: str = "",
        ready: Callable[[], None] | None = None,
    ) -> str:
        """Check the plan (enough sites, within :class:`PlanLimits`), queue it with its
        uploaded files and return its id.

        ``ready`` is called once everything is checked, just before the plan is queued; it
        may raise to stop it (a request past its deadline). The request is kept with its
        defaults spelt out, so that :meth:`find` matches it."""
        request = normalised(request)
        demand = self.request_demand(request)
        sites, what = site_count(request, demand, self.regions)
        if request.candidates_path is not None and sites > self.limits.max_candidates:
            raise TooLarge(
                f"{request.candidates_path.name}: {sites:,} candidate sites, more than the "
                f"{self.limits.max_candidates:,} a plan may have (LOCATOR_PLAN_MAX_CANDIDATES)."
            )
        if request.new > sites:
            raise BadQuery(
                f"new={request.new} is more than the {sites:,} {what}; "
                "there are not that many candidate sites."
            )
        check_pairs(request, sites, len(demand.weight), self.limits.max_pairs)
        if ready is not None:
            ready()
        uploads = {
            field: (path.name, path.read_bytes())
            for field, path in (
                ("demand", request.demand_path),
                ("candidates", request.candidates_path),
                ("exclusions", request.exclusions_path),
            )
            if path is not None
        }
        plan_id = self.plans.submit(request, uploads, actor=actor, name=name)
        self.tasks.enqueue(plan_id)
        return plan_id

    def find(self, request: PlanRequest, published_only: bool = False) -> str | None:
        """The id of a kept (queued, running or finished) plan for exactly this request;
        with ``published_only``, of the newest published one."""
        return self.plans.find(normalised(request), published_only=published_only)


def disc_cells(radius_m: float, cell_m: float, cells: int) -> float:
    """About how many demand cells (of ``cell_m``) lie within ``radius_m`` of a point."""
    return min(float(cells), math.pi * radius_m**2 / cell_m**2)


def estimated_pairs(request: PlanRequest, sites: int, cells: int) -> int:
    """About how many (demand cell, candidate) pairs lie within the radius, plus the
    (candidate, candidate) pairs closer than ``min_spacing_m``, as if every candidate had
    demand cells all around it: an upper bound away from the region's edge."""
    cell_m = CELL_M[request.region]
    pairs = sites * disc_cells(request.resolved_radius_m, cell_m, cells)
    if request.min_spacing_m > 0:
        pairs += sites * disc_cells(request.min_spacing_m, cell_m, sites)
    return math.ceil(pairs)


def check_pairs(request: PlanRequest, sites: int, cells: int, max_pairs: int) -> None:
    """BadQuery (400) naming LOCATOR_PLAN_MAX_PAIRS and the largest radius that fits,
    when the plan would consider more pairs than ``max_pairs``."""
    pairs = estimated_pairs(request, sites, cells)
    if pairs <= max_pairs:
        return
    fits_m = CELL_M[request.region] * math.sqrt(max_pairs / max(sites, 1) / math.pi)
    fits_m = math.floor(fits_m / 100) * 100
    raise BadQuery(
        f"this plan would compare about {pairs:,} pairs of demand cells and candidate sites "
        f"(radius_m={request.resolved_radius_m:g}, min_spacing_m={request.min_spacing_m:g}, "
        f"{sites:,} candidates), more than the {max_pairs:,} a plan may "
        f"(LOCATOR_PLAN_MAX_PAIRS); use a radius_m of at most about {fits_m:,} m, fewer "
        "candidate sites or a smaller min_spacing_m."
    )


def normalised(request: PlanRequest) -> PlanRequest:
    """``request`` with its defaults spelt out, so that equal plans compare equal."""
    return dataclasses.replace(
        request, radius_m=request.resolved_radius_m, kind=request.station_kind
    )
