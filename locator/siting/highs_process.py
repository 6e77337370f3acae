"""HiGHS in a child process, so that the LP relaxation and the MILP stop at their deadline.

HiGHS looks at its time limit only at some points, and on large instances it can go
minutes between them. Issue 15, ``locator plan --region china --new 10000``:

* the LP (interior point, IPX): when the diagonal preconditioner stops paying, IPX builds
  a starting basis and factorises it (``basiclu``'s Markowitz LU) with no look at the
  clock. Heilongjiang's LP (18,540 rows, 524,000 nonzeros) spent 1,212 s there against a
  limit of 3.8 s;
* the MILP: presolve (``HPresolve::dualFixing``) ran 2.5 s of a 1.7 s limit (Jiangxi).

A thread cannot be stopped, a process can: :func:`solve_lp` and :func:`solve_milp` run
``linprog`` and ``milp`` in a fresh interpreter, give HiGHS the time left as its limit, and
kill the child at the deadline; the caller then keeps what it had (the Lagrangian bound,
the plan found so far). The child is this file run as a script (``python -I``: it imports
only NumPy and SciPy, not the ``locator`` package); the problem goes in and the solution
comes out as ``.npz`` files in a private temporary directory. Starting it costs about
0.6 s, so :mod:`locator.siting.bounds` uses it only for instances large enough to overrun.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

GRACE_S = 0.25  # HiGHS stops itself at the deadline; the child is killed this much later
CHILD = (sys.executable, "-I", __file__)


@dataclass(frozen=True)
class Solution:
    """HiGHS's answer: scipy's status (0 optimal, 1 out of time or iterations), the
    objective, ``x`` (empty when there is none), the LP's inequality marginals and the
    MILP's dual bound (NaN when there is none)."""

    status: int
    fun: float
    x: np.ndarray
    marginals: np.ndarray
    dual_bound: float


def solve_lp(
    c: np.ndarray,
    a_ub: sp.spmatrix,
    b_ub: np.ndarray,
    deadline: float,
    command: tuple[str, ...] = CHILD,
) -> Solution | None:
    """Minimise ``c @ x`` s.t. ``a_ub @ x <= b_ub``, ``0 <= x <= 1`` (interior point, no
    crossover) by ``deadline`` (``time.perf_counter()`` seconds); None when out of time
    (:func:`_run`)."""
    return _run("lp", deadline, command, c=c, b_ub=b_ub, **_csr(a_ub))


def solve_milp(
    c: np.ndarray,
    a: sp.spmatrix,
    rows: tuple[np.ndarray, np.ndarray],
    integrality: np.ndarray,
    bounds: tuple[np.ndarray, np.ndarray],
    deadline: float,
    command: tuple[str, ...] = CHILD,
) -> Solution | None:
    """Minimise ``c @ x`` s.t. ``rows[0] <= a @ x <= rows[1]``, ``bounds[0] <= x <=
    bounds[1]``, ``x`` integral where ``integrality`` is 1 (relative gap 0) by
    ``deadline``; None when out of time (:func:`_run`)."""
    return _run(
        "milp", deadline, command, c=c, row_lo=rows[0], row_hi=rows[1],
        integrality=integrality, lo=bounds[0], hi=bounds[1], **_csr(a),
    )  # fmt: skip


def _csr(matrix: sp.spmatrix) -> dict[str, np.ndarray]:
    a = sp.csr_matrix(matrix)
    return {"data": a.data, "indices": a.indices, "indptr": a.indptr, "shape": np.array(a.shape)}


def _run(kind: str, deadline: float, command: tuple[str, ...], **arrays: Any) -> Solution | None:
    """Solve in a child started by ``command``: None when ``deadline`` has already passed
    (no child is started) or when the child has not finished ``GRACE_S`` after it (it is
    killed). Raises RuntimeError when the child fails on its own."""
    left_s = deadline - time.perf_counter()
    if left_s <= 0:
        return None
    with tempfile.TemporaryDirectory(prefix="locator-highs-") as tmp:
        problem, out = Path(tmp) / "problem.npz", Path(tmp) / "solution.npz"
        stop = time.monotonic() + left_s  # the child's clock: monotonic is system-wide
        np.savez(problem, kind=np.array(kind), stop=np.array(stop), **arrays)
        with subprocess.Popen(
            [*command, str(problem), str(out)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        ) as child:  # fmt: skip
            try:
                _, err = child.communicate(timeout=deadline - time.perf_counter() + GRACE_S)
            except subprocess.TimeoutExpired:
                child.kill()
                child.communicate()
                return None
        if child.returncode != 0:
            raise RuntimeError(f"HiGHS child exited with {child.returncode}: {err[-2000:]!r}")
        with np.load(out) as got:
            return Solution(
                int(got["status"]), float(got["fun"]), got["x"], got["marginals"],
                float(got["dual_bound"]),
            )  # fmt: skip


def lp_here(c: np.ndarray, a_ub: sp.spmatrix, b_ub: np.ndarray, time_limit_s: float) -> Solution:
    """:func:`solve_lp`'s problem solved in this process, HiGHS stopping itself (when it
    looks at its clock) after ``time_limit_s``; status 1 without an optimum."""
    from scipy.optimize import OptimizeWarning, linprog

    with warnings.catch_warnings():  # scipy warns that it passes run_crossover verbatim
        warnings.simplefilter("ignore", OptimizeWarning)
        res = linprog(
            c, A_ub=a_ub, b_ub=b_ub, bounds=(0, 1), method="highs-ipm",
            options={"time_limit": time_limit_s, "run_crossover": "off"},
        )  # fmt: skip
    if res.status != 0 or res.ineqlin is None:
        return Solution(1, 0.0, np.zeros(0), np.zeros(0), np.nan)
    return Solution(0, float(res.fun), res.x, res.ineqlin.marginals, np.nan)


def milp_here(
    c: np.ndarray,
    a: sp.spmatrix,
    rows: tuple[np.ndarray, np.ndarray],
    integrality: np.ndarray,
    bounds: tuple[np.ndarray, np.ndarray],
    time_limit_s: float,
) -> Solution:
    """:func:`solve_milp`'s problem solved in this process, HiGHS stopping itself (when it
    looks at its clock) after ``time_limit_s``."""
    from scipy.optimize import LinearConstraint, milp

    res = milp(
        c, constraints=[LinearConstraint(a, *rows)], integrality=integrality, bounds=bounds,
        options={"time_limit": time_limit_s, "mip_rel_gap": 0.0},
    )  # fmt: skip
    return Solution(
        int(res.status), 0.0 if res.fun is None else float(res.fun),
        np.zeros(0) if res.x is None else res.x, np.zeros(0),
        np.nan if res.mip_dual_bound is None else float(res.mip_dual_bound),
    )  # fmt: skip


def _child(problem_path: str, out_path: str) -> None:
    """The child: solve the problem in ``problem_path`` until its ``stop``
    (``time.monotonic()``) and write the solution to ``out_path``."""
    with np.load(problem_path) as got:
        p = {key: got[key] for key in got.files}
    a = sp.csr_matrix((p["data"], p["indices"], p["indptr"]), shape=tuple(p["shape"]))
    time_limit_s = float(p["stop"]) - time.monotonic()
    if time_limit_s <= 0:
        found = Solution(1, 0.0, np.zeros(0), np.zeros(0), np.nan)
    elif str(p["kind"]) == "lp":
        found = lp_here(p["c"], a, p["b_ub"], time_limit_s)
    else:
        rows, bounds = (p["row_lo"], p["row_hi"]), (p["lo"], p["hi"])
        found = milp_here(p["c"], a, rows, p["integrality"], bounds, time_limit_s)
    np.savez(out_path, **asdict(found))


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])
