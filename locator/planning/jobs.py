"""Siting plans in the background and the default demand models they share.

:class:`PlanJobs` runs plans on a ``concurrent.futures.ThreadPoolExecutor`` of
``workers`` threads and refuses new work with :class:`~locator.errors.TooBusy` once
``queue_limit`` plans are queued or running, so a server is never overrun. Jobs live
in memory under ids from ``secrets.token_urlsafe(8)``; a finished job keeps its
:class:`~locator.planning.plan.Plan` for downloads, and only the ``keep`` most recently
finished jobs are retained. One lock guards every job.

At interpreter exit, queued plans are cancelled before the pool's threads are joined;
a running plan cannot be interrupted mid-solve and finishes first (its time limit
bounds that wait).

Per-district quotas on new sites are read and checked by :mod:`locator.planning.quotas`.
"""

from __future__ import annotations

import atexit
import logging
import secrets
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from locator import demand
from locator.errors import Conflict, LocatorError, NotFound, TooBusy
from locator.planning.plan import Plan, PlanRequest, Progress

logger = logging.getLogger(__name__)

ACTIVE = ("queued", "running")
FINISHED = ("done", "failed")
Work = Callable[[Progress], Plan]


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

    def find(self, request: PlanRequest) -> str | None:
        """The id of a queued, running or finished job for ``request``, if one is kept."""
        with self._lock:
            for job in self._jobs.values():
                if job.request == request and job.status != "failed":
                    return job.id
        return None

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
