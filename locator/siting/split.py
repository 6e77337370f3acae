"""Splitting maximal coverage into independent parts and searching each part.

Candidates that share no demand, directly or through a chain of other candidates,
form independent parts: the covered weight is the sum over the parts, and only the
number of sites per part couples them. Tabu search on one part at a time is much
more effective than on the whole (its moves and tabu lists do not mix unrelated
places). Each part is searched for its current number of sites and one more and one
fewer (and around the LP relaxation's counts), and a knapsack over the parts picks
how many sites each gets.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from locator.siting.model import Constraints, Model, covered, excluded
from locator.siting.progress import still
from locator.siting.search import greedy
from locator.siting.swap import tabu_search

SPLIT_MAX_SHARE = 0.8  # split only when no part holds more than this share of candidates
RUN_BUDGET = 600  # tabu runs per part and count: this many candidates per run...
MIN_RUNS, MAX_RUNS = 2, 3  # ...but at least and at most this many runs
PAIRS_MAX = 400  # two sites in a part this small: try every pair


@dataclass(frozen=True)
class Effort:
    """How hard to search: tabu steps per run, steps without a new best, a time cap, and
    what to call once per step (progress)."""

    iterations: int
    patience: int
    deadline: float
    tick: Callable[[], None] = still


def parts(model: Model) -> list[np.ndarray]:
    """Allowed candidates grouped into parts that share no demand (each sorted)."""
    m = len(model.w)
    graph = sp.bmat([[None, model.A_rows], [model.A.T, None]], format="csr")
    _, labels = connected_components(graph, directed=False)
    allowed = np.flatnonzero(~excluded(model))
    label = labels[m + allowed]
    order = np.argsort(label, kind="stable")
    cuts = np.flatnonzero(np.diff(label[order])) + 1
    return [allowed[group] for group in np.split(order, cuts)]


def restrict(model: Model, cols: np.ndarray, p: int) -> Model:
    """The sub-instance of candidates ``cols`` (and the demand they cover) with ``p`` sites."""
    rows = np.unique(model.A[:, cols].indices)
    sub = model.A_rows[rows][:, cols]
    n = len(cols)
    none = sp.csr_matrix((n, n))
    return Model(
        sp.csc_matrix(sub),
        sp.csr_matrix(sub),
        model.w[rows],
        p,
        Constraints(),
        np.full(n, -1),
        none,
    )


class _Part:
    """One part: the best plan found for each number of sites tried."""

    def __init__(self, model: Model, cols: np.ndarray, weight: np.ndarray) -> None:
        self.model, self.cols = model, cols
        top = int(np.argmax(weight[cols]))
        self.plans = {0: (0.0, []), 1: (float(weight[cols[top]]), [top])}

    def solve(self, q: int, effort: Effort, runs: int) -> None:
        """Search the part with ``q`` sites: greedy, then ``runs`` seeded tabu searches.

        Past ``effort.deadline`` nothing new is tried (each of thousands of small parts
        would still cost a greedy and a tabu start); the knapsack then uses the counts
        already solved, and the caller keeps its own plan when that is better.
        """
        if q in self.plans or not 0 < q <= len(self.cols) or time.perf_counter() > effort.deadline:
            return
        sub = restrict(self.model, self.cols, q)
        if q == 2 and len(self.cols) <= PAIRS_MAX:
            self.plans[q] = _best_pair(sub)
            return
        best = greedy(sub)
        value = covered(sub, best)
        for seed in range(runs if q < len(self.cols) else 0):
            plan = tabu_search(
                sub,
                best,
                iterations=effort.iterations,
                patience=effort.patience,
                target=np.inf,
                deadline=effort.deadline,
                seed=seed,
                tick=effort.tick,
            )
            if covered(sub, plan) > value:
                best, value = plan, covered(sub, plan)
        self.plans[q] = (value, best)


class Splitter:
    """The parts of one instance and the plans found for them so far."""

    def __init__(self, model: Model) -> None:
        self.model = model
        groups = parts(model)
        self.where = np.full(model.n, -1)
        for g, cols in enumerate(groups):
            self.where[cols] = g
        weight = np.asarray(model.A.T @ model.w).ravel()
        self.parts = [_Part(model, cols, weight) for cols in groups]

    def useful(self) -> bool:
        """Whether splitting helps: at least two parts and none with most candidates."""
        sizes = [len(part.cols) for part in self.parts]
        return len(sizes) > 1 and max(sizes) <= SPLIT_MAX_SHARE * sum(sizes)

    def counts(self, chosen: list[int]) -> list[int]:
        """Sites per part in ``chosen``."""
        return np.bincount(self.where[chosen], minlength=len(self.parts)).tolist()

    def lp_counts(self, x: np.ndarray) -> list[int]:
        """Sites per part in the LP relaxation, rounded (largest remainders) to sum to p."""
        mass = np.bincount(self.where[self.where >= 0], x[self.where >= 0], len(self.parts))
        counts = np.floor(mass + 1e-6).astype(np.int64)
        extra = self.model.p - int(counts.sum())
        for g in np.argsort(-(mass - counts), kind="stable")[: max(extra, 0)]:
            counts[g] += 1
        return counts.tolist()

    def explore(self, counts: list[int], effort: Effort) -> None:
        """Search every part with a count in ``counts``, one fewer and one more."""
        for part, q in zip(self.parts, counts, strict=True):
            if q == 0:
                continue
            runs = int(np.clip(RUN_BUDGET // max(len(part.cols), 1), MIN_RUNS, MAX_RUNS))
            for near in (q, q - 1, q + 1):
                part.solve(near, effort, runs)

    def best(self) -> list[int]:
        """The best plan combining the parts' plans (a knapsack over counts)."""
        counts = _allocate(
            [{q: v for q, (v, _) in part.plans.items()} for part in self.parts], self.model.p
        )
        plan = [
            int(part.cols[j])
            for part, q in zip(self.parts, counts, strict=True)
            for j in part.plans[q][1]
        ]
        spare = np.setdiff1d(np.flatnonzero(~excluded(self.model)), plan)
        return plan + [int(j) for j in spare[: self.model.p - len(plan)]]


def _best_pair(sub: Model) -> tuple[float, list[int]]:
    """The exact best two sites of a small instance: every pair's covered weight."""
    single = np.asarray(sub.A.T @ sub.w).ravel()
    both = (sub.A.T @ sp.diags(sub.w) @ sub.A).toarray()
    value = single[:, None] + single[None, :] - both
    np.fill_diagonal(value, -np.inf)
    j, k = divmod(int(np.argmax(value)), sub.n)
    return float(value[j, k]), [j, k]


def _allocate(options: list[dict[int, float]], p: int) -> list[int]:
    """Knapsack: one count per part, at most ``p`` in total, maximising the summed value."""
    best = np.full(p + 1, -np.inf)
    best[0] = 0.0
    picks: list[np.ndarray] = []
    for option in options:
        new = np.full(p + 1, -np.inf)
        pick = np.zeros(p + 1, dtype=np.int64)
        for q, value in sorted(option.items()):
            if q > p:
                continue
            shifted = np.full(p + 1, -np.inf)
            shifted[q:] = best[: p + 1 - q] + value
            better = shifted > new
            new[better], pick[better] = shifted[better], q
        best = new
        picks.append(pick)
    total = int(np.argmax(best))
    counts = []
    for pick in reversed(picks):
        counts.append(int(pick[total]))
        total -= counts[-1]
    return counts[::-1]
