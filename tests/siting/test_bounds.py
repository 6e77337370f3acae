"""Reduced-cost fixing: sites the Lagrangian bound rules out or in, by hand and against
brute force."""

from __future__ import annotations

import itertools
import time

import numpy as np
import scipy.sparse as sp

from locator.siting.bounds import fixed_sites, lp_bound
from locator.siting.model import Constraints, covered, reduce

# The five-demand, four-candidate instance of test_siting.py:
#   c0 covers d0 d1 (30), c1 d1 d2 (50), c2 d2 d3 d4 (120), c3 d4 (50).
COVER = sp.csr_matrix(
    np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 0], [0, 0, 1, 1]], dtype=bool)
)
W = np.array([10.0, 20.0, 30.0, 40.0, 50.0])


def model_of(cover: sp.csr_matrix, w: np.ndarray, p: int):
    return reduce(cover, w, p, np.zeros(len(w), bool), Constraints())


def test_one_site_fixes_everything():
    # u = w: L(u) is the largest column sum, 120 (c2). Forcing c0 in gives 120 - 120 + 30 = 30,
    # c1 and c3 give 50: all below the plan {c2} (120). Forcing c2 out gives the next, 50.
    model = model_of(COVER, W, 1)
    off, on = fixed_sites(model, model.w.copy(), 120.0)
    assert off.tolist() == [True, True, False, True]
    assert on.tolist() == [False, False, True, False]


def test_a_tie_with_the_best_plan_is_not_fixed():
    # p = 2, u = w: L = 120 + 50 = 170; the best plan {c0, c2} covers 150. Forcing c0 in
    # gives 170 - 50 + 30 = 150, equal to the plan (c0 is in it): not off. Forcing c2 out
    # gives 170 - 120 + 50 = 100 < 150: on.
    model = model_of(COVER, W, 2)
    off, on = fixed_sites(model, model.w.copy(), 150.0)
    assert not off.any()
    assert on.tolist() == [False, False, True, False]


def test_fixed_sites_agree_with_brute_force():
    fixed = 0
    for seed in range(60):
        rng = np.random.default_rng(seed)
        n_demand, n_sites, p = int(rng.integers(20, 80)), int(rng.integers(5, 11)), 3
        demand, sites = rng.uniform(0, 10, (n_demand, 2)), rng.uniform(0, 10, (n_sites, 2))
        cover = sp.csr_matrix(np.linalg.norm(demand[:, None] - sites[None], axis=2) <= 2.0)
        model = model_of(cover, rng.integers(1, 100, n_demand).astype(float), p)
        bound = lp_bound(model, 0.0, time.perf_counter() + 10)
        if bound.u is None:
            continue
        plans = {s: covered(model, list(s)) for s in itertools.combinations(range(model.n), p)}
        for found in (max(plans.values()), sorted(plans.values())[len(plans) // 2]):
            off, on = fixed_sites(model, bound.u, found)
            for j in np.flatnonzero(off):
                assert max(v for s, v in plans.items() if j in s) < found, seed
            for j in np.flatnonzero(on):
                assert max(v for s, v in plans.items() if j not in s) < found, seed
            fixed += int(off.sum() + on.sum())
    assert fixed > 100  # the check above is not vacuous (433 when written)
