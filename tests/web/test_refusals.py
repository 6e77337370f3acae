"""A client the app refused with 429 on an expensive path is refused again by the
refusal cache, without entering Flask, until its Retry-After; nobody else is."""

from __future__ import annotations

import time

from locator.errors import error_body
from locator.web import refusals
from tests.conftest import make_plan_app, stop_plans


def test_repeated_refusals_skip_the_app(tmp_path, monkeypatch) -> None:
    app = make_plan_app(tmp_path, RATELIMIT_EXPENSIVE="1 per minute")
    entered: list[str] = []
    app.before_request(lambda: entered.append("in") and None)
    client = app.test_client()
    url = "/api/v1/coverage?radius_m=1500"
    assert client.get(url).status_code == 200
    refused = client.get(url)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    count = len(entered)
    again = client.get("/api/v1/coverage?radius_m=2000")
    assert again.status_code == 429 and again.json == error_body(refusals.MESSAGE, 429)
    assert int(again.headers["Retry-After"]) > 0 and len(entered) == count  # Flask not entered
    assert client.get("/api/v1/nearest?lat=39.9&lon=116.4").status_code == 200
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "127.0.0.2"
    assert other.get(url).status_code == 200  # another client has its own budget
    stop_plans(app)


def test_the_refusal_ends_with_its_retry_after(monkeypatch) -> None:
    calls: list[int] = []

    def app(environ, start_response):
        calls.append(1)
        start_response(
            "429 TOO MANY REQUESTS", [("Retry-After", "1"), (refusals.BUDGET_HEADER, "s")]
        )
        return [b"{}"]

    cache = refusals.RefusalCache(app)
    environ = {"PATH_INFO": "/api/v1/maps/coverage.png", "REMOTE_ADDR": "1.2.3.4"}
    statuses: list[str] = []
    cache(environ, lambda status, headers, exc_info=None: statuses.append(status))
    cache(environ, lambda status, headers, exc_info=None: statuses.append(status))
    assert len(calls) == 1 and all(s.startswith("429") for s in statuses)
    clock = time.monotonic() + 1.5
    monkeypatch.setattr(refusals.time, "monotonic", lambda: clock)
    cache(environ, lambda status, headers, exc_info=None: statuses.append(status))
    assert len(calls) == 2
    cache({**environ, "PATH_INFO": "/api/v1/nearest"}, lambda *a: None)
    assert len(calls) == 3  # cheap paths always reach the app
