"""Swap pricing and tabu search (locator.siting.swap) against brute force."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import locator.siting.swap as siting_swap
from locator.siting.model import Constraints, covered, reduce
from locator.siting.swap import CoverState, local_search, tabu_search


def small_model(seed: int, p: int = 4):
    rng = np.random.default_rng(seed)
    demand, sites = rng.uniform(0, 10, (120, 2)), rng.uniform(0, 10, (18, 2))
    cover = np.linalg.norm(demand[:, None] - sites[None], axis=2) <= 2.0
    weights = rng.integers(1, 50, 120).astype(float)
    return reduce(sp.csr_matrix(cover), weights, p, np.zeros(120, bool), Constraints())


def brute_best_swap(model, chosen: list[int]) -> float:
    base = covered(model, chosen)
    return max(
        covered(model, [*chosen[:pos], k, *chosen[pos + 1 :]]) - base
        for pos in range(len(chosen))
        for k in range(model.n)
        if k not in chosen
    )


@pytest.mark.parametrize("dense", [True, False])
def test_every_swap_is_priced_right_and_updates_match_a_fresh_state(monkeypatch, dense):
    monkeypatch.setattr(siting_swap, "DENSE_MAX", 10**9 if dense else 0)
    for seed in range(8):
        model = small_model(seed)
        chosen = [int(j) for j in np.random.default_rng(seed).choice(model.n, 4, replace=False)]
        state = CoverState(model, chosen)
        for _ in range(3):
            move = state.best_swap()
            assert move.delta == pytest.approx(brute_best_swap(model, chosen)), seed
            chosen[move.pos] = move.k
            state.replace(move.pos, move.k)
            fresh = CoverState(model, chosen)
            assert state.value == pytest.approx(covered(model, chosen))
            assert np.allclose(state.gain, fresh.gain) and (state.count == fresh.count).all()
            if dense:
                assert np.allclose(state.shared, fresh.shared)


def test_tabu_candidates_and_fixed_sites_are_respected():
    model = small_model(3)
    state = CoverState(model, [0, 1, 2, 3])
    free = state.best_swap()
    tabu = np.zeros(model.n, bool)
    tabu[free.k] = True
    fixed = np.zeros(4, bool)
    fixed[free.pos] = True
    move = state.best_swap(fixed, tabu)
    assert move.k != free.k and move.pos != free.pos


def test_local_search_ends_at_a_swap_optimum_and_tabu_search_is_reproducible():
    model = small_model(5)
    state = CoverState(model, [0, 1, 2, 3])
    local_search(state, deadline=float("inf"))
    assert brute_best_swap(model, [int(j) for j in state.sites]) <= 1e-9
    runs = [
        tabu_search(model, [0, 1, 2, 3], iterations=200, patience=200, target=np.inf, deadline=1e18)
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    assert covered(model, runs[0]) >= state.value - 1e-9
