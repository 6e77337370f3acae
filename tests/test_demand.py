"""Demand surfaces: census totals per unit, concentration, the grid, and user points."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from locator import coords, demand
from locator.demand import Demand, beijing_model, default_model, from_points, shaanxi_model
from locator.errors import BadQuery, DataError
from locator.regions import load_regions

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
# 2020 census, copied from data/census/*.csv.
CHAOYANG, YANQING, BEIJING_TOTAL = 3_452_460, 345_671, 21_893_095
XIANYANG, YANGLING, XIAN, SHAANXI_TOTAL = 3_959_842, 253_871, 12_952_907, 39_528_999
GUOMAO = (116.461, 39.909)  # 国贸, 朝阳区 (110105)
TONGZHOU_PLACE = (116.66183, 39.90395)  # GeoNames "Tongzhou", population 163,326


@pytest.fixture(scope="module")
def beijing_2km() -> Demand:
    return beijing_model(DATA, cell_size_m=2000.0)


@pytest.fixture(scope="module")
def shaanxi() -> Demand:
    return shaanxi_model(DATA)


def by_district(model: Demand, prefix: str = "") -> dict[str, float]:
    """math.fsum of the weights per district adcode (or per adcode prefix, e.g. "6104")."""
    keys = [a[: len(prefix)] if prefix else a for a in model.district_adcode]
    return {k: math.fsum(model.weight[np.array(keys) == k]) for k in sorted(set(keys))}


def test_beijing_districts_sum_exactly_to_the_census(beijing_2km: Demand) -> None:
    sums = by_district(beijing_2km)
    assert len(sums) == 16
    assert sums["110105"] == CHAOYANG and sums["110119"] == YANQING
    assert math.fsum(beijing_2km.weight) == BEIJING_TOTAL
    assert beijing_2km.weight.sum() == pytest.approx(BEIJING_TOTAL, rel=1e-12)
    assert beijing_2km.weight.dtype == np.float64 and (beijing_2km.weight > 0).all()
    assert set(beijing_2km.district_name) >= {"朝阳区", "延庆区", "东城区"}


def test_beijing_default_500m_grid() -> None:
    model = default_model(DATA, " Beijing ")
    # Beijing is about 16,400 km²: 65,600 cells of 0.25 km² (documented "about 65,600").
    assert 64_000 <= len(model.weight) <= 67_500
    assert model.cell_size_m == 500.0 and "modelled, not measured" in model.description
    assert math.fsum(model.weight) == BEIJING_TOTAL
    offsets = np.concatenate([model.x_m, model.y_m]) / 500.0 - 0.5
    assert np.array_equal(offsets, np.round(offsets))  # centres on the shared grid
    lon, lat = coords.from_metric(model.x_m[:3], model.y_m[:3])
    assert np.allclose(model.lon[:3], lon) and np.allclose(model.lat[:3], lat)


def test_weight_concentrates_around_settlements(beijing_2km: Demand) -> None:
    x, y = coords.to_metric(*TONGZHOU_PLACE)
    in_tongzhou = beijing_2km.district_adcode == "110112"
    d2 = (beijing_2km.x_m - x) ** 2 + (beijing_2km.y_m - y) ** 2
    near = np.argmin(np.where(in_tongzhou, d2, np.inf))
    median = np.median(beijing_2km.weight[in_tongzhou])
    assert beijing_2km.weight[near] > 5 * median
    # The floor: no district cell is near zero (5 % of 通州's population spread evenly).
    floor = 0.05 * 1_840_295 / in_tongzhou.sum()
    assert beijing_2km.weight[in_tongzhou].min() >= floor * (1 - 1e-12)


def test_shaanxi_prefectures_sum_to_the_census_with_yangling_in_xianyang(shaanxi: Demand) -> None:
    sums = by_district(shaanxi, prefix="6104")
    assert sums["6104"] == XIANYANG + YANGLING
    assert by_district(shaanxi, prefix="6101")["6101"] == XIAN
    assert math.fsum(shaanxi.weight) == SHAANXI_TOTAL
    assert "610403" in set(shaanxi.district_adcode)  # cells carry counties: 杨陵区
    assert len(set(shaanxi.district_adcode)) == 107
    # About 205,600 km² in 2 km cells: documented "about 51,400".
    assert 50_000 <= len(shaanxi.weight) <= 53_000 and shaanxi.cell_size_m == 2000.0


def test_bad_region_and_cell_size() -> None:
    with pytest.raises(BadQuery, match="unknown demand region"):
        default_model(DATA, "hebei")
    with pytest.raises(BadQuery, match="cell_size_m"):
        beijing_model(DATA, cell_size_m=0.0)
    with pytest.raises(BadQuery, match="no cell centre"):  # 东城区 (42 km²) gets none
        beijing_model(DATA, cell_size_m=40_000.0)


def test_gaussian_kernels_by_hand() -> None:
    x = np.array([0.0, 1000.0, 2999.0, 3001.0])
    k = demand.gaussian_kernels(x, np.zeros(4), np.array([[0.0, 0.0]]), [2.0], [1000.0])
    assert k == pytest.approx([2.0, 2.0 * math.exp(-0.5), 2.0 * math.exp(-(2999**2) / 2e6), 0.0])


def test_demand_is_read_only(beijing_2km: Demand) -> None:
    with pytest.raises(ValueError, match="read-only"):
        beijing_2km.weight[0] = 1.0


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


def test_docs_state_the_model_numbers() -> None:
    doc = demand.__doc__ or ""
    assert "MODEL, not a measurement" in doc
    assert (demand.BEIJING_CELL_M, demand.SHAANXI_CELL_M, demand.FLOOR_SHARE) == (500, 2000, 0.05)
    assert demand.SIGMA_M == {"beijing": (2000.0, 120.0), "shaanxi": (3000.0, 200.0)}
    for text in ("500 m", "2 km", "5 %", "2 km + 0.12 km", "3 km + 0.2 km", "3 sigma"):
        assert text in doc
    readme = (DATA / "README.md").read_text("utf-8")
    assert "## Demand model (locator/demand.py)" in readme and "modelled, not measured" in readme
