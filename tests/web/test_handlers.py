"""Every status the API answers leaves in the one error shape, built by
``locator.errors.error_body``; an unexpected 500 shows no traceback and no detail."""

from __future__ import annotations

import io

import pytest

from locator import errors
from locator.web import search
from tests.conftest import make_plan_app, stop_plans
from tests.web.test_plans import post_tiny_plan

BAD_DEMAND = "lon,lat,weight\n116.4,north,1\n"


def assert_shape(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.json
    assert body == errors.error_body(body["error"], status)
    assert body["error"] and "Traceback" not in body["error"]
    return body


@pytest.fixture()
def one_slot(tmp_path, gate):
    """A plan app that takes one plan at a time, with the first plan held running."""
    app = make_plan_app(tmp_path, PLAN_QUEUE=1)
    started, release = gate
    api = app.test_client()
    first = api.post("/api/v1/plans", json={"new": 1})
    assert first.status_code == 202 and started.wait(10)
    yield app, api, first.json["id"]
    release.set()
    stop_plans(app)


def test_400_404_405(client) -> None:
    assert_shape(client.get("/api/v1/nearest?lat=north&lon=116"), 400)
    assert_shape(client.get("/api/v1/stations/nope"), 404)
    response = client.post("/api/v1/stations")
    assert_shape(response, 405)


def test_409_and_429_from_the_plan_queue(one_slot) -> None:
    _app, api, plan_id = one_slot
    assert_shape(api.get(f"/api/v1/plans/{plan_id}/sites.csv"), 409)
    assert_shape(api.post("/api/v1/plans", json={"new": 1}), 429)


def test_413_for_a_body_over_the_limit(app, client) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1_000
    data = {"file": (io.BytesIO(b"lon,lat\n" + b"116.4,39.9\n" * 200), "points.csv")}
    assert_shape(client.post("/api/v1/nearest/batch", data=data), 413)


def test_422_for_an_unusable_upload(plan_app) -> None:
    body = assert_shape(post_tiny_plan(plan_app.test_client(), demand=BAD_DEMAND), 422)
    assert "orders.csv" in body["error"]


def test_an_unexpected_500_shows_no_detail(app, client, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("secret detail at /srv/locator/instance")

    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production
    monkeypatch.setattr(search.params, "parse_point", broken)
    body = assert_shape(client.get("/api/v1/nearest?lat=39.9&lon=116.4"), 500)
    assert "secret" not in body["error"] and "/srv" not in body["error"]
