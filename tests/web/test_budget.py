"""Per-client budgets for expensive work: what counts, what does not, the 429 it ends in,
who the client is (and when a proxy's word is taken for it), and where budgets are kept."""

from __future__ import annotations

import pytest
from limits.storage import MemoryStorage, RedisStorage

from locator import create_app
from locator.errors import TooBusy, error_body
from locator.web import budget
from locator.web.budget import EXTENSION
from tests.conftest import make_plan_app, stop_plans
from tests.web.test_plans import post_tiny_plan

ROUTE = {"type": "LineString", "coordinates": [[116.40, 39.91], [116.47, 39.91]]}


def assert_over_budget(response, limits: str) -> None:
    assert response.status_code == 429, response.get_data(as_text=True)[:300]
    assert response.json == error_body(response.json["error"], 429)
    assert limits in response.json["error"] and "budget" in response.json["error"]
    assert 1 <= int(response.headers["Retry-After"]) <= 61


@pytest.fixture()
def small_budget(tmp_path):
    app = make_plan_app(tmp_path, RATELIMIT_EXPENSIVE="2 per minute")
    yield app
    stop_plans(app)


EXPENSIVE = {
    "batch": lambda api: api.post("/api/v1/nearest/batch", json=[[116.42, 39.91]]),
    "along-route": lambda api: api.post("/api/v1/along-route", json={"route": ROUTE}),
    "coverage at another radius": lambda api: api.get("/api/v1/coverage?radius_m=800"),
    "plan upload": lambda api: post_tiny_plan(api, new="1"),
}


@pytest.mark.parametrize("name", sorted(EXPENSIVE))
def test_expensive_requests_share_one_budget_per_client(small_budget, name) -> None:
    api = small_budget.test_client()
    send = EXPENSIVE[name]
    for _ in range(2):
        assert send(api).status_code in (200, 202)
    assert_over_budget(send(api), "2 per minute")
    # The budget is shared: every other kind of expensive request is refused now too ...
    for other in EXPENSIVE.values():
        assert other(api).status_code == 429
    # ... but only for this client.
    elsewhere = small_budget.test_client()
    response = send_from(elsewhere, "/api/v1/nearest/batch", "10.0.0.9")
    assert response.status_code == 200


def send_from(api, url: str, address: str):
    return api.post(url, json=[[116.42, 39.91]], environ_base={"REMOTE_ADDR": address})


def test_cheap_reads_and_cached_maps_are_not_counted(small_budget) -> None:
    api = small_budget.test_client()
    first = api.get("/api/v1/maps/coverage.svg?radius_m=600")
    assert first.status_code == 200
    for _ in range(5):  # the same map, and radii that round to it, come from the cache
        for radius in (600, 590, 610):
            assert api.get(f"/api/v1/maps/coverage.svg?radius_m={radius}").status_code == 200
        assert api.get("/api/v1/nearest?lat=39.9&lon=116.4").status_code == 200
        assert api.get("/api/v1/stations?limit=1").status_code == 200
        assert api.get("/api/v1/stations/points").status_code == 200
        assert api.get("/api/v1/coverage").status_code == 200  # the default radius
        assert api.get("/").status_code == 200
    assert api.get("/api/v1/maps/coverage.svg?radius_m=700").status_code == 200
    assert_over_budget(api.get("/api/v1/maps/coverage.svg?radius_m=800"), "2 per minute")


def test_planner_pages_are_counted_only_when_their_map_is_drawn(small_budget) -> None:
    api = small_budget.test_client()
    for _ in range(3):
        assert api.get("/planner?radius_m=1000").status_code == 200
    assert api.get("/planner?radius_m=1510").status_code == 200  # drawn at 1500 m
    assert api.get("/planner?radius_m=1490").status_code == 200  # the same map
    response = api.get("/planner?radius_m=2000")
    assert response.status_code == 429 and response.headers["Retry-After"]


def test_a_forwarded_address_is_believed_only_from_trusted_proxies(tmp_path) -> None:
    def spend(app, forwarded_for: str) -> int:
        return (
            app.test_client()
            .post(
                "/api/v1/nearest/batch",
                json=[[116.42, 39.91]],
                headers={"X-Forwarded-For": forwarded_for},
            )
            .status_code
        )

    direct = make_plan_app(tmp_path / "a", RATELIMIT_EXPENSIVE="1 per minute")
    assert spend(direct, "1.1.1.1") == 200
    assert spend(direct, "2.2.2.2") == 429  # the header is ignored: same peer, same budget
    proxied = make_plan_app(tmp_path / "b", RATELIMIT_EXPENSIVE="1 per minute", TRUSTED_PROXIES=1)
    assert spend(proxied, "1.1.1.1") == 200
    assert spend(proxied, "2.2.2.2") == 200  # behind one proxy, each client has its own
    assert spend(proxied, "1.1.1.1") == 429


def test_budgets_are_kept_where_the_setting_says(data_dir, tmp_path) -> None:
    def storage(**settings):
        config = {"TESTING": True, "DATA_DIR": data_dir, "STORE": tmp_path / "s.gpkg"}
        app = create_app({**config, **settings})
        return app.extensions[EXTENSION].limiter.storage

    assert isinstance(storage(), MemoryStorage)
    assert isinstance(storage(RATELIMIT_STORAGE_URL="redis://127.0.0.1:1/0"), RedisStorage)
    with pytest.raises(Exception, match="nowhere"):
        storage(RATELIMIT_STORAGE_URL="nowhere://")


def test_sign_in_attempts_have_a_budget_of_their_own(data_dir, tmp_path) -> None:
    config = {"TESTING": True, "DATA_DIR": data_dir, "STORE": tmp_path / "s.gpkg"}
    app = create_app({**config, "RATELIMIT_SIGN_IN": "2 per minute"})
    with app.test_request_context("/api/v1/health", environ_base={"REMOTE_ADDR": "10.0.0.1"}):
        budget.charge_sign_in()
        budget.charge_sign_in()
        with pytest.raises(TooBusy, match="too many sign-in attempts") as caught:
            budget.charge_sign_in()
        assert 1 <= caught.value.retry_after_s <= 61
        budget.charge()  # expensive work is counted apart
    with app.test_request_context("/api/v1/health", environ_base={"REMOTE_ADDR": "10.0.0.2"}):
        budget.charge_sign_in()


def test_an_ipv6_client_is_its_64_network(small_budget) -> None:
    api = small_budget.test_client()
    for host in ("2001:db8:1:2::1", "2001:db8:1:2::ffff"):
        assert send_from(api, "/api/v1/nearest/batch", host).status_code == 200
    assert send_from(api, "/api/v1/nearest/batch", "2001:db8:1:2:abcd::9").status_code == 429
    assert send_from(api, "/api/v1/nearest/batch", "2001:db8:1:3::1").status_code == 200


def test_an_unreachable_redis_falls_back_to_memory(tmp_path) -> None:
    app = make_plan_app(
        tmp_path, RATELIMIT_STORAGE_URL="redis://127.0.0.1:1/0", RATELIMIT_EXPENSIVE="1/minute"
    )
    api = app.test_client()
    assert api.post("/api/v1/nearest/batch", json=[[116.42, 39.91]]).status_code == 200
    assert_over_budget(api.post("/api/v1/nearest/batch", json=[[116.42, 39.91]]), "1/minute")
