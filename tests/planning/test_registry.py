"""Plans in the database, on SQLite and PostgreSQL: submit, start, progress, finish; the
queue limit counted across workers; a dead worker's plan fails with a reason; equal
requests share a plan unless they carry files."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import update

from locator.db.models import PlanRecord
from locator.db.session import transaction, upgrade
from locator.errors import Conflict, NotFound, TooBusy
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
