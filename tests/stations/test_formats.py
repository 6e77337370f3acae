"""The files unions really have: Amap and Baidu answers, crawler exports, OpenStreetMap.

The fixtures in ``fixtures/`` were written by hand from the public format descriptions
(Amap Web Service place search, Baidu Place API v2, Overpass JSON); their coordinates are
WGS84 points shifted with locator's own GCJ-02/BD-09 formulas and rounded to 6 decimals,
as the services write them, so each converts back to the WGS84 point written in the test.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from locator import coords
from locator.errors import DataError, TooLarge
from locator.stations.detect import detect_format, read_detected
from locator.stations.limits import DEFAULT_LIMITS, ReadLimits
from locator.stations.readers import RawTable
from locator.stations.validation import parse_stations

FIXTURES = Path(__file__).parent / "fixtures"
DONGDAN, GUOMAO, TIANANMEN = (116.418, 39.913), (116.461, 39.909), (116.3975, 39.9087)
# WGS84 points of the Hangzhou export, the numbers in its wgs84 column.
HANGZHOU = [(120.148, 30.2443), (120.2126, 30.2908), (120.2108, 30.2084)]


def wgs84_points(raw: RawTable, crs: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The WGS84 points a reader's rows stand for, converted as validation converts them
    (the file's datum unless ``crs`` is given), without the region check."""
    lon = raw.cells["lon"].astype(float).to_numpy()
    lat = raw.cells["lat"].astype(float).to_numpy()
    return coords.to_wgs84(lon, lat, crs or coords.file_datum(raw.file_crs))


def assert_near_m(lon, lat, expected: list[tuple[float, float]], tolerance_m: float) -> None:
    want_lon, want_lat = np.array(expected).T
    distance_m = coords.geodesic_distance_m(lon, lat, want_lon, want_lat)
    assert distance_m.max() < tolerance_m, distance_m


@pytest.mark.parametrize(
    ("column", "datum"), [("wgs84", "wgs84"), ("gcj02", "gcj02"), ("bd09", "bd09")]
)
def test_hangzhou_export_gives_the_same_stations_whichever_column(column: str, datum: str):
    raw = read_detected(FIXTURES / "amap_export_hangzhou.tsv", coordinates=column)
    assert raw.file_crs == datum
    assert f"coordinates from column {column!r}" in raw.detected
    assert raw.row_numbers.tolist() == [2, 3, 4]
    assert_near_m(*wgs84_points(raw), HANGZHOU, tolerance_m=1.0)
    others = {"wgs84", "gcj02", "bd09"} - {column}
    assert not others & set(raw.cells.columns)  # the columns not chosen are not read


def test_hangzhou_columns_agree_with_each_other_within_1_m():
    points = [
        wgs84_points(read_detected(FIXTURES / "amap_export_hangzhou.tsv", coordinates=c))
        for c in ("wgs84", "gcj02", "bd09")
    ]
    for lon, lat in points[1:]:
        assert coords.geodesic_distance_m(lon, lat, *points[0]).max() < 1.0


def test_the_gcj02_column_is_read_by_default_and_the_amap_cells_are_tidied():
    raw = read_detected(FIXTURES / "amap_export_hangzhou.tsv")
    assert raw.file_crs == "gcj02"
    assert raw.detected.startswith("tab-separated text table with a header, 3 row(s)")
    assert "not read: 'wgs84', 'bd09'" in raw.detected
    assert raw.cells["host_type"].tolist() == ["生活服务场所", "火车站", "加油站"]
    assert raw.cells["电话"].tolist() == ["0571-00000001;0571-00000002", "", ""]


def test_an_unknown_coordinate_column_names_the_ones_there_are():
    with pytest.raises(DataError, match="its coordinate columns are 'wgs84', 'gcj02', 'bd09'"):
        read_detected(FIXTURES / "amap_export_hangzhou.tsv", coordinates="bd09mc")


def test_a_headerless_export_names_the_columns_it_saw():
    with pytest.raises(DataError) as caught:
        read_detected(FIXTURES / "amap_export_headerless.csv")
    message = str(caught.value)
    assert "cannot tell which column is which" in message
    assert "A '东单暖心驿站', B '东城区东单北大街', C '116.424236,39.914399', D '010-00000001'" in (
        message
    )
    assert "/" not in message.split(":", 1)[0]  # the file by its name only


def test_a_file_mixing_datums_is_read_by_its_row_datum_column(regions):
    raw = read_detected(FIXTURES / "mixed_datums.csv")
    assert "no datum in its header: wgs84 unless --crs" in raw.detected
    result = parse_stations(raw, regions, kind="warm_heart")
    assert result.errors == ()
    got = result.stations
    assert_near_m(got["lon"], got["lat"], [DONGDAN, GUOMAO, TIANANMEN], tolerance_m=0.5)


def test_amap_poi_json(regions):
    raw = read_detected(FIXTURES / "amap_place_text.json")
    assert (raw.detected, raw.row_label, raw.file_crs) == (
        "Amap POI JSON, 2 POI(s), datum GCJ-02",
        "POI",
        "gcj02",
    )
    result = parse_stations(raw, regions, kind="warm_heart")
    assert result.errors == () and result.warnings == ()
    got = result.stations
    assert got["id"].tolist() == ["B000TEST01", "B000TEST02"]
    assert got["phone"].tolist() == ["010-00000001;010-00000002", ""]
    assert got["host_type"].tolist() == ["生活服务场所", "加油站"]
    assert got["address"].tolist() == ["东单北大街1号", ""]  # Amap's [] is blank
    assert got["district_name"].tolist() == ["东城区", "朝阳区"]
    assert_near_m(got["lon"], got["lat"], [DONGDAN, GUOMAO], tolerance_m=0.5)


def test_an_amap_error_answer_is_refused(tmp_path: Path):
    path = tmp_path / "answer.json"
    path.write_text('{"status": "0", "info": "INVALID_USER_KEY", "pois": []}', encoding="utf-8")
    with pytest.raises(DataError, match=r"reports an error .*INVALID_USER_KEY"):
        read_detected(path)


def test_baidu_place_json_in_bd09(regions):
    raw = read_detected(FIXTURES / "baidu_place.json")
    assert raw.detected == "Baidu Place API JSON, 2 result(s), datum bd09 (Baidu's default)"
    result = parse_stations(raw, regions, kind="warm_heart")
    assert result.errors == ()
    got = result.stations
    assert got["phone"].tolist() == ["(010)00000001", ""]
    assert_near_m(got["lon"], got["lat"], [DONGDAN, GUOMAO], tolerance_m=0.5)


def test_baidu_mercator_metres_are_bd09mc(regions):
    raw = read_detected(FIXTURES / "baidu_place_mercator.json")
    assert raw.file_crs == "bd09mc" and "metres, so Baidu Mercator" in raw.detected
    result = parse_stations(raw, regions, kind="warm_heart")
    assert result.errors == ()
    # 12934801, 4825923 is BD-09 116.194030, 39.914995 (bd09convertor), WGS84 116.1814, 39.9077.
    got = result.stations
    assert_near_m(got["lon"], got["lat"], [(116.181404, 39.907663)], tolerance_m=1.0)


@pytest.mark.parametrize(
    ("where", "value", "datum"),
    [("answer", "gcj02ll", "gcj02"), ("answer", 1, "wgs84"), ("result", "bd09ll", "bd09")],
)
def test_baidu_coord_type_is_honoured(tmp_path: Path, where: str, value: object, datum: str):
    doc = json.loads((FIXTURES / "baidu_place.json").read_text(encoding="utf-8"))
    if where == "answer":
        doc["coord_type"] = value
    else:
        doc["results"][0]["coord_type"] = value
    path = tmp_path / "baidu.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    raw = read_detected(path)
    assert raw.file_crs == datum and "named in the answer" in raw.detected


def test_baidu_per_result_datums_become_a_row_datum_column(tmp_path: Path, regions):
    doc = json.loads((FIXTURES / "baidu_place.json").read_text(encoding="utf-8"))
    gcj = coords.wgs84_to_gcj02(*GUOMAO)
    doc["results"][1]["location"] = {"lng": float(gcj[0]), "lat": float(gcj[1])}
    doc["results"][1]["coord_type"] = "gcj02ll"
    path = tmp_path / "baidu.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    raw = read_detected(path)
    assert raw.file_crs is None and raw.cells["crs"].tolist() == ["bd09", "gcj02"]
    got = parse_stations(raw, regions, kind="warm_heart").stations
    assert_near_m(got["lon"], got["lat"], [DONGDAN, GUOMAO], tolerance_m=0.5)


def test_an_unknown_baidu_coord_type_is_refused(tmp_path: Path):
    path = tmp_path / "baidu.json"
    path.write_text('{"status": 0, "coord_type": "utm", "results": []}', encoding="utf-8")
    with pytest.raises(DataError, match="coord_type 'utm'"):
        read_detected(path)


def test_json_records_are_bounded(tmp_path: Path):
    deep = tmp_path / "deep.json"
    deep.write_text('{"pois": [' + "[" * 100 + "]" * 100 + "]}", encoding="utf-8")
    with pytest.raises(DataError, match="nest 102 deep"):
        read_detected(deep)
    with pytest.raises(TooLarge, match="UPLOAD_MAX_ROWS"):
        read_detected(FIXTURES / "amap_place_text.json", limits=ReadLimits(max_rows=1))
    with pytest.raises(TooLarge, match="UPLOAD_MAX_SECONDS"):
        read_detected(FIXTURES / "baidu_place.json", limits=ReadLimits(max_seconds=0))


@pytest.mark.parametrize(
    ("fixture", "found"),
    [
        ("amap_export_hangzhou.tsv", "delimited"),
        ("amap_export_headerless.csv", "delimited"),
        ("mixed_datums.csv", "delimited"),
        ("amap_place_text.json", "amap_json"),
        ("baidu_place.json", "baidu_json"),
        ("overpass.json", "overpass"),
    ],
)
def test_formats_are_detected_from_content(fixture: str, found: str):
    path = FIXTURES / fixture
    assert detect_format(path, path.name, DEFAULT_LIMITS) == found


def test_the_content_wins_over_the_name_and_the_line_says_so(tmp_path: Path):
    path = tmp_path / "stations.csv"
    path.write_bytes((FIXTURES / "amap_place_text.json").read_bytes())
    raw = read_detected(path)
    assert raw.detected.endswith("datum GCJ-02 (the name says CSV text)")
    canonical = tmp_path / "stations.dat"
    canonical.write_text("name,lon,lat\n东单驿站,116.418,39.913\n", encoding="utf-8")
    assert read_detected(canonical).detected == "CSV text, 1 row(s)"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'<OGRVRTDataSource><OGRVRTLayer name="x"/></OGRVRTDataSource>', "GDAL VRT"),
        (b"<?xml version='1.0'?><osm version='0.6'></osm>", "XML or HTML"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, r"old \(\.xls\)"),
        (b"", "empty"),
    ],
    ids=["vrt", "xml", "xls", "empty"],
)
def test_what_no_reader_takes_is_refused(tmp_path: Path, content: bytes, message: str):
    path = tmp_path / "stations.txt"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        read_detected(path)


def test_a_canonical_csv_reads_as_before(tmp_path: Path, regions):
    path = tmp_path / "ok.csv"
    path.write_text("id,name,kind,lon,lat\na1,东单驿站,warm_heart,116.418,39.913\n", "utf-8")
    raw = read_detected(path)
    assert raw.detected == "CSV text, 1 row(s)" and raw.row_numbers.tolist() == [2]
    assert parse_stations(raw, regions).errors == ()


@pytest.mark.parametrize(
    ("limits", "setting"),
    [
        (ReadLimits(max_rows=2), "UPLOAD_MAX_ROWS"),
        (ReadLimits(max_columns=6), "UPLOAD_MAX_COLUMNS"),
        (ReadLimits(max_cells=20), "UPLOAD_MAX_CELLS"),
        (ReadLimits(max_seconds=0), "UPLOAD_MAX_SECONDS"),
    ],
    ids=["rows", "columns", "cells", "seconds"],
)
def test_text_exports_are_bounded(tmp_path: Path, limits: ReadLimits, setting: str):
    path = tmp_path / "export.tsv"
    row = (FIXTURES / "amap_export_hangzhou.tsv").read_text(encoding="utf-8").splitlines()[1]
    header = (FIXTURES / "amap_export_hangzhou.tsv").read_text(encoding="utf-8").splitlines()[0]
    path.write_text("\n".join([header] + [row] * 2_500) + "\n", encoding="utf-8")
    with pytest.raises(TooLarge, match=setting):
        read_detected(path, limits=limits)


def test_a_baidu_error_answer_is_refused(tmp_path: Path):
    path = tmp_path / "answer.json"
    path.write_text('{"status": 302, "message": "天配额超限", "results": []}', encoding="utf-8")
    with pytest.raises(DataError, match="Baidu answer reports an error"):
        read_detected(path)
