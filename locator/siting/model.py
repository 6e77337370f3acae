"""The reduced maximal-coverage instance that the search and the bounds share.

Demand already covered or not coverable is dropped, excluded candidates lose
their columns, and demand rows covered by the same candidates are merged
(weights summed), which shrinks real instances a lot without changing any
answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

TOLERANCE = 1e-9


@dataclass(frozen=True)
class Constraints:
    """Optional rules for the new sites.

    ``group`` gives each candidate a group id (e.g. its district, -1 for
    none); ``min_per_group``/``max_per_group`` map group ids to quotas;
    ``conflicts`` is a symmetric sparse (n_candidates, n_candidates) matrix
    whose nonzeros are pairs that may not both be chosen (closer than the
    minimum spacing); ``excluded`` is a boolean mask of forbidden candidates.
    """

    group: np.ndarray | None = None
    min_per_group: dict[int, int] = field(default_factory=dict)
    max_per_group: dict[int, int] = field(default_factory=dict)
    conflicts: sp.spmatrix | None = None
    excluded: np.ndarray | None = None


@dataclass
class Model:
    """The reduced instance: merged demand rows over the allowed candidates."""

    A: sp.csc_matrix  # (rows, candidates) 0/1
    A_rows: sp.csr_matrix
    w: np.ndarray
    p: int
    cons: Constraints
    group: np.ndarray
    conflicts: sp.csr_matrix

    @property
    def n(self) -> int:
        return int(self.A.shape[1])


def reduce(
    cover: sp.csr_matrix, w: np.ndarray, p: int, already: np.ndarray, cons: Constraints
) -> Model:
    """Drop covered and uncoverable demand, zero out excluded candidates, merge equal rows."""
    n = cover.shape[1]
    allowed = np.ones(n, bool) if cons.excluded is None else ~np.asarray(cons.excluded)
    cover = (cover @ sp.diags(allowed.astype(float))).astype(bool).tocsr()
    cover.eliminate_zeros()
    live = (w > 0) & ~already & (np.diff(cover.indptr) > 0)
    sub = cover[np.flatnonzero(live)]
    sub.sort_indices()
    keys = [sub.indices[sub.indptr[i] : sub.indptr[i + 1]].tobytes() for i in range(sub.shape[0])]
    _, first, inverse = np.unique(
        np.array(keys, dtype=object), return_index=True, return_inverse=True
    )
    merged_w = np.bincount(inverse.ravel(), weights=w[live], minlength=len(first))
    rows = sub[first].astype(float)
    group = np.full(n, -1) if cons.group is None else np.asarray(cons.group, dtype=np.int64)
    conflicts = sp.csr_matrix((n, n)) if cons.conflicts is None else sp.csr_matrix(cons.conflicts)
    conflicts = (conflicts != 0).astype(float)
    return Model(sp.csc_matrix(rows), sp.csr_matrix(rows), merged_w, p, cons, group, conflicts)


def excluded(model: Model) -> np.ndarray:
    if model.cons.excluded is None:
        return np.zeros(model.n, bool)
    return np.asarray(model.cons.excluded, dtype=bool)


def column(model: Model, j: int) -> np.ndarray:
    """Merged demand rows candidate ``j`` covers."""
    return model.A.indices[model.A.indptr[j] : model.A.indptr[j + 1]]


def covered(model: Model, chosen: list[int]) -> float:
    if not chosen:
        return 0.0
    hit = np.asarray(model.A[:, chosen].sum(axis=1)).ravel() > 0
    return float(model.w[hit].sum())
