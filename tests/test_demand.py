"""Demand surfaces: census totals per unit, concentration and the grid."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from locator import coords, demand
from locator.demand import Demand, beijing_model, default_model, shaanxi_model
from locator.errors import BadQuery
from tests.conftest import DATA

# 2020 census, copied from data/census/*.csv.
CHAOYANG, YANQING, BEIJING_TOTAL = 3_452_460, 345_671, 21_893_095
XIANYANG, YANGLING, XIAN, SHAANXI_TOTAL = 3_959_842, 253_871, 12_952_907, 39_528_999
# The county table (census/shaanxi_counties_2020.csv): 榆阳区, 商州区, 咸阳 and 西安 by county.
YUYANG, SHANGZHOU, XIANYANG_COUNTIES, XIAN_COUNTIES = 967_639, 472_978, 4_983_340, 12_183_280
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
    assert beijing_2km.totals == "census"  # district totals are the districts' own census


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


def test_shaanxi_counties_sum_to_their_own_census(shaanxi: Demand) -> None:
    counties = by_district(shaanxi)
    assert len(counties) == 107 and shaanxi.totals == "census"
    assert counties["610802"] == YUYANG and counties["611002"] == SHANGZHOU  # not 3.1 M, 1.83 M
    assert counties["610403"] == YANGLING and counties["610305"] == 386_156  # 凤翔, renamed
    assert by_district(shaanxi, prefix="6104")["6104"] == XIANYANG_COUNTIES
    assert by_district(shaanxi, prefix="6101")["6101"] == XIAN_COUNTIES
    assert math.fsum(shaanxi.weight) == SHAANXI_TOTAL
    assert "per county" in shaanxi.description
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


def test_docs_state_the_model_numbers() -> None:
    doc = demand.__doc__ or ""
    assert "MODEL, not a measurement" in doc
    assert (demand.BEIJING_CELL_M, demand.SHAANXI_CELL_M, demand.FLOOR_SHARE) == (500, 2000, 0.05)
    assert demand.SIGMA_M == {"beijing": (2000.0, 120.0), "shaanxi": (3000.0, 200.0)}
    for text in ("500 m", "2 km", "5 %", "2 km + 0.12 km", "3 km + 0.2 km", "3 sigma"):
        assert text in doc
    readme = (DATA / "README.md").read_text("utf-8")
    assert "## Demand model (locator/demand.py)" in readme and "modelled, not measured" in readme
    assert "`census/shaanxi_counties_2020.csv`" in readme and "census 2020" in readme
    assert "shaanxi_counties_2020.csv" in doc and "only its modelled share" in doc


def _data_dir(root: Path, census: dict[str, str]) -> Path:
    """The shipped boundaries and places, with only the census files given (name: text)."""
    for folder in ("boundaries", "places"):
        (root / folder).symlink_to(DATA / folder)
    (root / "census").mkdir()
    for name, text in census.items():
        (root / "census" / name).write_text(text, encoding="utf-8")
    return root


def test_county_totals_come_from_the_county_table(tmp_path: Path) -> None:
    # A hand-made county table: every county 1,000 people, 榆阳区 7.
    counties = pd.read_csv(DATA / "census" / "shaanxi_counties_2020.csv", dtype=str)
    counties["pop_census_2020"] = np.where(counties["district_adcode"] == "610802", 7, 1000)
    data_dir = _data_dir(tmp_path, {"shaanxi_counties_2020.csv": counties.to_csv(index=False)})
    model = shaanxi_model(data_dir, cell_size_m=5000.0)
    sums = by_district(model)
    assert sums["610802"] == 7 and sums["610403"] == 1000 and set(sums.values()) == {7, 1000}
    assert math.fsum(model.weight) == 106 * 1000 + 7 and model.totals == "census"


def test_counties_missing_from_the_county_table_are_prefecture_shares(tmp_path: Path) -> None:
    # 榆阳区 missing: 榆林's other 11 counties keep their census figures, 榆阳区 gets the rest
    # of 榆林's prefecture total; all 12 are marked modelled, the other prefectures not.
    counties = pd.read_csv(DATA / "census" / "shaanxi_counties_2020.csv", dtype=str)
    kept = counties[counties["district_adcode"] != "610802"]
    prefectures = (DATA / "census" / "shaanxi_prefectures_2020.csv").read_text("utf-8")
    tables = {"shaanxi_counties_2020.csv": kept.to_csv(index=False),
              "shaanxi_prefectures_2020.csv": prefectures}  # fmt: skip
    model = shaanxi_model(_data_dir(tmp_path, tables), cell_size_m=5000.0)
    sums = by_district(model)
    yulin = pd.read_csv(DATA / "census" / "shaanxi_prefectures_2020.csv", dtype=str)
    yulin_total = int(yulin.loc[yulin["prefecture_adcode"] == "610800", "pop_census_2020"].iloc[0])
    others = kept[kept["prefecture_adcode"] == "610800"]["pop_census_2020"].astype(int).sum()
    assert sums["610802"] == yulin_total - others and sums["611002"] == 472_978
    assert model.totals == "mixed" and model.modelled == {
        c for c in counties["district_adcode"] if c.startswith("6108")
    }
    assert "12 are shares of the prefecture total" in model.description


def test_without_the_county_table_shaanxi_counties_are_shares(tmp_path: Path) -> None:
    prefectures = (DATA / "census" / "shaanxi_prefectures_2020.csv").read_text("utf-8")
    data_dir = _data_dir(tmp_path, {"shaanxi_prefectures_2020.csv": prefectures})
    model = shaanxi_model(data_dir, cell_size_m=5000.0)
    assert model.totals == "share" and "per prefecture" in model.description
    assert by_district(model, prefix="6104")["6104"] == XIANYANG + YANGLING  # 杨凌 in 咸阳
    assert by_district(model, prefix="6101")["6101"] == XIAN
