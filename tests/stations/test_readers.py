"""Each format and encoding a union's file may come in, with Chinese headers."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from openpyxl import Workbook
from shapely.geometry import Point

from locator.errors import DataError, TooLarge
from locator.stations.readers import read_raw
from locator.stations.validation import parse_stations

CHINESE_CSV = """\
名称,地址,经度,纬度,类型,设施/服务项目,开放时间,电话,所属单位
东单驿站,东城区东单北大街,116.418,39.913,暖心驿站,有淋浴、可洗衣、24小时热水,24/7,010-0000,工会服务站
西安港司机之家,国际港务区,108.94,34.27,司机之家,货车停车、淋浴,Mo-Su 06:00-23:00,,物流园区
"""


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_are_detected(tmp_path: Path, regions, encoding: str) -> None:
    path = tmp_path / "stations.csv"
    path.write_bytes(CHINESE_CSV.encode(encoding))
    raw = read_raw(path)
    assert list(raw.cells.columns)[:4] == ["名称", "地址", "经度", "纬度"]
    assert raw.row_numbers.tolist() == [2, 3]
    result = parse_stations(raw, regions)
    assert result.errors == ()
    first = result.stations.iloc[0]
    assert (first["name"], first["kind"], first["host_type"]) == (
        "东单驿站",
        "warm_heart",
        "工会服务站",
    )
    assert (first["shower"], first["laundry"], first["hot_water_24h"]) == ("yes", "yes", "yes")
    assert result.stations["kind"].tolist() == ["warm_heart", "driver_home"]
    assert result.stations["truck_parking"].tolist() == ["unknown", "yes"]


def test_undecodable_bytes_are_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"name\n\xff\xfe\xff\x81\x30\n")
    with pytest.raises(DataError, match="neither UTF-8 nor GBK"):
        read_raw(path)


def test_xlsx_with_chinese_headers_and_one_column_per_amenity(tmp_path: Path, regions) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["北京市户外劳动者服务站点"])  # a title row above the header
    sheet.append([])
    sheet.append(["编号", "名称", "经度", "纬度", "淋浴", "是否有微波炉", "卫生间", "营业时间"])
    sheet.append(["x1", "东单驿站", 116.418, 39.913, "√", "×", None, "24/7"])
    sheet.append(["x2", "国贸驿站", 116.461, 39.909, "有", "无", 1, None])
    book.save(tmp_path / "stations.xlsx")
    raw = read_raw(tmp_path / "stations.xlsx")
    result = parse_stations(raw, regions, kind="warm_heart")
    assert raw.row_numbers.tolist()[-2:] == [4, 5] and raw.row_label == "row"
    assert [p.code for p in result.errors] == []
    assert result.stations["shower"].tolist() == ["yes", "yes"]
    assert result.stations["microwave"].tolist() == ["no", "no"]
    assert result.stations["toilet"].tolist() == ["unknown", "yes"]
    assert result.stations["lon"].tolist() == [116.418, 116.461]


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
def test_vector_formats_give_feature_numbers(tmp_path: Path, regions, suffix: str) -> None:
    frame = gpd.GeoDataFrame(
        {"name": ["东单驿站", "国贸驿站"], "kind": ["warm_heart", "bad"], "设施": ["淋浴", ""]},
        geometry=[Point(116.418, 39.913), Point(116.461, 39.909)],
        crs="EPSG:4326",
    )
    path = tmp_path / f"stations{suffix}"
    frame.to_file(path)
    raw = read_raw(path)
    assert raw.row_label == "feature" and raw.row_numbers.tolist() == [1, 2]
    result = parse_stations(raw, regions)
    assert [(p.row, p.code) for p in result.errors] == [(2, "bad_kind")]
    assert result.stations["lon"].tolist() == [116.418]
    assert result.stations["shower"].tolist() == ["yes"]


def test_projected_geopackage_is_converted_from_its_own_crs(tmp_path: Path, regions) -> None:
    frame = gpd.GeoDataFrame(
        {"name": ["东单驿站"], "kind": ["warm_heart"]},
        geometry=[Point(116.418, 39.913)],
        crs="EPSG:4326",
    ).to_crs("EPSG:3857")
    frame.to_file(tmp_path / "m.gpkg")
    result = parse_stations(read_raw(tmp_path / "m.gpkg"), regions)
    assert result.errors == ()
    assert result.stations["lon"].iloc[0] == pytest.approx(116.418, abs=1e-6)


def test_unsupported_suffix_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="unsupported file type"):
        read_raw(tmp_path / "stations.pdf")
    with pytest.raises(DataError, match="no such file"):
        read_raw(tmp_path / "missing.csv")


def test_a_geopackage_is_read_whatever_its_name(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"name": ["东单驿站"]}, geometry=[Point(116.418, 39.913)], crs="EPSG:4326"
    )
    frame.to_file(tmp_path / "plain.gpkg")
    for name in ("a:b.gpkg", "a!b.gpkg", "http:x.gpkg"):  # GDAL and pyogrio parse such names
        (tmp_path / name).write_bytes((tmp_path / "plain.gpkg").read_bytes())
        raw = read_raw(tmp_path / name)
        assert (raw.name, raw.cells["lon"].tolist()) == (name, ["116.418"])


def test_an_attribute_table_with_lon_lat_columns_is_a_station_table(tmp_path: Path) -> None:
    import pandas as pd
    import pyogrio

    table = pd.DataFrame({"name": ["东单驿站"], "lon": [116.418], "lat": [39.913]})
    pyogrio.write_dataframe(table, tmp_path / "t.gpkg", driver="GPKG")
    assert read_raw(tmp_path / "t.gpkg").cells.values.tolist() == [
        ["东单驿站", "116.418", "39.913"]
    ]


def test_a_geopackage_layer_that_is_a_view_is_not_read(tmp_path: Path) -> None:
    import sqlite3

    frame = gpd.GeoDataFrame({"name": ["x"]}, geometry=[Point(116.4, 39.9)], crs="EPSG:4326")
    path = tmp_path / "v.gpkg"
    frame.to_file(path, layer="t")
    with sqlite3.connect(path) as db:
        db.execute("CREATE VIEW slow AS SELECT * FROM t AS a, t AS b, t AS c")
        db.execute("UPDATE gpkg_contents SET table_name = 'slow' WHERE table_name = 't'")
    with pytest.raises(
        DataError, match=r"v\.gpkg: the GeoPackage has no feature or attribute table"
    ):
        read_raw(path)


def test_csv_bytes_are_checked_like_a_file() -> None:
    from locator.stations.limits import ReadLimits
    from locator.stations.readers import read_csv_bytes

    cells = read_csv_bytes("lon,lat\n116.4,39.9\n".encode("gbk"), "upload.csv")
    assert cells.values.tolist() == [["116.4", "39.9"]]
    with pytest.raises(DataError, match=r"upload\.csv: this is a GDAL VRT document"):
        read_csv_bytes(b"<OGRVRTDataSource/>", "upload.csv")
    with pytest.raises(DataError, match=r"upload\.csv: the content is binary data, not CSV"):
        read_csv_bytes(b"\x00\x01", "upload.csv")
    with pytest.raises(TooLarge, match="UPLOAD_MAX_ROWS"):
        read_csv_bytes(b"lon,lat\n1,2\n3,4\n", "upload.csv", ReadLimits(max_rows=1))
