"""HiGHS in a child process: the LP and the MILP solved as in this process, and stopped at
their deadline (one already passed, or a child that never finishes), leaving a valid plan
and bound."""

from __future__ import annotations

import functools
import itertools
import subprocess
import sys
import time

import numpy as np
import pytest
import scipy.sparse as sp

from locator.siting import bounds, highs_process
from locator.siting.bounds import lp_bound, lp_rows, solve_milp
from locator.siting.highs_process import solve_lp
from locator.siting.maximal import maximal_coverage
from locator.siting.model import Constraints, covered, reduce

HANG = (sys.executable, "-c", "import time; time.sleep(600)")  # a child that never finishes


def instance(seed: int = 0, p: int = 3):
    rng = np.random.default_rng(seed)
    demand, sites = rng.uniform(0, 10, (60, 2)), rng.uniform(0, 10, (9, 2))
    cover = sp.csr_matrix(np.linalg.norm(demand[:, None] - sites[None], axis=2) <= 2.5)
    w = rng.integers(1, 100, 60).astype(float)
    return cover, w, reduce(cover, w, p, np.zeros(60, bool), Constraints())


def best_plan(model) -> float:
    return max(covered(model, list(s)) for s in itertools.combinations(range(model.n), model.p))


class Children:
    """Counts the child processes started (and lets them run)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started: list[subprocess.Popen] = []
        real = subprocess.Popen

        def popen(*args, **kwargs):
            child = real(*args, **kwargs)
            self.started.append(child)
            return child

        monkeypatch.setattr(subprocess, "Popen", popen)


def test_the_child_solves_the_lp_as_this_process_does():
    _, _, model = instance()
    a_ub, b_ub = lp_rows(model)
    c = np.concatenate([np.zeros(model.n), -model.w])
    solution = solve_lp(c, a_ub, b_ub, time.perf_counter() + 120)
    assert solution is not None and solution.status == 0
    here = lp_bound(model, 0.0, time.perf_counter() + 120)
    assert -solution.fun == pytest.approx(here.value, rel=1e-6)
    assert here.x is not None and solution.x[: model.n].sum() == pytest.approx(model.p)


def test_a_deadline_already_passed_starts_no_child(monkeypatch):
    children = Children(monkeypatch)
    _, _, model = instance()
    a_ub, b_ub = lp_rows(model)
    c = np.concatenate([np.zeros(model.n), -model.w])
    assert solve_lp(c, a_ub, b_ub, time.perf_counter() - 1.0) is None
    assert children.started == []


def test_a_child_that_never_finishes_is_killed_at_the_deadline(monkeypatch):
    children = Children(monkeypatch)
    _, _, model = instance()
    a_ub, b_ub = lp_rows(model)
    c = np.concatenate([np.zeros(model.n), -model.w])
    assert solve_lp(c, a_ub, b_ub, time.perf_counter() + 0.2, command=HANG) is None
    assert len(children.started) == 1
    assert children.started[0].returncode == -9  # SIGKILL: it did not end on its own


def test_a_large_lp_out_of_time_leaves_a_valid_lagrangian_bound(monkeypatch):
    # Every LP counts as large here; the deadline and the stop have passed, so no child
    # starts and one subgradient step gives the bound: still at least the best plan's.
    children = Children(monkeypatch)
    monkeypatch.setattr(bounds, "CHILD_NONZEROS", 0)
    for seed in range(5):
        _, _, model = instance(seed)
        steps: list[None] = []
        passed = time.perf_counter() - 1.0
        bound = lp_bound(model, 0.0, passed, functools.partial(steps.append, None), stop=passed)
        assert bound.x is None and "subgradient" in bound.how
        assert bound.value >= best_plan(model) - 1e-9
        assert len(steps) == 1
    assert children.started == []


def test_maximal_coverage_returns_while_the_lp_child_hangs(monkeypatch):
    children = Children(monkeypatch)
    monkeypatch.setattr(bounds, "CHILD_NONZEROS", 0)
    monkeypatch.setattr(highs_process, "solve_lp", functools.partial(solve_lp, command=HANG))
    cover, w, model = instance(1)
    result = maximal_coverage(cover, w, 3, time_limit_s=0.3, exact=False)
    assert len(set(result.chosen.tolist())) == 3
    assert result.upper_bound >= result.covered_weight
    assert result.upper_bound >= best_plan(model) - 1e-9
    assert "subgradient" in result.method
    assert [child.returncode for child in children.started] == [-9]


def test_the_milp_in_a_child_proves_the_brute_force_optimum(monkeypatch):
    children = Children(monkeypatch)
    monkeypatch.setattr(bounds, "CHILD_NONZEROS", 0)
    for seed in range(3):
        cover, w, model = instance(seed)
        result = maximal_coverage(cover, w, 3, time_limit_s=120, exact=True)
        assert result.covered_weight == pytest.approx(best_plan(model))
        assert result.upper_bound >= result.covered_weight
    assert children.started and all(child.returncode == 0 for child in children.started)


def test_a_milp_child_that_never_finishes_is_killed_and_the_plan_kept(monkeypatch):
    children = Children(monkeypatch)
    monkeypatch.setattr(bounds, "CHILD_NONZEROS", 0)
    real = highs_process.solve_milp
    monkeypatch.setattr(highs_process, "solve_milp", functools.partial(real, command=HANG))
    _, _, model = instance(2)
    chosen = [0, 1, 2]
    free = covered(model, chosen)
    got = solve_milp(model, chosen, free, free + 100.0, 0.2)
    assert got == (chosen, free, free + 100.0, False)
    assert [child.returncode for child in children.started] == [-9]
