"""``locator validate`` and ``locator import`` on hostile files: one clean line, exit 1."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from locator.cli import main
from tests.conftest import DATA

ONE_OF_EACH = (
    "vrt_passwd.geojson",
    "vrt_curl.xlsx",
    "vrt_port9.csv",
    "junk.gpkg",
    "bom_only.csv",
    "empty.json",
    "last_row_bomb.xlsx",
    "unzipped_bomb.xlsx",
    "zip_in_zip.xlsx",
    "billion_laughs.xlsx",
    "deep_arrays.geojson",
    "no_geometry.geojson",
    "attributes_only.gpkg",
    "fake_gpkg.gpkg",
)


@pytest.fixture()
def runner(monkeypatch, tmp_path) -> CliRunner:
    monkeypatch.setenv("LOCATOR_DATA_DIR", str(DATA))
    monkeypatch.setenv("LOCATOR_STORE", str(tmp_path / "store.gpkg"))
    return CliRunner()


@pytest.mark.parametrize("command", ["validate", "import"])
@pytest.mark.parametrize("name", ONE_OF_EACH)
def test_a_hostile_file_is_one_clean_line(runner, hostile, tmp_path, command: str, name: str):
    result = runner.invoke(main, [command, str(hostile[name])])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert name in lines[0] and str(hostile[name].parent) not in lines[0]
    assert "root:" not in result.output and "Traceback" not in result.output
    assert not (tmp_path / "store.gpkg").exists()


def test_a_sheet_with_blank_header_cells_is_reported_not_a_traceback(runner, hostile):
    result = runner.invoke(main, ["validate", str(hostile["blank_headers.xlsx"])])
    assert result.exit_code == 0, result.output
    assert "blank_headers.xlsx [column B=''] warning: column 'column B' matches no" in (
        result.output
    )
    assert "1 valid station(s), 0 error(s), 1 warning(s)." in result.output
