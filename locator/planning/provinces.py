"""One province of a national plan: the three tasks :mod:`locator.planning.national` runs.

Each function is a Dask task, run on a worker and given only plain values (paths,
numbers, NumPy arrays), so it pickles to any cluster:

1. :func:`prepare`: the province's 2020 census demand (:func:`coarse_demand`), which
   cells the existing stations already cover, the candidate sites (the uncovered
   populated cells) and the sparse coverage matrix. The :class:`Instance` stays in the
   worker's memory; only its small answers travel.
2. :func:`greedy_gains`: the marginal gains of lazy greedy on the instance, in pick
   order (non-increasing: coverage is submodular), which the national run merges to
   share the new sites out.
3. :func:`solve`: :func:`locator.siting.maximal_coverage` with the province's share,
   giving its objective, upper bound and gap, the chosen sites, and the largest
   marginal gains left at the final solution (for the allocation-free bound).

Weights are people (2020 census); distances are geodesic metres (the coverage matrix of
:func:`locator.coverage.cover_matrix`); nothing here measures on degrees.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from locator import coverage
from locator.demand import Demand, demand_from_cells
from locator.demand_census import census_model
from locator.errors import BadQuery
from locator.planning.inputs import Candidates, cell_candidates
from locator.regions import region_info, region_key
from locator.siting import maximal_coverage
from locator.siting.model import Constraints, column, reduce
from locator.siting.search import greedy

COARSENING = (1, 2, 5, 10)  # fine cell = coarse cell / divisor, tried in this order


@dataclass(frozen=True)
class Instance:
    """A province's demand, existing coverage, candidates and coverage matrix.

    ``cover`` is (cells, candidates) boolean; ``already`` marks the cells an existing
    station covers; ``weight`` is people per cell. ``seconds`` is the time to build it.
    """

    adcode: str
    name: str
    weight: np.ndarray
    already: np.ndarray
    cands: Candidates
    cover: sp.csr_matrix
    seconds: float


@dataclass(frozen=True)
class Outcome:
    """A province's plan: its table row values, the new sites and the gains left.

    ``objective`` is the covered people (already covered included) and ``bound`` the
    solver's upper bound on it for ``new_sites`` sites; ``top_gains`` the largest
    marginal gains of single candidates at the final plan, largest first.
    """

    adcode: str
    name: str
    demand: float
    covered_before: float
    objective: float
    bound: float
    gap: float
    new_sites: int
    method: str
    seconds: float
    sites: pd.DataFrame
    top_gains: np.ndarray


def prepare(
    data_dir: Path,
    adcode: str,
    radius_m: float,
    cell_size_m: float,
    station_lon: np.ndarray,
    station_lat: np.ndarray,
) -> Instance:
    """Build a province's :class:`Instance` (task 1); the stations are WGS84 degrees."""
    start = time.perf_counter()
    demand = coarse_demand(Path(data_dir), adcode, cell_size_m)
    already = coverage.covered_mask(demand, station_lon, station_lat, radius_m)
    cands = cell_candidates(demand, already)
    cover = coverage.cover_matrix(demand.lon, demand.lat, cands.lon, cands.lat, radius_m)
    name = region_info(adcode).name
    seconds = time.perf_counter() - start
    return Instance(adcode, name, demand.weight, already, cands, cover, seconds)


def coarse_demand(data_dir: Path, adcode: str, cell_size_m: float) -> Demand:
    """A province's census demand in ``cell_size_m`` Albers cells that keep every county.

    :func:`~locator.demand_census.census_model` refuses a cell size that leaves a county
    without a cell centre (a small city district in 5 km cells), so the model is built
    in the first of 1, 1/2, 1/5, 1/10 of ``cell_size_m`` where every county has one,
    then summed into ``cell_size_m`` cells. A coarse cell sits at the weighted centre of
    its fine cells (so on land), in the county of its heaviest fine cell; its weight is
    exact, and the province's total is the census model's.
    """
    key = region_key(adcode)
    for divisor in COARSENING:
        try:
            fine = census_model(data_dir, key, cell_size_m / divisor)
            break
        except BadQuery:
            if divisor == COARSENING[-1]:
                raise
    if divisor == 1:
        return fine
    cell = np.floor(fine.x_m / cell_size_m) * 1e7 + np.floor(fine.y_m / cell_size_m)
    groups, owner = np.unique(cell, return_inverse=True)
    weight = np.bincount(owner, fine.weight, len(groups))
    unit = np.where(fine.weight > 0, fine.weight, 1.0 / divisor**2)
    sums = np.bincount(owner, unit, len(groups))
    x_m, y_m = (np.bincount(owner, v * unit, len(groups)) / sums for v in (fine.x_m, fine.y_m))
    heaviest = pd.Series(fine.weight).groupby(owner).idxmax().to_numpy()
    rows = pd.DataFrame({"district_adcode": fine.district_adcode[heaviest],
                         "district_name": fine.district_name[heaviest]})  # fmt: skip
    return demand_from_cells(
        x_m, y_m, weight, rows, cell_size_m, fine.description, fine.totals, fine.modelled
    )


def greedy_gains(instance: Instance, most: int) -> tuple[np.ndarray, float]:
    """Marginal gains (people) of up to ``most`` lazy-greedy picks, in pick order, and the
    seconds it took (task 2)."""
    start = time.perf_counter()
    p = min(most, instance.cover.shape[1])
    model = reduce(instance.cover, instance.weight, p, instance.already, Constraints())
    uncovered = model.w.copy()
    gains = np.empty(p)
    for i, j in enumerate(greedy(model)):
        rows = column(model, j)
        gains[i] = uncovered[rows].sum()
        uncovered[rows] = 0.0
    return gains, time.perf_counter() - start


def solve(instance: Instance, new: int, time_limit_s: float, most_gains: int) -> Outcome:
    """Place ``new`` sites in the province and certify them (task 3).

    ``most_gains`` caps ``top_gains`` (the national run needs at most its total count).
    """
    start = time.perf_counter()
    result = maximal_coverage(
        instance.cover, instance.weight, new, already_covered=instance.already,
        time_limit_s=time_limit_s,
    )  # fmt: skip
    chosen = result.chosen
    after = instance.already | (np.asarray(instance.cover[:, chosen].sum(axis=1)).ravel() > 0)
    left = instance.cover.T.astype(float) @ np.where(after, 0.0, instance.weight)
    top = -np.sort(-left)[:most_gains]
    cands = instance.cands
    sites = pd.DataFrame({
        "province_adcode": instance.adcode, "rank": np.arange(1, len(chosen) + 1),
        "lon": cands.lon[chosen], "lat": cands.lat[chosen], "marginal_gain": result.gains,
        "district_adcode": cands.district_adcode[chosen],
        "district_name": cands.district_name[chosen],
    })  # fmt: skip
    return Outcome(
        instance.adcode, instance.name, result.total_weight, result.already_weight,
        result.covered_weight, result.upper_bound, result.gap, len(chosen), result.method,
        instance.seconds + time.perf_counter() - start, sites, top,
    )  # fmt: skip
