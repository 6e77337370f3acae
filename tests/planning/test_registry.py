"""Plans in the database, on SQLite and PostgreSQL: submit, start, progress, finish; the
queue limit counted across workers; a dead worker's plan fails with a reason; equal
requests share a plan unless they carry files; names, publication, deletion (audited),
paging and the kept images of published plans."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select, update

from locator.db.models import AuditEntry, PlanRecord, PlanUpload
from locator.db.session import transaction, upgrade
from locator.errors import Conflict, NotFound, TooBusy
from locator.planning import images
from locator.planning.plan import PlanRequest
from locator.planning.registry import PlanRegistry
from tests.planning.test_export import plan, state  # noqa: F401 - fixtures

REQUEST = PlanRequest(region="beijing", new=2, radius_m=1000.0, kind="warm_heart")


@pytest.fixture()
def registry(engine) -> PlanRegistry:
    upgrade(engine)
    return PlanRegistry(engine, queue_limit=2)


def test_a_plan_goes_from_queued_to_done(registry, plan) -> None:  # noqa: F811
    plan_id = registry.submit(REQUEST, {}, actor="li", name="east")
    job = registry.get(plan_id)
    assert (job.status, job.name, job.created_by, job.request.new) == ("queued", "east", "li", 2)
    with pytest.raises(Conflict, match="queued"):
        registry.plan(plan_id)
    request, files = registry.start(plan_id)
    assert request["radius_m"] == 1000.0 and files == {}
    assert registry.start(plan_id) is None  # a second worker does not run it again
    registry.progress(plan_id, "optimising", 0.5)
    assert (registry.get(plan_id).stage, registry.get(plan_id).fraction) == ("optimising", 0.5)
    registry.finish(plan_id, plan=plan)
    done = registry.get(plan_id)
    assert done.status == "done" and done.summary["new"] == 2 and len(done.curve) == 3
    pd.testing.assert_frame_equal(registry.plan(plan_id).sites, plan.sites, check_dtype=False)
    with pytest.raises(NotFound):
        registry.get("nope")


def test_failures_keep_their_reason(registry) -> None:
    plan_id = registry.submit(REQUEST, {})
    registry.start(plan_id)
    registry.finish(plan_id, error="no sites for you")
    with pytest.raises(Conflict, match="no sites for you"):
        registry.plan(plan_id)


def test_the_queue_limit_holds_across_registries(engine) -> None:
    upgrade(engine)
    workers = [PlanRegistry(engine, queue_limit=3) for _ in range(4)]  # four web workers
    accepted, refused = [], []

    def post(registry: PlanRegistry) -> None:
        for _ in range(3):
            try:
                accepted.append(registry.submit(REQUEST, {}))
            except TooBusy:
                refused.append(1)

    threads = [threading.Thread(target=post, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(accepted) == 3 and len(refused) == 9


def test_a_plan_whose_worker_died_fails_with_a_reason(registry) -> None:
    plan_id = registry.submit(REQUEST, {})
    registry.start(plan_id)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    with transaction(registry.engine) as session:
        session.execute(update(PlanRecord).values(heartbeat_at=long_ago))
    registry._reaped_at = 0.0
    job = registry.get(plan_id)
    assert job.status == "failed" and "worker running this plan stopped" in job.error


def test_equal_requests_share_a_plan_but_uploads_never_do(registry) -> None:
    first = registry.submit(REQUEST, {})
    assert registry.find(REQUEST) == first
    assert registry.find(PlanRequest(region="beijing", new=3)) is None
    with_file = PlanRequest(region="beijing", new=2, demand_path=Path("orders.csv"))
    registry.submit(with_file, {"demand": ("orders.csv", b"lon,lat\n")})
    assert registry.find(with_file) is None
    _, files = registry.start(registry.find(REQUEST))
    assert files == {}


def audit(registry: PlanRegistry) -> list[tuple[str, str, str]]:
    with transaction(registry.engine) as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(row.actor, row.action, row.target) for row in rows]


def test_submit_change_and_delete_are_audited(registry, plan) -> None:  # noqa: F811
    plan_id = registry.submit(REQUEST, {}, actor="li", name="east")
    with pytest.raises(Conflict, match="only a done plan can be published"):
        registry.change(plan_id, "wang", published=True)
    registry.start(plan_id)
    registry.finish(plan_id, plan=plan)
    job = registry.change(plan_id, "wang", name="east side", published=True)
    assert (job.name, job.published) == ("east side", True)
    assert registry.find(REQUEST, published_only=True) == plan_id
    registry.change(plan_id, "wang", published=False)
    assert registry.find(REQUEST, published_only=True) is None
    assert registry.find(REQUEST) == plan_id
    registry.delete(plan_id, "wang")
    with pytest.raises(NotFound):
        registry.get(plan_id)
    with pytest.raises(NotFound):
        registry.plan(plan_id)  # not from the registry's cache either
    with pytest.raises(NotFound):
        registry.delete(plan_id, "wang")
    assert audit(registry) == [
        ("li", "plan", plan_id),
        ("wang", "change plan", plan_id),
        ("wang", "change plan", plan_id),
        ("wang", "delete plan", plan_id),
    ]  # the refused change wrote nothing


def test_a_worker_reporting_on_a_deleted_plan_is_harmless(registry, plan) -> None:  # noqa: F811
    plan_id = registry.submit(REQUEST, {"demand": ("orders.csv", b"lon,lat\n")})
    registry.start(plan_id)
    registry.delete(plan_id, "li")
    registry.progress(plan_id, "optimising", 0.5)
    registry.finish(plan_id, plan=plan)
    registry.finish(plan_id, error="late")
    assert registry.start(plan_id) is None
    with transaction(registry.engine) as session:
        assert session.scalar(select(func.count()).select_from(PlanRecord)) == 0
        assert session.scalar(select(func.count()).select_from(PlanUpload)) == 0


def test_pages_newest_first(registry) -> None:
    registry.queue_limit = 10
    ids = [registry.submit(REQUEST, {}, name=f"p{i}") for i in range(5)]
    first, last = registry.page(2), registry.page(2, offset=4)
    assert first.total == 5 and [job.id for job in first.plans] == ids[::-1][:2]
    assert [job.id for job in last.plans] == [ids[0]] and last.plans[0].name == "p0"


def test_images_are_kept_only_while_published(registry, plan) -> None:  # noqa: F811
    plan_id = registry.submit(REQUEST, {})
    registry.start(plan_id)
    registry.finish(plan_id, plan=plan)
    key = images.image_key("plan", "png")
    assert len(key) == 64
    assert images.keep(registry.engine, plan_id, key, "image/png", b"png") is False
    registry.change(plan_id, "li", published=True)
    assert images.keep(registry.engine, plan_id, key, "image/png", b"png") is True
    assert images.keep(registry.engine, plan_id, key, "image/png", b"png") is False  # kept once
    assert images.find(registry.engine, plan_id, key).content == b"png"
    registry.change(plan_id, "li", published=False)
    assert images.find(registry.engine, plan_id, key) is None
    registry.change(plan_id, "li", published=True)
    images.keep(registry.engine, plan_id, key, "image/png", b"png")
    registry.delete(plan_id, "li")
    assert images.find(registry.engine, plan_id, key) is None
