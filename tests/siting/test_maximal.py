"""Maximal coverage and p-median: hand-checked cases, constraints, and 200 seeded instances
checked against brute force and an independent MILP."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import LinearConstraint, milp

from locator.siting import Constraints, maximal_coverage, p_median

# Five demand points (weights 10, 20, 30, 40, 50) and four candidates:
#   c0 covers d0 d1      (30)
#   c1 covers d1 d2      (50)
#   c2 covers d2 d3 d4   (120)
#   c3 covers d4         (50)
COVER = sp.csr_matrix(
    np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 0], [0, 0, 1, 1]], dtype=bool)
)
W = np.array([10.0, 20.0, 30.0, 40.0, 50.0])


def test_hand_checked_plan():
    r = maximal_coverage(COVER, W, 2)
    assert r.chosen.tolist() == [2, 0]  # 120 first, then c0 adds d0 + d1 = 30
    assert r.gains.tolist() == [120.0, 30.0]
    assert (r.covered_weight, r.total_weight, r.upper_bound, r.gap) == (150.0, 150.0, 150.0, 0.0)
    assert r.curve.tolist() == [0.0, 0.8, 1.0]


def test_already_covered_demand_counts_but_earns_nothing():
    # Existing stations cover d4 (50): c2 now adds only 70, c0 30, c1 50.
    r = maximal_coverage(COVER, W, 1, already_covered=np.array([0, 0, 0, 0, 1], bool))
    assert r.chosen.tolist() == [2] and r.gains.tolist() == [70.0]
    assert (r.already_weight, r.covered_weight) == (50.0, 120.0)
    assert r.curve.tolist() == [50 / 150, 120 / 150]


def test_quota_spacing_and_exclusion():
    # Groups: c0, c1 in group 0; c2, c3 in group 1. At most one site in group 1.
    groups = np.array([0, 0, 1, 1])
    capped = maximal_coverage(
        COVER, W, 2, constraints=Constraints(group=groups, max_per_group={1: 1})
    )
    assert sorted(capped.chosen.tolist()) == [0, 2]
    # At least two in group 0: c0 and c1 (covers d0, d1, d2 = 60).
    floor = maximal_coverage(
        COVER, W, 2, constraints=Constraints(group=groups, min_per_group={0: 2})
    )
    assert sorted(floor.chosen.tolist()) == [0, 1] and floor.covered_weight == 60.0
    # c0 and c2 too close to both be chosen: the next best partner of c2 is c1 (+20).
    conflicts = sp.csr_matrix(([1, 1], ([0, 2], [2, 0])), shape=(4, 4))
    spaced = maximal_coverage(COVER, W, 2, constraints=Constraints(conflicts=conflicts))
    assert sorted(spaced.chosen.tolist()) == [1, 2] and spaced.covered_weight == 140.0
    # Without c2 the best pair is c1 + c3 (100); c0 + c3 covers only 80.
    excluded = maximal_coverage(
        COVER, W, 2, constraints=Constraints(excluded=np.array([0, 0, 1, 0], bool))
    )
    assert sorted(excluded.chosen.tolist()) == [1, 3] and excluded.covered_weight == 100.0


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="only 4 candidates"):
        maximal_coverage(COVER, W, 5)
    with pytest.raises(ValueError, match="non-negative"):
        maximal_coverage(COVER, -W, 1)
    with pytest.raises(ValueError, match="one row per demand"):
        maximal_coverage(COVER, W[:3], 1)


def instance(seed: int):
    rng = np.random.default_rng(seed)
    n_demand, n_cand = int(rng.integers(20, 301)), int(rng.integers(5, 61))
    demand, sites = rng.uniform(0, 10, (n_demand, 2)), rng.uniform(0, 10, (n_cand, 2))
    radius = rng.uniform(0.8, 2.5)
    cover = np.linalg.norm(demand[:, None] - sites[None], axis=2) <= radius
    weights = rng.integers(1, 100, n_demand).astype(float)
    p = int(rng.integers(1, min(8, n_cand) + 1))
    already = rng.random(n_demand) < 0.1 if seed % 3 == 0 else np.zeros(n_demand, bool)
    return cover, weights, p, already


def reference_optimum(cover: np.ndarray, w: np.ndarray, p: int, already: np.ndarray) -> float:
    """Brute force when small, else a direct MILP on the unreduced model."""
    n_d, n_c = cover.shape
    if n_c <= 14 and p <= 4:
        best = max(
            w[already | cover[:, list(s)].any(axis=1)].sum()
            for s in itertools.combinations(range(n_c), p)
        )
        return float(best)
    a = sp.hstack([-sp.csr_matrix(cover, dtype=float), sp.identity(n_d)])
    count = sp.hstack([sp.csr_matrix(np.ones((1, n_c))), sp.csr_matrix((1, n_d))])
    lo = np.concatenate([np.zeros(n_c), already.astype(float)])  # existing cover: y fixed to 1
    res = milp(
        np.concatenate([np.zeros(n_c), -w]),
        constraints=[
            LinearConstraint(a, -np.inf, np.where(already, 1.0, 0.0)),
            LinearConstraint(count, p, p),
        ],
        integrality=np.concatenate([np.ones(n_c), np.zeros(n_d)]),
        bounds=(lo, np.ones(n_c + n_d)),
    )
    assert res.status == 0
    return -float(res.fun)


def test_200_seeded_instances_exact_heuristic_and_bound():
    within_1pc = 0
    for seed in range(200):
        cover, w, p, already = instance(seed)
        optimum = reference_optimum(cover, w, p, already)
        exact = maximal_coverage(cover, w, p, already_covered=already, exact=True)
        heuristic = maximal_coverage(
            cover, w, p, already_covered=already, exact=False, time_limit_s=2
        )
        assert exact.covered_weight == pytest.approx(optimum), seed
        assert exact.gap == 0.0, seed
        assert heuristic.upper_bound >= optimum - 1e-6, seed  # the bound is never below the optimum
        assert heuristic.covered_weight <= optimum + 1e-6, seed
        within_1pc += heuristic.covered_weight >= 0.99 * optimum
    assert within_1pc >= 190  # at least 95 %


def test_p_median_hand_checked():
    # Demand at 0, 1, 10, 11 on a line (weights 1); candidates at 0, 1, 10, 11. p=2: one per
    # pair, mean distance 0.5.
    positions = np.array([0.0, 1.0, 10.0, 11.0])
    cost = np.abs(positions[:, None] - positions[None, :])
    r = p_median(cost, np.ones(4), 2)
    assert r.objective == pytest.approx(0.5) and r.gap == pytest.approx(0.0)
    assert {int(j) // 2 for j in r.chosen} == {0, 1}


def test_p_median_sparse_knn_matches_dense_and_bound_is_valid():
    rng = np.random.default_rng(5)
    demand, sites = rng.uniform(0, 10, (120, 2)), rng.uniform(0, 10, (25, 2))
    cost = np.linalg.norm(demand[:, None] - sites[None], axis=2)
    w = rng.integers(1, 10, 120).astype(float)
    dense = p_median(cost, w, 4, exact=True)
    heuristic = p_median(cost, w, 4, exact=False)
    assert dense.gap == 0.0
    assert heuristic.lower_bound <= dense.objective + 1e-9 <= heuristic.objective + 1e-9
    nearest = np.argsort(cost, axis=1)[:, :25]  # all 25: sparse form of the same matrix
    knn = sp.csr_matrix(
        (
            cost[np.arange(120)[:, None], nearest].ravel(),
            (np.repeat(np.arange(120), 25), nearest.ravel()),
        ),
        shape=cost.shape,
    )
    assert p_median(knn, w, 4, exact=True).objective == pytest.approx(dense.objective)
