"""The planner page through Flask's test client: controls, table, map, plans, datums, errors.

The app serves TINY_CSV (东单 and 国贸 in Beijing, one driver's home in Xi'an) with the
shipped boundaries, census and places, so the default demand models are the real ones.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import numpy as np
import pytest

from locator import coords
from locator.planning import queue
from locator.web import plans
from tests.conftest import make_plan_app
from tests.maps.test_folium_map import TILE_AND_CREDIT_HOSTS, URL
from tests.web.test_plans import poll

pytestmark = pytest.mark.both_databases

DONGDAN = (116.418, 39.913)  # station t1


@pytest.fixture()
def client(plan_app):
    return plan_app.test_client()


def decode_points(body: dict) -> dict[str, tuple[float, float]]:
    """Station id -> (lon, lat) from the compact points payload."""
    xy = np.cumsum(np.array(body["coords"]).reshape(-1, 2), axis=0) / body["scale"]
    return {sid: (float(x), float(y)) for sid, (x, y) in zip(body["ids"], xy, strict=True)}


def test_planner_page_shows_controls_table_and_map(client) -> None:
    response = client.get("/planner?lang=en&tiles=none")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for field in ('id="region"', 'id="radius_m"', 'id="new"', 'id="kind"', 'id="quotas"'):
        assert field in html
    assert 'name="amenities" value="shower"' in html
    assert html.count('<tr data-adcode="110') == 16  # Beijing's districts
    assert '<th scope="row">All districts</th>' in html
    assert '<th scope="row">Chaoyang District</th>' in html  # district names in pinyin
    assert "LocatorMap.stations(" in html and 'class="folium-map"' in html
    assert "/api/v1/stations/points?kind=warm_heart\\u0026datum=wgs84" in html
    assert 'id="downloads"' not in html  # no plan yet
    assert "Synthetic data:" in html


def test_planner_page_references_no_external_urls(client) -> None:
    for tiles in ("osm", "amap", "none"):
        html = client.get(f"/planner?tiles={tiles}").get_data(as_text=True)
        hosts = {urlsplit(url).netloc for url in URL.findall(html)}
        assert hosts <= TILE_AND_CREDIT_HOSTS, (tiles, hosts)
        for src in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert not src.startswith(("http:", "https:", "//")), src


def test_tianditu_only_with_a_key(tmp_path) -> None:
    without = make_plan_app(tmp_path / "a").test_client().get("/planner").get_data(as_text=True)
    assert 'value="tianditu"' not in without
    keyed = make_plan_app(tmp_path / "b", TIANDITU_KEY="k123").test_client()
    assert 'value="tianditu"' in keyed.get("/planner").get_data(as_text=True)
    html = keyed.get("/planner?tiles=tianditu").get_data(as_text=True)
    assert "tianditu.gov.cn" in html and "tk=k123" in html


def test_amap_tiles_shift_the_stations_to_gcj02(client) -> None:
    html = client.get("/planner?tiles=amap").get_data(as_text=True)
    url = re.search(r'"url": "(/api/v1/stations/points[^"]*)"', html).group(1)
    url = url.replace("\\u0026", "&")
    assert "datum=gcj02" in url
    shifted = decode_points(client.get(url).json)["t1"]
    want = coords.wgs84_to_gcj02(np.array([DONGDAN[0]]), np.array([DONGDAN[1]]))
    assert shifted == pytest.approx((want[0][0], want[1][0]), abs=1e-5)
    plain = client.get("/planner?tiles=osm").get_data(as_text=True)
    assert "datum=wgs84" in plain
    raw = decode_points(client.get("/api/v1/stations/points?kind=warm_heart&datum=wgs84").json)
    assert raw["t1"] == pytest.approx(DONGDAN, abs=1e-5)


@pytest.mark.parametrize(
    ("query", "fragment"),
    [("region=mars", "region"), ("radius_m=-5", "radius_m"), ("tiles=bing", "base map")],
)
def test_bad_query_is_a_400_page(client, query, fragment) -> None:
    response = client.get(f"/planner?{query}")
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert fragment in re.search(r'id="page-error">([^<]*)<', response.get_data(as_text=True))[1]


def test_unknown_plan_is_a_404_page(client) -> None:
    response = client.get("/planner?plan=nope")
    assert response.status_code == 404 and 'id="page-error"' in response.get_data(as_text=True)


def test_a_finished_plan_shows_table_curve_downloads_and_sites(client) -> None:
    body = {"region": "beijing", "new": 2, "time_limit_s": 1, "quotas": {"110101": [1, None]}}
    answer = client.post("/api/v1/plans", json=body)
    assert answer.status_code == 202
    plan_id = answer.json["id"]
    assert poll(client, answer.json["url"])["status"] == "done"
    html = client.get(f"/planner?plan={plan_id}&tiles=none&lang=en").get_data(as_text=True)
    for fmt in ("geojson", "csv", "gpkg"):
        assert f'href="/api/v1/plans/{plan_id}/sites.{fmt}"' in html
    assert f'href="/api/v1/maps/plan.png?plan={plan_id}"' in html
    assert 'id="curve"' in html and 'id="embed-code"' in html and 'id="plan-summary"' in html
    config = re.search(r'id="planner-config">(.*?)</script>', html, re.S)[1]
    assert '"status": "done"' in config and '"curve": [' in config
    assert "Proposed sites" in html and "GeoJsonPopup" not in html
    assert html.count('"rank": ') == 2  # two proposal features
    assert 'value="2"' in html and "110101,1," in html  # the form shows the plan's request
    row = re.search(r'<tr data-adcode="110101">(.*?)</tr>', html, re.S)[1]
    assert re.findall(r"<td>([^<]*)</td>", row)[-1] in ("1", "2")  # the quota holds


def test_a_running_plan_shows_its_progress(client, monkeypatch) -> None:
    import threading

    release = threading.Event()

    def slow(request, **kwargs):
        kwargs["progress"]("optimising", 0.35)
        release.wait(10)
        raise plans.BadQuery("stopped")

    monkeypatch.setattr(queue, "run_plan", slow)
    plan_id = client.post("/api/v1/plans", json={"new": 1}).json["id"]
    try:
        html = client.get(f"/planner?plan={plan_id}").get_data(as_text=True)
        assert 'id="progress-bar"' in html and 'id="downloads"' not in html
        assert re.search(r'data-state="(queued|running)"', html)
    finally:
        release.set()


def page_config(html: str) -> dict:
    import json

    found = re.search(r'<script type="application/json" id="planner-config">(.*?)</script>', html)
    assert found is not None
    return json.loads(found.group(1))


def test_the_page_knows_each_regions_defaults_and_station_counts(client) -> None:
    config = page_config(client.get("/planner?lang=en&tiles=none").get_data(as_text=True))
    assert config["regions"]["beijing"] == {
        "kind": "warm_heart",
        "radius_m": 1000.0,
        "max_radius_m": 5000.0,
        "stations": {"warm_heart": 2, "driver_home": 0},
    }
    assert config["regions"]["shaanxi"] == {
        "kind": "driver_home",
        "radius_m": 15000.0,
        "max_radius_m": 30000.0,
        "stations": {"warm_heart": 0, "driver_home": 1},
    }
    assert config["shown"]["region"] == "beijing" and config["shown"]["stations"] == 2
    assert config["shown"]["covered_share"] > 0
    assert config["urls"]["coverage"] == "/api/v1/coverage"
    # Every stage key a plan reports has words; the API keeps the English keys.
    assert {"demand", "existing coverage", "candidates", "optimising", "tables"} <= set(
        config["stages"]
    )


@pytest.mark.parametrize(
    ("query", "words"),
    [
        (
            "region=beijing&kind=driver_home",
            "No stations of the type “Driver&#39;s home” in Beijing",
        ),
        ("region=shaanxi&kind=warm_heart", "(0 stations)"),
        (
            "region=beijing&radius_m=50",
            "Nothing is covered (0.0 %): no demand in Beijing lies within 50 m",
        ),
    ],
)
def test_settings_without_stations_or_coverage_say_so_and_block_a_plan(
    client, query, words
) -> None:
    html = client.get(f"/planner?lang=en&tiles=none&{query}").get_data(as_text=True)
    warning = re.search(r'<p class="warning" id="plan-warning" role="alert">([^<]*)</p>', html)
    assert warning is not None and words in warning.group(1)
    assert re.search(r'<button type="button" id="start-plan"[^>]* disabled', html)


def test_demand_header_says_census_and_what_is_modelled(client) -> None:
    for region in ("beijing", "shaanxi"):
        html = client.get(f"/planner?lang=en&tiles=none&region={region}").get_data(as_text=True)
        assert "Demand (residents, census 2020)" in html
        assert "spread around places by a model (modelled, not measured)" in html
        assert 'data-share="1"' not in html  # every district total is a census figure
