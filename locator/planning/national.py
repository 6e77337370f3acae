"""Coverage and siting for every province of China in one run, on Dask (dask.distributed).

Each province's demand, existing coverage and plan are tasks
(:mod:`locator.planning.provinces`); a province's instance stays on the worker that
built it. The run has three steps:

1. **Prepare** every province (2020 census demand in ``cell_size_m`` cells, the cells
   existing stations cover within ``radius_m``, candidates, coverage matrix).
2. **Share the new sites out** by merging the provinces' greedy marginal-gain curves:
   the ``new`` largest gains over all provinces, each province's taken in its own pick
   order (:func:`allocate`). A province's greedy gains never increase (coverage is
   submodular), so this is exactly the greedy a single national solver would run when no
   cell is covered from another province, and each site goes where it adds the most
   people. A share in proportion to uncovered people would instead give sites to large
   sparse provinces (Xinjiang, Tibet) where a site covers few.
3. **Solve** each province for its share (:func:`locator.siting.maximal_coverage`,
   ``time_limit_s`` each), giving its objective, bound and gap.

The national certificate: ``objective`` and ``bound`` are the provinces' sums, and
``gap = 1 - objective / bound``. It certifies the plan against every plan with the same
number of sites in each province. ``any_bound`` certifies it against every plan of
``new`` sites however they are shared: for covered people f (monotone, submodular) and
the plan S, any O with ``new`` sites has f(O) <= f(S) + the ``new`` largest single-site
gains at S, gathered over all provinces; ``any_gap`` is its gap.

Simplification: a cell is covered only from its own province (sites and stations
across a border are not counted), and Hong Kong, Macao and Taiwan, which the 2020
census table does not cover, are left out. By default a local cluster (processes, one
thread each) starts inside the run; ``scheduler="tcp://host:8786"`` (the
``LOCATOR_DASK_SCHEDULER`` setting) sends the same tasks to a running cluster, whose
workers must have locator installed and ``data_dir`` at the same path.
"""

from __future__ import annotations

import contextlib
import resource
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from distributed import Client, LocalCluster, as_completed

from locator.errors import BadQuery
from locator.planning import provinces
from locator.planning.provinces import Outcome
from locator.regions import census_provinces

NATIONAL_CELL_M = 5_000.0  # 2 km cells would be 2.4 M cells for China; 5 km is 384,000
NATIONAL_RADIUS_M = 15_000.0  # the province type's radius (driver's homes on trunk roads)
TABLE_COLUMNS = (
    "province_adcode", "province", "demand", "covered_before", "covered_after", "new_sites",
    "objective", "bound", "gap", "task_s",
)  # fmt: skip
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class NationalRequest:
    """A national plan: ``new`` sites over ``provinces`` (adcodes; empty: all of China).

    ``time_limit_s`` is each province's solver limit; ``workers`` the local cluster's
    worker processes (ignored when ``scheduler`` names a running cluster).
    """

    new: int
    radius_m: float = NATIONAL_RADIUS_M
    cell_size_m: float = NATIONAL_CELL_M
    time_limit_s: float = 20.0
    provinces: tuple[str, ...] = ()
    workers: int = 2
    scheduler: str = ""


@dataclass(frozen=True)
class NationalPlan:
    """The answer: the per-province table, the new sites and the national certificate.

    ``table`` has ``TABLE_COLUMNS`` (people; ``task_s`` the seconds of the province's
    three tasks), one row per province in adcode order. ``peak_worker_mb`` is each
    worker's peak resident memory.
    """

    request: NationalRequest
    table: pd.DataFrame
    sites: pd.DataFrame
    objective: float
    bound: float
    gap: float
    any_bound: float
    any_gap: float
    seconds: float
    workers: int
    peak_worker_mb: tuple[float, ...]


def province_codes(request: NationalRequest) -> list[str]:
    """The provinces to plan: the request's, else every province with census demand."""
    known = census_provinces()
    wanted = list(request.provinces) or known
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise BadQuery(f"not a province with census demand: {', '.join(unknown)}.")
    return sorted(wanted)


def allocate(curves: Sequence[np.ndarray], total: int) -> np.ndarray:
    """Sites per province: the ``total`` largest gains of all the (non-increasing) curves.

    Ties go to the earlier province, then the earlier pick. BadQuery when the curves
    hold fewer than ``total`` picks (fewer candidate cells than sites asked for).
    """
    gains = np.concatenate([np.asarray(c, float) for c in curves])
    if len(gains) < total:
        raise BadQuery(f"new={total} is more than the {len(gains)} candidate cells.")
    owner = np.repeat(np.arange(len(curves)), [len(c) for c in curves])
    taken = np.argsort(-gains, kind="stable")[:total]
    return np.bincount(owner[taken], minlength=len(curves))


@contextlib.contextmanager
def connect(request: NationalRequest) -> Iterator[Client]:
    """A client of ``request.scheduler``, else of a local cluster made for the run."""
    if request.scheduler:
        with Client(request.scheduler) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=request.workers, threads_per_worker=1, processes=True,
            dashboard_address=":0", memory_limit=0,
        ) as cluster,
        Client(cluster) as client,
    ):  # fmt: skip
        yield client


def _peak_rss_mb() -> float:
    """This process's peak resident memory in MiB: Linux's VmHWM, the high-water mark of
    this program's own memory. (``ru_maxrss`` is not: Linux carries the parent's peak over
    ``exec``, so a worker started by a large process reported that process's 8 GiB.)"""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:  # not Linux: ru_maxrss, in KiB on the BSDs
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(kib) / 1024.0


def _noop(stage: str, fraction: float) -> None:
    """Default progress callback: ignore."""


def run_national(
    request: NationalRequest,
    *,
    data_dir: Path,
    station_lon: np.ndarray,
    station_lat: np.ndarray,
    progress: Progress = _noop,
) -> NationalPlan:
    """Plan ``request.new`` sites over the provinces on a Dask cluster (module docstring).

    The existing stations are WGS84 degrees (already filtered to the planned kind).
    """
    start = time.perf_counter()
    codes = province_codes(request)
    if request.new < 1 or request.radius_m < 2 * request.cell_size_m:
        raise BadQuery("new must be at least 1 and radius_m at least twice the cell size.")
    run = uuid.uuid4().hex[:8]  # keys of this run only: a shared scheduler keeps others'
    with connect(request) as client:
        progress("demand and coverage", 0.05)
        lon, lat = client.scatter([station_lon, station_lat], broadcast=True)
        built = [
            client.submit(_prepare, data_dir, c, request, lon, lat, key=f"prepare-{c}-{run}")
            for c in codes
        ]
        greedy = [client.submit(provinces.greedy_gains, b, request.new) for b in built]
        curves = client.gather(greedy)
        progress("sharing out", 0.5)
        shares = allocate([g for g, _ in curves], request.new)
        solved = [
            client.submit(
                provinces.solve,
                b,
                int(k),
                request.time_limit_s,
                request.new,
                key=f"solve-{c}-{run}",
            )
            for b, k, c in zip(built, shares, codes, strict=True)
        ]
        for done, future in enumerate(as_completed(solved), start=1):
            progress(f"planned {str(future.key).split('-')[1]}", 0.5 + 0.5 * done / len(solved))
        outcomes: list[Outcome] = client.gather(solved)
        peaks = tuple(client.run(_peak_rss_mb).values())
        workers = len(peaks)
    progress("done", 1.0)
    seconds = [o.seconds + s for o, (_, s) in zip(outcomes, curves, strict=True)]
    return _assemble(request, outcomes, seconds, time.perf_counter() - start, peaks, workers)


def _prepare(
    data_dir: Path, code: str, request: NationalRequest, lon: np.ndarray, lat: np.ndarray
) -> provinces.Instance:
    """Task 1 with the request's radius and cell size."""
    return provinces.prepare(data_dir, code, request.radius_m, request.cell_size_m, lon, lat)


def _assemble(
    request: NationalRequest,
    outcomes: list[Outcome],
    task_s: list[float],
    seconds: float,
    peaks: tuple[float, ...],
    workers: int,
) -> NationalPlan:
    """The table, the sites and the summed certificates from the provinces' outcomes."""
    table = pd.DataFrame({
        "province_adcode": [o.adcode for o in outcomes], "province": [o.name for o in outcomes],
        "demand": [o.demand for o in outcomes],
        "covered_before": [o.covered_before for o in outcomes],
        "covered_after": [o.objective for o in outcomes],
        "new_sites": [o.new_sites for o in outcomes],
        "objective": [o.objective for o in outcomes], "bound": [o.bound for o in outcomes],
        "gap": [o.gap for o in outcomes], "task_s": task_s,
    })  # fmt: skip
    objective, bound = float(table["objective"].sum()), float(table["bound"].sum())
    left = np.concatenate([o.top_gains for o in outcomes])
    any_bound = objective + float(np.sort(left)[::-1][: request.new].sum())
    sites = pd.concat([o.sites for o in outcomes], ignore_index=True)
    return NationalPlan(
        request, table, sites, objective, bound, _gap(objective, bound), any_bound,
        _gap(objective, any_bound), seconds, workers, peaks,
    )  # fmt: skip


def _gap(objective: float, bound: float) -> float:
    """``1 - objective / bound`` (0 for a zero bound)."""
    return 1.0 - objective / bound if bound > 0 else 0.0
