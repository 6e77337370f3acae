"""A siting plan from a planner's request: demand, candidates, constraints, solve, tables.

This is the geo layer around :mod:`locator.siting.maximal`: it builds the demand
surface and the candidate list, turns quotas, minimum spacing and exclusion
zones into solver constraints, and returns tables ready to show or export.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from locator import coverage
from locator import demand as demand_models
from locator.errors import BadQuery
from locator.geodesy import distance_m, ecef_m
from locator.index import Filters, StationIndex
from locator.planning import suggested
from locator.planning.demand_points import from_points
from locator.planning.inputs import (
    Candidates,
    cell_candidates,
    outside,
    read_candidates,
    read_exclusions,
)
from locator.planning.suggested import cells_table
from locator.regions import REGION_KIND, Regions, region_type
from locator.siting.maximal import Constraints, CoverageResult, maximal_coverage

Progress = Callable[[str, float], None]


def default_radius_m(region: str, kind: str) -> float:
    """The region type's radius for its own station kind (README "Regions"), else the
    kind's default (:data:`locator.coverage.DEFAULT_RADIUS_M`)."""
    defaults = region_type(region)
    return defaults.radius_m if kind == defaults.kind else coverage.DEFAULT_RADIUS_M[kind]


@dataclass(frozen=True)
class PlanRequest:
    """What a planner asks for. ``quotas`` maps a district adcode to (min, max) new sites."""

    region: str = "beijing"
    new: int = 1000
    radius_m: float | None = None
    kind: str | None = None
    amenities: tuple[str, ...] = ()
    min_spacing_m: float = 0.0
    quotas: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    demand_path: Path | None = None
    demand_crs: str | None = None
    candidates_path: Path | None = None
    candidates_crs: str | None = None
    exclusions_path: Path | None = None
    exclusions_crs: str | None = None
    time_limit_s: float = 60.0
    # workers' suggestions (cell centre lon, lat, count) added to the demand at this weight
    suggestion_weight: float = 0.0
    suggestions: tuple[tuple[float, float, int], ...] = ()

    @property
    def station_kind(self) -> str:
        return self.kind or REGION_KIND[self.region]

    @property
    def resolved_radius_m(self) -> float:
        """``radius_m``, else the default radius of the region and station kind."""
        return self.radius_m or default_radius_m(self.region, self.station_kind)


@dataclass(frozen=True)
class Plan:
    """The answer: new sites in rank order, the solver's certificate and before/after tables."""

    request: PlanRequest
    sites: pd.DataFrame
    result: CoverageResult
    before: coverage.CoverageSummary
    districts: pd.DataFrame
    uncovered: pd.DataFrame
    demand_description: str
    seconds: float
    suggested: dict[str, float | int | None] | None = None  # see _suggested_summary
    # the suggested cells the plan used (see suggested.cells_table); none without any
    suggested_cells: pd.DataFrame = field(default_factory=cells_table)


def _noop(stage: str, fraction: float) -> None:
    """Default progress callback: ignore."""


def run_plan(
    request: PlanRequest,
    *,
    data_dir: Path,
    index: StationIndex,
    regions: Regions,
    progress: Progress = _noop,
) -> Plan:
    """Build demand and candidates, solve, and tabulate. Raises BadQuery/DataError on bad input."""
    start = time.perf_counter()
    if request.region not in REGION_KIND:
        raise BadQuery(f"unknown region {request.region!r}; give a name or adcode.")
    if request.resolved_radius_m <= 0 or request.new < 1:
        raise BadQuery("radius_m must be > 0 and new must be at least 1.")
    progress("demand", 0.05)
    with_suggested = suggested.with_suggestions(
        request_demand(request, data_dir), request.suggestions, request.suggestion_weight, regions
    )
    demand = with_suggested.demand
    filters = Filters(kind=request.station_kind, amenities=request.amenities)
    progress("existing coverage", 0.15)
    before = coverage.station_coverage(demand, index, filters, request.resolved_radius_m)
    rows = index.subset(filters).rows
    already = coverage.covered_mask(
        demand, index.lon[rows], index.lat[rows], request.resolved_radius_m
    )
    progress("candidates", 0.25)
    cands = _candidates(request, demand, already, regions)
    if request.new > len(cands):
        raise BadQuery(f"new={request.new} is more than the {len(cands)} candidate sites.")
    cover = coverage.cover_matrix(
        demand.lon, demand.lat, cands.lon, cands.lat, request.resolved_radius_m
    )
    progress("optimising", 0.35)
    result = maximal_coverage(
        cover,
        demand.weight,
        request.new,
        already_covered=already,
        time_limit_s=request.time_limit_s,
        constraints=_constraints(request, cands),
        progress=lambda _phase, solved: progress("optimising", 0.35 + 0.6 * solved),
    )
    progress("tables", 0.95)
    after = already | (np.asarray(cover[:, result.chosen].sum(axis=1)).ravel() > 0)
    return Plan(
        request,
        _sites(cands, result),
        result,
        before,
        _districts(
            demand,
            already,
            after,
            index.table.frame["district_adcode"].to_numpy()[rows],
            cands.district_adcode[result.chosen],
        ),
        _uncovered(demand, after),
        demand.description,
        time.perf_counter() - start,
        _suggested_summary(request, with_suggested, already, after),
        cells_table(with_suggested, request.suggestion_weight, already, after),
    )


def _suggested_summary(
    request: PlanRequest, found: suggested.SuggestedDemand, before: np.ndarray, after: np.ndarray
) -> dict[str, float | int | None] | None:
    """How many suggestions the plan used, at what weight, and the share (0–1) of their
    weight covered before and after; None when the plan used none."""
    if request.suggestion_weight <= 0:
        return None
    return {
        "count": found.count,
        "weight": request.suggestion_weight,
        "covered_share_before": suggested.covered_share(found, before),
        "covered_share_after": suggested.covered_share(found, after),
    }


def site_count(
    request: PlanRequest, demand: demand_models.Demand, regions: Regions
) -> tuple[int, str]:
    """The most sites a plan can have (its candidates before existing stations are counted),
    and what they are. Reads, and so checks, the candidate and exclusion files."""
    cands = _candidates(request, demand, np.zeros(len(demand.weight), bool), regions)
    if request.candidates_path is not None:
        return len(cands), "candidate sites"
    zones = " outside the exclusion zones" if request.exclusions_path is not None else ""
    return len(cands), f"populated demand cells of {request.region}{zones}"


def request_demand(request: PlanRequest, data_dir: Path) -> demand_models.Demand:
    """The demand a plan uses: the uploaded points, else the region's default model."""
    if request.demand_path is None:
        return demand_models.default_model(data_dir, request.region)
    return from_points(
        request.demand_path,
        data_dir,
        crs=request.demand_crs,
        cell_size_m=demand_models.CELL_M[request.region],
        region=request.region,
    )


def _candidates(
    request: PlanRequest, demand: demand_models.Demand, already: np.ndarray, regions: Regions
) -> Candidates:
    """A user list (validated like a station file), or the uncovered demand-cell centres;
    without those in an exclusion zone."""
    if request.candidates_path is not None:
        path, kind, crs = request.candidates_path, request.station_kind, request.candidates_crs
        cands = read_candidates(path, regions, kind, crs)
    else:
        cands = cell_candidates(demand, already)
    if request.exclusions_path is not None:
        cands = outside(cands, read_exclusions(request.exclusions_path, request.exclusions_crs))
    return cands


def _constraints(request: PlanRequest, cands: Candidates) -> Constraints:
    codes, uniques = pd.factorize(pd.Series(cands.district_adcode))
    group_of = {str(a): i for i, a in enumerate(uniques)}
    unknown = [a for a in request.quotas if a not in group_of]
    if unknown:
        raise BadQuery(f"quota for district(s) {', '.join(unknown)} with no candidate sites.")
    lows = {group_of[a]: lo for a, (lo, _) in request.quotas.items() if lo}
    highs = {group_of[a]: hi for a, (_, hi) in request.quotas.items() if hi is not None}
    conflicts = None
    if request.min_spacing_m > 0:
        conflicts = _too_close(cands.lon, cands.lat, request.min_spacing_m)
    return Constraints(group=codes, min_per_group=lows, max_per_group=highs, conflicts=conflicts)


def _too_close(lon: np.ndarray, lat: np.ndarray, spacing_m: float) -> sp.csr_matrix:
    """Symmetric matrix of candidate pairs closer than ``spacing_m``."""
    pairs = cKDTree(ecef_m(lon, lat)).query_pairs(spacing_m, output_type="ndarray")
    pairs = pairs[
        distance_m(lon[pairs[:, 0]], lat[pairs[:, 0]], lon[pairs[:, 1]], lat[pairs[:, 1]])
        < spacing_m
    ]
    n = len(lon)
    i, j = np.concatenate([pairs[:, 0], pairs[:, 1]]), np.concatenate([pairs[:, 1], pairs[:, 0]])
    return sp.csr_matrix((np.ones(len(i)), (i, j)), shape=(n, n))


def _sites(cands: Candidates, result: CoverageResult) -> pd.DataFrame:
    chosen = result.chosen
    return pd.DataFrame(
        {
            "rank": np.arange(1, len(chosen) + 1),
            "lon": cands.lon[chosen],
            "lat": cands.lat[chosen],
            "marginal_gain": result.gains,
            "covered_share_after": result.curve[1:],
            "district_adcode": cands.district_adcode[chosen],
            "district_name": cands.district_name[chosen],
            "host_type": cands.host_type[chosen],
            "name": cands.name[chosen],
        }
    )


def _districts(
    demand: demand_models.Demand,
    before: np.ndarray,
    after: np.ndarray,
    existing: np.ndarray,
    new: np.ndarray,
) -> pd.DataFrame:
    table = coverage.district_table(demand, before, existing).rename(
        columns={
            "covered": "covered_before",
            "covered_share": "share_before",
            "stations": "existing",
        }
    )
    after_table = coverage.district_table(demand, after, new)
    table["covered_after"] = after_table["covered"].to_numpy()
    table["share_after"] = after_table["covered_share"].to_numpy()
    table["new"] = after_table["stations"].to_numpy()
    return table


def _uncovered(demand: demand_models.Demand, covered: np.ndarray) -> pd.DataFrame:
    rows = np.flatnonzero(~covered & (demand.weight > 0))
    return pd.DataFrame(
        {
            "lon": demand.lon[rows],
            "lat": demand.lat[rows],
            "weight": demand.weight[rows],
            "district_adcode": demand.district_adcode[rows],
            "district_name": demand.district_name[rows],
        }
    )
