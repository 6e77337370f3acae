"""Improving the greedy plan while the LP bound is being solved beside it.

Without quotas or spacing (the common case), the plan is improved by best-swap local
search and tabu search (:mod:`locator.siting.swap`). When the candidates fall into
independent parts, each part is searched on its own for a few site counts and a
knapsack picks the counts (:mod:`locator.siting.split`). With quotas or spacing, the
older swap and perturbation search of :mod:`locator.siting.search` runs instead.

The effort is fixed in steps, not seconds, so the same instance gives the same plan
(the deadline only caps it; with quotas or spacing the perturbation is also capped in
time, like before).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future

import numpy as np

from locator.siting.bounds import Bound
from locator.siting.model import Model, covered
from locator.siting.progress import still
from locator.siting.search import GOOD_ENOUGH_GAP, better, greedy, perturb, swap
from locator.siting.split import Effort, Splitter
from locator.siting.swap import DENSE_MAX, CoverState, local_search, tabu_search

TABU_STEPS = 1200  # tabu steps per run at most...
TABU_PATIENCE = 1200  # ...and in a row without a new best
WHOLE_STEPS, WHOLE_PATIENCE = 10_000, 4000  # the same for the one run beside the LP
PERTURB_ROUNDS = 30  # perturbation rounds with quotas or spacing

LpJob = Future[Bound]


def search(
    model: Model,
    first: list[int],
    lp_job: LpJob,
    deadline: float,
    tick: Callable[[], None] = still,
) -> tuple[list[int], str]:
    """The best plan found from the greedy plan ``first``, and how it was found.

    Waits for ``lp_job`` (the LP bound) to use its open sites as a second start and
    its bound as a target: the search stops once within ``GOOD_ENOUGH_GAP`` of it.
    ``tick()`` is called once per swap or tabu step (progress).
    """
    if model.cons.min_per_group or model.cons.max_per_group or model.conflicts.nnz:
        return _constrained(model, first, lp_job, deadline), "greedy, swap and perturbation"
    if model.p == 0 or model.p >= model.n or len(model.w) == 0:
        lp_job.result()
        return first, "greedy"
    effort = Effort(min(TABU_STEPS, 20 * model.n), min(TABU_PATIENCE, 5 * model.n), deadline, tick)
    chosen = _polish(model, first, deadline, tick)
    splitter = Splitter(model)
    if splitter.useful():
        splitter.explore(splitter.counts(chosen), effort)  # side by side with the LP
        chosen = better(model, chosen, splitter.best())
        lp = lp_job.result()
        if lp.x is not None and covered(model, chosen) < lp.value * (1 - GOOD_ENOUGH_GAP):
            splitter.explore(splitter.lp_counts(lp.x), effort)
        chosen = _polish(model, better(model, chosen, splitter.best()), deadline, tick)
        return chosen, "greedy, swap and tabu search by independent parts"
    if model.p * model.n <= DENSE_MAX:  # cheap steps: search side by side with the LP
        steps = min(WHOLE_STEPS, 50 * model.n)
        chosen = _tabu(model, chosen, Effort(steps, min(WHOLE_PATIENCE, steps), deadline, tick))
    lp = lp_job.result()
    if lp.x is not None:
        second = _polish(model, greedy(model, _opened(lp.x)), deadline, tick)
        chosen = better(model, chosen, second)
    chosen = _tabu(model, chosen, effort, target=lp.value * (1 - GOOD_ENOUGH_GAP))
    return chosen, "greedy, swap and tabu search"


def _tabu(model: Model, chosen: list[int], effort: Effort, target: float = np.inf) -> list[int]:
    return tabu_search(
        model,
        chosen,
        iterations=effort.iterations,
        patience=effort.patience,
        target=target,
        deadline=effort.deadline,
        tick=effort.tick,
    )


def _opened(x_lp: np.ndarray) -> list[int]:
    """The sites the LP relaxation opens (x >= 0.5), largest first."""
    return [int(j) for j in np.argsort(-x_lp, kind="stable") if x_lp[j] >= 0.5]


def _polish(
    model: Model, chosen: list[int], deadline: float, tick: Callable[[], None] = still
) -> list[int]:
    """Best-swap local search to a local optimum."""
    state = CoverState(model, chosen)
    local_search(state, deadline, tick)
    return [int(j) for j in state.sites]


def _constrained(model: Model, first: list[int], lp_job: LpJob, deadline: float) -> list[int]:
    """Quotas or spacing: swap, a second start from the LP's open sites, perturbation
    (for at most half the time spent so far, or half a second)."""
    start = time.perf_counter()
    chosen = swap(model, first, deadline=deadline)
    lp = lp_job.result()
    if lp.x is not None:
        chosen = better(model, chosen, swap(model, greedy(model, _opened(lp.x)), deadline))
    if covered(model, chosen) >= lp.value * (1 - GOOD_ENOUGH_GAP):
        return chosen
    now = time.perf_counter()
    cap = min(deadline, now + max(0.5, 0.5 * (now - start)))
    return perturb(model, chosen, lp.value, rounds=PERTURB_ROUNDS, deadline=cap)
