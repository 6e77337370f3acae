"""Finding good plans: lazy greedy, swap local search and seeded perturbation."""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable

import numpy as np

from locator.siting.model import TOLERANCE, Model, column, covered, excluded

GOOD_ENOUGH_GAP = 1e-3  # the perturbation search stops once within 0.1 % of the bound


class _Feasibility:
    """Tracks quotas and spacing while sites are added."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.count: dict[int, int] = {}
        self.blocked = excluded(model).copy()

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


def greedy(
    model: Model, start: list[int] | None = None, picked: Callable[[float], None] | None = None
) -> list[int]:
    """Lazy greedy from the sites in ``start`` (those still feasible): first fill minimum
    quotas, then take the best feasible gain each time. ``picked(share)`` is called after
    each pick with the share of ``p`` picked so far."""
    uncovered = model.w.copy()
    feas = _Feasibility(model)
    chosen: list[int] = []

    def take(j: int) -> None:
        uncovered[column(model, j)] = 0.0
        feas.add(j)
        chosen.append(j)
        if picked is not None:
            picked(len(chosen) / max(model.p, 1))

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
        gain = float(uncovered[column(model, j)].sum())
        if heap and gain < -heap[0][0] - TOLERANCE:
            heapq.heappush(heap, (-gain, j))  # stale bound: re-queue with the true gain
            continue
        take(j)
    return chosen


class _SwapState:
    """Cover counts and per-candidate gains for the current set, updated per swap."""

    def __init__(self, model: Model, chosen: list[int]) -> None:
        self.model = model
        self.chosen = list(chosen)
        self.count = np.zeros(len(model.w))
        for j in chosen:
            self.count[column(model, j)] += 1
        self.in_set = np.zeros(model.n, bool)
        self.in_set[chosen] = True
        self.near = model.conflicts @ self.in_set.astype(float)  # chosen sites too close
        self.blocked = excluded(model)
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
        rows_i = column(m, i)
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
        self.count[column(m, i)] -= 1
        self.count[column(m, j)] += 1
        changed = np.flatnonzero(before != (self.count == 0))
        sign = np.where(self.count[changed] == 0, 1.0, -1.0)
        self.gain0 += m.A_rows[changed].T @ (m.w[changed] * sign)
        self.by_gain = np.argsort(-self.gain0, kind="stable")
        self.in_set[i], self.in_set[j] = False, True
        self.near += m.conflicts[:, [j]].toarray().ravel() - m.conflicts[:, [i]].toarray().ravel()
        for g, step in ((int(m.group[i]), -1), (int(m.group[j]), 1)):
            self.groups[g] = self.groups.get(g, 0) + step
        self.chosen[pos] = j


def swap(model: Model, chosen: list[int], deadline: float) -> list[int]:
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


def better(model: Model, a: list[int], b: list[int]) -> list[int]:
    return b if covered(model, b) > covered(model, a) + TOLERANCE else a


def perturb(
    model: Model, chosen: list[int], bound: float, rounds: int, deadline: float
) -> list[int]:
    """Iterated local search: drop a few random sites, refill greedily, swap; keep gains.

    Runs ``rounds`` rounds, stopping early within ``GOOD_ENOUGH_GAP`` of ``bound`` or at
    ``deadline``. Seeded: unless the deadline cuts it short, the same instance gives
    the same plan.
    """
    rng = np.random.default_rng(0)
    best, best_value = chosen, covered(model, chosen)
    drop = max(1, min(10, len(chosen) // 10))
    for _ in range(rounds):
        if time.perf_counter() > deadline or best_value >= bound * (1 - GOOD_ENOUGH_GAP):
            break
        keep = list(rng.permutation(best)[: len(best) - drop])
        trial = swap(model, greedy(model, [int(j) for j in keep]), deadline)
        value = covered(model, trial)
        if value > best_value + TOLERANCE:
            best, best_value = trial, value
    return best
