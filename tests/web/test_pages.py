"""The HTML pages through Flask's test client: language choice, the finder's data, the
station page, escaping, the HTML 404, and catalogs that match the templates."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import shapely
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from locator import amenities, create_app
from locator.web import i18n
from locator.web.state import state_of
from tests.browser.support import STATIONS_CSV, XSS_ADDRESS, XSS_NAME
from tests.conftest import write_dataset

PACKAGE = Path(__file__).resolve().parents[2] / "locator"
TRANSLATIONS = PACKAGE / "translations"
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}
PAGE_POLICY = (  # the finder and station pages draw OpenStreetMap tiles
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data: https://tile.openstreetmap.org; connect-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@pytest.fixture()
def hostile_client(tmp_path: Path):
    """A client on the browser tests' dataset, whose b3 is named ``XSS_NAME``."""
    data_dir = write_dataset(tmp_path / "data", STATIONS_CSV)
    app = create_app({"TESTING": True, "DATA_DIR": data_dir, "STORE": tmp_path / "store.gpkg"})
    return app.test_client()


def html_of(response) -> str:
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def finder_config(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="finder-config">(.*?)</script>', html)
    assert found, "no finder config"
    return json.loads(found.group(1))


# --- choosing the language ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "accepted", "expected"),
    [
        (None, [], "zh"),
        (None, [("en-US", 1.0), ("en", 0.9)], "en"),
        (None, [("fr", 1.0), ("en", 0.5)], "en"),
        (None, [("fr", 1.0)], "zh"),
        (None, [("en", 0.0), ("zh-CN", 0.5)], "zh"),
        ("zh", [("en", 1.0)], "zh"),
        ("EN", [("zh-CN", 1.0)], "en"),
        ("zh_Hans_CN", [], "zh"),
        ("xx", [("en", 1.0)], "en"),
        ("", [], "zh"),
    ],
)
def test_choose_language(query, accepted, expected) -> None:
    assert i18n.choose(query, accepted) == expected


def test_labels_come_from_the_vocabulary() -> None:
    labels = i18n.amenity_labels("en")
    assert list(labels)[: len(i18n.SHORTLIST)] == list(i18n.SHORTLIST)
    assert sorted(labels) == sorted(amenities.KEYS)
    assert labels["shower"] == "Shower" and i18n.amenity_labels("zh")["shower"] == "淋浴"
    assert i18n.kind_labels("zh") == {"warm_heart": "户外劳动者暖心驿站", "driver_home": "司机之家"}
    assert i18n.kind_label("driver_home", "en") == "Driver's home"
    assert i18n.kind_label("other", "en") == "other"


def test_place_names_follow_the_language() -> None:
    rec = {"province_name": "陕西省", "city_name": "西安市", "district_name": "长安区"}
    assert i18n.place_line(rec, "en") == "Shaanxi Xi'an Chang'an District"
    assert i18n.place_line(rec, "zh") == "陕西省 西安市 长安区"
    beijing = {"province_name": "北京市", "city_name": "北京市", "district_name": float("nan")}
    assert i18n.place_line(beijing, "en") == "Beijing" and i18n.place_line({}, "en") == ""
    frame = pd.DataFrame({"district_name": ["朝阳区", None], "demand": [1.0, 2.0]})
    english = i18n.with_place_names(frame, "en")
    assert english["district_name"][0] == "Chaoyang District" and english["district_name"].isna()[1]
    assert frame["district_name"][0] == "朝阳区"  # the input is not changed
    assert i18n.with_place_names(frame, "zh") is frame


def test_finder_is_chinese_by_default(client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = html_of(response)
    assert '<html lang="zh-CN">' in html
    assert "使用我的位置" in html and "模拟数据" in html
    assert (
        '<button type="button" class="chip" data-amenity="shower" aria-pressed="false">淋浴</button>'
        in html
    )
    assert 'href="/?lang=en"' in html  # the language switch
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["Content-Security-Policy"] == PAGE_POLICY


def test_finder_in_english_by_query(client) -> None:
    html = html_of(client.get("/?lang=en", headers={"Accept-Language": "zh-CN"}))
    assert '<html lang="en">' in html
    assert "Use my location" in html and "Synthetic data:" in html
    assert ">Shower</button>" in html and ">Warm-heart station</button>" in html
    assert finder_config(html)["text"]["count"] == "{matched} matched, {shown} shown"


def test_finder_in_english_by_accept_language(client) -> None:
    html = html_of(client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"}))
    assert '<html lang="en">' in html and "Use my location" in html
    html = html_of(client.get("/?lang=zh", headers={"Accept-Language": "en"}))
    assert '<html lang="zh-CN">' in html, "?lang= wins over Accept-Language"


def test_finder_passes_district_points_inside_their_districts(app, client) -> None:
    config = finder_config(html_of(client.get("/")))
    districts = state_of(app).regions.districts
    assert len(config["districts"]) == len(districts) == 123
    for rec in districts.itertuples():
        lat, lon = config["districts"][rec.district_adcode]
        assert rec.geometry.buffer(1e-4).contains(shapely.Point(lon, lat)), rec.district_name
    assert config["urls"]["nearest"] == "/api/v1/nearest"
    assert config["urls"]["stations"] == "/api/v1/stations/points"
    assert config["urls"]["station_api"] == "/api/v1/stations/__id__"
    assert [key for key, _ in config["amenities"]][:3] == ["shower", "hot_water_24h", "toilet"]
    assert [app for app, _ in config["nav"]] == ["amap", "baidu", "tencent", "apple"]
    assert config["tiles"] is True
    assert finder_config(html_of(client.get("/?tiles=none")))["tiles"] is False


def test_finder_options_list_districts_by_city(client) -> None:
    html = html_of(client.get("/"))
    assert '<optgroup label="北京市">' in html and '<option value="110101">东城区</option>' in html
    assert '<optgroup label="西安市">' in html


def test_finder_options_in_english_are_pinyin(client) -> None:
    html = html_of(client.get("/?lang=en"))
    assert '<optgroup label="Beijing">' in html and '<optgroup label="Xi&#39;an">' in html
    assert '<option value="110105">Chaoyang District</option>' in html
    assert '<option value="610802">Yuyang District</option>' in html
    assert "朝阳区" not in html


# --- the station page -----------------------------------------------------------------------


def test_station_page(client) -> None:
    response = client.get("/stations/t2")
    assert response.status_code == 200
    html = html_of(response)
    assert '<h1 id="station-name">国贸驿站</h1>' in html
    assert "户外劳动者暖心驿站" in html and "朝阳区建国门外大街" in html
    assert "银行网点" in html and "2024-01-01" in html
    assert '<dd id="station-hours">周一至周五 08:00–20:00</dd>' in html  # in words
    assert "北京市 朝阳区" in html
    rows = re.findall(r'<tr data-amenity="(\w+)" class="is-(\w+)">', html)
    assert len(rows) == len(amenities.KEYS)
    states = dict(rows)
    assert states["shower"] == "no" and states["toilet"] == "yes" and states["microwave"] == "yes"
    assert states["laundry"] == "unknown"
    links = re.findall(
        r'<a class="button" href="([^"]+)" target="_blank" rel="noopener noreferrer"', html
    )
    assert [link.split("/")[2] for link in links] == [
        "uri.amap.com",
        "api.map.baidu.com",
        "apis.map.qq.com",
        "maps.apple.com",
    ]
    assert "模拟数据" in html
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["Content-Security-Policy"] == PAGE_POLICY


def test_station_page_in_english(client) -> None:
    html = html_of(client.get("/stations/t3?lang=en"))
    assert '<html lang="en">' in html and "Driver&#39;s home" in html
    assert "Truck parking" in html and "Amenities" in html
    assert 'href="/?lang=en"' in html  # back to the finder in the same language
    html = html_of(client.get("/stations/t2?lang=en"))
    assert '<h1 id="station-name">国贸驿站</h1>' in html
    assert '<p class="name-pinyin" lang="zh-Latn-pinyin">guó mào yì zhàn</p>' in html
    assert "<dd>Beijing Chaoyang District</dd>" in html and "北京市 朝阳区" not in html
    assert '<dd id="station-hours">Mon–Fri 08:00–20:00</dd>' in html
    assert "name-pinyin" not in html_of(client.get("/stations/t2"))  # only on English pages


def baidu_link(html: str) -> str:
    return re.search(r'href="([^"]+)" [^>]*data-app="baidu"', html)[1].replace("&amp;", "&")


def test_station_page_from_the_riders_position(client) -> None:
    """``from=lat,lon`` (WGS84): the geodesic distance, the times as the finder gives them,
    and Baidu's link starting there (BD-09, lat,lng)."""
    html = html_of(client.get("/stations/t2?from=39.9050,116.4610"))
    trip = re.search(r'<p class="meta trip" id="station-trip">(.*?)</p>', html, re.S)[1]
    assert '<span class="distance">440 米</span>' in trip  # 444.1 m, to 10 m
    assert re.search(r'class="eta eta-walk">[^<]*8[^<]*<', trip)  # 444.1 × 1.3 / 4.5 km/h
    assert re.search(r'class="eta eta-ebike">[^<]*2[^<]*<', trip)  # at 15 km/h
    assert baidu_link(html).startswith(
        "https://api.map.baidu.com/direction?origin=latlng:39.912003,116.473751|name:"
    )
    html = html_of(client.get("/stations/t3?from=39.90,116.40&lang=en"))
    assert 'class="eta eta-truck">about' in html and "eta-ebike" not in html
    assert "From your position" in html
    html = html_of(client.get("/stations/t2?from=39.9000,116.4000&lang=en"))
    assert '<span class="distance">5.3 km</span>' in html  # 5,311 m
    assert '<span class="eta eta-walk">about 92 min on foot</span>' in html
    assert '<span class="eta eta-ebike">about 28 min by e-bike</span>' in html


@pytest.mark.parametrize(
    "value",
    [
        "",
        "39.9",
        "39.9,116.4,1",
        "91,116.4",
        "39.9,181",
        "nan,inf",
        "39.9;116.4",
        "1e1,116",
        "39.9, 116.4",
        "<b>,1",
        "39.9,116.4&from=1,2",
    ],
)
def test_station_page_ignores_a_bad_from(client, value) -> None:
    """A bad position is ignored, as the finder ignores a bad lat/lon: no distance, and
    Baidu's link without an origin (the app asks the rider)."""
    response = client.get("/stations/t2", query_string={"from": value})
    assert response.status_code == 200
    html = html_of(response)
    assert "station-trip" not in html
    assert baidu_link(html).startswith("https://api.map.baidu.com/direction?destination=")


def test_station_page_escapes_every_field(hostile_client) -> None:
    html = html_of(hostile_client.get("/stations/b3"))
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    html = html_of(hostile_client.get("/stations/b4"))
    assert XSS_ADDRESS not in html and "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html


def test_finder_page_has_no_station_data_in_markup(hostile_client) -> None:
    """The finder gets names from the API at run time; none is in its HTML."""
    html = html_of(hostile_client.get("/"))
    assert XSS_NAME not in html and "&lt;img" not in html


def test_unknown_station_is_an_html_404(client) -> None:
    response = client.get("/stations/nope<b>")
    assert response.status_code == 404
    html = html_of(response)
    assert "未找到站点" in html and "nope&lt;b&gt;" in html and "nope<b>" not in html
    assert response.headers["X-Frame-Options"] == "DENY"
    api = client.get("/api/v1/stations/nope")
    assert api.status_code == 404 and api.get_json()["ok"] is False


def test_templates_never_mark_data_safe() -> None:
    for template in (PACKAGE / "templates").glob("*.html"):
        assert "|safe" not in template.read_text(encoding="utf-8").replace(" ", ""), template


# --- catalogs ----------------------------------------------------------------------------------


def read_catalog(lang: str):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f)


def test_catalogs_cover_every_message_in_the_code() -> None:
    """`pybabel extract`/`update` has been run: no message is missing or left over."""
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    in_code = {msg[2] for msg in extract_from_dir(str(PACKAGE), method_map)}
    for lang in i18n.LANGUAGES:
        in_catalog = {m.id for m in read_catalog(lang) if m.id}
        assert in_catalog == in_code, lang


def test_chinese_catalog_is_complete_and_compiled() -> None:
    """Every message has a Chinese translation, and the committed .mo matches the .po."""
    for lang in i18n.LANGUAGES:
        catalog = read_catalog(lang)
        with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo", "rb") as f:
            compiled = read_mo(f)
        translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
        assert {m.id: m.string for m in compiled if m.id} == translated, f"recompile {lang}"


def untranslated(template, catalog) -> list[str]:
    """Messages of ``template`` that ``catalog`` lacks, marks fuzzy, or leaves empty
    (in any plural form)."""
    found = []
    for message in template:
        if not message.id:
            continue
        entry = catalog.get(message.id)
        strings = () if entry is None else entry.string
        strings = (strings,) if isinstance(strings, str) else strings
        if entry is None or entry.fuzzy or not strings or not all(strings):
            found.append(message.id if isinstance(message.id, str) else message.id[0])
    return found


def test_every_interface_string_has_a_chinese_translation() -> None:
    """Each msgid of messages.pot has a non-empty, non-fuzzy msgstr (every plural form) in zh."""
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        template = read_po(f)
    assert len(template) > 100  # the template is the extracted one, not an empty stub
    missing = untranslated(template, read_catalog("zh"))
    assert not missing, f"{len(missing)} untranslated, e.g. {missing[:5]}"


def test_the_untranslated_check_catches_empty_fuzzy_and_plural_gaps() -> None:
    from babel.messages.catalog import Catalog

    template, catalog = Catalog(), Catalog(locale="zh")
    for msgid in ("ok", "empty", "fuzzy", "gone", ("one stop", "%(num)s stops")):
        template.add(msgid)
    catalog.add("ok", "好")
    catalog.add("empty", "")
    catalog.add("fuzzy", "模糊", flags=["fuzzy"])
    catalog.add(("one stop", "%(num)s stops"), ("",))
    assert untranslated(template, catalog) == ["empty", "fuzzy", "gone", "one stop"]
