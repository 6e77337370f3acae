"""Plans in the database, so that every web worker on every machine answers for every
plan, and plans outlive restarts. Flask-free.

:class:`PlanRegistry` takes submissions (refusing with TooBusy once ``queue_limit``
plans are queued or running, counted across all workers: every submission first updates
the database's write lock row, so submissions take turns), records progress with a
heartbeat, and keeps results as JSON (:mod:`locator.planning.record`). A plan whose
heartbeat is older than ``stale_after_s`` is marked failed with the reason (its worker
died); reads do that, so no extra process is needed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import defer

from locator.cache import LruCache
from locator.db.models import AuditEntry, PlanImage, PlanRecord, PlanUpload, utc_now
from locator.db.session import take_write_lock, transaction
from locator.errors import Conflict, NotFound, TooBusy
from locator.planning.export import summary
from locator.planning.plan import Plan, PlanRequest
from locator.planning.record import plan_from_json, plan_json, request_from_json, request_json

ACTIVE = ("queued", "running")
STALE_AFTER_S = 120.0  # no progress for this long: the worker is gone
CACHED_PLANS = 8


@dataclass(frozen=True)
class JobStatus:
    """One plan as it stands. ``summary`` and ``curve`` are set once it is done."""

    id: str
    request: PlanRequest  # uploaded files show as ``Path("uploaded")``
    status: str  # queued, running, done or failed
    stage: str
    fraction: float
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    summary: dict[str, Any] | None = None
    curve: list[float] | None = None
    error: str | None = None
    name: str = ""
    created_by: str = ""
    published: bool = False


def request_key(request: PlanRequest) -> str:
    """SHA-256 of the request's JSON: equal requests, equal keys (uploads: never equal)."""
    text = json.dumps(request_json(request), sort_keys=True)
    if request.demand_path or request.candidates_path or request.exclusions_path:
        text += secrets.token_hex(8)  # a plan with files is never shared
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PlanPage:
    """Plans newest first, from ``offset``: at most ``limit`` of ``total``. Their
    ``curve`` is None (listing does not read results)."""

    plans: tuple[JobStatus, ...]
    total: int
    offset: int
    limit: int


def _status(row: PlanRecord, with_curve: bool = True) -> JobStatus:
    done = row.status == "done" and with_curve
    curve = (row.result or {}).get("result", {}).get("curve") if done else None
    return JobStatus(
        row.id, request_from_json(row.request), row.status, row.stage, row.fraction, row.created_at,
        row.started_at, row.finished_at, row.summary, curve, row.error, row.name,
        row.created_by, row.published,
    )  # fmt: skip


class PlanRegistry:
    """Submit, follow and finish plans kept in the database."""

    def __init__(
        self, engine: Engine, queue_limit: int, stale_after_s: float = STALE_AFTER_S
    ) -> None:
        self.engine, self.queue_limit, self.stale_after_s = engine, queue_limit, stale_after_s
        self._plans: LruCache[Plan] = LruCache(CACHED_PLANS)
        self._reaped_at = 0.0
        self._lock = threading.Lock()

    def submit(
        self,
        request: PlanRequest,
        uploads: Mapping[str, tuple[str, bytes]],
        actor: str = "",
        name: str = "",
    ) -> str:
        """Record a queued plan with its uploaded files; TooBusy when the queue is full."""
        self.reap()
        with transaction(self.engine) as session:
            take_write_lock(session)
            active = session.scalar(
                select(func.count()).select_from(PlanRecord).where(PlanRecord.status.in_(ACTIVE))
            )
            if (active or 0) >= self.queue_limit:
                raise TooBusy(
                    f"{active} plan(s) are already queued or running, the most this server "
                    "takes; try again when one has finished."
                )
            plan_id = secrets.token_urlsafe(8)
            session.add(
                PlanRecord(id=plan_id, name=name, created_by=actor, request=request_json(request),
                           request_key=request_key(request), status="queued", stage="queued",
                           fraction=0.0, published=False)
            )  # fmt: skip
            session.flush()
            for field, (filename, content) in uploads.items():
                session.add(
                    PlanUpload(plan_id=plan_id, field=field, filename=filename, content=content)
                )
            detail = {"name": name, "files": sorted(uploads)}
            session.add(AuditEntry(actor=actor, action="plan", target=plan_id, detail=detail))
        return plan_id

    def get(self, plan_id: str) -> JobStatus:
        """The plan's status; NotFound for an unknown id."""
        self.reap()
        with transaction(self.engine) as session:
            row = session.get(PlanRecord, plan_id)
            if row is None:
                raise NotFound(f"no plan {plan_id!r}.")
            return _status(row)

    def find(self, request: PlanRequest, published_only: bool = False) -> str | None:
        """The newest kept plan (not failed) for exactly this request, if any; with
        ``published_only``, the newest published one (published plans are done)."""
        query = select(PlanRecord.id).where(PlanRecord.request_key == request_key(request))
        if published_only:
            query = query.where(PlanRecord.published.is_(True), PlanRecord.status == "done")
        else:
            query = query.where(PlanRecord.status != "failed")
        with transaction(self.engine) as session:
            return session.scalar(
                query.order_by(PlanRecord.created_at.desc(), PlanRecord.id.desc()).limit(1)
            )

    def page(self, limit: int, offset: int = 0) -> PlanPage:
        """Plans newest first (``limit`` from ``offset``), without their results."""
        self.reap()
        with transaction(self.engine) as session:
            total = session.scalar(select(func.count()).select_from(PlanRecord)) or 0
            rows = session.scalars(
                select(PlanRecord)
                .options(defer(PlanRecord.result))
                .order_by(PlanRecord.created_at.desc(), PlanRecord.id.desc())
                .limit(limit)
                .offset(offset)
            )
            found = tuple(_status(row, with_curve=False) for row in rows)
        return PlanPage(found, int(total), offset, limit)

    def change(
        self, plan_id: str, actor: str, *, name: str | None = None, published: bool | None = None
    ) -> JobStatus:
        """Rename, publish or unpublish a plan, audited; NotFound for an unknown id,
        Conflict when publishing a plan that is not done. Unpublishing drops its kept
        images (:mod:`locator.planning.images`)."""
        with transaction(self.engine) as session:
            row = session.get(PlanRecord, plan_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no plan {plan_id!r}.")
            if published and row.status != "done":
                raise Conflict(
                    f"plan {plan_id} is {row.status}; only a done plan can be published."
                )
            detail: dict[str, Any] = {}
            if name is not None and name != row.name:
                detail["name"] = [row.name, name]
                row.name = name
            if published is not None and published != row.published:
                detail["published"] = published
                row.published = published
            if not row.published:
                session.execute(delete(PlanImage).where(PlanImage.plan_id == plan_id))
            session.add(AuditEntry(actor=actor, action="change plan", target=plan_id,
                                   detail=detail))  # fmt: skip
            session.flush()
            return _status(row)

    def delete(self, plan_id: str, actor: str) -> None:
        """Delete a plan with its files and images, audited; NotFound for an unknown id.
        A worker still running it finds no row to report to, which is harmless."""
        with transaction(self.engine) as session:
            row = session.get(PlanRecord, plan_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no plan {plan_id!r}.")
            detail = {"name": row.name, "status": row.status, "created_by": row.created_by}
            for table in (PlanImage, PlanUpload):  # the foreign keys cascade too
                session.execute(delete(table).where(table.plan_id == plan_id))
            session.execute(delete(PlanRecord).where(PlanRecord.id == plan_id))
            session.add(AuditEntry(actor=actor, action="delete plan", target=plan_id,
                                   detail=detail))  # fmt: skip
        self._plans.discard(plan_id)

    def plan(self, plan_id: str) -> Plan:
        """The finished plan; NotFound when there is none (deleted, perhaps by another
        worker), Conflict while it is queued or running, or when it failed."""
        with transaction(self.engine) as session:
            status = session.scalar(select(PlanRecord.status).where(PlanRecord.id == plan_id))
        found = self._plans.get(plan_id)
        if status is None:
            self._plans.discard(plan_id)
            raise NotFound(f"no plan {plan_id!r}.")
        if found is not None:
            return found
        job = self.get(plan_id)
        if job.status == "failed":
            raise Conflict(f"plan {plan_id} failed, so there is nothing to download: {job.error}")
        if job.status != "done":
            raise Conflict(
                f"plan {plan_id} is {job.status} ({job.stage}, {job.fraction:.0%}); "
                "download its sites once its status is done."
            )
        with transaction(self.engine) as session:
            row = session.get(PlanRecord, plan_id)
            assert row is not None and row.result is not None
            found = plan_from_json(row.result)
        self._plans.put(plan_id, found)
        return found

    def start(self, plan_id: str) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]] | None:
        """Mark a queued plan running; its request and files, or None if it is not queued."""
        with transaction(self.engine) as session:
            row = session.get(PlanRecord, plan_id, with_for_update=True)
            if row is None or row.status != "queued":
                return None
            now = utc_now()
            row.status, row.stage, row.started_at, row.heartbeat_at = (
                "running",
                "starting",
                now,
                now,
            )
            files = session.scalars(select(PlanUpload).where(PlanUpload.plan_id == plan_id))
            return dict(row.request), {f.field: (f.filename, f.content) for f in files}

    def progress(self, plan_id: str, stage: str, fraction: float) -> None:
        """Record a running plan's stage and fraction (0..1), and that it is alive."""
        with transaction(self.engine) as session:
            session.execute(
                update(PlanRecord)
                .where(PlanRecord.id == plan_id, PlanRecord.status == "running")
                .values(stage=stage[:64], fraction=float(fraction), heartbeat_at=utc_now())
            )

    def finish(self, plan_id: str, plan: Plan | None = None, error: str | None = None) -> None:
        """Record the result (``plan``) or the reason it failed (``error``)."""
        values: dict[str, Any] = {"finished_at": utc_now(), "heartbeat_at": utc_now()}
        if plan is not None:
            values |= {"status": "done", "stage": "done", "fraction": 1.0,
                       "result": plan_json(plan), "summary": summary(plan)}  # fmt: skip
        else:
            values |= {"status": "failed", "stage": "failed", "error": error or "failed"}
        with transaction(self.engine) as session:
            session.execute(update(PlanRecord).where(PlanRecord.id == plan_id).values(**values))
            session.execute(delete(PlanUpload).where(PlanUpload.plan_id == plan_id))

    def reap(self) -> None:
        """Mark plans whose worker stopped reporting as failed, with the reason."""
        now = utc_now()
        with self._lock:
            if (now.timestamp() - self._reaped_at) < 1.0:
                return
            self._reaped_at = now.timestamp()
        cutoff = now - dt.timedelta(seconds=self.stale_after_s)
        reason = (
            f"the worker running this plan stopped (no progress for {self.stale_after_s:.0f} s); "
            "start the plan again."
        )
        with transaction(self.engine) as session:
            session.execute(
                update(PlanRecord)
                .where(PlanRecord.status == "running", PlanRecord.heartbeat_at < cutoff)
                .values(status="failed", stage="failed", error=reason, finished_at=now)
            )
