"""Embeds (/embed/<view>) and oEmbed through Flask's test client: framing headers, flags and
their 400 pages, the script's config, plans in every state, no cookies, the finder's embed
code, and the size of a 10,000-station embed."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import shapely

from locator import coords
from locator.errors import BadQuery
from locator.maps import embed
from locator.planning.plan import PlanRequest
from locator.planning.service import normalised
from locator.stations.synthetic import generate_stations
from locator.web.state import state_of
from tests.browser.support import STATIONS_CSV, XSS_NAME
from tests.conftest import DATA, make_plan_app, plan_count, stop_plans
from tests.web.test_plans import poll, post_tiny_plan

pytestmark = pytest.mark.both_databases

SIZE_BUDGET_BYTES = 500_000  # HTML + CSS + JS + JSON of one embed, tiles excluded
EMBED_HEADERS_ANY = "frame-ancestors *"


@pytest.fixture()
def web(plan_app):
    return plan_app.test_client()


def embed_config(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="embed-config">(.*?)</script>', html)
    assert found, "no embed config"
    return json.loads(found.group(1))


def embed_resources(html: str) -> list[str]:
    """Same-origin URLs an embed page loads: stylesheets and scripts, then the data its script
    fetches (named in its config). Tiles are the only other requests it makes."""
    urls = re.findall(r'(?:<link rel="stylesheet" href|<script src)="(/[^"]*)"', html)
    if 'id="embed-config"' in html:
        config = embed_config(html)
        urls += [config[key] for key in ("points", "coverage") if config.get(key)]
    return urls


def fetched_bytes(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    size = len(response.get_data())
    response.close()
    return size


def assert_embed_headers(response, frame_ancestors: str = EMBED_HEADERS_ANY) -> None:
    policy = response.headers["Content-Security-Policy"]
    assert policy.endswith(frame_ancestors) and policy.count("frame-ancestors") == 1
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "X-Frame-Options" not in response.headers
    assert "Set-Cookie" not in response.headers


def assert_denied(response) -> None:
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = response.headers["Content-Security-Policy"]
    assert policy.endswith("frame-ancestors 'none'") and "*" not in policy


# --- framing --------------------------------------------------------------------------------


def test_embeds_may_be_framed_and_nothing_else_may(web) -> None:
    for url in (
        "/embed/stations",
        "/embed/coverage?tiles=none",
        "/embed/plan?plan=gone",  # a friendly 404 page, still inside the iframe
        "/embed/stations?zoom=99",  # a 400 page, likewise
        "/embed/maps",
    ):
        assert_embed_headers(web.get(url))
    for url in ("/", "/stations/t1", "/api/v1/health", "/oembed?url=x", "/static/js/embed.js"):
        response = web.get(url)
        assert_denied(response)
        response.close()


def test_tile_hosts_are_the_only_images_allowed(web) -> None:
    osm = web.get("/embed/stations").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://tile.openstreetmap.org;" in osm
    amap = web.get("/embed/stations?tiles=amap").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://*.is.autonavi.com;" in amap
    none = web.get("/embed/stations?tiles=none").headers["Content-Security-Policy"]
    assert "img-src 'self' data:;" in none and "connect-src 'self'" in none


def test_embed_origins_allowlist(tmp_path) -> None:
    origins = "https://news.example.com  https://*.example.org http://localhost:8000"
    client = make_plan_app(tmp_path, EMBED_ORIGINS=origins).test_client()
    assert_embed_headers(
        client.get("/embed/stations"),
        "frame-ancestors https://news.example.com https://*.example.org http://localhost:8000",
    )
    assert_denied(client.get("/"))


def test_embed_origins_from_the_environment(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LOCATOR_EMBED_ORIGINS", "'self'")
    client = make_plan_app(tmp_path).test_client()
    assert_embed_headers(client.get("/embed/stations"), "frame-ancestors 'self'")


@pytest.mark.parametrize(
    "value", ["", "news.example.com", "https://example.com/path", "'none' https://a.example"]
)
def test_bad_embed_origins_stop_the_app(tmp_path, value) -> None:
    with pytest.raises(ValueError, match="LOCATOR_EMBED_ORIGINS"):
        make_plan_app(tmp_path, EMBED_ORIGINS=value)


def test_parse_origins() -> None:
    assert embed.parse_origins("*") == ("*",)
    assert embed.parse_origins("https://a.example *") == ("*",)
    assert embed.parse_origins("'none'") == ("'none'",)
    assert embed.parse_origins("https://a.example https://a.example") == ("https://a.example",)


# --- flags ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("/embed/stations?dark=maybe", "dark must be true or false"),
        ("/embed/stations?lang=fr", "lang must be zh or en"),
        ("/embed/stations?tiles=google", "tiles must be one of osm, amap, none"),
        ("/embed/stations?layers=districts", "layers must be one of stations"),
        ("/embed/coverage?layers=,", "layers must name at least one"),
        ("/embed/stations?center=39.9", "center must be lat,lon"),
        ("/embed/stations?center=116.4,39.9", "center latitude must be a number between"),
        ("/embed/stations?zoom=20", "zoom must be between 0 and 19"),
        ("/embed/stations?tiles=amap&zoom=19", "zoom must be between 0 and 18"),
        ("/embed/stations?zoom=1.5", "zoom must be a whole number"),
        ("/embed/stations?kind=hotel", "kind must be one of"),
        ("/embed/stations?amenities=spa", "unknown amenity spa"),
        ("/embed/stations?radius_m=500", "unknown flag radius_m for the stations view"),
        ("/embed/stations?colour=red", "unknown flag colour"),
        ("/embed/stations?id=a%20b", "id must be 1-64 letters"),
        ("/embed/coverage?region=tibet", "unknown region 'tibet'"),
        ("/embed/coverage?radius_m=6000", "radius_m must be a number between 0 and 5000"),
        ("/embed/coverage?radius_m=-1", "radius_m must be a number between"),
        ("/embed/plan", "give either plan=<id>"),
        ("/embed/plan?plan=abc&new=10", "give either plan=<id>"),
        ("/embed/plan?new=0", "new must be between 1 and 5000"),
        ("/embed/plan?plan=<script>", "plan must be 1-64 letters"),
    ],
)
def test_bad_flags_are_an_html_400(web, url, fragment) -> None:
    response = web.get(url)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert fragment.replace("<", "&lt;").replace(">", "&gt;") in html.replace("&#39;", "'")
    assert "<script>" not in html.split("<body", 1)[1]
    assert 'id="embed-message"' in html and "leaflet.js" not in html


def test_unknown_view_is_an_html_404(web) -> None:
    response = web.get("/embed/heatmap")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "no embed view" in response.get_data(as_text=True)


def test_region_must_be_loaded(tmp_path) -> None:
    client = make_plan_app(tmp_path, STATIONS_CSV, REGION="beijing").test_client()
    response = client.get("/embed/coverage?region=shaanxi")
    assert response.status_code == 400
    assert "not loaded on this server" in response.get_data(as_text=True)


def test_switch_flags_are_on_when_present() -> None:
    flags = embed.parse_flags(
        "stations", {"dark": "", "static": "1", "plain": "no"}, ("beijing",), {}
    )
    assert (flags.dark, flags.static, flags.plain) == (True, True, False)
    with pytest.raises(BadQuery):
        embed.parse_flags("stations", {"static": "2"}, ("beijing",), {})


def test_stations_embed_config(web) -> None:
    response = web.get("/embed/stations?tiles=none&lang=en&kind=warm_heart&amenities=shower&id=m1")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    config = embed_config(html)
    assert config["points"] == "/api/v1/stations/points?kind=warm_heart&amenities=shower"
    assert (config["tiles"], config["static"], config["id"], config["lang"]) == (
        "none",
        False,
        "m1",
        "en",
    )
    assert config["layers"] == ["stations"] and config["center"] is None and config["zoom"] is None
    assert config["bounds"] == [[39.913, 116.418], [39.913, 116.418]]  # t1 is the only match
    assert config["urls"]["station"] == "/api/v1/stations/__id__"
    assert "coverage" not in config and "outlines" not in config
    # The description states the count; the map points at it; the title and legend show.
    assert "<span>Stations: 1.</span>" in html
    assert 'aria-describedby="embed-summary"' in html and 'id="embed-summary"' in html
    assert '<h1 class="embed-title" id="embed-title">Rest stations for outdoor workers</h1>' in html
    assert 'data-key="warm_heart"' in html and 'data-key="driver_home"' not in html
    assert '<html lang="en">' in html and 'class="dark"' not in html


def test_chinese_by_default_and_counts_formatted(web) -> None:
    html = web.get("/embed/stations").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "<span>站点：3 个。</span>" in html
    assert embed_config(html)["text"]["credit"] == "locator，模拟站点"


def test_plain_static_dark_and_view_flags(web) -> None:
    html = web.get("/embed/stations?plain&static&dark&center=39.9,116.4&zoom=12").get_data(
        as_text=True
    )
    assert 'class="dark"' in html and 'class="embed plain static"' in html
    assert "embed-title" not in html and "embed-legend" not in html
    assert 'class="embed-summary visually-hidden" id="embed-summary"' in html  # still described
    config = embed_config(html)
    assert config["static"] is True and config["center"] == [39.9, 116.4] and config["zoom"] == 12


def test_amap_tiles_put_every_overlay_in_gcj02(web) -> None:
    wgs = embed_config(web.get("/embed/coverage?center=39.9,116.4").get_data(as_text=True))
    gcj = embed_config(
        web.get("/embed/coverage?center=39.9,116.4&tiles=amap").get_data(as_text=True)
    )
    assert "datum=gcj02" in gcj["points"] and "datum" not in wgs["points"]
    lon, lat = coords.wgs84_to_gcj02(116.4, 39.9)
    assert gcj["center"] == pytest.approx([float(lat), float(lon)], abs=1e-6)
    for before, after in zip(
        wgs["outlines"]["districts"], gcj["outlines"]["districts"], strict=True
    ):
        first_wgs, first_gcj = before["polygons"][0][0][:2], after["polygons"][0][0][:2]
        shifted = coords.wgs84_to_gcj02(first_wgs[0] / 1e4, first_wgs[1] / 1e4)
        assert first_gcj == pytest.approx([float(v) * 1e4 for v in shifted], abs=1)
    assert gcj["bounds"][0][1] - wgs["bounds"][0][1] == pytest.approx(0.006, abs=0.002)


def test_coverage_embed(web) -> None:
    html = web.get("/embed/coverage?radius_m=500&amenities=toilet&lang=en").get_data(as_text=True)
    config = embed_config(html)
    assert config["coverage"] == (
        "/api/v1/coverage?region=beijing&kind=warm_heart&amenities=toilet&radius_m=500.0"
    )
    assert config["layers"] == ["districts", "stations"]
    districts = config["outlines"]["districts"]
    names = {d["name"] for d in districts}
    assert len(districts) == 16 and names >= {"Dongcheng District", "Chaoyang District"}
    zh = embed_config(web.get("/embed/coverage?lang=zh").get_data(as_text=True))
    assert {d["name"] for d in zh["outlines"]["districts"]} >= {"东城区", "朝阳区"}
    assert all(len(ring) % 2 == 0 for d in districts for poly in d["polygons"] for ring in poly)
    assert "0%–20%" in html and "80%–100%" in html
    assert web.get(config["coverage"]).status_code == 200
    only = embed_config(web.get("/embed/coverage?layers=stations").get_data(as_text=True))
    assert "outlines" not in only and only["coverage"]  # the summary still needs the numbers


def test_district_outlines_decode_inside_their_districts(plan_app) -> None:
    districts = state_of(plan_app).regions.districts
    beijing = districts[districts["province_adcode"] == "110000"]
    outlines = embed.district_outlines(beijing, "wgs84")
    for d, geom in zip(outlines["districts"], beijing.geometry, strict=True):
        ring = np.cumsum(np.array(d["polygons"][0][0]).reshape(-1, 2), axis=0) / 1e4
        assert geom.buffer(0.01).contains(shapely.MultiPoint(ring)), d["name"]
    assert len(json.dumps(outlines)) < 12_000


# --- plans ----------------------------------------------------------------------------------


def test_plan_embed_shows_a_published_plan(web) -> None:
    job = post_tiny_plan(web, region="beijing").json
    assert poll(web, job["url"])["status"] == "done"
    url = f"/embed/plan?plan={job['id']}&lang=en"
    hidden = web.get(url)  # done, but not published: even a planner's token shows nothing
    assert hidden.status_code == 404 and "has not published it" in hidden.get_data(as_text=True)
    assert web.patch(job["url"], json={"published": True}).status_code == 200
    response = web.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    config = embed_config(html)
    assert len(config["sites"]["districts"]) == 2 and len(config["sites"]["coords"]) == 4
    assert config["points"] == "/api/v1/stations/points?kind=warm_heart"
    assert "2 proposed sites would raise the share of modelled demand within 1 km" in html
    sites = web.get(f"/api/v1/plans/{job['id']}/sites.geojson").json["features"]
    lon, lat = np.cumsum(np.array(config["sites"]["coords"]).reshape(-1, 2), axis=0).T / 1e4
    expected = np.array([f["geometry"]["coordinates"] for f in sites])
    assert np.allclose(np.column_stack([lon, lat]), expected, atol=1e-4)
    assert "Proposed new site" in html and "Existing station" in html
    assert all(d.endswith(" District") for d in config["sites"]["districts"])  # pinyin in English
    oembed = {"url": f"http://localhost{url}", "maxwidth": 300}
    assert hidden_or_shown(web, oembed) == (200, 300, 270)  # 540 at 600 wide is 270 at 300


def hidden_or_shown(web, query) -> tuple[int, int | None, int | None]:
    body = web.get("/oembed", query_string=query).json
    return (200, body["width"], body["height"]) if "html" in body else (body["status"], None, None)


def test_plan_embed_of_a_running_failed_or_missing_plan_shows_nothing(web, gate) -> None:
    started, release = gate
    job = post_tiny_plan(web).json
    assert started.wait(10)
    running = web.get(f"/embed/plan?plan={job['id']}&lang=en")
    assert running.status_code == 404
    assert "a planner has not published it" in running.get_data(as_text=True)
    release.set()
    assert poll(web, job["url"])["status"] == "failed"
    failed = web.get(f"/embed/plan?plan={job['id']}&lang=en")
    assert failed.status_code == 404 and "has not published it" in failed.get_data(as_text=True)
    missing = web.get("/embed/plan?plan=nope&lang=en")
    assert missing.status_code == 404 and "or it was deleted" in missing.get_data(as_text=True)
    assert_embed_headers(missing)


def test_unpublished_and_deleted_plans_leave_the_embed(web) -> None:
    job = post_tiny_plan(web).json
    assert poll(web, job["url"])["status"] == "done"
    url = f"/embed/plan?plan={job['id']}&lang=en"
    web.patch(job["url"], json={"published": True})
    assert web.get(url).status_code == 200
    web.patch(job["url"], json={"published": False})
    assert web.get(url).status_code == 404
    assert hidden_or_shown(web, {"url": f"http://localhost{url}"})[0] == 404  # and its oEmbed
    web.patch(job["url"], json={"published": True})
    assert web.delete(job["url"]).status_code == 204
    assert web.get(url).status_code == 404
    assert hidden_or_shown(web, {"url": f"http://localhost{url}"})[0] == 404


# --- oEmbed ---------------------------------------------------------------------------------


def test_oembed(web) -> None:
    url = "http://localhost/embed/coverage?dark=1&lang=en"
    response = web.get("/oembed", query_string={"url": url})
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    body = response.json
    assert {k: body[k] for k in ("type", "version", "provider_name", "width", "height")} == {
        "type": "rich",
        "version": "1.0",
        "provider_name": "locator",
        "width": 600,
        "height": 540,
    }
    assert body["title"] == "Coverage of modelled demand by rest stations"
    assert body["provider_url"] == "http://localhost/"
    assert body["html"] == (
        '<iframe src="http://localhost/embed/coverage?dark=1&amp;lang=en" '
        'title="Coverage of modelled demand by rest stations" width="600" height="540" '
        'style="width:100%;max-width:600px;border:0" loading="lazy" '
        'sandbox="allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox" '
        "data-locator-embed></iframe>\n"
        '<script src="http://localhost/static/js/embed-host.js" async></script>'
    )


def test_oembed_sizes_and_language(web) -> None:
    url = "http://localhost/embed/stations?plain"
    body = web.get("/oembed", query_string={"url": url, "maxwidth": 400, "maxheight": 300}).json
    assert (body["width"], body["height"]) == (400, 267)  # 600×400 scaled to 400 wide
    assert 'width="400" height="267"' in body["html"]
    body = web.get("/oembed", query_string={"url": url, "maxwidth": 300, "maxheight": 100}).json
    assert (body["width"], body["height"]) == (300, 100)  # 200 high at 300 wide, cut to 100
    body = web.get("/oembed", query_string={"url": url, "maxheight": 300}).json
    assert (body["width"], body["height"]) == (600, 300)
    body = web.get("/oembed", query_string={"url": url, "maxwidth": 2000}).json
    assert (body["width"], body["height"]) == (600, 400)
    zh = web.get("/oembed", query_string={"url": url + "&lang=zh"}).json
    assert zh["title"] == "户外劳动者驿站" and 'title="户外劳动者驿站"' in zh["html"]


@pytest.mark.parametrize(
    ("query", "status", "fragment"),
    [
        ({}, 400, "url is required"),
        ({"url": "http://localhost/embed/stations", "format": "xml"}, 501, "format 'xml'"),
        ({"url": "http://localhost/embed/stations", "maxwidth": "0"}, 400, "maxwidth"),
        ({"url": "http://localhost/embed/stations?zoom=40"}, 400, "zoom must be between"),
        ({"url": "http://evil.example/embed/stations"}, 404, "not an embed of this server"),
        ({"url": "http://localhost/stations/t1"}, 404, "not an embed"),
        ({"url": "http://localhost/embed/heatmap"}, 404, "not an embed"),
        ({"url": "javascript:alert(1)"}, 404, "not an embed"),
        ({"url": "http://localhost/embed/plan?plan=nonexistent"}, 404, "no published plan"),
        ({"url": "http://localhost/embed/plan?new=3&region=beijing"}, 404, "no published plan"),
    ],
)
def test_oembed_errors_are_json(web, query, status, fragment) -> None:
    response = web.get("/oembed", query_string=query)
    assert response.status_code == status
    assert response.json == {"ok": False, "error": response.json["error"], "status": status}
    assert fragment in response.json["error"]


# --- privacy, escaping, the finder's embed code ------------------------------------------------


def test_no_cookies_and_no_session(web) -> None:
    html = web.get("/embed/coverage?tiles=none").get_data(as_text=True)
    for url in ["/embed/coverage?tiles=none", "/embed/stations", *embed_resources(html)]:
        response = web.get(url)
        assert "Set-Cookie" not in response.headers, url
        # Flask adds "Vary: Cookie" to any response whose request touched the session.
        assert "Cookie" not in response.headers.get("Vary", ""), url
        response.close()


def test_embeds_carry_no_station_data_in_markup(tmp_path) -> None:
    client = make_plan_app(tmp_path, STATIONS_CSV).test_client()
    for url in ("/embed/stations", "/embed/coverage"):
        html = client.get(url).get_data(as_text=True)
        assert XSS_NAME not in html and "&lt;img" not in html and "b3" not in html


def test_finder_offers_the_embed_code(web) -> None:
    html = web.get("/?lang=en").get_data(as_text=True)
    box = re.search(r'<textarea id="embed-snippet" rows="6" readonly>(.*?)</textarea>', html, re.S)
    assert box, "no embed code on the finder"
    code = box.group(1)
    assert code.startswith("&lt;iframe src=&#34;http://localhost/embed/stations?lang=en&#34;")
    assert "title=&#34;Rest stations for outdoor workers&#34;" in code
    assert "&lt;script src=&#34;http://localhost/static/js/embed-host.js&#34; async&gt;" in code
    assert "<iframe" not in html


# --- size ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_client(tmp_path_factory):
    """An app serving 10,000 synthetic stations (9,980 in Beijing, 20 in Shaanxi)."""
    frame = generate_stations(DATA, n_beijing=9980, n_shaanxi=20)
    app = make_plan_app(
        tmp_path_factory.mktemp("big"), frame.to_csv(index=False, float_format="%.6f")
    )
    assert len(state_of(app).live.current().table) == 10_000
    yield app.test_client()
    stop_plans(app)


def embed_size(client, url: str) -> dict[str, int]:
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    sizes = {url: len(response.get_data())}
    for resource in embed_resources(html):
        sizes[resource] = fetched_bytes(client, resource)
    return sizes


@pytest.mark.parametrize(
    "url", ["/embed/stations", "/embed/coverage", "/embed/coverage?tiles=amap&lang=en"]
)
def test_a_10000_station_embed_stays_under_500_kb(big_client, url) -> None:
    sizes = embed_size(big_client, url)
    total = sum(sizes.values())
    print(f"{url}: {total:,} bytes", json.dumps(sizes, indent=1))
    points = next(size for name, size in sizes.items() if "/stations/points" in name)
    assert points > 250_000, "the points of all 10,000 stations are counted"
    assert sizes[url] < 20_000, "the page itself stays lean"
    assert total <= SIZE_BUDGET_BYTES, sizes


def test_plan_embed_from_parameters_never_starts_a_plan(web, gate) -> None:
    started, release = gate
    url = "/embed/plan?new=2&region=beijing&radius_m=1000&lang=en"
    first = web.get(url)
    assert first.status_code == 404
    assert "No plan with these settings has been published" in first.get_data(as_text=True)
    assert plan_count(web.application) == 0  # a reader's GET queued nothing
    posted = web.post("/api/v1/plans", json={"new": 2, "region": "beijing", "radius_m": 1000})
    assert posted.status_code == 202 and started.wait(10)
    again = web.get(url)  # running, so not published: still nothing to show
    assert again.status_code == 404 and "has been published" in again.get_data(as_text=True)
    assert plan_count(web.application) == 1
    release.set()


def test_plan_embed_from_parameters_shows_only_a_published_plan(web) -> None:
    """Two done plans with the same parameters: the published one is shown, not the newer."""
    first = web.post("/api/v1/plans", json={"new": 2}).json["id"]
    assert poll(web, f"/api/v1/plans/{first}", timeout_s=60)["status"] == "done"
    planner = state_of(web.application).planner
    request = normalised(PlanRequest(region="beijing", new=2))
    newer = planner.plans.submit(request, {})  # the same settings again, done at once
    planner.plans.start(newer)
    planner.plans.finish(newer, plan=planner.plans.plan(first))
    url = "/embed/plan?new=2&region=beijing&lang=en"
    assert web.get(url).status_code == 404
    web.patch(f"/api/v1/plans/{first}", json={"published": True})
    html = web.get(url).get_data(as_text=True)
    assert "2 proposed sites would raise" in html
    assert planner.find(request, published_only=True) == first
    assert planner.find(request) == newer
