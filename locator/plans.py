"""Siting plans in the background, the default demand models they share, and quota tables.

:class:`PlanJobs` runs plans on a ``concurrent.futures.ThreadPoolExecutor`` of
``workers`` threads and refuses new work with :class:`~locator.errors.TooBusy` once
``queue_limit`` plans are queued or running, so a server is never overrun. Jobs live
in memory under ids from ``secrets.token_urlsafe(8)``; a finished job keeps its
:class:`~locator.plan.Plan` for downloads, and only the ``keep`` most recently
finished jobs are retained. One lock guards every job.

At interpreter exit, queued plans are cancelled before the pool's threads are joined;
a running plan cannot be interrupted mid-solve and finishes first (its time limit
bounds that wait).

:func:`read_quotas` (CSV/XLSX with columns district, min, max) and
:func:`check_quotas` (a mapping, as the API receives it) produce
``PlanRequest.quotas``: ``{district adcode: (min, max)}`` with None for no bound.
"""

from __future__ import annotations

import atexit
import logging
import secrets
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from locator import demand
from locator.errors import BadQuery, Conflict, DataError, LocatorError, NotFound, TooBusy
from locator.plan import Plan, PlanRequest, Progress
from locator.readers import read_raw
from locator.schema import normalise_header

logger = logging.getLogger(__name__)

ACTIVE = ("queued", "running")
FINISHED = ("done", "failed")
Work = Callable[[Progress], Plan]
Quotas = dict[str, tuple[int | None, int | None]]


@dataclass(frozen=True)
class JobStatus:
    """One plan job as it stands: status, progress, and the plan or the error when finished.

    Times are seconds since the epoch (``time.time()``); ``fraction`` is 0..1.
    """

    id: str
    request: PlanRequest
    status: str  # queued, running, done or failed
    stage: str
    fraction: float
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    plan: Plan | None = None
    error: str | None = None


class PlanJobs:
    """A bounded pool of background plans; safe to share between threads."""

    def __init__(self, workers: int = 1, queue_limit: int = 4, keep: int = 50) -> None:
        if workers < 1 or queue_limit < 1 or keep < 1:
            raise ValueError("workers, queue_limit and keep must all be at least 1")
        self.workers, self.queue_limit, self.keep = workers, queue_limit, keep
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="locator-plan")
        self._lock = threading.Lock()
        self._jobs: dict[str, JobStatus] = {}
        self._futures: dict[str, Future[None]] = {}
        self._closed = False
        _watch(self)

    def submit(
        self, request: PlanRequest, work: Work, cleanup: Callable[[], None] | None = None
    ) -> str:
        """Queue ``work(progress)`` and return the job id; TooBusy when the queue is full.

        ``cleanup`` runs once the job has finished or was cancelled (e.g. to delete an
        uploaded file).
        """
        with self._lock:
            if self._closed:
                raise TooBusy("the server is shutting down; send the plan again later.", status=503)
            active = sum(job.status in ACTIVE for job in self._jobs.values())
            if active >= self.queue_limit:
                raise TooBusy(
                    f"{active} plan(s) are already queued or running, the most this server "
                    "takes; try again when one has finished."
                )
            job = JobStatus(secrets.token_urlsafe(8), request, "queued", "queued", 0.0, time.time())
            self._jobs[job.id] = job
            future = self._pool.submit(self._run, job.id, work)
            self._futures[job.id] = future
        if cleanup is not None:
            future.add_done_callback(lambda _: cleanup())
        return job.id

    def get(self, job_id: str) -> JobStatus:
        """The job's current status; NotFound for unknown (or long-finished, dropped) ids."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(
                f"no plan {job_id!r}; plans live in memory until the server restarts, and only "
                f"the last {self.keep} finished ones are kept."
            )
        return job

    def plan(self, job_id: str) -> Plan:
        """The finished plan; Conflict while it is queued or running, or when it failed."""
        job = self.get(job_id)
        if job.status == "failed":
            raise Conflict(f"plan {job_id} failed, so there is nothing to download: {job.error}")
        if job.plan is None:
            raise Conflict(
                f"plan {job_id} is {job.status} ({job.stage}, {job.fraction:.0%}); "
                "download its sites once its status is done."
            )
        return job.plan

    def shutdown(self, wait: bool = True) -> None:
        """Refuse new plans, cancel queued ones, and (with ``wait``) let running ones finish."""
        with self._lock:
            self._closed = True
            for job_id, future in self._futures.items():
                if future.cancel():
                    self._jobs[job_id] = replace(
                        self._jobs[job_id],
                        status="failed",
                        stage="failed",
                        finished_at=time.time(),
                        error="cancelled: the server shut down before the plan started.",
                    )
        self._pool.shutdown(wait=wait, cancel_futures=True)

    def _update(self, job_id: str, **changes: object) -> None:
        with self._lock:
            if job_id in self._jobs:
                self._jobs[job_id] = replace(self._jobs[job_id], **changes)  # type: ignore[arg-type]

    def _run(self, job_id: str, work: Work) -> None:
        self._update(job_id, status="running", stage="starting", started_at=time.time())

        def progress(stage: str, fraction: float) -> None:
            self._update(job_id, stage=str(stage), fraction=min(max(float(fraction), 0.0), 1.0))

        try:
            plan = work(progress)
        except LocatorError as exc:
            self._finish(job_id, error=exc.message)
        except Exception as exc:  # a bug must fail the job, not leave it "running" forever
            logger.exception("plan %s failed", job_id)
            self._finish(job_id, error=f"the plan failed unexpectedly: {type(exc).__name__}: {exc}")
        else:
            self._finish(job_id, plan=plan)

    def _finish(self, job_id: str, plan: Plan | None = None, error: str | None = None) -> None:
        status = "failed" if plan is None else "done"
        with self._lock:
            self._futures.pop(job_id, None)
            job = self._jobs[job_id]
            self._jobs[job_id] = replace(
                job,
                status=status,
                stage=status,
                fraction=1.0 if plan is not None else job.fraction,
                finished_at=time.time(),
                plan=plan,
                error=error,
            )
            finished = sorted(
                (j for j in self._jobs.values() if j.status in FINISHED),
                key=lambda j: j.finished_at or 0.0,
            )
            for old in finished[: max(0, len(finished) - self.keep)]:
                del self._jobs[old.id]


_LIVE: weakref.WeakSet[PlanJobs] = weakref.WeakSet()
_HOOK: list[bool] = []  # one element once the exit hook is registered


def _cancel_queued() -> None:
    for jobs in list(_LIVE):
        jobs.shutdown(wait=False)


def _watch(jobs: PlanJobs) -> None:
    """Cancel ``jobs``' queued plans at exit, before concurrent.futures joins its threads.

    threading's private exit hooks run before the pool's threads are joined (atexit
    handlers run after, too late to cancel anything); atexit is the fallback.
    """
    _LIVE.add(jobs)
    if not _HOOK:
        _HOOK.append(True)
        getattr(threading, "_register_atexit", atexit.register)(_cancel_queued)


class DemandCache:
    """Each region's default demand model, built on first use and then shared (thread-safe)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self._models: dict[str, demand.Demand] = {}
        self._lock = threading.Lock()

    def get(self, region: str) -> demand.Demand:
        """The model of ``region``; BadQuery for an unknown region."""
        with self._lock:
            if region not in self._models:
                self._models[region] = demand.default_model(self.data_dir, region)
            return self._models[region]


def district_adcode(districts: pd.DataFrame, value: str) -> str:
    """The adcode of a district given by adcode or name (区/县/市 may be left off).

    ``districts`` has ``district_adcode`` and ``district_name`` columns; BadQuery when
    ``value`` names none of them, or several.
    """
    text = str(value).strip()
    codes = districts["district_adcode"].astype(str)
    if text in set(codes):
        return text
    names = districts["district_name"].astype(str)
    hits = codes[names == text]
    if hits.empty:
        hits = codes[names.str.replace(r"[区县市]$", "", regex=True) == text.rstrip("区县市")]
    if hits.empty or not text:
        raise BadQuery(f"unknown district {text!r}; give a district name or adcode (e.g. 110105).")
    if hits.nunique() > 1:
        raise BadQuery(f"{text!r} names {hits.nunique()} districts; give the adcode instead.")
    return str(hits.iloc[0])


def _bound(name: str, value: object) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if isinstance(value, bool) or not (isinstance(value, int | str) and text.isdecimal()):
        raise BadQuery(f"{name} {value!r} is not a whole number >= 0 (leave it blank for none).")
    return int(text)


def quota_bounds(low: object, high: object) -> tuple[int | None, int | None]:
    """(min, max) new sites from two values: whole numbers >= 0, or blank/None for no bound."""
    lo, hi = _bound("min", low), _bound("max", high)
    if lo is not None and hi is not None and lo > hi:
        raise BadQuery(f"min {lo} is larger than max {hi}.")
    return lo, hi


def _check_total(quotas: Quotas, new: int | None) -> Quotas:
    least = sum(lo or 0 for lo, _ in quotas.values())
    if new is not None and least > new:
        raise BadQuery(f"the quotas ask for at least {least} new sites, but new is {new}.")
    return quotas


def check_quotas(quotas: object, districts: pd.DataFrame, new: int | None = None) -> Quotas:
    """Quotas from a mapping ``{district (adcode or name): [min, max]}``; BadQuery if malformed."""
    if not isinstance(quotas, Mapping):
        raise BadQuery('quotas must be an object like {"110105": [2, 10]} (null for no bound).')
    out: Quotas = {}
    for key, pair in quotas.items():
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise BadQuery(f"quota for {key!r} must be [min, max], got {pair!r}.")
        try:
            code, bounds = district_adcode(districts, str(key)), quota_bounds(*pair)
        except BadQuery as exc:
            raise BadQuery(f"quota for {key!r}: {exc.message}") from None
        if code in out:
            raise BadQuery(f"quota for {key!r}: district {code} is given twice.")
        if bounds != (None, None):
            out[code] = bounds
    return _check_total(out, new)


QUOTA_HEADERS = {
    "district": ("district", "district_adcode", "adcode", "district_name", "区县", "行政区"),
    "min": ("min", "minimum", "最少", "下限"),
    "max": ("max", "maximum", "最多", "上限"),
}


class _BadCell(ValueError):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column, self.message = column, message


def _quota_row(
    row: Mapping[Any, str], cols: Mapping[str, str], districts: pd.DataFrame
) -> tuple[str, tuple[int | None, int | None]]:
    """(adcode, (min, max)) of one file row; raises _BadCell naming the bad column."""
    values: dict[str, object] = {}
    for field, column in cols.items():
        try:
            if field == "district":
                values[field] = district_adcode(districts, row[column])
            else:
                values[field] = _bound(field, row[column])
        except BadQuery as exc:
            raise _BadCell(column, exc.message) from None
    lo, hi = values["min"], values["max"]
    if isinstance(lo, int) and isinstance(hi, int) and lo > hi:
        raise _BadCell(cols["min"], f"min {lo} is larger than max {hi}.")
    return str(values["district"]), (lo, hi)  # type: ignore[return-value]


def read_quotas(path: Path, districts: pd.DataFrame, new: int | None = None) -> Quotas:
    """Quotas from a CSV or XLSX file with columns district, min, max (blank = no bound).

    Districts are names or adcodes. DataError names the file, row (header = row 1),
    column and value of every bad row; BadQuery when the minimums exceed ``new``.
    """
    name = Path(path).name
    if Path(path).suffix.lower() not in (".csv", ".txt", ".xlsx"):
        raise DataError(f"{name}: quotas must be a CSV or XLSX file.")
    raw = read_raw(path)
    found = {normalise_header(c): c for c in raw.cells.columns}
    cols = {
        f: next((found[h] for h in heads if h in found), "") for f, heads in QUOTA_HEADERS.items()
    }
    missing = [f for f, c in cols.items() if not c]
    if missing:
        raise DataError(
            f"{name}: no {', '.join(missing)} column; the columns are district, min and max."
        )
    out: Quotas = {}
    problems: list[str] = []
    for number, row in zip(raw.row_numbers, raw.cells.to_dict("records"), strict=True):
        try:
            code, bounds = _quota_row(row, cols, districts)
        except _BadCell as exc:
            problems.append(f"row {number}, column {exc.column!r}: {exc.message}")
            continue
        if code in out:
            problems.append(f"row {number}: district {code} is given twice.")
        elif bounds != (None, None):
            out[code] = bounds
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        shown = "; ".join(p.rstrip(".") for p in problems[:3])
        raise DataError(f"{name}: {shown}{more}.", tuple(problems))
    return _check_total(out, new)
