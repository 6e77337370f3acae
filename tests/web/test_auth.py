"""Writes need an account: 401 for nobody, 403 for the wrong role, CSRF for signed-in
browsers, rate-limited sign-in; the public pages set no cookie."""

from __future__ import annotations

import re

import pytest

from locator.errors import error_body
from locator.web.auth import require
from tests.conftest import PLANNER_PASSWORD, stop_plans

pytestmark = pytest.mark.both_databases


@pytest.fixture()
def site(tmp_path, gate):
    from tests.conftest import make_plan_app

    app = make_plan_app(tmp_path, RATELIMIT_SIGN_IN="3 per minute")

    @app.post("/api/v1/admin-only")
    @require("admin")
    def admin_only():
        return {"ok": True}

    yield app
    stop_plans(app)


def assert_shape(response, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:200]
    assert response.json == error_body(response.json["error"], status)
    return str(response.json["error"])


def anonymous(app):
    client = app.test_client()
    client.environ_base.pop("HTTP_AUTHORIZATION")
    return client


def test_nobody_gets_401_and_the_wrong_role_403(site) -> None:
    assert "sign in at /login" in assert_shape(anonymous(site).post("/api/v1/plans", json={}), 401)
    bad = anonymous(site).post("/api/v1/plans", json={}, headers={"Authorization": "Bearer x"})
    assert "not valid or was revoked" in assert_shape(bad, 401)
    basic = anonymous(site).post("/api/v1/plans", json={}, headers={"Authorization": "Basic x"})
    assert_shape(basic, 401)
    assert "needs the admin role" in assert_shape(
        site.test_client().post("/api/v1/admin-only"), 403
    )


def signed_in(app):
    client = anonymous(app)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post(
        "/login", data={"name": "planner", "password": PLANNER_PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 302
    return client, token


def test_a_signed_in_browser_must_send_the_csrf_token(site) -> None:
    client, token = signed_in(site)
    refused = client.post("/api/v1/plans", json={"new": 1})
    assert refused.status_code == 400 and "CSRF" in refused.json["error"]
    started = client.post("/api/v1/plans", json={"new": 1}, headers={"X-CSRFToken": token})
    assert started.status_code == 202, started.json


def test_sign_in_is_rate_limited_and_says_nothing_about_names(site) -> None:
    client = anonymous(site)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answers = [
        client.post("/login", data={"name": name, "password": "wrong", "csrf_token": token})
        for name in ("planner", "nobody", "planner", "planner")
    ]
    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    assert answers[0].get_data().count(b"do not match") == answers[1].get_data().count(
        b"do not match"
    )


def test_the_public_pages_set_no_cookie(site) -> None:
    client = anonymous(site)
    for url in ("/", "/stations/t1", "/api/v1/nearest?lat=39.9&lon=116.4", "/embed/stations"):
        response = client.get(url)
        assert "Set-Cookie" not in response.headers, url
        assert "Cookie" not in response.headers.get("Vary", ""), url
