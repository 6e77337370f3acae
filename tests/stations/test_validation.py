"""One test per problem kind, on rows small enough to check by eye."""

from __future__ import annotations

from pathlib import Path

import pytest

from locator import coords
from locator.stations.readers import read_raw
from locator.stations.validation import parse_stations

HEADER = "id,name,kind,lon,lat,opening_hours,shower,amenities\n"
GOOD = "a1,东单驿站,warm_heart,116.418,39.913,24/7,是,\n"


def parse(tmp_path: Path, regions, body: str, header: str = HEADER, **kw):
    path = tmp_path / "stations.csv"
    path.write_text(header + body, encoding="utf-8")
    return parse_stations(read_raw(path), regions, **kw)


def codes(result) -> list[tuple[int, str, str]]:
    return [(p.row, p.code, p.severity) for p in result.problems]


def test_good_row_has_no_problems_and_is_filled_in(tmp_path, regions):
    result = parse(tmp_path, regions, GOOD)
    assert result.problems == ()
    row = result.stations.iloc[0]
    assert (row["district_name"], row["district_adcode"], row["city_adcode"]) == (
        "东城区",
        "110101",
        "110000",
    )
    assert row["shower"] == "yes" and row["toilet"] == "unknown"


@pytest.mark.parametrize(
    ("row", "code", "column"),
    [
        ("a2,坏经度,warm_heart,abc,39.9,24/7,是,\n", "bad_coordinate", "lon"),
        ("a2,越界,warm_heart,200,95,24/7,是,\n", "out_of_range", "lon"),
        ("a2,巴黎,warm_heart,2.35,48.85,24/7,是,\n", "outside_china", "lon"),
        ("a2,上海,warm_heart,121.47,31.23,24/7,是,\n", "outside_region", "lon"),
        ("a2,颠倒,warm_heart,39.913,116.418,24/7,是,\n", "swapped_lat_lon", "lon"),
        ("a1,重复编号,warm_heart,116.46,39.91,24/7,是,\n", "duplicate_id", "id"),
        (
            "a2,坏时间,warm_heart,116.46,39.91,every day lol,是,\n",
            "bad_opening_hours",
            "opening_hours",
        ),
        ("a2,坏标记,warm_heart,116.46,39.91,24/7,maybe,\n", "bad_amenity_value", "shower"),
        ("a2,坏类型,hotel,116.46,39.91,24/7,是,\n", "bad_kind", "kind"),
        ("a2,,warm_heart,116.46,39.91,24/7,是,\n", "missing_value", "name"),
    ],
)
def test_each_error_names_row_column_and_value(tmp_path, regions, row, code, column):
    result = parse(tmp_path, regions, GOOD + row)
    assert [(p.row, p.code, p.column) for p in result.errors] == [(3, code, column)]
    assert result.errors[0].file.endswith("stations.csv")
    assert len(result.stations) == 1  # the good row survives, the bad one is reported


def test_swapped_coordinates_suggest_the_fix(tmp_path, regions):
    result = parse(tmp_path, regions, "a2,颠倒,warm_heart,39.913,116.418,24/7,是,\n")
    assert "lon=116.418, lat=39.913" in result.errors[0].message


def test_missing_required_column_is_a_file_error(tmp_path, regions):
    result = parse(
        tmp_path, regions, "a1,东单驿站,warm_heart,116.418\n", header="id,name,kind,lon\n"
    )
    assert [(p.row, p.code, p.column) for p in result.errors] == [(0, "missing_column", "lat")]
    assert "纬度" in result.errors[0].message


def test_missing_kind_column_needs_kind_option(tmp_path, regions):
    header, body = "name,lon,lat\n", "东单驿站,116.418,39.913\n"
    assert [p.code for p in parse(tmp_path, regions, body, header).errors] == ["missing_column"]
    result = parse(tmp_path, regions, body, header, kind="warm_heart")
    assert result.errors == () and result.stations["kind"].tolist() == ["warm_heart"]
    assert result.stations["id"].iloc[0].startswith("s-")  # generated, stable id


def test_a_row_without_id_or_coordinates_is_reported_not_a_crash(tmp_path, regions):
    # The generated id hashes the coordinates, which a rejected row does not have.
    header, body = "name,lon,lat\n", "东单驿站,116.418,39.913\n无坐标,x,39.9\n"
    result = parse(tmp_path, regions, body, header, kind="warm_heart")
    assert [(p.row, p.code) for p in result.errors] == [(3, "bad_coordinate")]
    assert len(result.stations) == 1


def test_unknown_amenity_words_are_reported_not_dropped(tmp_path, regions):
    result = parse(tmp_path, regions, "a1,东单驿站,warm_heart,116.418,39.913,24/7,,淋浴、按摩椅\n")
    assert codes(result) == [(2, "unknown_amenity", "warning")]
    assert "按摩椅" in result.problems[0].message
    assert result.stations["shower"].tolist() == ["yes"]


def test_probable_duplicate_same_name_within_50_m(tmp_path, regions):
    # 0.0003 deg of latitude is about 33 m; 0.001 deg is about 111 m.
    near = "a2,东单驿站,warm_heart,116.418,39.9133,24/7,是,\n"
    far = "a3,东单驿站,warm_heart,116.418,39.914,24/7,是,\n"
    result = parse(tmp_path, regions, GOOD + near + far)
    assert codes(result) == [(3, "probable_duplicate", "warning")]
    assert "row 2, 33 m away" in result.problems[0].message
    assert len(result.stations) == 3


def test_bad_row_crs_is_reported(tmp_path, regions):
    header = "id,name,kind,lon,lat,crs\n"
    result = parse(tmp_path, regions, "a1,东单驿站,warm_heart,116.418,39.913,wgs99\n", header)
    assert [(p.code, p.value) for p in result.errors] == [("bad_crs", "wgs99")]


def test_gcj02_input_is_stored_as_wgs84(tmp_path, regions):
    header = "id,name,kind,lon,lat,crs\n"
    body = "a1,东单驿站,warm_heart,116.424,39.9144,gcj02\na2,国贸,warm_heart,116.461,39.909,\n"
    result = parse(tmp_path, regions, body, header)
    assert result.errors == ()
    lon, lat = coords.gcj02_to_wgs84(116.424, 39.9144)
    assert result.stations["lon"].iloc[0] == pytest.approx(float(lon), abs=1e-7)
    assert result.stations["lat"].iloc[0] == pytest.approx(float(lat), abs=1e-7)
    assert result.stations["lon"].iloc[1] == 116.461  # blank row crs: the file's datum


def test_file_crs_option_applies_to_every_row(tmp_path, regions):
    result = parse(tmp_path, regions, GOOD, crs="bd09")
    lon, _ = coords.bd09_to_wgs84(116.418, 39.913)
    assert result.stations["lon"].iloc[0] == pytest.approx(float(lon), abs=1e-7)


def test_baidu_mercator_rows_are_read_in_metres(tmp_path, regions):
    body = "m1,百度站,warm_heart,12943772.884424742,4832666.423350099\n"
    result = parse(tmp_path, regions, body, "id,name,kind,lon,lat\n", crs="bd09mc")
    lon, lat = coords.bd09_to_wgs84(116.274625, 39.961627)  # the package's worked example
    assert result.errors == ()
    assert result.stations["lon"].iloc[0] == pytest.approx(float(lon), abs=1e-6)
    assert result.stations["lat"].iloc[0] == pytest.approx(float(lat), abs=1e-6)


def test_unrecognised_column_is_a_warning(tmp_path, regions):
    header = "id,name,kind,lon,lat,备注\n"
    result = parse(tmp_path, regions, "a1,东单驿站,warm_heart,116.418,39.913,x\n", header)
    assert [(p.code, p.column) for p in result.problems] == [("ignored_column", "备注")]
