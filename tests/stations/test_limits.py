"""Every reader stops at every limit, with a 413 (or 422) naming the limit and its setting."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from openpyxl import Workbook
from shapely.geometry import Point

from locator import config
from locator.errors import DataError, TooLarge
from locator.stations.limits import (
    DEFAULT_LIMITS,
    EXCERPT_CHARS,
    SETTING_OF,
    ReadLimits,
    excerpt,
)
from locator.stations.readers import read_raw
from locator.stations.validation import parse_stations

ROWS = [["name", "kind", "lon", "lat"], *[[f"站{i}", "warm_heart", 116.4, 39.9] for i in range(5)]]


def write(tmp_path: Path, fmt: str) -> Path:
    """Five stations with four columns, in ``fmt``."""
    path = tmp_path / f"s.{fmt}"
    if fmt == "csv":
        path.write_text("\n".join(",".join(map(str, r)) for r in ROWS) + "\n", encoding="utf-8")
    elif fmt == "xlsx":
        book = Workbook()
        for row in ROWS:
            book.active.append(row)  # type: ignore[union-attr]
        book.save(path)
    else:
        frame = gpd.GeoDataFrame(
            {"name": [r[0] for r in ROWS[1:]], "kind": "warm_heart", "note": "x"},
            geometry=[Point(116.4, 39.9)] * 5,
            crs="EPSG:4326",
        )
        frame.to_file(path)
    return path


def test_the_limits_are_the_settings():
    defaults = {s.name: s.default for s in config.SETTINGS}
    assert {name for name, _, _ in SETTING_OF.values()} <= set(defaults)
    for field, (name, _, _) in SETTING_OF.items():
        assert getattr(DEFAULT_LIMITS, field) == defaults[name]
    settings = config.load_settings({"LOCATOR_UPLOAD_MAX_ROWS": "7"}, {"UPLOAD_MAX_DEPTH": 3})
    found = ReadLimits.from_settings(settings)
    assert (found.max_rows, found.max_depth, found.max_columns) == (7, 3, 200)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson", "gpkg"])
@pytest.mark.parametrize(
    ("limits", "setting"),
    [
        (ReadLimits(max_rows=4), "UPLOAD_MAX_ROWS"),
        (ReadLimits(max_columns=2), "UPLOAD_MAX_COLUMNS"),
        (ReadLimits(max_cells=12), "UPLOAD_MAX_CELLS"),
        (ReadLimits(max_bytes=100), "UPLOAD_MAX_BYTES"),
    ],
)
def test_each_size_limit_is_a_413_naming_its_setting(tmp_path, fmt, limits, setting):
    path = write(tmp_path, fmt)
    with pytest.raises(TooLarge) as caught:
        read_raw(path, limits=limits)
    assert caught.value.status == 413
    assert caught.value.message.startswith(f"s.{fmt}: ")
    assert f"({setting}, set by LOCATOR_{setting})" in caught.value.message
    assert read_raw(path).cells.shape[0] == 5  # within the default limits


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson"])
def test_the_time_budget_is_checked_while_reading(tmp_path, fmt, monkeypatch):
    from locator.stations import geojson, readers, xlsx

    monkeypatch.setattr(readers, "CSV_CHUNK_ROWS", 2)
    monkeypatch.setattr(xlsx, "CHECK_EVERY", 2)
    monkeypatch.setattr(geojson, "CHECK_EVERY", 2)
    with pytest.raises(TooLarge, match=r"reading it took longer than 0 s.*UPLOAD_MAX_SECONDS"):
        read_raw(write(tmp_path, fmt), limits=ReadLimits(max_seconds=0))


def test_xlsx_unzipped_size_and_parts_are_limits(tmp_path):
    path = write(tmp_path, "xlsx")
    with pytest.raises(TooLarge, match="UPLOAD_MAX_UNZIPPED_BYTES"):
        read_raw(path, limits=ReadLimits(max_unzipped_bytes=1000))
    with pytest.raises(TooLarge, match="UPLOAD_MAX_ZIP_ENTRIES"):
        read_raw(path, limits=ReadLimits(max_zip_entries=3))


def test_json_depth_is_a_422(tmp_path):
    path = write(tmp_path, "geojson")
    with pytest.raises(
        DataError, match=r"nest 5 deep; the limit is 3 levels \(UPLOAD_MAX_DEPTH"
    ) as caught:
        read_raw(
            path, limits=ReadLimits(max_depth=3)
        )  # collection, features, feature, geometry, coordinates
    assert caught.value.status == 422 and not isinstance(caught.value, TooLarge)


def test_excerpts_are_short_escaped_and_plain():
    assert excerpt("东单驿站") == "东单驿站"
    assert excerpt("a\nb\x00c") == "a\\nb\\x00c"
    long = excerpt("x" * 1000)
    assert len(long) == EXCERPT_CHARS and long.endswith("…")
    assert excerpt(np.float64("nan")) == "" and excerpt(np.float64(116.4)) == "116.4"
    assert excerpt(None) == "" and excerpt(np.int64(3)) == "3"


def test_a_huge_bad_cell_reaches_a_message_only_as_an_excerpt(tmp_path, regions):
    path = tmp_path / "s.csv"
    path.write_text(f'name,kind,lon,lat\nx,warm_heart,"{"9" * 5000}abc\n\x1b[31m",39.9\n', "utf-8")
    result = parse_stations(read_raw(path), regions)
    problem = result.errors[0]
    assert problem.code == "bad_coordinate" and len(problem.value) == EXCERPT_CHARS
    assert "\n" not in str(problem) and "\x1b" not in str(problem)
    assert len(str(problem)) < 300
