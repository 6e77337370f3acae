"""The plans a server runs: one :class:`Planner` per app, shared by every page and route.

It holds the bounded job pool (:class:`~locator.planning.jobs.PlanJobs`), each region's
default demand model (:class:`~locator.planning.jobs.DemandCache`) and the loaded
stations and regions, and it is the one place that checks a request can have enough
sites before queueing it. Flask-free.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from locator.demand import CELL_M
from locator.errors import BadQuery
from locator.index import StationIndex
from locator.planning.demand_points import from_points
from locator.planning.jobs import DemandCache, PlanJobs
from locator.planning.plan import Plan, PlanRequest, Progress, run_plan, site_count
from locator.regions import Regions


@dataclass(frozen=True)
class Planner:
    """Queue plans for the loaded data and find the ones already kept."""

    jobs: PlanJobs
    demand: DemandCache
    data_dir: Path
    index: StationIndex
    regions: Regions

    def site_count(self, request: PlanRequest) -> tuple[int, str]:
        """:func:`locator.planning.plan.site_count` with the cached demand model, or the
        uploaded demand (read, and so checked, here)."""
        if request.demand_path is None:
            found = self.demand.get(request.region)
        else:
            found = from_points(
                request.demand_path,
                self.data_dir,
                crs=request.demand_crs,
                cell_size_m=CELL_M[request.region],
                region=request.region,
            )
        return site_count(request, found, self.regions)

    def queue(self, request: PlanRequest, cleanup: Callable[[], None] | None = None) -> str:
        """Check that the plan can have enough sites, queue it and return its id.

        The request is kept with its defaults spelt out, so that :meth:`find` matches it."""
        request = normalised(request)
        sites, what = self.site_count(request)
        if request.new > sites:
            raise BadQuery(
                f"new={request.new} is more than the {sites:,} {what}; "
                "there are not that many candidate sites."
            )

        def work(progress: Progress) -> Plan:
            return run_plan(
                request,
                data_dir=self.data_dir,
                index=self.index,
                regions=self.regions,
                progress=progress,
            )

        return self.jobs.submit(request, work, cleanup=cleanup)

    def find(self, request: PlanRequest) -> str | None:
        """The id of a kept (queued, running or finished) plan for exactly this request."""
        return self.jobs.find(normalised(request))


def normalised(request: PlanRequest) -> PlanRequest:
    """``request`` with its defaults spelt out, so that equal plans compare equal."""
    return dataclasses.replace(
        request, radius_m=request.resolved_radius_m, kind=request.station_kind
    )
