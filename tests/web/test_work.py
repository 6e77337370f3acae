"""The request deadline (503 in the JSON error shape, in time) and the render slots (429
with Retry-After when busy, never a queue)."""

from __future__ import annotations

import tempfile
import time

import pytest

from locator.errors import error_body
from locator.render import sheet
from locator.web import planner
from locator.web.state import state_of
from tests.conftest import make_plan_app, stop_plans
from tests.web.test_plans import post_tiny_plan

DEADLINE_S = 0.5


def assert_error(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.json == error_body(response.json["error"], status)
    return response.json


@pytest.fixture()
def app(tmp_path):
    app = make_plan_app(tmp_path, REQUEST_DEADLINE_S=DEADLINE_S)
    yield app
    stop_plans(app)


@pytest.fixture()
def slow_drawing(monkeypatch) -> None:
    """Print maps and planner maps that take 1.5 s longer to draw."""

    def slowed(original):
        def draw(*args, **kwargs):
            time.sleep(1.5)
            return original(*args, **kwargs)

        return draw

    monkeypatch.setattr(sheet, "coverage_map", slowed(sheet.coverage_map))
    monkeypatch.setattr(planner, "_build", slowed(planner._build))


@pytest.mark.parametrize(
    "url", ["/api/v1/maps/coverage.png?radius_m=1200", "/planner?radius_m=1200"]
)
def test_work_past_the_deadline_answers_503_in_time(app, slow_drawing, url) -> None:
    api = app.test_client()
    started = time.monotonic()
    body = assert_error(api.get(url), 503)
    assert time.monotonic() - started < DEADLINE_S + 0.5
    assert "LOCATOR_REQUEST_DEADLINE_S" in body["error"] and "0.5 s" in body["error"]
    # The drawing was stopped with its child process: the slot is free at once.
    slots = state_of(app).render_slots
    assert slots.acquire(blocking=False)
    slots.release()


def test_a_busy_worker_refuses_new_maps_at_once(tmp_path) -> None:
    app = make_plan_app(tmp_path)  # the default deadline: a first map takes a while
    api = app.test_client()
    slots = state_of(app).render_slots
    assert slots.acquire(blocking=False)  # as if another request were drawing
    try:
        started = time.monotonic()
        response = api.get("/api/v1/maps/coverage.svg?radius_m=900")
        assert time.monotonic() - started < 0.5
        body = assert_error(response, 429)
        assert "drawing" in body["error"] and int(response.headers["Retry-After"]) >= 1
        assert api.get("/planner?radius_m=900").status_code == 429
        assert api.get("/api/v1/nearest?lat=39.9&lon=116.4").status_code == 200
    finally:
        slots.release()
    assert api.get("/api/v1/maps/coverage.svg?radius_m=900").status_code == 200


def test_a_batch_past_the_deadline_is_a_503(app, monkeypatch) -> None:
    index = state_of(app).live.current().index
    original = index.nearest_many

    def slow(*args, **kwargs):
        time.sleep(DEADLINE_S + 0.1)
        return original(*args, **kwargs)

    monkeypatch.setattr(index, "nearest_many", slow)
    body = assert_error(app.test_client().post("/api/v1/nearest/batch", json=[[116.4, 39.9]]), 503)
    assert "this batch" in body["error"]


def test_a_plan_past_the_deadline_is_not_queued(app, monkeypatch, tmp_path) -> None:
    planner_service = state_of(app).planner
    original = type(planner_service).request_demand

    def slow(self, request):
        time.sleep(DEADLINE_S + 0.1)
        return original(self, request)

    submitted: list[object] = []
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(uploads))
    monkeypatch.setattr(type(planner_service), "request_demand", slow)
    monkeypatch.setattr(planner_service.plans, "submit", lambda *a, **k: submitted.append(a))
    body = assert_error(post_tiny_plan(app.test_client()), 503)
    assert "reading and checking this plan" in body["error"]
    assert submitted == [] and list(uploads.iterdir()) == []


def test_render_concurrency_is_a_setting(tmp_path) -> None:
    app = make_plan_app(tmp_path, RENDER_CONCURRENCY=3)
    slots = state_of(app).render_slots
    assert all(slots.acquire(blocking=False) for _ in range(3))
    assert not slots.acquire(blocking=False)
    with pytest.raises(ValueError, match="RENDER_CONCURRENCY"):
        make_plan_app(tmp_path / "zero", RENDER_CONCURRENCY=0)
