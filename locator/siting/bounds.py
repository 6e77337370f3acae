"""Proving how good a plan is: LP and Lagrangian upper bounds, and the exact MILP.

Both bounds relax the coverage rows "y_r <= sum of x_j covering r". The LP is
solved with HiGHS (interior point, no crossover); the Lagrangian value at any
non-negative multipliers is a valid upper bound, so the bound reported from the
LP's duals does not rest on solver tolerances.

The same Lagrangian, with one site forced in or out, bounds every plan that does
(or does not) use that site. Sites whose forced bound falls below the best plan
found are fixed before the MILP (reduced-cost fixing), which shrinks it to the few
sites that could still matter when the gap is small.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from locator.siting import highs_process
from locator.siting.highs_process import Solution
from locator.siting.model import TOLERANCE, Model, covered, excluded
from locator.siting.progress import still

LP_MAX_NONZEROS = 2_000_000  # above this the bound comes from subgradient steps instead
CHILD_NONZEROS = 100_000  # above this the LP and the MILP run in a child, stopped at the deadline
SUBGRADIENT_STEPS = 1000
SUBGRADIENT_MIN_S = 2.0  # subgradient steps when the LP ran out of time (within the stop)


@dataclass(frozen=True)
class Bound:
    """An upper bound on the coverable free weight and how it was found; from the LP,
    also its site values ``x`` and the multipliers ``u`` the bound was evaluated at."""

    value: float
    how: str
    x: np.ndarray | None = None
    u: np.ndarray | None = None


def _lagrangian(model: Model, u: np.ndarray) -> tuple[float, np.ndarray]:
    """L(u) = sum(w - u) + the p largest (A^T u)_j, for 0 <= u <= w, and its top p sites.

    Relaxing "y_r <= sum of x_j covering r" with multipliers u gives this upper
    bound on the covered free weight for ANY such u (quota rows only tighten it).
    """
    reduced = model.A.T @ u
    top = (
        np.argpartition(-reduced, model.p - 1)[: model.p]
        if model.p < model.n
        else np.arange(model.n)
    )
    return float((model.w - u).sum() + np.maximum(reduced[top], 0).sum()), top


def _subgradient(
    model: Model, lower: float, deadline: float, tick: Callable[[], None] = still
) -> float:
    """Minimise the Lagrangian bound by projected subgradient steps (Polyak step sizes);
    ``tick()`` once per step."""
    w = model.w
    u = w / np.maximum(np.diff(model.A_rows.indptr), 1)  # each row's weight shared by its sites
    best, theta, stale = _lagrangian(model, w)[0], 1.0, 0  # u = w: the top-p column sums
    for _ in range(SUBGRADIENT_STEPS):
        tick()
        value, top = _lagrangian(model, u)
        if value < best - TOLERANCE * max(value, 1):
            best, stale = value, 0
        else:
            stale += 1
            if stale >= 10:
                theta, stale = theta / 2, 0
        counts = np.asarray(model.A[:, top].sum(axis=1)).ravel()
        grad = counts - 1.0  # d L / d u_r
        norm = float(grad @ grad)
        if norm == 0 or best - lower <= TOLERANCE * max(best, 1) or time.perf_counter() > deadline:
            break
        u = np.clip(u - theta * (value - lower) / norm * grad, 0.0, w)
    return best


def lp_bound(
    model: Model,
    lower: float,
    deadline: float,
    tick: Callable[[], None] = still,
    stop: float = np.inf,
) -> Bound:
    """Upper bound on the coverable free weight.

    Solves the LP relaxation with HiGHS (interior point, no crossover) and
    reports the Lagrangian value at its duals, which is valid for any duals, so
    the bound does not rest on solver tolerances. A large LP runs in a child process
    stopped at ``deadline`` (:func:`_solve_lp`). When the LP is too large or does not
    finish in time, the same Lagrangian bound is minimised by subgradient steps instead
    (it converges to the LP bound), calling ``tick()`` per step: for at least
    ``SUBGRADIENT_MIN_S`` past ``deadline``, but never past ``stop`` (after one step).
    """
    m, n = model.A.shape
    if m == 0 or model.p == 0:
        return Bound(0.0, "exact (nothing to cover)")
    if model.A.nnz <= LP_MAX_NONZEROS:
        solution = _solve_lp(model, deadline)
        if solution is not None and solution.status == 0:
            u = np.clip(-solution.marginals[:m], 0.0, model.w)
            bound = _lagrangian(model, u)[0]
            if model.cons.min_per_group or model.cons.max_per_group:
                bound = min(bound, -solution.fun + 1e-7 * float(model.w.sum()))
            return Bound(bound, "LP bound (HiGHS)", solution.x[:n], u)
    until = min(max(deadline, time.perf_counter() + SUBGRADIENT_MIN_S), stop)
    bound = _subgradient(model, lower, until, tick)
    return Bound(bound, "Lagrangian bound (subgradient; LP too large for the time limit)")


def _solve_lp(model: Model, deadline: float) -> Solution | None:
    """The LP relaxation (HiGHS interior point, no crossover); status 1, or None, when
    out of time.

    Up to ``CHILD_NONZEROS`` it is solved here with a time limit of at least 1 s;
    larger LPs are solved in a child process killed at ``deadline``, since HiGHS can
    overrun its time limit there by minutes (:mod:`locator.siting.highs_process`).
    """
    n = model.n
    a_ub, b_ub = lp_rows(model)
    c = np.concatenate([np.zeros(n), -model.w])
    if model.A.nnz > CHILD_NONZEROS:
        return highs_process.solve_lp(c, a_ub, b_ub, deadline)
    return highs_process.lp_here(c, a_ub, b_ub, max(deadline - time.perf_counter(), 1.0))


def fixed_sites(model: Model, u: np.ndarray, lower: float) -> tuple[np.ndarray, np.ndarray]:
    """Sites no plan covering at least ``lower`` can use (``off``), or can do without (``on``).

    With site j forced in, L(u) drops the p-th largest column value for j's;
    forced out, j's value gives way to the (p+1)-th. Either is a valid bound on
    the plans so restricted; below ``lower`` those plans are all worse than the
    best plan found, which itself uses no ``off`` site and every ``on`` site.
    """
    if not 0 < model.p < model.n:
        return np.zeros(model.n, bool), np.zeros(model.n, bool)
    reduced = model.A.T @ u
    order = np.argsort(-reduced, kind="stable")
    positive = np.maximum(reduced[order], 0)
    value = float((model.w - u).sum() + positive[: model.p].sum())  # L(u), as _lagrangian
    pth, next_ = positive[model.p - 1], positive[model.p]
    in_top = np.zeros(model.n, bool)
    in_top[order[: model.p]] = True
    below = lower - TOLERANCE * max(float(model.w.sum()), 1.0)
    off = ~in_top & (value - pth + reduced < below)
    on = in_top & (value - np.maximum(reduced, 0) + next_ < below)
    return off, on


def lp_rows(model: Model) -> tuple[sp.csr_matrix, np.ndarray]:
    """y_r - sum_{j covers r} x_j <= 0; sum x <= p; quota rows."""
    m, n = model.A.shape

    def x_row(coefficients: np.ndarray) -> sp.csr_matrix:
        return sp.hstack([sp.csr_matrix(coefficients[None, :]), sp.csr_matrix((1, m))])

    blocks = [sp.hstack([-model.A_rows, sp.identity(m)]), x_row(np.ones(n))]
    bounds = [0.0] * m + [float(model.p)]
    for g, cap in model.cons.max_per_group.items():
        blocks.append(x_row((model.group == g).astype(float)))
        bounds.append(float(cap))
    for g, low in model.cons.min_per_group.items():
        blocks.append(x_row(-(model.group == g).astype(float)))
        bounds.append(-float(low))
    return sp.vstack(blocks).tocsr(), np.array(bounds)


def solve_milp(
    model: Model,
    chosen: list[int],
    free: float,
    bound: float,
    time_limit_s: float,
    fixed: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[list[int], float, float, bool]:
    """Solve the MILP with the ``fixed`` (off, on) sites of :func:`fixed_sites`; keep the
    better of its answer and ``chosen``; tighten the bound.

    ``chosen`` is feasible with those sites fixed, so the MILP's bound is global. Above
    ``CHILD_NONZEROS`` it runs in a child process killed after ``time_limit_s`` (HiGHS's
    presolve can overrun it); when it is, ``chosen``, ``free`` and ``bound`` come back.
    """
    m, n = model.A.shape
    a_ub, b_ub = lp_rows(model)
    if model.conflicts.nnz:
        pairs = sp.triu(model.conflicts, k=1).tocoo()
        k = pairs.nnz
        cols = np.column_stack([pairs.row, pairs.col]).ravel()
        spacing = sp.csr_matrix(
            (np.ones(2 * k), (np.repeat(np.arange(k), 2), cols)), shape=(k, n + m)
        )
        a_ub, b_ub = sp.vstack([a_ub, spacing]).tocsr(), np.concatenate([b_ub, np.ones(k)])
    lo, hi = np.zeros(n + m), np.ones(n + m)
    hi[:n][excluded(model)] = 0
    if fixed is not None:
        hi[:n][fixed[0]] = 0
        lo[:n][fixed[1]] = 1
    c = np.concatenate([np.zeros(n), -model.w])
    integrality = np.concatenate([np.ones(n), np.zeros(m)])
    deadline = time.perf_counter() + time_limit_s
    rows = (np.full(len(b_ub), -np.inf), b_ub)
    if model.A.nnz > CHILD_NONZEROS:
        res = highs_process.solve_milp(c, a_ub, rows, integrality, (lo, hi), deadline)
    else:
        res = highs_process.milp_here(c, a_ub, rows, integrality, (lo, hi), time_limit_s)
    if res is None:  # the child ran out of time: keep what we have
        return chosen, free, bound, False
    if len(res.x):
        picked = [int(j) for j in np.flatnonzero(res.x[:n] > 0.5)]
        value = covered(model, picked)
        if value > free + TOLERANCE:
            chosen, free = picked, value
    if np.isfinite(res.dual_bound):
        bound = min(bound, -res.dual_bound + 1e-7 * float(model.w.sum()))
    proven = res.status == 0
    return chosen, free, (free if proven else bound), proven
