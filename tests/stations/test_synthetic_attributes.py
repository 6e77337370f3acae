"""Synthetic station attributes: host types, hours, amenity cells, names and addresses."""

from __future__ import annotations

import numpy as np
import pandas as pd

from locator import amenities
from locator.coords import to_metric
from locator.stations import synthetic_attributes
from locator.stations.synthetic_attributes import _labels, draw_attributes

ADMIN = ["district_adcode", "district_name", "city_name", "province_name"]
DONGCHENG = ("110101", "东城区", "北京市", "北京市")
HAIDIAN = ("110108", "海淀区", "北京市", "北京市")
YANTA = ("610113", "雁塔区", "西安市", "陕西省")


def _places() -> pd.DataFrame:
    """Two places about 10 km apart: Andingmen (东城) and Zhongguancun (海淀)."""
    places = pd.DataFrame({"name": ["Andingmen", "Zhongguancun"], "lon": [116.41, 116.31],
                           "lat": [39.95, 39.98]})  # fmt: skip
    places["x_m"], places["y_m"] = to_metric(places["lon"].to_numpy(), places["lat"].to_numpy())
    return places


def _draw(kind: str, rows: list[tuple[str, ...]], lon: list[float], lat: list[float], seed: int):
    admin = pd.DataFrame(rows, columns=ADMIN)
    rng = np.random.default_rng(seed)
    return draw_attributes(kind, admin, np.array(lon), np.array(lat), _places(), rng)


def test_labels_by_hand() -> None:
    admin = pd.DataFrame([DONGCHENG, DONGCHENG, HAIDIAN], columns=ADMIN)
    host = np.array(["便利店", "便利店", "加油站"], dtype=object)
    place = np.array(["Andingmen", "Andingmen", "Zhongguancun"], dtype=object)
    warm = _labels("warm_heart", admin, host, place)
    assert warm["id"] == ["bj-wh-00001", "bj-wh-00002", "bj-wh-00003"]
    assert warm["name"].tolist() == [
        "东城街区1暖心驿站（便利店）", "东城街区2暖心驿站（便利店）", "海淀街区1暖心驿站（加油站）",
    ]  # fmt: skip
    assert warm["name_en"][2] == "Warm-heart station 3 near Zhongguancun"
    assert (
        warm["address"][0] == "北京市东城区Andingmen附近（合成地址）"
    )  # city == province: dropped
    assert warm["phone"] == ["010-00000001", "010-00000002", "010-00000003"]
    homes = _labels("driver_home", pd.DataFrame([YANTA, YANTA], columns=ADMIN), host[:2], place[:2])
    assert homes["name"].tolist() == ["雁塔便利店司机之家", "雁塔便利店司机之家（2号）"]
    assert homes["id"] == ["sn-dh-001", "sn-dh-002"]
    assert homes["address"][1] == "陕西省西安市雁塔区Andingmen附近（合成地址）"


def test_nearest_place_phone_and_date() -> None:
    out = _draw("warm_heart", [DONGCHENG, HAIDIAN], [116.42, 116.30], [39.94, 39.99], seed=1)
    assert out["name_en"] == [
        "Warm-heart station 1 near Andingmen",
        "Warm-heart station 2 near Zhongguancun",
    ]
    assert set(out["phone"]) <= {"", "010-00000001", "010-00000002"}
    assert out["updated"] == "2022-09-01"
    assert set(out["host_type"]) <= set(synthetic_attributes.HOSTS["warm_heart"])
    assert set(out["opening_hours"]) <= set(synthetic_attributes.HOURS["warm_heart"])


def test_amenity_cells_are_tri_state() -> None:
    warm = pd.DataFrame(_draw("warm_heart", [DONGCHENG] * 300, [116.41] * 300, [39.95] * 300, 7))
    homes = pd.DataFrame(_draw("driver_home", [YANTA] * 20, [108.95] * 20, [34.22] * 20, 7))
    cells = pd.concat([warm, homes])[list(amenities.KEYS)].to_numpy()
    assert set(np.unique(cells)) <= {"yes", "no", ""}
    assert (homes["truck_parking"] == "yes").all()  # defines the kind: never blanked
    assert (warm["truck_parking"] == "no").all()
    assert 0 < (warm["shower"] == "yes").mean() < 0.1
    assert 0.05 < (cells == "").mean() < 0.15


def test_host_implies_amenities() -> None:
    warm = pd.DataFrame(_draw("warm_heart", [DONGCHENG] * 300, [116.41] * 300, [39.95] * 300, 2))
    homes = pd.DataFrame(_draw("driver_home", [YANTA] * 100, [108.95] * 100, [34.22] * 100, 2))
    both = pd.concat([warm, homes])
    for host, keys in synthetic_attributes.HOST_YES.items():  # forced "yes", may be blanked
        rows = both[both["host_type"] == host]
        assert len(rows) and rows[list(keys)].isin(["yes", ""]).all().all(), host


def test_docstring_states_every_assumption() -> None:
    doc = " ".join((synthetic_attributes.__doc__ or "").split())
    assert set(amenities.KEYS) <= set(synthetic_attributes.AMENITY_PCT)
    for key, (warm, home) in synthetic_attributes.AMENITY_PCT.items():
        assert f"{key} {warm}/{home}" in doc
    for hosts in synthetic_attributes.HOSTS.values():
        for host, pct in hosts.items():
            assert f"{host} {pct} %" in doc
    for hours in synthetic_attributes.HOURS.values():
        for value, pct in hours.items():
            assert (f'"{value}" {pct} %' if value else f"blank {pct} %") in doc
