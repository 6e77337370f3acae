"""Response headers: a strict CSP on every page (a nonce for folium's inline code, the tile
hosts the page uses), none at all allowed elsewhere, Permissions-Policy, CORS on the public
GET API only, and HSTS over HTTPS."""

from __future__ import annotations

import re

import pytest

from locator.web.headers import TILE_SOURCES, tile_source
from tests.conftest import make_plan_app

STRICT = (
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "connect-src 'self'",
    "form-action 'self'",
)


def directives(policy: str) -> dict[str, str]:
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in policy.split("; ")}


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    app = make_plan_app(tmp_path_factory.mktemp("headers"), TIANDITU_KEY="k")
    return app.test_client()


def test_tile_sources_come_from_the_tile_urls() -> None:
    assert TILE_SOURCES == {
        "osm": "https://tile.openstreetmap.org",
        "tianditu": "https://*.tianditu.gov.cn",
        "amap": "https://*.is.autonavi.com",
    }
    assert tile_source("https://a{s}.example.org/{z}/{x}/{y}.png") == "https://*.example.org"


@pytest.mark.parametrize(
    ("url", "images"),
    [
        ("/", "'self' data: https://tile.openstreetmap.org"),
        ("/?tiles=none", "'self' data:"),
        ("/stations/t1", "'self' data: https://tile.openstreetmap.org"),
        ("/stations/nope", "'self' data:"),
        ("/api/docs", "'self' data:"),
        ("/planner", "'self' data: https://tile.openstreetmap.org"),
        ("/planner?tiles=amap", "'self' data: https://*.is.autonavi.com"),
        ("/planner?tiles=tianditu", "'self' data: https://*.tianditu.gov.cn"),
        ("/planner?tiles=none", "'self' data:"),
    ],
)
def test_every_page_has_a_strict_policy(api, url, images) -> None:
    response = api.get(url)
    assert response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    for directive in STRICT:
        assert directive in policy
    found = directives(policy)
    assert found["img-src"] == images and found["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy and "*" not in found["script-src"] + found["style-src"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_planner_marks_folium_inline_code_with_the_nonce(api) -> None:
    responses = [api.get("/planner"), api.get("/planner")]  # the second from the map cache
    nonces = []
    for response in responses:
        found = directives(response.headers["Content-Security-Policy"])
        nonce = re.fullmatch(r"'self' 'nonce-([\w-]{20,})'", found["script-src"]).group(1)
        assert found["style-src"] == f"'self' 'nonce-{nonce}'"
        html = response.get_data(as_text=True)
        inline = re.findall(
            r"<(?:script|style)\b(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html
        )
        assert len(inline) >= 2  # folium's map script and its tooltip style sheet
        assert all(f'nonce="{nonce}"' in tag for tag in inline), inline
        assert " style=" not in html
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_other_pages_need_no_nonce(api) -> None:
    for url in ("/", "/stations/t1"):
        response = api.get(url)
        assert "nonce" not in response.headers["Content-Security-Policy"]
        html = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)


def test_nothing_but_pages_may_load_anything(api) -> None:
    for url in ("/api/v1/health", "/api/v1/nearest?lat=x", "/static/js/finder.js"):
        response = api.get(url)
        policy = response.headers["Content-Security-Policy"]
        response.close()  # a static file is streamed from disk
        assert policy == "default-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    svg = api.get("/api/v1/maps/coverage.svg").headers["Content-Security-Policy"]
    assert directives(svg)["default-src"] == "'none'" and "script-src" not in svg


def test_embeds_keep_their_own_policy(api) -> None:
    response = api.get("/embed/stations")
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in policy and "X-Frame-Options" not in response.headers


def test_only_the_finder_may_ask_for_the_position(api) -> None:
    assert api.get("/").headers["Permissions-Policy"].startswith("geolocation=(self)")
    for url in ("/stations/t1", "/planner", "/embed/stations", "/api/v1/health", "/api/docs"):
        policy = api.get(url).headers["Permissions-Policy"]
        assert policy.startswith("geolocation=()") and "camera=()" in policy


def test_any_site_may_read_the_public_get_api_and_nothing_else(api) -> None:
    for url in ("/api/v1/health", "/api/v1/nearest?lat=39.9&lon=116.4", "/api/v1/stations/nope"):
        response = api.get(url, headers={"Origin": "https://news.example.com"})
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "Set-Cookie" not in response.headers
    assert api.head("/api/v1/health").headers["Access-Control-Allow-Origin"] == "*"
    post = api.post("/api/v1/nearest/batch", json=[[116.4, 39.9]])
    assert post.status_code == 200 and "Access-Control-Allow-Origin" not in post.headers
    preflight = api.options(
        "/api/v1/plans",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers
    for url in ("/", "/embed/stations", "/oembed?url=x"):
        assert "Access-Control-Allow-Origin" not in api.get(url).headers


def test_hsts_only_over_https(api) -> None:
    assert "Strict-Transport-Security" not in api.get("/").headers
    secure = api.get("/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
