"""p-median: minimise the demand-weighted mean distance to the nearest chosen site.

For planners who care about average travel distance rather than a coverage
radius. ``cost`` is a dense (n_demand, n_candidates) array of distances, or a
sparse matrix whose stored entries are the allowed assignments (for example
each demand point's k nearest candidates); entries not stored are not allowed.

Method: greedy addition, then vertex substitution (Teitz-Bart swaps) until no
swap improves; the lower bound comes from Lagrangian relaxation of the
assignment constraints (subgradient ascent), which is valid for any
multipliers; small instances are solved exactly as a MILP with HiGHS.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import LinearConstraint, milp

MILP_MAX_VARIABLES = 60_000
SUBGRADIENT_STEPS = 300


@dataclass(frozen=True)
class PMedianResult:
    """Chosen sites (pick order), the weighted mean distance and its certificate.

    ``objective`` and ``lower_bound`` are weighted means in the unit of
    ``cost``; ``gap = (objective - lower_bound) / objective``.
    """

    chosen: np.ndarray
    objective: float
    lower_bound: float
    gap: float
    method: str
    seconds: float


def _dense(cost: sp.spmatrix | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cost as a dense array with +inf where assignment is not allowed, and the allowed mask."""
    if sp.issparse(cost):
        coo = sp.coo_matrix(cost)
        out = np.full(coo.shape, np.inf)
        out[coo.row, coo.col] = coo.data
    else:
        out = np.array(cost, dtype=float)
    return out, np.isfinite(out)


def _objective(c: np.ndarray, w: np.ndarray, chosen: list[int]) -> float:
    return float((w * c[:, chosen].min(axis=1)).sum())


def p_median(
    cost: sp.spmatrix | np.ndarray,
    weights: np.ndarray,
    p: int,
    *,
    time_limit_s: float = 60.0,
    exact: bool | None = None,
) -> PMedianResult:
    """Choose ``p`` candidates minimising the weighted mean assignment cost.

    Raises ValueError when shapes disagree, weights are negative, ``p`` is out
    of range, or some demand point has no allowed candidate.
    """
    start = time.perf_counter()
    c, allowed = _dense(cost)
    w = np.asarray(weights, dtype=float)
    if c.shape[0] != len(w) or (w < 0).any():
        raise ValueError("cost has one row per demand point, and weights must be >= 0.")
    if not 1 <= p <= c.shape[1]:
        raise ValueError(f"p must be between 1 and {c.shape[1]}, got {p}.")
    if not allowed.any(axis=1).all():
        raise ValueError("every demand point needs at least one allowed candidate.")
    chosen = _swap(c, w, _greedy(c, w, p), deadline=start + time_limit_s / 2)
    total = _objective(c, w, chosen)
    bound = _lagrangian_bound(c, allowed, w, p, total)
    method = "greedy+swap, Lagrangian bound"
    small = c.size <= MILP_MAX_VARIABLES
    if total - bound > 1e-9 * max(total, 1) and (exact or (exact is None and small)):
        found = _milp(c, allowed, w, p, max(start + time_limit_s - time.perf_counter(), 1.0))
        if found is not None:
            picked, proven, dual = found
            if _objective(c, w, picked) < total - 1e-9:
                chosen, total = picked, _objective(c, w, picked)
            bound = max(bound, dual)
            if proven:
                bound, method = total, "MILP (HiGHS), optimal"
    w_sum = float(w.sum()) or 1.0
    objective, lower = total / w_sum, min(bound, total) / w_sum
    gap = (objective - lower) / objective if objective > 0 else 0.0
    return PMedianResult(
        np.array(chosen, dtype=np.int64), objective, lower, gap, method, time.perf_counter() - start
    )


def _greedy(c: np.ndarray, w: np.ndarray, p: int) -> list[int]:
    """Add the site that lowers the total cost most, p times (unassigned cost = large)."""
    big = np.where(np.isfinite(c), c, np.nan)
    worst = np.nanmax(big) * 10 + 1
    finite = np.where(np.isfinite(c), c, worst)
    best = np.full(len(w), worst * 10)
    chosen: list[int] = []
    for _ in range(p):
        saving = (w[:, None] * np.maximum(best[:, None] - finite, 0)).sum(axis=0)
        saving[chosen] = -1
        j = int(np.argmax(saving))
        chosen.append(j)
        best = np.minimum(best, finite[:, j])
    return chosen


def _swap(c: np.ndarray, w: np.ndarray, chosen: list[int], deadline: float) -> list[int]:
    """Teitz-Bart vertex substitution: apply the best improving swap until none improves."""
    current = _objective(c, w, chosen)
    while time.perf_counter() < deadline:
        cols = c[:, chosen]
        order = np.argsort(cols, axis=1)
        first = cols[np.arange(len(w)), order[:, 0]]
        second = (
            cols[np.arange(len(w)), order[:, 1]] if len(chosen) > 1 else np.full(len(w), np.inf)
        )
        best_delta, best_move = -1e-9 * max(current, 1), None
        for pos in range(len(chosen)):
            # Without site `pos`, each demand falls back to its first or second choice.
            fallback = np.where(order[:, 0] == pos, second, first)
            with np.errstate(invalid="ignore"):
                totals = (w[:, None] * np.minimum(fallback[:, None], c)).sum(axis=0)
            totals[chosen] = np.inf
            j = int(np.argmin(totals))
            if totals[j] - current < best_delta:
                best_delta, best_move = totals[j] - current, (pos, j)
        if best_move is None:
            break
        chosen[best_move[0]] = best_move[1]
        current = _objective(c, w, chosen)
    return chosen


def _lagrangian_bound(
    c: np.ndarray, allowed: np.ndarray, w: np.ndarray, p: int, upper: float
) -> float:
    """max over lambda of L(lambda) = sum(lambda) + sum of the p most negative rho_j,
    rho_j = sum_d min(0, w_d c_dj - lambda_d) over allowed (d, j). Valid for any lambda."""
    wc = np.where(allowed, w[:, None] * np.where(allowed, c, 0), np.inf)
    lam = np.min(wc, axis=1)  # every demand's cheapest assignment: L(lam) is already valid
    best = -np.inf
    step_scale = 2.0
    for _ in range(SUBGRADIENT_STEPS):
        reduced = np.minimum(wc - lam[:, None], 0)
        rho = reduced.sum(axis=0)
        picked = np.argsort(rho)[:p]
        value = float(lam.sum() + rho[picked].sum())
        best = max(best, value)
        if upper - best <= 1e-9 * max(upper, 1):
            break
        # subgradient: 1 - (number of picked sites whose reduced cost for d is negative)
        grad = 1.0 - (reduced[:, picked] < 0).sum(axis=1)
        norm = float((grad**2).sum())
        if norm == 0:
            break
        lam = lam + step_scale * (upper - value) / norm * grad
        step_scale *= 0.98
    return best


def _milp(
    c: np.ndarray, allowed: np.ndarray, w: np.ndarray, p: int, time_limit_s: float
) -> tuple[list[int], bool, float] | None:
    """Exact model: z_dj assignment (allowed pairs only), x_j open, sum x = p, z_dj <= x_j."""
    n_d, n_c = c.shape
    d_idx, j_idx = np.nonzero(allowed)
    n_z = len(d_idx)
    if n_z + n_c > MILP_MAX_VARIABLES * 2:
        return None
    assign = sp.csr_matrix((np.ones(n_z), (d_idx, np.arange(n_z))), shape=(n_d, n_z + n_c))
    link = sp.csr_matrix(
        (
            np.concatenate([np.ones(n_z), -np.ones(n_z)]),
            (np.tile(np.arange(n_z), 2), np.concatenate([np.arange(n_z), n_z + j_idx])),
        ),
        shape=(n_z, n_z + n_c),
    )
    count = sp.csr_matrix(np.concatenate([np.zeros(n_z), np.ones(n_c)])[None, :])
    res = milp(
        np.concatenate([w[d_idx] * c[d_idx, j_idx], np.zeros(n_c)]),
        constraints=[
            LinearConstraint(assign, 1, 1),
            LinearConstraint(link, -np.inf, 0),
            LinearConstraint(count, p, p),
        ],
        integrality=np.concatenate([np.zeros(n_z), np.ones(n_c)]),
        bounds=(0, 1),
        options={"time_limit": time_limit_s, "mip_rel_gap": 0.0},
    )
    if res.x is None:
        return None
    picked = [int(j) for j in np.flatnonzero(res.x[n_z:] > 0.5)]
    dual = float(res.mip_dual_bound) if res.mip_dual_bound is not None else -np.inf
    return picked, res.status == 0, dual
