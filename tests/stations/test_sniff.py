"""The content must be the format the extension declares; only then is a reader chosen."""

from __future__ import annotations

import io
import zipfile

import geopandas as gpd
import pytest
from shapely.geometry import Point

from locator.errors import DataError
from locator.stations.limits import ReadLimits
from locator.stations.readers import read_layer, read_raw
from locator.stations.sniff import content_format, sniff


@pytest.mark.parametrize(
    ("head", "found"),
    [
        (b"SQLite format 3\x00" + b"\x00" * 52 + b"GPKG", "gpkg"),
        (b"SQLite format 3\x00" + b"\x00" * 60, "sqlite"),
        (b"PK\x03\x04rest", "xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
        (b'\xef\xbb\xbf  {"type": "FeatureCollection"}', "geojson"),
        ("名称,经度\n".encode("gbk"), "csv"),
        (b"<html><body>", "xml"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
    ],
)
def test_content_formats(head: bytes, found: str):
    assert content_format(head, len(head), "f") == found


@pytest.mark.parametrize(
    "head",
    [
        b"<OGRVRTDataSource/>",
        b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- x -->\n<OGRVRTDataSource>',
        b"name,lon\n<ogrvrtdatasource>,1\n",
        b"<VRTDataset rasterXSize='1'>",
    ],
)
def test_a_vrt_is_refused_whatever_surrounds_it(head: bytes):
    with pytest.raises(DataError, match="GDAL VRT document"):
        content_format(head, len(head), "f")


def test_content_must_match_the_extension(tmp_path):
    frame = gpd.GeoDataFrame({"name": ["x"]}, geometry=[Point(116.4, 39.9)], crs="EPSG:4326")
    frame.to_file(tmp_path / "real.gpkg")
    (tmp_path / "stations.csv").write_bytes((tmp_path / "real.gpkg").read_bytes())
    with pytest.raises(DataError, match="the content is a GeoPackage, not CSV text"):
        read_raw(tmp_path / "stations.csv")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", "x")
    (tmp_path / "zones.geojson").write_bytes(buf.getvalue())
    with pytest.raises(DataError, match="the content is an XLSX workbook, not GeoJSON"):
        read_layer(tmp_path / "zones.geojson")
    (tmp_path / "book.xlsx").write_bytes(buf.getvalue())
    with pytest.raises(DataError, match="a zip archive, but not an Excel workbook"):
        read_raw(tmp_path / "book.xlsx")


def test_the_byte_limit_is_checked_before_reading(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("name\n" + "x\n" * 100, encoding="utf-8")
    with pytest.raises(DataError, match=r"big\.csv: the file has 205 bytes; the limit is 100"):
        sniff(path, path.name, ReadLimits(max_bytes=100))


def test_a_folder_or_missing_file_is_refused(tmp_path):
    (tmp_path / "dir.csv").mkdir()
    for name in ("dir.csv", "missing.csv"):
        with pytest.raises(DataError, match=f"{name}: no such file"):
            read_raw(tmp_path / name)
