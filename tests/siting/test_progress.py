"""Progress of a solve: the callback hears from the greedy picks and the search steps,
with fractions that never go back and end at 1 (no timing assertions)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from locator.siting import maximal_coverage
from locator.siting.progress import PHASES, Meter


def _instance(
    seed: int = 7, demand: int = 300, sites: int = 60
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Random points on a 10 x 10 square; a site covers the demand within 1.2."""
    rng = np.random.default_rng(seed)
    d, c = rng.uniform(0, 10, (demand, 2)), rng.uniform(0, 10, (sites, 2))
    near = np.linalg.norm(d[:, None, :] - c[None, :, :], axis=2) <= 1.2
    return sp.csr_matrix(near), rng.uniform(1, 10, demand)


def test_a_solve_reports_many_increasing_fractions() -> None:
    cover, w = _instance()
    calls: list[tuple[str, float]] = []
    result = maximal_coverage(cover, w, 8, progress=lambda phase, f: calls.append((phase, f)))
    fractions = [f for _, f in calls]
    assert len(calls) >= 8 + 1  # one per greedy pick, then at least the search and the end
    assert fractions == sorted(fractions) and fractions[0] < fractions[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in fractions)
    phases = [phase for phase, _ in calls]
    assert phases[0] == "greedy" and phases[-1] == "done" and "search" in phases
    # The greedy's eight picks report 1/8 .. 8/8 of its span (0 to 5 %).
    low, high = PHASES["greedy"]
    greedy = [f for phase, f in calls if phase == "greedy"]
    assert greedy[:8] == [low + k / 8 * (high - low) for k in range(1, 9)]
    assert len(result.chosen) == 8


def test_without_a_callback_nothing_changes() -> None:
    cover, w = _instance()
    quiet = maximal_coverage(cover, w, 8)
    heard = maximal_coverage(cover, w, 8, progress=lambda phase, f: None)
    assert quiet.chosen.tolist() == heard.chosen.tolist()
    assert quiet.covered_weight == heard.covered_weight


def test_meter_keeps_to_the_phase_span_and_never_goes_back() -> None:
    seen: list[float] = []
    meter = Meter(lambda phase, f: seen.append(f), time_limit_s=1e9)  # time adds ~nothing
    meter.tick(0.5)  # greedy: half of 0..0.05
    meter.enter("search")  # time is ~0: held at the search's floor
    meter.tick(0.1)  # 0.05 + 0.1 * 0.75
    meter.enter("greedy")
    meter.tick(0.0)  # would be 0: stays
    assert seen == [0.025, 0.05, 0.05 + 0.1 * 0.75, seen[2], seen[2]]
