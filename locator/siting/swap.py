"""Fast swap pricing and tabu search for maximal coverage without quotas or spacing.

For a set of ``p`` chosen sites, let ``gain[k]`` be the free weight candidate
``k`` would add and ``loss[j]`` the weight only chosen site ``j`` covers. Swapping
``j`` out and ``k`` in changes the covered weight by::

    delta(j, k) = gain[k] - loss[j] + W[j, k]

where ``W[j, k]`` is the weight covered only by ``j`` that ``k`` covers too. When
``p x n`` is small, ``W`` is kept as a dense array updated per swap from the rows
whose sole owner changed, so pricing every swap is one array expression. Otherwise
``W = M @ A`` with ``M[j, r] = w[r]`` for the rows only ``j`` covers (one sparse
product), and pairs with ``W[j, k] = 0`` are priced as the largest gain minus the loss.

Quotas and spacing are not handled here (:mod:`locator.siting.search` does);
excluded candidates never enter.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from locator.siting.model import TOLERANCE, Model, column, excluded
from locator.siting.progress import still

DENSE_MAX = 1_000_000  # keep W dense (p x n floats) up to this size
BINCOUNT_MAX = 100_000  # update a W this small by a full-length bincount, not np.add.at


@dataclass(frozen=True)
class Swap:
    """A swap: the position leaving, the candidate entering, the change in covered weight."""

    delta: float
    pos: int
    k: int


NO_SWAP = Swap(-np.inf, -1, -1)


def _gather(matrix: sp.csr_matrix, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions in ``matrix.indices`` of the entries of ``rows``, and each row's length."""
    starts = matrix.indptr[rows]
    lengths = matrix.indptr[rows + 1] - starts
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(int(lengths.sum())), lengths


class CoverState:
    """Coverage counts of ``p`` chosen sites, every candidate's gain and (when small) W."""

    def __init__(self, model: Model, chosen: list[int]) -> None:
        self.model = model
        self.sites = np.array(chosen, dtype=np.int64)
        self.pos = np.full(model.n, -1, dtype=np.int64)
        self.pos[self.sites] = np.arange(len(self.sites))
        self.count = np.zeros(len(model.w), dtype=np.int64)
        self.owner = np.zeros(len(model.w), dtype=np.int64)  # sum of the covering sites' ids
        for j in self.sites:
            self.count[column(model, int(j))] += 1
            self.owner[column(model, int(j))] += j
        self.banned = excluded(model)
        free = model.w * (self.count == 0)
        self.gain = np.asarray(model.A.T @ free).ravel()
        self.value = float(model.w.sum() - free.sum())
        self.shared: np.ndarray | None = None
        if len(self.sites) * model.n <= DENSE_MAX:
            self.shared = np.zeros(len(self.sites) * model.n)
            single = np.flatnonzero(self.count == 1)
            where, lengths = _gather(model.A_rows, single)
            keys = np.repeat(self._single(single) * model.n, lengths)
            self._own(keys + model.A_rows.indices[where], np.repeat(model.w[single], lengths))

    def _own(self, keys: np.ndarray, values: np.ndarray) -> None:
        """Add ``values`` to W's flat entries ``keys`` (repeats add up)."""
        assert self.shared is not None
        if len(self.shared) <= BINCOUNT_MAX:
            self.shared += np.bincount(keys, values, minlength=len(self.shared))
        else:
            np.add.at(self.shared, keys, values)

    def _single(self, rows: np.ndarray) -> np.ndarray:
        """The position of the one site covering each of ``rows`` (0 where not one)."""
        return self.pos[np.where(self.count[rows] == 1, self.owner[rows], 0)]

    def replace(self, pos: int, k: int) -> None:
        """Swap the site at ``pos`` for candidate ``k``.

        Only rows one of the two covers change (by one): a row gains or loses its W
        terms when it becomes or stops being covered once, and changes every gain when
        it becomes or stops being covered at all.
        """
        m, j = self.model, int(self.sites[pos])
        old, new = column(m, j), column(m, k)
        rows = np.setxor1d(old, new, assume_unique=True)
        before, owner_before = self.count[rows], self._single(rows)
        self.count[old] -= 1
        self.count[new] += 1
        self.owner[old] -= j
        self.owner[new] += k
        self.pos[j], self.pos[k] = -1, pos
        self.sites[pos] = k
        after = self.count[rows]
        moved = np.minimum(before, after) <= 1
        rows, before, after = rows[moved], before[moved], after[moved]
        w = m.w[rows]
        gain_step = np.where(after == 0, w, np.where(before == 0, -w, 0.0))
        self.value -= float(gain_step.sum())
        where, lengths = _gather(m.A_rows, rows)
        cands = m.A_rows.indices[where]
        self.gain += np.bincount(cands, np.repeat(gain_step, lengths), minlength=m.n)
        if self.shared is not None:
            owner = np.where(after == 1, self._single(rows), owner_before[moved])
            self._own(
                np.repeat(owner * m.n, lengths) + cands,
                np.repeat(np.where(after == 1, w, -w), lengths),
            )

    def open_gain(self) -> np.ndarray:
        """Gains of the candidates that may enter (``-inf`` for chosen or excluded ones)."""
        gain = self.gain.copy()
        gain[self.sites] = -np.inf
        gain[self.banned] = -np.inf
        return gain

    def loss(self) -> np.ndarray:
        """Per position: the weight only that site covers."""
        single = np.flatnonzero(self.count == 1)
        own = self.pos[self.owner[single]]
        return np.bincount(own, weights=self.model.w[single], minlength=len(self.sites))

    def best_swap(
        self,
        fixed: np.ndarray | None = None,
        tabu: np.ndarray | None = None,
        record: float = np.inf,
    ) -> Swap:
        """The swap that gains the most (its delta may be negative).

        Sites at ``fixed`` positions stay and candidates marked ``tabu`` do not enter,
        unless the swap would lift the covered weight above ``record`` (aspiration;
        only where W is dense).
        """
        loss, gain = self.loss(), self.open_gain()
        if self.shared is None:
            if fixed is not None:
                loss[fixed] = np.inf
            if tabu is not None:
                gain[tabu] = -np.inf
            return self._best_sparse(loss, gain)
        n = self.model.n
        delta = self.shared.reshape(len(loss), n) + gain[None, :]
        delta -= loss[:, None]
        i = int(np.argmax(delta))
        if self.value + delta.flat[i] <= record and (fixed is not None or tabu is not None):
            if fixed is not None:
                delta[fixed] = -np.inf
            if tabu is not None:
                delta[:, tabu] = -np.inf
            i = int(np.argmax(delta))
        best = float(delta.flat[i])
        return Swap(best, *divmod(i, n)) if np.isfinite(best) else NO_SWAP

    def _best_sparse(self, loss: np.ndarray, gain: np.ndarray) -> Swap:
        p, w = len(self.sites), self.model.w
        single = np.flatnonzero(self.count == 1)
        own = self.pos[self.owner[single]]
        shared = sp.csr_matrix((w[single], (own, single)), shape=(p, len(w))) @ self.model.A_rows
        shared = sp.csr_matrix(shared)
        at = np.repeat(np.arange(p), np.diff(shared.indptr))
        best = NO_SWAP
        if shared.nnz:
            delta = gain[shared.indices] + shared.data - loss[at]
            i = int(np.argmax(delta))
            best = Swap(float(delta[i]), int(at[i]), int(shared.indices[i]))
        # pairs sharing nothing: the top gain outside each site's shared columns
        width = min(int(np.diff(shared.indptr).max(initial=0)) + 1, self.model.n)
        top = np.argpartition(-gain, width - 1)[:width]
        top = top[np.argsort(-gain[top], kind="stable")]
        slot = np.full(self.model.n, -1)
        slot[top] = np.arange(width)
        marked = np.zeros((p, width), bool)
        hit = slot[shared.indices] >= 0
        marked[at[hit], slot[shared.indices][hit]] = True
        first = np.argmin(marked, axis=1)
        plain = gain[top[first]] - loss
        plain[marked[np.arange(p), first]] = -np.inf
        i = int(np.argmax(plain))
        if plain[i] > best.delta:
            best = Swap(float(plain[i]), i, int(top[first[i]]))
        return best


def local_search(state: CoverState, deadline: float, tick: Callable[[], None] = still) -> None:
    """Apply the best swap while it strictly gains; ``tick()`` once per swap."""
    tolerance = TOLERANCE * max(float(state.model.w.sum()), 1.0)
    while time.perf_counter() < deadline:
        tick()
        move = state.best_swap()
        if move.delta <= tolerance or move.k < 0:
            return
        state.replace(move.pos, move.k)


def tabu_search(
    model: Model,
    chosen: list[int],
    *,
    iterations: int,
    patience: int,
    target: float,
    deadline: float,
    seed: int = 0,
    tick: Callable[[], None] = still,
) -> list[int]:
    """Tabu search over swaps from ``chosen``; returns the best plan seen (``tick()`` per step).

    Each step makes the best swap allowed, even a losing one. A site that left may
    not come back, and one that entered may not leave, for a few (seeded random)
    steps. Stops after ``iterations`` steps, after ``patience`` steps in a row without a
    new best, once the covered weight reaches ``target``, or at ``deadline``. Unless
    the deadline cuts it short, the same instance and seed give the same plan.
    """
    state = CoverState(model, chosen)
    p = len(chosen)
    if p == 0 or p >= model.n:
        return list(chosen)
    rng = np.random.default_rng(seed)
    stay_out, stay_in = _tenures(model.n, p)
    until_in = np.zeros(model.n, dtype=np.int64)
    until_out = np.zeros(p, dtype=np.int64)
    best, best_value = state.sites.copy(), state.value
    tolerance = TOLERANCE * max(float(model.w.sum()), 1.0)
    found = 0
    for step in range(iterations):
        if step - found > patience or best_value >= target or time.perf_counter() > deadline:
            break
        tick()
        move = state.best_swap(until_out > step, until_in > step, best_value + tolerance)
        if move.k < 0:
            break
        until_in[state.sites[move.pos]] = step + stay_out + rng.integers(0, stay_out // 4 + 1)
        until_out[move.pos] = step + stay_in + rng.integers(0, stay_in // 4 + 1)
        state.replace(move.pos, move.k)
        if state.value > best_value + tolerance:
            best, best_value, found = state.sites.copy(), state.value, step
    return [int(j) for j in best]


def _tenures(n: int, p: int) -> tuple[int, int]:
    """Steps a site that left stays out, and one that entered stays in."""
    return int(np.clip(n // 20, 5, 60)), int(np.clip(p // 5, 1, 10))
