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
