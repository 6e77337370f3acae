"""The synthetic station generator: determinism, placement, allocation and schema.

The per-station attributes (hosts, hours, amenities, labels) are tested in
test_synthetic_attributes.py.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

from locator import amenities
from locator.stations import synthetic
from locator.stations.synthetic import allocate_counts, build_default, generate_stations

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
CANONICAL = [
    "id", "name", "name_en", "kind", "lon", "lat", "address",
    "province_adcode", "province_name", "city_adcode", "city_name",
    "district_adcode", "district_name", "opening_hours", "host_type", "phone", "source",
    "updated",
]  # fmt: skip
# Largest remainder of 300 over the 2020 census (quotas: 东城 9.71, 西城 15.16, 朝阳 47.31,
# 丰台 27.68, 石景山 7.78, 海淀 42.94, 门头沟 5.38, 房山 17.99, 通州 25.22, 顺义 18.14,
# 昌平 31.10, 大兴 27.32, 怀柔 6.04, 平谷 6.27, 密云 7.23, 延庆 4.74): floors sum to 293,
# the 7 largest remainders (东城, 石景山, 延庆, 房山, 海淀, 丰台, 门头沟) get one more.
BEIJING_300 = {
    "110101": 10, "110102": 15, "110105": 47, "110106": 28, "110107": 8, "110108": 43,
    "110109": 6, "110111": 18, "110112": 25, "110113": 18, "110114": 31, "110115": 27,
    "110116": 6, "110117": 6, "110118": 7, "110119": 5,
}  # fmt: skip
# 20 over Shaanxi with 杨凌 in 咸阳: quotas 西安 6.55, 铜川 0.35, 宝鸡 1.68, 咸阳 2.13,
# 渭南 2.37, 延安 1.16, 汉中 1.63, 榆林 1.83, 安康 1.26, 商洛 1.03.
SHAANXI_20 = {
    "610100": 7, "610300": 2, "610400": 2, "610500": 2, "610600": 1, "610700": 2,
    "610800": 2, "610900": 1, "611000": 1,
}  # fmt: skip


@pytest.fixture(scope="module")
def stations() -> pd.DataFrame:
    return generate_stations(DATA_DIR, seed=7, n_beijing=300, n_shaanxi=20)


@pytest.fixture(scope="module")
def districts() -> dict[str, tuple[dict[str, str], shapely.Geometry]]:
    layer = json.loads((DATA_DIR / "boundaries/admin_districts.geojson").read_text("utf-8"))
    return {
        f["properties"]["district_adcode"]: (f["properties"], shape(f["geometry"]))
        for f in layer["features"]
    }


def test_allocate_counts_by_hand() -> None:
    # quotas 4.29, 4.29, 1.43: floors 4, 4, 1 and the largest remainder (1.43) gets the 10th
    assert allocate_counts(10, [3, 3, 1]).tolist() == [4, 4, 2]
    assert allocate_counts(2, [1, 1, 1]).tolist() == [1, 1, 0]  # ties: earlier entry first
    assert allocate_counts(0, [5, 7]).tolist() == [0, 0]


def test_counts_follow_largest_remainder(stations: pd.DataFrame) -> None:
    warm = stations[stations["kind"] == "warm_heart"]
    assert warm.groupby("district_adcode").size().to_dict() == BEIJING_300
    homes = stations[stations["kind"] == "driver_home"]
    assert homes.groupby("city_adcode").size().to_dict() == SHAANXI_20


@pytest.mark.parametrize("n", [1, 2, 3])
def test_xian_always_gets_a_driver_home(n: int) -> None:
    homes = generate_stations(DATA_DIR, n_beijing=0, n_shaanxi=n)
    assert len(homes) == n and "610100" in set(homes["city_adcode"])


def test_same_seed_same_bytes(stations: pd.DataFrame) -> None:
    again = generate_stations(DATA_DIR, seed=7, n_beijing=300, n_shaanxi=20)
    assert again.to_csv(float_format="%.6f") == stations.to_csv(float_format="%.6f")
    other = generate_stations(DATA_DIR, seed=8, n_beijing=300, n_shaanxi=20)
    assert not np.array_equal(other["lon"].to_numpy(), stations["lon"].to_numpy())


def test_every_point_lies_in_its_stated_district(stations: pd.DataFrame, districts) -> None:
    assert (stations["lon"] == stations["lon"].round(6)).all()
    for code, rows in stations.groupby("district_adcode"):
        props, geom = districts[code]
        assert shapely.contains_xy(geom, rows["lon"], rows["lat"]).all(), code
        for field in ("province_adcode", "province_name", "city_adcode", "city_name"):
            assert set(rows[field]) == {props[field]}
        assert set(rows["district_name"]) == {props["district_name"]}


def test_columns_are_canonical(stations: pd.DataFrame) -> None:
    assert list(stations.columns) == CANONICAL + list(amenities.KEYS)
    assert list(synthetic.COLUMNS) == CANONICAL + list(amenities.KEYS)


def test_kinds_ids_and_labels(stations: pd.DataFrame) -> None:
    assert stations["kind"].tolist() == ["warm_heart"] * 300 + ["driver_home"] * 20
    assert stations["id"].iloc[:300].tolist() == [f"bj-wh-{i:05d}" for i in range(1, 301)]
    assert stations["id"].iloc[300:].tolist() == [f"sn-dh-{i:03d}" for i in range(1, 21)]
    assert set(stations["source"]) == {"synthetic (locator.stations.synthetic, seed 7)"}
    assert stations["address"].str.endswith("附近（合成地址）").all()
    assert stations["name"].is_unique
    assert stations["name"].iloc[:300].str.contains("暖心驿站（").all()
    assert stations["name"].iloc[300:].str.contains("司机之家").all()
    assert stations["phone"].map(lambda p: p == "" or re.fullmatch(r"(010|029)-0000\d{4}", p)).all()
    assert set(stations["updated"]) == {"2022-09-01"}


def test_docstring_states_the_placement_numbers() -> None:
    doc = " ".join((synthetic.__doc__ or "").split())
    assert f"{synthetic.KERNEL_SHARE:.0%}".replace("%", " %") in doc
    for kind, (base_m, per_log_m) in synthetic.SIGMA_M.items():
        assert (
            f"{base_m / 1000:g} km + {per_log_m / 1000:g} km * ln(1 + population) for {kind}" in doc
        )
    assert "locator.stations.synthetic_attributes" in doc  # where assumptions 4-7 live


def test_build_default_writes_csv_and_meta(tmp_path: Path) -> None:
    for sub in ("boundaries", "census", "places"):
        shutil.copytree(DATA_DIR / sub, tmp_path / sub)
    path = build_default(tmp_path, seed=3)
    assert path == tmp_path / "stations" / "synthetic_stations.csv"
    meta = json.loads(path.with_suffix(".meta.json").read_text("utf-8"))
    assert meta["synthetic"] is True and meta["seed"] == 3
    assert meta["counts_by_kind"] == {"warm_heart": 9000, "driver_home": 20}
    assert meta["count"] == 9020 and meta["generator"] == "locator.stations.synthetic"
    text = path.read_text("utf-8")
    assert text.splitlines()[0] == ",".join(CANONICAL + list(amenities.KEYS))
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "synthetic_stations.csv",
        "synthetic_stations.meta.json",
    ]
