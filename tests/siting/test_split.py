"""Independent parts of a coverage instance and the knapsack over their site counts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from locator.siting.maximal import maximal_coverage
from locator.siting.model import Constraints, covered, reduce
from locator.siting.search import greedy
from locator.siting.split import Effort, Splitter, _allocate, parts


def test_parts_are_candidates_linked_by_shared_demand():
    # c0-c1 share d1; c2 alone; c3-c4 share d3; c5 covers nothing.
    cover = sp.csr_matrix(
        np.array(
            [[1, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0], [0, 0, 0, 1, 1, 0]],
            dtype=bool,
        )
    )
    model = reduce(cover, np.ones(4), 2, np.zeros(4, bool), Constraints())
    assert sorted(part.tolist() for part in parts(model)) == [[0, 1], [2], [3, 4], [5]]


def test_knapsack_over_counts():
    options = [{0: 0.0, 1: 5.0, 2: 9.0}, {0: 0.0, 1: 6.0, 2: 8.0}]
    assert _allocate(options, 2) == [1, 1]  # 11 beats 9 and 8
    assert _allocate(options, 3) == [2, 1]  # 15 beats 13
    assert _allocate(options, 1) == [0, 1]


def two_blocks(seed: int):
    """Two far-apart clusters: every candidate covers demand of its own cluster only."""
    rng = np.random.default_rng(seed)
    demand = np.vstack([rng.uniform(0, 6, (60, 2)), rng.uniform(100, 104, (40, 2))])
    sites = np.vstack([rng.uniform(0, 6, (9, 2)), rng.uniform(100, 104, (6, 2))])
    cover = np.linalg.norm(demand[:, None] - sites[None], axis=2) <= 1.8
    return cover, rng.integers(1, 30, 100).astype(float)


@pytest.mark.parametrize("seed", range(4))
def test_split_search_finds_the_brute_force_optimum(seed):
    cover, w = two_blocks(seed)
    p = 4
    best = max(w[cover[:, list(s)].any(axis=1)].sum() for s in itertools.combinations(range(15), p))
    model = reduce(sp.csr_matrix(cover), w, p, np.zeros(100, bool), Constraints())
    splitter = Splitter(model)
    assert splitter.useful()
    splitter.explore(splitter.counts(greedy(model)), Effort(300, 300, float("inf")))
    assert covered(model, splitter.best()) == pytest.approx(best)
    result = maximal_coverage(cover, w, p, exact=False)
    assert result.covered_weight == pytest.approx(best) and len(set(result.chosen)) == p


def test_explore_past_its_deadline_searches_nothing_and_best_stays_valid(monkeypatch):
    # Every part is skipped once the deadline has passed: no greedy, no tabu run, no pair
    # enumeration; the knapsack then uses the one-site plans each part starts with.
    from locator.siting import split

    calls = {"greedy": 0, "tabu": 0, "pair": 0}

    def counting(name, function):
        def wrapped(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)

        return wrapped

    monkeypatch.setattr(split, "greedy", counting("greedy", split.greedy))
    monkeypatch.setattr(split, "tabu_search", counting("tabu", split.tabu_search))
    monkeypatch.setattr(split, "_best_pair", counting("pair", split._best_pair))
    cover, w = two_blocks(0)
    model = reduce(sp.csr_matrix(cover), w, 4, np.zeros(100, bool), Constraints())
    splitter = Splitter(model)
    splitter.explore([2, 2], Effort(300, 300, float("-inf")))
    assert calls == {"greedy": 0, "tabu": 0, "pair": 0}
    plan = splitter.best()
    assert len(set(plan)) == 4
    splitter.explore([2, 2], Effort(300, 300, float("inf")))  # the same call, in time
    assert calls["greedy"] + calls["pair"] > 0
