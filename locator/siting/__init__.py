"""Siting: where should new stations go, with a certificate of how good the answer is.

The public entry points are :func:`maximal_coverage` (cover the most demand weight with
``p`` new sites; :mod:`locator.siting.maximal`) and :func:`p_median` (least total
weighted distance; :mod:`locator.siting.pmedian`). Both take sparse matrices and return
frozen results with their bound and gap. The other modules are their parts, from the
bottom up: model (the reduced instance), search (greedy), swap, split, highs_process, bounds,
improve.
"""

from __future__ import annotations

from locator.siting.maximal import CoverageResult, maximal_coverage
from locator.siting.model import Constraints
from locator.siting.pmedian import PMedianResult, p_median

__all__ = ["Constraints", "CoverageResult", "PMedianResult", "maximal_coverage", "p_median"]
