"""LOCATOR_REGION=330100: Hangzhou's districts in the finder and the planner, with a
coverage table and a plan; the Shaanxi table's census figures and modelled shares."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from tests.conftest import DATA, make_plan_app, stop_plans
from tests.web.test_plans import poll

HEADER = "id,name,kind,lon,lat,address,opening_hours,host_type,phone,source,updated\n"
HANGZHOU_CSV = HEADER + "".join(
    f"hz{i},杭州测试驿站{i},warm_heart,{lon},{lat},杭州（合成地址）,24/7,工会服务站,,"
    "synthetic test,2024-01-01\n"
    for i, (lon, lat) in enumerate([(120.155, 30.274), (120.13, 30.26), (120.21, 30.21)])
)  # 上城/拱墅 area, 西湖区, 滨江区: synthetic


def test_hangzhou_districts_in_finder_planner_coverage_and_a_plan(tmp_path: Path) -> None:
    app = make_plan_app(tmp_path, HANGZHOU_CSV, REGION="330100")
    try:
        client = app.test_client()
        finder = client.get("/").get_data(as_text=True)
        assert "西湖区" in finder and "朝阳区" not in finder
        page = client.get("/planner").get_data(as_text=True)
        assert '<option value="330100" selected>杭州市</option>' in page
        table = re.search(r"<tbody>(.*?)</tbody>", page, re.S)[1]
        assert table.count('<tr data-adcode="3301') == 13
        assert "Share of the prefecture total, modelled" in client.get(
            "/planner?lang=en&tiles=none"
        ).get_data(as_text=True)
        cover = client.get("/api/v1/coverage?region=Hangzhou").json
        assert cover["region"] == "330100" and cover["stations"]["count"] == 3
        assert 0 < cover["covered_share"] < 1
        assert (
            cover["demand"]["totals"] == "share"
            and len(cover["demand"]["modelled_districts"]) == 13
        )
        svg = client.get("/api/v1/maps/coverage.svg?region=330100&lang=en")
        assert svg.status_code == 200 and "Hangzhou" in svg.get_data(as_text=True)
        body = {"region": "杭州市", "new": 2, "time_limit_s": 5}
        answer = client.post("/api/v1/plans", json=body)
        assert answer.status_code == 202, answer.json
        done = poll(client, answer.json["url"])
        assert done["status"] == "done", done
    finally:
        stop_plans(app)


def test_shaanxi_table_shows_census_figures(tmp_path: Path) -> None:
    app = make_plan_app(tmp_path)
    try:
        html = app.test_client().get("/planner?region=shaanxi&lang=en&tiles=none")
        row = re.search(r'<tr data-adcode="610802">(.*?)</tr>', html.get_data(as_text=True), re.S)
        assert "967,639" in row[1] and "modelled" not in row[1]  # 榆阳区, census 2020
    finally:
        stop_plans(app)


def test_planner_labels_modelled_shares_without_the_county_table(tmp_path: Path) -> None:
    app = make_plan_app(tmp_path)
    census = Path(app.extensions["locator"].settings["DATA_DIR"]) / "census"
    census.unlink()
    shutil.copytree(DATA / "census", census)
    (census / "shaanxi_counties_2020.csv").unlink()
    try:
        html = app.test_client().get("/planner?region=shaanxi&lang=en&tiles=none")
        row = re.search(r'<tr data-adcode="610802">(.*?)</tr>', html.get_data(as_text=True), re.S)
        assert "Share of the prefecture total, modelled" in row[1]
    finally:
        stop_plans(app)
