"""Where should new stations go? Maximal coverage with a certified optimality gap.

The numeric core: a sparse coverage matrix in, a frozen result out. It knows
nothing of maps or files (the geo layer, :mod:`locator.coverage`, builds the
matrix with a radius query).

:func:`maximal_coverage` picks ``p`` candidates to cover the most demand weight:

1. reduce the instance (:mod:`locator.siting.model`): drop demand already
   covered or not coverable, merge demand rows that the same candidates cover;
2. lazy greedy, respecting quotas, spacing and exclusions
   (:mod:`locator.siting.search`);
3. improve it (:mod:`locator.siting.improve`) while the bound is solved in a second
   thread beside it (HiGHS releases the GIL). Without quotas or spacing: best-swap
   local search and tabu search, with every swap priced at once
   (:mod:`locator.siting.swap`); when the candidates fall into independent parts
   (no shared demand), each part is searched on its own for a few site counts and a
   knapsack picks the counts (:mod:`locator.siting.split`); the LP's open sites and
   counts give second starts. With quotas or spacing: swap local search and a seeded
   perturbation search. The effort is counted in steps, so a plan is reproducible;
4. bound (:mod:`locator.siting.bounds`): the LP relaxation, solved with HiGHS
   (``scipy.optimize.linprog``, interior point). The reported bound is the
   Lagrangian value at the LP's duals, which is a valid upper bound for any dual
   values, so it does not rest on solver tolerances. A large LP (and MILP) is solved
   in a child process killed at its deadline (HiGHS can overrun its own time limit
   by minutes; :mod:`locator.siting.highs_process`). When the LP is too large to
   finish in the time limit, the same Lagrangian bound is minimised by subgradient
   steps, and ``method`` says so;
5. when the instance is small enough to finish in the time left, or when
   ``exact=True``, the MILP (HiGHS via ``scipy.optimize.milp``) proves the
   optimum and the gap is 0. Sites the bound rules out (or in) are fixed first,
   and "small enough" is measured after that.

Weights are whatever the caller measures demand in (people, orders); results
are in the same unit. ``p_median`` lives in :mod:`locator.siting.pmedian`.
"""

from __future__ import annotations

import heapq
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from locator.siting.bounds import fixed_sites, lp_bound, solve_milp
from locator.siting.improve import search
from locator.siting.model import TOLERANCE, Constraints, Model, column, covered, reduce
from locator.siting.progress import Meter, Progress
from locator.siting.search import greedy

__all__ = ["Constraints", "CoverageResult", "Progress", "maximal_coverage"]

MILP_MAX_NONZEROS = 200_000  # "auto" tries the exact MILP only below this size (after fixing)


@dataclass(frozen=True)
class CoverageResult:
    """A siting plan and its certificate.

    ``chosen`` are candidate indices in pick order, ``gains`` the weight each
    added in that order; ``covered_weight`` includes ``already_weight``
    (demand existing stations cover). ``upper_bound`` bounds the best
    possible ``covered_weight``; ``gap = (upper_bound - covered_weight) /
    upper_bound``. ``curve[i]`` is the covered share after ``i`` new sites.
    """

    chosen: np.ndarray
    gains: np.ndarray
    covered_weight: float
    already_weight: float
    total_weight: float
    upper_bound: float
    gap: float
    method: str
    seconds: float
    curve: np.ndarray


def maximal_coverage(
    cover: sp.spmatrix | np.ndarray,
    weights: np.ndarray,
    p: int,
    *,
    already_covered: np.ndarray | None = None,
    time_limit_s: float = 60.0,
    exact: bool | None = None,
    constraints: Constraints | None = None,
    progress: Progress | None = None,
) -> CoverageResult:
    """Choose ``p`` candidates (columns of ``cover``) that cover the most ``weights``.

    ``exact=None`` solves the MILP when the instance is small enough;
    ``True`` always does (within ``time_limit_s``); ``False`` never does.
    ``progress(phase, fraction)`` hears from the greedy picks, every search and
    subgradient step, and at least every ``progress.TICK_S`` while HiGHS runs
    (:mod:`locator.siting.progress`); the fraction never goes back and ends at 1.
    Raises ValueError for inconsistent shapes, negative weights, or a ``p``
    larger than the number of allowed candidates.
    """
    start = time.perf_counter()
    w = np.asarray(weights, dtype=float)
    cover = sp.csr_matrix(cover, dtype=bool)
    already = np.zeros(len(w), bool) if already_covered is None else np.asarray(already_covered)
    _check(cover, w, p, already, constraints)
    cons = constraints or Constraints()
    model = reduce(cover, w, p, already, cons)
    with Meter(progress, time_limit_s) as meter:
        chosen, method, bound_free = _solve(model, start, time_limit_s, exact, meter)
        meter.enter("done")
    return _result(model, cover, w, already, chosen, bound_free, method, start)


def _solve(
    model: Model, start: float, time_limit_s: float, exact: bool | None, meter: Meter
) -> tuple[list[int], str, float]:
    """Greedy, search beside the bound, then the MILP when it pays: (chosen, method, bound)."""
    first = greedy(model, picked=meter.tick)
    meter.enter("search")
    with ThreadPoolExecutor(max_workers=1) as pool:  # HiGHS releases the GIL
        lp_job = pool.submit(
            lp_bound, model, covered(model, first), start + time_limit_s * 0.7, meter.tick,
            start + time_limit_s * 0.9,
        )  # fmt: skip
        chosen, kind = search(model, first, lp_job, start + time_limit_s * 0.8, meter.tick)
        bound = lp_job.result()
    method, bound_free = f"{kind}; {bound.how}", bound.value
    free = covered(model, chosen)
    remaining = start + time_limit_s - time.perf_counter()
    if bound_free - free > TOLERANCE * max(bound_free, 1) and exact is not False and remaining > 0:
        fixed = None if bound.u is None else fixed_sites(model, bound.u, free)
        free_nnz = model.A.nnz if fixed is None else model.A[:, ~fixed[0]].nnz
        if exact or free_nnz <= MILP_MAX_NONZEROS:
            meter.enter("exact")
            chosen, free, bound_free, proven = solve_milp(
                model, chosen, free, bound_free, remaining, fixed
            )
            method = "MILP (HiGHS), optimal" if proven else "MILP (HiGHS), time limit"
    if bound_free - free <= TOLERANCE * max(bound_free, 1):
        bound_free = free
    return chosen, method, bound_free


def _check(
    cover: sp.csr_matrix, w: np.ndarray, p: int, already: np.ndarray, cons: Constraints | None
) -> None:
    if cover.shape[0] != len(w) or len(already) != len(w):
        raise ValueError("cover has one row per demand point; weights and already_covered too.")
    if (w < 0).any() or not np.isfinite(w).all():
        raise ValueError("weights must be finite and non-negative.")
    allowed = cover.shape[1]
    if cons is not None and cons.excluded is not None:
        allowed -= int(np.asarray(cons.excluded).sum())
    if not 0 <= p <= allowed:
        raise ValueError(f"p={p} new sites, but only {allowed} candidates are allowed.")


def _sequence(model: Model, chosen: list[int]) -> tuple[list[int], list[float]]:
    """Order the final sites greedily (largest marginal gain first), for the coverage curve."""
    uncovered = model.w.copy()
    heap = [(-float(uncovered[column(model, j)].sum()), j) for j in chosen]
    heapq.heapify(heap)
    order, gains = [], []
    while heap:  # lazy: a site's gain only shrinks as others are placed
        _, j = heapq.heappop(heap)
        gain = float(uncovered[column(model, j)].sum())
        if heap and gain < -heap[0][0] - TOLERANCE:
            heapq.heappush(heap, (-gain, j))
            continue
        uncovered[column(model, j)] = 0
        order.append(j)
        gains.append(gain)
    return order, gains


def _result(
    model: Model,
    cover: sp.csr_matrix,
    w: np.ndarray,
    already: np.ndarray,
    chosen: list[int],
    bound_free: float,
    method: str,
    start: float,
) -> CoverageResult:
    order, gains = _sequence(model, chosen)
    total = float(w.sum())
    already_w = float(w[already].sum())
    covered = already_w + float(np.sum(gains))
    bound = max(already_w + bound_free, covered)
    steps = already_w + np.concatenate([[0.0], np.cumsum(gains)])
    curve = steps / total if total else np.zeros(len(order) + 1)
    return CoverageResult(
        chosen=np.array(order, dtype=np.int64),
        gains=np.array(gains),
        covered_weight=covered,
        already_weight=already_w,
        total_weight=total,
        upper_bound=bound,
        gap=(bound - covered) / bound if bound > 0 else 0.0,
        method=method,
        seconds=time.perf_counter() - start,
        curve=curve,
    )
