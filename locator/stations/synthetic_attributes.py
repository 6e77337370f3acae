"""SYNTHETIC station attributes: host, hours, amenities, names, addresses and phones.

:mod:`locator.stations.synthetic` places the stations; this module invents what each one offers
and what it is called. The assumptions below continue the numbered list in that
module's docstring. The host types follow the public facts listed there (链家 stores,
logistics parks, expressway service areas, fuel stations); the shares and everything
else are invented for a plausible demo, not measured.

4. Host types (share): warm_heart: 链家门店 16 % (1,457 / 9,000), 社区服务站 20 %,
   工会服务站 14 %, 银行网点 14 %, 便利店 10 %, 环卫工作站 8 %, 商场/写字楼 7 %,
   加油站 6 %, 党群服务中心 5 %. driver_home: 物流园区 40 %, 高速服务区 35 %, 加油站 25 %.
5. Opening hours (OSM syntax; blank = unknown): warm_heart: "Mo-Su 08:00-20:00" 30 %,
   "Mo-Su 07:00-22:00" 25 %, "Mo-Fr 09:00-18:00" 20 %, "24/7" 15 %, blank 10 %.
   driver_home: "24/7" 75 %, "Mo-Su 07:00-22:00" 15 %, blank 10 %.
6. Amenities: each cell is "yes" with the percentage below (warm_heart/driver_home),
   else "no", independently; a 便利店 host always has convenience_store, a 加油站 host
   convenience_store and toilet, a 高速服务区 host food, convenience_store and toilet.
   Then 10 % of the cells are blanked (unknown), except where the percentage is 0 or
   100 (those define the kind). Keys missing from the table get 10/10.
   rest_area 97/100, drinking_water 95/95, hot_water_24h 75/90, toilet 70/95,
   shower 4/80, laundry 3/70, dryer 1/35, microwave 45/60, phone_charging 90/95,
   power_bank 20/20, ebike_charging 10/5, first_aid 80/85, lockers 15/30,
   vending_24h 5/50, convenience_store 12/60, food 10/80, air_conditioning 85/90,
   wifi 55/85, repair_tools 35/50, rain_gear 40/20, books 35/40, truck_parking 0/100,
   vehicle_repair 1/40, emergency_rescue 2/35, etc_service 0/40, fuel_discount 1/40,
   smoking_area 5/50, sewing_kit 30/20, reading_glasses 25/10.
7. Labels: names "<district short name>街区<n>暖心驿站（<host>）" and
   "<county short name><host>司机之家" (a repeat gets "（2号）"); name_en
   ("Warm-heart station <n> near <place>") and the address cite the nearest GeoNames
   place; 40 % of stations get a fake phone "010-0000nnnn" / "029-0000nnnn" (real
   local numbers never start with 0), the rest none; ``updated`` is always 2022-09-01.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from locator import amenities
from locator.coords import to_metric

UPDATED = "2022-09-01"
UNKNOWN_SHARE = 0.1
PHONE_SHARE = 0.4
DEFAULT_PCT = (10, 10)
HOSTS: dict[str, dict[str, int]] = {
    "warm_heart": {"链家门店": 16, "社区服务站": 20, "工会服务站": 14, "银行网点": 14, "便利店": 10,
                   "环卫工作站": 8, "商场/写字楼": 7, "加油站": 6, "党群服务中心": 5},
    "driver_home": {"物流园区": 40, "高速服务区": 35, "加油站": 25},
}  # fmt: skip
HOURS: dict[str, dict[str, int]] = {
    "warm_heart": {"Mo-Su 08:00-20:00": 30, "Mo-Su 07:00-22:00": 25, "Mo-Fr 09:00-18:00": 20,
                   "24/7": 15, "": 10},
    "driver_home": {"24/7": 75, "Mo-Su 07:00-22:00": 15, "": 10},
}  # fmt: skip
HOST_YES = {"便利店": ("convenience_store",), "加油站": ("convenience_store", "toilet"),
            "高速服务区": ("food", "convenience_store", "toilet")}  # fmt: skip
AMENITY_PCT = {  # key: (% yes at warm_heart, % yes at driver_home), before blanking
    "rest_area": (97, 100), "drinking_water": (95, 95), "hot_water_24h": (75, 90),
    "toilet": (70, 95), "shower": (4, 80), "laundry": (3, 70), "dryer": (1, 35),
    "microwave": (45, 60), "phone_charging": (90, 95), "power_bank": (20, 20),
    "ebike_charging": (10, 5), "first_aid": (80, 85), "lockers": (15, 30),
    "vending_24h": (5, 50), "convenience_store": (12, 60), "food": (10, 80),
    "air_conditioning": (85, 90), "wifi": (55, 85), "repair_tools": (35, 50),
    "rain_gear": (40, 20), "books": (35, 40), "truck_parking": (0, 100),
    "vehicle_repair": (1, 40), "emergency_rescue": (2, 35), "etc_service": (0, 40),
    "fuel_discount": (1, 40), "smoking_area": (5, 50), "sewing_kit": (30, 20),
    "reading_glasses": (25, 10),
}  # fmt: skip
LABELS = {"warm_heart": ("bj-wh-{:05d}", "Warm-heart station", "010"),
          "driver_home": ("sn-dh-{:03d}", "Driver's home", "029")}  # fmt: skip


def draw_attributes(
    kind: str,
    admin: pd.DataFrame,
    lon: np.ndarray,
    lat: np.ndarray,
    places: pd.DataFrame,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """The attribute columns of one kind's stations, numbered 1..n in row order.

    Parameters
    ----------
    kind
        "warm_heart" or "driver_home".
    admin
        One row per station with ``district_adcode``, ``district_name``, ``city_name``
        and ``province_name`` (strings), index 0..n-1.
    lon, lat
        The stations' WGS84 degrees.
    places
        GeoNames places with ``name`` and Albers metres ``x_m``, ``y_m``; the nearest
        one names each station's neighbourhood. May be empty only when ``admin`` is.
    rng
        Consumed in a fixed order (host, phone, opening hours, amenities), so the same
        generator state gives the same columns.

    Returns
    -------
    Column name to values (arrays of length n, or a scalar for ``updated``): id, name,
    name_en, address, phone, opening_hours, host_type, updated and every amenity key.
    """
    host = _draw(rng, HOSTS[kind], len(admin))
    labels = _labels(kind, admin, host, _nearest_place(places, lon, lat))
    labels["phone"] = np.where(rng.random(len(admin)) < PHONE_SHARE, labels["phone"], "")
    return {
        **labels,
        "opening_hours": _draw(rng, HOURS[kind], len(admin)),
        "host_type": host,
        "updated": UPDATED,
        **_amenities(kind, host, rng),
    }


def _draw(rng: np.random.Generator, table: dict[str, int], n: int) -> np.ndarray:
    """Draw ``n`` keys of ``table`` weighted by its percentages."""
    pct = np.array(list(table.values()), dtype=float)
    return np.array(list(table), dtype=object)[rng.choice(len(table), n, p=pct / pct.sum())]


def _amenities(kind: str, host: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Amenity columns: "yes" or "no", then UNKNOWN_SHARE of the cells blank (unknown)."""
    col = 0 if kind == "warm_heart" else 1
    out = {}
    for key in amenities.KEYS:
        yes = rng.random(len(host)) * 100 < AMENITY_PCT.get(key, DEFAULT_PCT)[col]
        yes |= np.isin(host, [h for h, keys in HOST_YES.items() if key in keys])
        values = np.where(yes, amenities.YES, amenities.NO).astype(object)
        if 0 < AMENITY_PCT.get(key, DEFAULT_PCT)[col] < 100:  # certain cells stay known
            values[rng.random(len(host)) < UNKNOWN_SHARE] = ""
        out[key] = values
    return out


def _nearest_place(places: pd.DataFrame, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Name of the nearest place to each point (Albers metres)."""
    x, y = to_metric(lon, lat)
    d2 = (x[:, None] - places["x_m"].to_numpy()) ** 2 + (y[:, None] - places["y_m"].to_numpy()) ** 2
    return places["name"].to_numpy()[d2.argmin(axis=1)] if len(x) else np.array([], dtype=object)


def _labels(kind: str, admin: pd.DataFrame, host: np.ndarray, place: np.ndarray) -> dict:
    """id, name, name_en, address and phone for one kind, numbered 1..n in row order."""
    id_format, label, area = LABELS[kind]
    seq = range(1, len(admin) + 1)
    short = admin["district_name"].map(lambda s: s[:-1] if len(s) > 2 and s[-1] in "区县市" else s)
    if kind == "warm_heart":
        block = (admin.groupby("district_adcode").cumcount() + 1).astype(str)
        name = short + "街区" + block + "暖心驿站（" + host + "）"
    else:
        name = short + host + "司机之家"
    k = name.groupby(name).cumcount() + 1
    name = name.where(k == 1, name + "（" + k.astype(str) + "号）")
    city = admin["city_name"].where(admin["city_name"] != admin["province_name"], "")
    en = [f"{label} {i} near {p}" for i, p in zip(seq, place, strict=True)]
    return {
        "id": [id_format.format(i) for i in seq],
        "name": name,
        "name_en": en,
        "address": admin["province_name"]
        + city
        + admin["district_name"]
        + place
        + "附近（合成地址）",
        "phone": [f"{area}-0000{i % 10000:04d}" for i in seq],
    }
