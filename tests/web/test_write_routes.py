"""Every route that changes something needs an account, found by walking the URL map:
anonymous callers get 401 and a planner on an admin route 403, in the one error shape;
a signed-in browser without the CSRF token gets 400. Only the routes listed in
READ_ONLY_POSTS may take a POST without an account, and those in ANONYMOUS_WRITES (what
riders and drivers tell us, budgeted per client: tests/web/test_reports.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from locator.db import accounts
from locator.errors import error_body
from locator.web.state import state_of
from tests.conftest import make_plan_app, stop_plans

pytestmark = pytest.mark.both_databases

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# POSTs that read only (a body too large for a query string), and signing in and out.
READ_ONLY_POSTS = {
    "/api/v1/nearest/batch",
    "/api/v1/along-route",
    "/api/v1/route-text",
    "/login",
    "/logout",
}
ANONYMOUS_WRITES = {"/api/v1/stations/<station_id>/reports", "/api/v1/suggestions"}
ADMIN_PASSWORD = "admin password"


@pytest.fixture()
def site(tmp_path):
    app = make_plan_app(tmp_path)
    accounts.add_user(state_of(app).engine, "admin", ADMIN_PASSWORD, "admin", actor="test")
    yield app
    stop_plans(app)


def write_routes(app) -> list[tuple[str, str, str]]:
    """(method, example URL, required role) of every write route."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & WRITES):
            if rule.rule in READ_ONLY_POSTS | ANONYMOUS_WRITES:
                continue
            view = app.view_functions[rule.endpoint]
            url = re.sub(r"<int:[^>]+>", "1", rule.rule)
            url = re.sub(r"<any\(([^,)]+)[^>]*>", r"\1", url)  # the first of the choices
            url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", "x", url)
            found.append((method, url, getattr(view, "required_role", "")))
    return found


def assert_shape(response, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.json == error_body(response.json["error"], status)
    return str(response.json["error"])


def test_every_write_route_names_the_role_it_needs(site) -> None:
    routes = write_routes(site)
    assert ("POST", "/api/v1/plans", "planner") in routes
    unguarded = [(method, url) for method, url, role in routes if not role]
    assert unguarded == [], "a write route without @require(role)"


def test_anonymous_callers_get_401_on_every_write(site) -> None:
    client = site.test_client()
    client.environ_base.pop("HTTP_AUTHORIZATION")
    for method, url, _role in write_routes(site):
        answer = client.open(url, method=method, json={})
        assert "sign in" in assert_shape(answer, 401), (method, url)


def test_a_planner_gets_403_on_every_admin_write(site) -> None:
    client = site.test_client()  # sends a planner's token
    admin_only = [(m, u) for m, u, role in write_routes(site) if role == "admin"]
    for method, url in admin_only:
        answer = client.open(url, method=method, json={})
        assert "needs the admin role" in assert_shape(answer, 403), (method, url)


def test_a_signed_in_browser_needs_the_csrf_token_on_every_write(site) -> None:
    client = site.test_client()
    client.environ_base.pop("HTTP_AUTHORIZATION")
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    signed_in = client.post(
        "/login", data={"name": "admin", "password": ADMIN_PASSWORD, "csrf_token": token}
    )
    assert signed_in.status_code == 302
    for method, url, _role in write_routes(site):
        answer = client.open(url, method=method, json={})
        assert "CSRF" in assert_shape(answer, 400), (method, url)


def test_the_readme_proxy_sends_exactly_the_anonymous_writes_to_their_pool(site) -> None:
    """README, "Workers' reports in a pool of their own": nginx's map names the routes of
    ANONYMOUS_WRITES by a regular expression; it must match each of them and no other
    route, so that a renamed route fails here rather than in production."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    pattern = re.compile(re.search(r'"~(\^POST [^"]+)" locator_writes;', readme)[1])
    for rule in site.url_map.iter_rules():
        url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", "x", rule.rule)
        for method in sorted(rule.methods or ()):
            routed = bool(pattern.fullmatch(f"{method} {url}"))
            assert routed == (method == "POST" and rule.rule in ANONYMOUS_WRITES), rule.rule
