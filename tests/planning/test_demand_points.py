"""User demand points: summed into grid cells, datums, bad rows, encodings and file types."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from locator import coords
from locator.errors import DataError
from locator.planning.demand_points import from_points
from locator.regions import load_regions
from tests.conftest import DATA

GUOMAO = (116.461, 39.909)  # 国贸, 朝阳区 (110105)


def cell_centre(lon: float, lat: float, cell_m: float = 500.0) -> tuple[float, float]:
    """Albers centre of the grid cell holding (lon, lat)."""
    x, y = coords.to_metric(lon, lat)
    return (math.floor(x / cell_m) + 0.5) * cell_m, (math.floor(y / cell_m) + 0.5) * cell_m


def lonlat_at(x_m: float, y_m: float) -> tuple[float, float]:
    lon, lat = coords.from_metric(x_m, y_m)
    return round(float(lon), 7), round(float(lat), 7)


def test_points_aggregate_to_cells(tmp_path: Path) -> None:
    cx, cy = cell_centre(*GUOMAO)
    a, b, c = lonlat_at(cx - 100, cy + 100), lonlat_at(cx + 100, cy - 100), lonlat_at(cx + 2000, cy)
    path = tmp_path / "orders.csv"
    path.write_text(f"lon,lat,orders\n{a[0]},{a[1]},2\n{b[0]},{b[1]},3\n{c[0]},{c[1]},7\n")
    model = from_points(path, DATA)
    assert len(model.weight) == 2 and sorted(model.weight) == [5.0, 7.0]
    first = np.argmin(np.hypot(model.x_m - cx, model.y_m - cy))
    assert (model.x_m[first], model.y_m[first]) == (cx, cy) and model.weight[first] == 5.0
    assert model.district_adcode[first] == "110105" and model.district_name[first] == "朝阳区"
    assert "orders.csv" in model.description and "3 points" in model.description


def test_gcj02_points_land_in_the_wgs84_cell(tmp_path: Path) -> None:
    cx, cy = cell_centre(*GUOMAO)
    lon, lat = lonlat_at(cx, cy)
    glon, glat = coords.wgs84_to_gcj02(lon, lat)
    path = tmp_path / "amap.csv"
    path.write_text(f"lng,lat\n{float(glon):.7f},{float(glat):.7f}\n")
    model = from_points(path, DATA, crs="gcj-02")
    assert (model.x_m[0], model.y_m[0], model.weight[0]) == (cx, cy, 1.0)
    raw = from_points(path, DATA)  # read as WGS84, it lands about 550 m east
    assert raw.x_m[0] != cx


def test_bad_row_names_file_row_column_and_value(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("lon,lat,weight\n116.461,39.909,1\n116.40,39.91,2\nabc,39.9,1\n")
    with pytest.raises(DataError) as info:
        from_points(path, DATA)
    message = str(info.value)
    assert "bad.csv" in message and "row 4" in message and "'lon'" in message
    assert "'abc'" in message
    assert [(p.row, p.column, p.value) for p in info.value.problems] == [(4, "lon", "abc")]


def test_negative_weight_and_outside_region_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("lon,lat,count\n116.461,39.909,-1\n")
    with pytest.raises(DataError, match=r"row 2, column 'count'.*'-1'"):
        from_points(path, DATA)
    path.write_text("lon,lat\n116.461,39.909\n108.94,34.27\n")  # the second is in 西安
    with pytest.raises(DataError, match=r"w.csv: row 3, column 'lon'.*outside beijing"):
        from_points(path, DATA)
    assert len(from_points(path, DATA, region="beijing,shaanxi").weight) == 2
    path.write_text("name,weight\na,1\n")
    with pytest.raises(DataError, match="no lon or lat column"):
        from_points(path, DATA)


def test_gbk_csv_with_chinese_headers(tmp_path: Path) -> None:
    path = tmp_path / "订单.csv"
    text = "网点,经度,纬度,订单数\n国贸,116.461,39.909,120\n国贸二,116.4612,39.9091,30\n"
    path.write_bytes(text.encode("gbk"))
    model = from_points(path, DATA)
    assert model.weight.tolist() == [150.0] and model.district_name.tolist() == ["朝阳区"]


def test_projected_geopackage_uses_its_own_crs(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"订单数": [4, 6]}, geometry=[Point(*GUOMAO), Point(108.94, 34.27)], crs="EPSG:4326"
    ).to_crs("EPSG:3857")
    frame.to_file(tmp_path / "orders.gpkg")
    model = from_points(tmp_path / "orders.gpkg", DATA, region="beijing,shaanxi", cell_size_m=2000)
    assert sorted(model.weight) == [4.0, 6.0]
    # The Xi'an point is in 莲湖区 (610104), but its 2 km cell's centre is in 新城区.
    assert set(model.district_adcode) == {"110105", "610102"}


def test_cell_centre_outside_the_region_keeps_its_first_points_district(tmp_path: Path) -> None:
    point = (115.7751, 40.4634)  # in 延庆区, 500 m from the Hebei border
    centre = coords.from_metric(*cell_centre(*point))
    regions = load_regions(DATA, "beijing")
    assert regions.locate(*(np.array([v]) for v in point)).tolist() != [-1]
    assert regions.locate(*(np.array([v]) for v in centre)).tolist() == [-1]
    path = tmp_path / "edge.csv"
    path.write_text(f"lon,lat\n{point[0]},{point[1]}\n")
    assert from_points(path, DATA).district_name.tolist() == ["延庆区"]
