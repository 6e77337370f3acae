"""Where should new stations go? Maximal coverage with a certified optimality gap.

The numeric core: a sparse coverage matrix in, a frozen result out. It knows
nothing of maps or files (the geo layer, :mod:`locator.coverage`, builds the
matrix with a radius query).

:func:`maximal_coverage` picks ``p`` candidates to cover the most demand weight:

1. reduce the instance: drop demand already covered or not coverable, merge
   demand rows that the same candidates cover;
2. lazy greedy (respecting quotas, spacing and exclusions);
3. local search: swap a chosen site for an unchosen one while that gains;
4. bound: the LP relaxation, solved with HiGHS (``scipy.optimize.linprog``,
   interior point). The reported bound is the Lagrangian value at the LP's
   duals, which is a valid upper bound for any dual values, so it does not
   rest on solver tolerances. When the LP is too large to finish in the time
   limit, the same Lagrangian bound is minimised by subgradient steps, and
   ``method`` says so;
5. when the instance is small enough to finish in the time left, or when
   ``exact=True``, the MILP (HiGHS via ``scipy.optimize.milp``) proves the
   optimum and the gap is 0.

Weights are whatever the caller measures demand in (people, orders); results
are in the same unit. ``p_median`` lives in :mod:`locator.pmedian`.
"""

from __future__ import annotations

import heapq
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import LinearConstraint, OptimizeWarning, linprog, milp

from locator.pmedian import PMedianResult, p_median

__all__ = ["Constraints", "CoverageResult", "PMedianResult", "maximal_coverage", "p_median"]

MILP_MAX_NONZEROS = 200_000  # "auto" tries the exact MILP only below this reduced size
LP_MAX_NONZEROS = 2_000_000  # above this the bound comes from subgradient steps instead
SUBGRADIENT_STEPS = 1000
GOOD_ENOUGH_GAP = 1e-3  # the perturbation search stops once within 0.1 % of the bound
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Constraints:
    """Optional rules for the new sites.

    ``group`` gives each candidate a group id (e.g. its district, -1 for
    none); ``min_per_group``/``max_per_group`` map group ids to quotas;
    ``conflicts`` is a symmetric sparse (n_candidates, n_candidates) matrix
    whose nonzeros are pairs that may not both be chosen (closer than the
    minimum spacing); ``excluded`` is a boolean mask of forbidden candidates.
    """

    group: np.ndarray | None = None
    min_per_group: dict[int, int] = field(default_factory=dict)
    max_per_group: dict[int, int] = field(default_factory=dict)
    conflicts: sp.spmatrix | None = None
    excluded: np.ndarray | None = None


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


@dataclass
class _Model:
    """The reduced instance: merged demand rows over the allowed candidates."""

    A: sp.csc_matrix  # (rows, candidates) 0/1
    A_rows: sp.csr_matrix
    w: np.ndarray
    p: int
    cons: Constraints
    group: np.ndarray
    conflicts: sp.csr_matrix

    @property
    def n(self) -> int:
        return int(self.A.shape[1])


def maximal_coverage(
    cover: sp.spmatrix | np.ndarray,
    weights: np.ndarray,
    p: int,
    *,
    already_covered: np.ndarray | None = None,
    time_limit_s: float = 60.0,
    exact: bool | None = None,
    constraints: Constraints | None = None,
) -> CoverageResult:
    """Choose ``p`` candidates (columns of ``cover``) that cover the most ``weights``.

    ``exact=None`` solves the MILP when the instance is small enough;
    ``True`` always does (within ``time_limit_s``); ``False`` never does.
    Raises ValueError for inconsistent shapes, negative weights, or a ``p``
    larger than the number of allowed candidates.
    """
    start = time.perf_counter()
    w = np.asarray(weights, dtype=float)
    cover = sp.csr_matrix(cover, dtype=bool)
    already = np.zeros(len(w), bool) if already_covered is None else np.asarray(already_covered)
    _check(cover, w, p, already, constraints)
    cons = constraints or Constraints()
    model = _reduce(cover, w, p, already, cons)
    greedy = _greedy(model)
    bound_free, x_lp, how = _lp_bound(model, _covered(model, greedy), start + time_limit_s * 0.7)
    chosen = _swap(model, greedy, deadline=start + time_limit_s * 0.8)
    if x_lp is not None:  # a second start: the sites the LP relaxation opens
        lp_start = [int(j) for j in np.argsort(-x_lp, kind="stable") if x_lp[j] >= 0.5]
        chosen = _better(
            model,
            chosen,
            _swap(model, _greedy(model, lp_start), deadline=start + time_limit_s * 0.8),
        )
    elapsed = time.perf_counter() - start
    budget = min(time_limit_s * 0.9 - elapsed, max(0.5, 0.5 * elapsed))
    chosen = _perturb(model, chosen, bound_free, deadline=time.perf_counter() + budget)
    method = f"greedy, swap and perturbation; {how}"
    free = _covered(model, chosen)
    small = model.A.nnz <= MILP_MAX_NONZEROS
    if bound_free - free > TOLERANCE * max(bound_free, 1) and (exact or (exact is None and small)):
        remaining = start + time_limit_s - time.perf_counter()
        if remaining > 0:
            chosen, free, bound_free, proven = _milp(model, chosen, free, bound_free, remaining)
            method = "MILP (HiGHS), optimal" if proven else "MILP (HiGHS), time limit"
    if bound_free - free <= TOLERANCE * max(bound_free, 1):
        bound_free = free
    return _result(model, cover, w, already, chosen, bound_free, method, start)


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


def _reduce(
    cover: sp.csr_matrix, w: np.ndarray, p: int, already: np.ndarray, cons: Constraints
) -> _Model:
    """Drop covered and uncoverable demand, zero out excluded candidates, merge equal rows."""
    n = cover.shape[1]
    allowed = np.ones(n, bool) if cons.excluded is None else ~np.asarray(cons.excluded)
    cover = (cover @ sp.diags(allowed.astype(float))).astype(bool).tocsr()
    cover.eliminate_zeros()
    live = (w > 0) & ~already & (np.diff(cover.indptr) > 0)
    sub = cover[np.flatnonzero(live)]
    sub.sort_indices()
    keys = [sub.indices[sub.indptr[i] : sub.indptr[i + 1]].tobytes() for i in range(sub.shape[0])]
    _, first, inverse = np.unique(
        np.array(keys, dtype=object), return_index=True, return_inverse=True
    )
    merged_w = np.bincount(inverse.ravel(), weights=w[live], minlength=len(first))
    rows = sub[first].astype(float)
    group = np.full(n, -1) if cons.group is None else np.asarray(cons.group, dtype=np.int64)
    conflicts = sp.csr_matrix((n, n)) if cons.conflicts is None else sp.csr_matrix(cons.conflicts)
    conflicts = (conflicts != 0).astype(float)
    return _Model(sp.csc_matrix(rows), sp.csr_matrix(rows), merged_w, p, cons, group, conflicts)


def _excluded(model: _Model) -> np.ndarray:
    if model.cons.excluded is None:
        return np.zeros(model.n, bool)
    return np.asarray(model.cons.excluded, dtype=bool)


def _column(model: _Model, j: int) -> np.ndarray:
    """Merged demand rows candidate ``j`` covers."""
    return model.A.indices[model.A.indptr[j] : model.A.indptr[j + 1]]


def _covered(model: _Model, chosen: list[int]) -> float:
    if not chosen:
        return 0.0
    hit = np.asarray(model.A[:, chosen].sum(axis=1)).ravel() > 0
    return float(model.w[hit].sum())


class _Feasibility:
    """Tracks quotas and spacing while sites are added."""

    def __init__(self, model: _Model) -> None:
        self.model = model
        self.count: dict[int, int] = {}
        self.blocked = _excluded(model).copy()

    def ok(self, j: int) -> bool:
        g = int(self.model.group[j])
        cap = self.model.cons.max_per_group.get(g)
        return not self.blocked[j] and (cap is None or self.count.get(g, 0) < cap)

    def add(self, j: int) -> None:
        g = int(self.model.group[j])
        self.count[g] = self.count.get(g, 0) + 1
        self.blocked[j] = True
        row = self.model.conflicts.getrow(j)
        self.blocked[row.indices] = True

    def deficit_groups(self) -> set[int]:
        mins = self.model.cons.min_per_group
        return {g for g, m in mins.items() if self.count.get(g, 0) < m}


def _greedy(model: _Model, start: list[int] | None = None) -> list[int]:
    """Lazy greedy from the sites in ``start`` (those still feasible): first fill minimum
    quotas, then take the best feasible gain each time."""
    uncovered = model.w.copy()
    feas = _Feasibility(model)
    chosen: list[int] = []

    def take(j: int) -> None:
        uncovered[_column(model, j)] = 0.0
        feas.add(j)
        chosen.append(j)

    for j in start or []:
        if len(chosen) < model.p and feas.ok(j):
            take(j)
    while len(chosen) < model.p and (short := feas.deficit_groups()):
        gains = model.A.T @ uncovered
        in_short = np.flatnonzero(np.isin(model.group, list(short)) & ~feas.blocked)
        pool = [int(j) for j in in_short if feas.ok(int(j))]
        if not pool:
            break
        take(max(pool, key=lambda j: gains[j]))
    gains = model.A.T @ uncovered
    heap = [(-g, j) for j, g in enumerate(gains) if feas.ok(j)]
    heapq.heapify(heap)
    while len(chosen) < model.p and heap:
        _, j = heapq.heappop(heap)
        if not feas.ok(j):
            continue
        gain = float(uncovered[_column(model, j)].sum())
        if heap and gain < -heap[0][0] - TOLERANCE:
            heapq.heappush(heap, (-gain, j))  # stale bound: re-queue with the true gain
            continue
        take(j)
    return chosen


class _SwapState:
    """Cover counts and per-candidate gains for the current set, updated per swap."""

    def __init__(self, model: _Model, chosen: list[int]) -> None:
        self.model = model
        self.chosen = list(chosen)
        self.count = np.zeros(len(model.w))
        for j in chosen:
            self.count[_column(model, j)] += 1
        self.in_set = np.zeros(model.n, bool)
        self.in_set[chosen] = True
        self.near = model.conflicts @ self.in_set.astype(float)  # chosen sites too close
        self.blocked = _excluded(model)
        self.groups: dict[int, int] = {}
        for j in chosen:
            g = int(model.group[j])
            self.groups[g] = self.groups.get(g, 0) + 1
        self.gain0 = model.A.T @ (model.w * (self.count == 0))  # gain of adding j now
        self.by_gain = np.argsort(-self.gain0, kind="stable")

    def feasible(self, i: int, j: int) -> bool:
        """May ``j`` replace chosen site ``i``?"""
        m = self.model
        if self.in_set[j] or self.blocked[j] or self.near[j] - m.conflicts[j, i] > 0:
            return False
        g_in, g_out = int(m.group[j]), int(m.group[i])
        if g_in == g_out:
            return True
        cap = m.cons.max_per_group.get(g_in)
        low = m.cons.min_per_group.get(g_out, 0)
        return (cap is None or self.groups.get(g_in, 0) < cap) and self.groups.get(g_out, 0) > low

    def best_move(self, pos: int) -> tuple[float, int]:
        """The best replacement for the site at ``pos`` and how much it gains (may be < 0)."""
        m, i = self.model, self.chosen[pos]
        rows_i = _column(m, i)
        single = rows_i[self.count[rows_i] == 1]  # demand only i covers
        loss = float(m.w[single].sum())
        part = m.A_rows[single]
        shared, where = np.unique(part.indices, return_inverse=True)
        interaction = np.bincount(
            where, weights=np.repeat(m.w[single], np.diff(part.indptr)), minlength=len(shared)
        )
        best, best_j = -np.inf, -1
        for k in np.argsort(-(self.gain0[shared] + interaction)):
            j = int(shared[k])
            if self.feasible(i, j):
                best, best_j = self.gain0[j] + interaction[k] - loss, j
                break
        shared_set = set(shared.tolist())
        for j in self.by_gain:  # candidates sharing no demand with i gain gain0 - loss
            if self.gain0[j] - loss <= best:
                break
            if int(j) not in shared_set and self.feasible(i, int(j)):
                best, best_j = self.gain0[j] - loss, int(j)
                break
        return best, best_j

    def apply(self, pos: int, j: int) -> None:
        m, i = self.model, self.chosen[pos]
        before = self.count == 0
        self.count[_column(m, i)] -= 1
        self.count[_column(m, j)] += 1
        changed = np.flatnonzero(before != (self.count == 0))
        sign = np.where(self.count[changed] == 0, 1.0, -1.0)
        self.gain0 += m.A_rows[changed].T @ (m.w[changed] * sign)
        self.by_gain = np.argsort(-self.gain0, kind="stable")
        self.in_set[i], self.in_set[j] = False, True
        self.near += m.conflicts[:, [j]].toarray().ravel() - m.conflicts[:, [i]].toarray().ravel()
        for g, step in ((int(m.group[i]), -1), (int(m.group[j]), 1)):
            self.groups[g] = self.groups.get(g, 0) + step
        self.chosen[pos] = j


def _swap(model: _Model, chosen: list[int], deadline: float) -> list[int]:
    """Swap a chosen site for an unchosen one while that strictly gains (best per site)."""
    state = _SwapState(model, chosen)
    tolerance = TOLERANCE * max(float(model.w.sum()), 1.0)
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for pos in range(len(state.chosen)):
            gain, j = state.best_move(pos)
            if gain > tolerance:
                state.apply(pos, j)
                improved = True
    return state.chosen


def _better(model: _Model, a: list[int], b: list[int]) -> list[int]:
    return b if _covered(model, b) > _covered(model, a) + TOLERANCE else a


def _perturb(model: _Model, chosen: list[int], bound: float, deadline: float) -> list[int]:
    """Iterated local search: drop a few random sites, refill greedily, swap; keep gains.

    Seeded, so the same instance gives the same plan.
    """
    rng = np.random.default_rng(0)
    best, best_value = chosen, _covered(model, chosen)
    drop = max(1, min(10, len(chosen) // 10))
    while time.perf_counter() < deadline and best_value < bound * (1 - GOOD_ENOUGH_GAP):
        keep = list(rng.permutation(best)[: len(best) - drop])
        trial = _swap(model, _greedy(model, [int(j) for j in keep]), deadline)
        value = _covered(model, trial)
        if value > best_value + TOLERANCE:
            best, best_value = trial, value
    return best


def _lagrangian(model: _Model, u: np.ndarray) -> tuple[float, np.ndarray]:
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
    model: _Model, lower: float, deadline: float, u: np.ndarray | None = None
) -> float:
    """Minimise the Lagrangian bound by projected subgradient steps (Polyak step sizes)."""
    w = model.w
    if u is None:
        degree = np.maximum(np.diff(model.A_rows.indptr), 1)
        u = w / degree
    best, theta, stale = np.inf, 1.0, 0
    for _ in range(SUBGRADIENT_STEPS):
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


def _lp_bound(model: _Model, lower: float, deadline: float) -> tuple[float, np.ndarray | None, str]:
    """Upper bound on the coverable free weight, the LP's site values, and how it was found.

    Solves the LP relaxation with HiGHS (interior point, no crossover) and
    reports the Lagrangian value at its duals, which is valid for any duals, so
    the bound does not rest on solver tolerances. When the LP is too large or
    does not finish in time, the same Lagrangian bound is minimised by
    subgradient steps instead (it converges to the LP bound).
    """
    m, n = model.A.shape
    if m == 0 or model.p == 0:
        return 0.0, None, "exact (nothing to cover)"
    if model.A.nnz <= LP_MAX_NONZEROS:
        a_ub, b_ub = _lp_rows(model)
        with warnings.catch_warnings():  # scipy warns that it passes run_crossover verbatim
            warnings.simplefilter("ignore", OptimizeWarning)
            res = linprog(
                np.concatenate([np.zeros(n), -model.w]),
                A_ub=a_ub,
                b_ub=b_ub,
                bounds=(0, 1),
                method="highs-ipm",
                options={
                    "time_limit": max(deadline - time.perf_counter(), 1.0),
                    "run_crossover": "off",
                },
            )
        if res.status == 0 and res.ineqlin is not None:
            u = np.clip(-res.ineqlin.marginals[:m], 0.0, model.w)
            bound = _lagrangian(model, u)[0]
            if model.cons.min_per_group or model.cons.max_per_group:
                bound = min(bound, -float(res.fun) + 1e-7 * float(model.w.sum()))
            return bound, res.x[:n], "LP bound (HiGHS)"
    bound = _subgradient(model, lower, deadline=max(deadline, time.perf_counter() + 2.0))
    return bound, None, "Lagrangian bound (subgradient; LP too large for the time limit)"


def _lp_rows(model: _Model) -> tuple[sp.csr_matrix, np.ndarray]:
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


def _milp(
    model: _Model, chosen: list[int], free: float, bound: float, time_limit_s: float
) -> tuple[list[int], float, float, bool]:
    """Solve the MILP; keep the better of its answer and ``chosen``; tighten the bound."""
    m, n = model.A.shape
    a_ub, b_ub = _lp_rows(model)
    rows = [LinearConstraint(a_ub, -np.inf, b_ub)]
    if model.conflicts.nnz:
        pairs = sp.triu(model.conflicts, k=1).tocoo()
        k = pairs.nnz
        cols = np.column_stack([pairs.row, pairs.col]).ravel()
        spacing = sp.csr_matrix(
            (np.ones(2 * k), (np.repeat(np.arange(k), 2), cols)), shape=(k, n + m)
        )
        rows.append(LinearConstraint(spacing, -np.inf, 1))
    hi = np.ones(n + m)
    hi[:n][_excluded(model)] = 0
    res = milp(
        np.concatenate([np.zeros(n), -model.w]),
        constraints=rows,
        integrality=np.concatenate([np.ones(n), np.zeros(m)]),
        bounds=(np.zeros(n + m), hi),
        options={"time_limit": time_limit_s, "mip_rel_gap": 0.0},
    )
    if res.x is not None:
        picked = [int(j) for j in np.flatnonzero(res.x[:n] > 0.5)]
        value = _covered(model, picked)
        if value > free + TOLERANCE:
            chosen, free = picked, value
    if res.mip_dual_bound is not None and np.isfinite(res.mip_dual_bound):
        bound = min(bound, -float(res.mip_dual_bound) + 1e-7 * float(model.w.sum()))
    proven = res.status == 0
    return chosen, free, (free if proven else bound), proven


def _sequence(model: _Model, chosen: list[int]) -> tuple[list[int], list[float]]:
    """Order the final sites greedily (largest marginal gain first), for the coverage curve."""
    uncovered = model.w.copy()
    heap = [(-float(uncovered[_column(model, j)].sum()), j) for j in chosen]
    heapq.heapify(heap)
    order, gains = [], []
    while heap:  # lazy: a site's gain only shrinks as others are placed
        _, j = heapq.heappop(heap)
        gain = float(uncovered[_column(model, j)].sum())
        if heap and gain < -heap[0][0] - TOLERANCE:
            heapq.heappush(heap, (-gain, j))
            continue
        uncovered[_column(model, j)] = 0
        order.append(j)
        gains.append(gain)
    return order, gains


def _result(
    model: _Model,
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
