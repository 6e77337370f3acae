"""`locator validate` and `locator import` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from locator.cli import main
from tests.conftest import DATA

pytestmark = pytest.mark.both_databases

GOOD = "id,name,kind,lon,lat\na1,东单驿站,warm_heart,116.418,39.913\n"
BAD = GOOD + "a2,颠倒,warm_heart,39.913,116.418\n"


@pytest.fixture()
def runner(monkeypatch, tmp_path):
    monkeypatch.setenv("LOCATOR_DATA_DIR", str(DATA))
    monkeypatch.setenv("LOCATOR_STORE", str(tmp_path / "store.gpkg"))
    monkeypatch.setenv("LOCATOR_DATABASE_URL", f"sqlite:///{tmp_path / 'locator.db'}")
    return CliRunner()


def test_validate_ok_exits_zero(runner, tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 0
    assert "1 valid station(s), 0 error(s), 0 warning(s)." in result.output


def test_validate_errors_exit_nonzero_with_row_and_column(runner, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD, encoding="utf-8")
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert "bad.csv:3 [lon='39.913,116.418'] error: longitude and latitude look swapped" in (
        result.output
    )
    assert str(tmp_path) not in result.output  # messages name the file, not its folder


def test_validate_json(runner, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD, encoding="utf-8")
    result = runner.invoke(main, ["validate", str(path), "--json"])
    report = json.loads(result.stdout)
    assert (report["ok"], report["stations"], report["errors"]) == (False, 1, 1)
    problem = report["problems"][0]
    assert (problem["row"], problem["column"], problem["code"]) == (3, "lon", "swapped_lat_lon")


def test_import_all_or_nothing_then_list_and_roll_back(runner, tmp_path):
    good, bad = tmp_path / "ok.csv", tmp_path / "bad.csv"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_text(BAD, encoding="utf-8")
    first = runner.invoke(main, ["import", str(good)])
    assert first.exit_code == 0 and "as dataset version 1" in first.output
    result = runner.invoke(main, ["import", str(bad), "--crs", "wgs84"])
    assert result.exit_code == 1
    assert "nothing imported; the served stations are unchanged" in result.output
    good.write_text(GOOD.replace("a1,", "b1,"), encoding="utf-8")
    assert runner.invoke(main, ["import", str(good), "--merge"]).exit_code == 0
    listed = runner.invoke(main, ["datasets", "list"]).output.splitlines()
    assert [line[:3] for line in listed] == ["* 2", "  1"] and "\t2\tok.csv" in listed[0]
    assert runner.invoke(main, ["datasets", "rollback", "1"]).output.strip() == (
        "now serving dataset version 1."
    )
    assert runner.invoke(main, ["datasets", "list"]).output.splitlines()[1].startswith("* 1")
    missing = runner.invoke(main, ["datasets", "rollback", "9"])
    assert missing.exit_code == 1 and "no dataset version 9" in missing.output


def test_import_gcj02_file(runner, tmp_path):
    path = tmp_path / "amap.csv"
    path.write_text("name,lon,lat\n东单驿站,116.424,39.9144\n", encoding="utf-8")
    result = runner.invoke(main, ["import", str(path), "--kind", "warm_heart", "--crs", "gcj02"])
    assert result.exit_code == 0, result.output
    assert "imported 1 station(s)" in result.output


def test_unknown_crs_is_a_clear_error(runner, tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(main, ["validate", str(path), "--crs", "mars"])
    assert result.exit_code != 0 and "mars" in result.output


def test_every_setting_is_documented_in_the_readme():
    from locator.config import SETTINGS

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert f"`LOCATOR_{setting.name}`" in readme


def test_limits_come_from_the_settings(runner, tmp_path, monkeypatch):
    path = tmp_path / "ok.csv"
    path.write_text(GOOD + GOOD.splitlines()[1].replace("a1", "a2") + "\n", encoding="utf-8")
    monkeypatch.setenv("LOCATOR_UPLOAD_MAX_ROWS", "1")
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert "ok.csv: the file has 2 rows; the limit is 1 rows (UPLOAD_MAX_ROWS" in result.output


FIXTURES = Path(__file__).resolve().parents[1] / "stations" / "fixtures"


def test_validate_says_what_it_detected(runner, tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(main, ["validate", str(path)])
    assert result.stdout.splitlines()[0] == "ok.csv: detected CSV text, 1 row(s)."
    report = json.loads(runner.invoke(main, ["validate", str(path), "--json"]).stdout)
    assert report["detected"] == "ok.csv: detected CSV text, 1 row(s)."


def test_validate_reads_an_amap_answer_by_its_content(runner, tmp_path):
    path = tmp_path / "export.txt"  # the name says text; the content is Amap's JSON
    path.write_bytes((FIXTURES / "amap_place_text.json").read_bytes())
    result = runner.invoke(main, ["validate", str(path), "--kind", "warm_heart"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "export.txt: detected Amap POI JSON, 2 POI(s), datum GCJ-02 (the name says CSV text)."
    )
    assert "2 valid station(s), 0 error(s), 0 warning(s)." in result.output


def test_validate_refuses_a_headerless_export(runner):
    path = FIXTURES / "amap_export_headerless.csv"
    result = runner.invoke(main, ["validate", str(path), "--kind", "warm_heart"])
    assert result.exit_code == 1
    assert "cannot tell which column is which" in result.output
    assert str(FIXTURES) not in result.output


def test_import_an_overpass_answer(runner):
    result = runner.invoke(
        main, ["import", str(FIXTURES / "overpass.json"), "--kind", "warm_heart"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("overpass.json: detected OpenStreetMap Overpass JSON, 2 named")
    assert "imported 2 station(s)" in lines[-1]


def test_import_chooses_a_coordinate_column(runner, tmp_path):
    path = tmp_path / "export.tsv"
    path.write_text(
        "名称\twgs84\tgcj02\n东单驿站\t116.418,39.913\t116.424236,39.914399\n", encoding="utf-8"
    )
    for column in ("wgs84", "gcj02"):
        result = runner.invoke(
            main, ["import", str(path), "--kind", "warm_heart", "--coords", column]
        )
        assert result.exit_code == 0, result.output
        assert f"coordinates from column {column!r}" in result.stdout.splitlines()[0]
    wrong = runner.invoke(main, ["import", str(FIXTURES / "overpass.json"), "--coords", "wgs84"])
    assert wrong.exit_code == 1 and "this file has none" in wrong.output
