"""Demand surfaces: where outdoor workers need rest stations, as weights on a metric grid.

The default surfaces are a MODEL, not a measurement: census counts spread by assumption.
No dataset of where couriers, riders, sanitation workers or truck drivers actually are
was available. Every assumption, with its numbers:

1. Grid: squares of ``cell_size_m`` in the Albers equal-area projection of
   :func:`locator.coords.to_metric`, aligned to multiples of the cell size, so every
   surface with the same cell size (model or user points) shares one grid. A cell is
   kept if its centre lies in a polygon of ``boundaries/admin_districts.geojson`` and
   carries that polygon's district (first polygon wins on a shared border); cells cut by
   a border count whole, on the side of their centre.
2. Cell size: Beijing 500 m (about 65,600 cells over 16,400 km², finer than the 1 to
   3 km a rider goes out of the way to rest); Shaanxi 2 km (about 51,400 cells over
   205,600 km²; at 500 m it would be 820,000 cells, and driver's homes serve trucks
   over tens of kilometres).
3. Units and totals: each Beijing district (16) and each Shaanxi county (107) gets its
   2020 census population (``census/shaanxi_counties_2020.csv``, the census county table),
   so every district total in the tables is a census figure (``Demand.totals ==
   "census"``). Only when that file is missing do Shaanxi's totals fall back to the
   prefecture census (``census/shaanxi_prefectures_2020.csv``: 10 polygons, grouped by
   ``polygon_city_adcode`` so that 杨凌示范区 (253,871) is added to 咸阳 (3,959,842)),
   and a county's total is then only its modelled share of its prefecture's
   (``totals == "share"``). If the county table lacks some counties, every county of a
   prefecture with a missing one becomes a modelled share (its own figure where the table
   has it, the rest of the prefecture's total to the missing ones by area; the rules of
   :mod:`locator.census`), listed in ``Demand.modelled`` (``totals == "mixed"``).
   The cells of a unit sum to its census figure exactly
   (``math.fsum``; the largest cell absorbs the rounding).
4. Shape within a unit: a cell gets
   ``P * (FLOOR_SHARE / n + (1 - FLOOR_SHARE) * k / sum(k))`` with ``n`` cells,
   ``FLOOR_SHARE`` = 5 % spread evenly (no inhabited cell is exactly zero) and
   ``k = sum_p s_p * exp(-d² / (2 sigma_p²))`` over the province's GeoNames places
   (neighbouring units' places count too, so the shape is continuous across borders and
   only its scale jumps there). Strength ``s_p = 1 + ln(1 + population)`` (most places
   report 0, so s = 1; Beijing's 18,960,744 gives 17.8). ``sigma_p = 2 km + 0.12 km *
   ln(1 + population)`` in Beijing (2.0 to 4.0 km) and ``3 km + 0.2 km * ln(1 +
   population)`` in Shaanxi (3.0 to 6.2 km), cut at 3 sigma; d in Albers metres. A unit
   no kernel reaches is uniform.

Ignored: daytime versus night population (the census counts residents; couriers gather
in business districts by day), the road network and access, actual courier, rider or
truck activity, land use (lakes, mountains and parks get the floor share), change since
2020, and gaps in the GeoNames place list.

User demand, weighted points summed into the same grid, is in :mod:`locator.planning.demand_points`.
Any other region's default demand (the national county census, spread evenly over each
county) is in :mod:`locator.demand_census`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from locator import census, coords
from locator.errors import BadQuery, DataError
from locator.regions import PROVINCES, PerRegion, load_regions

BEIJING_CELL_M = 500.0
SHAANXI_CELL_M = 2000.0
CELL_M: PerRegion[float] = PerRegion(lambda t: t.cell_size_m)  # by region type (regions.py)
CELL_SIZE_RANGE_M = (100.0, 50_000.0)
FLOOR_SHARE = 0.05
KERNEL_CUTOFF_SIGMAS = 3.0
SIGMA_M = {"beijing": (2000.0, 120.0), "shaanxi": (3000.0, 200.0)}  # base, per ln(1 + pop)
CENSUS_TOTALS, SHARE_TOTALS, POINT_TOTALS = "census", "share", "points"  # Demand.totals
MIXED_TOTALS = "mixed"  # some districts census, others modelled shares (``Demand.modelled``)


@dataclass(frozen=True)
class CensusTable:
    """A census table under data_dir, its unit column, the polygons' column, the unit's name,
    and what a district's total then is (CENSUS_TOTALS or SHARE_TOTALS)."""

    file: str
    key: str
    polygon_key: str
    unit: str
    totals: str


CENSUS = {  # region: its census tables, the first one present wins
    "beijing": (CensusTable("census/beijing_districts_2020.csv", "district_adcode",
                            "district_adcode", "district", CENSUS_TOTALS),),
    "shaanxi": (CensusTable("census/shaanxi_counties_2020.csv", "district_adcode",
                            "district_adcode", "county", CENSUS_TOTALS),
                CensusTable("census/shaanxi_prefectures_2020.csv", "polygon_city_adcode",
                            "city_adcode", "prefecture", SHARE_TOTALS)),
}  # fmt: skip
PLACES_FILE = "places/geonames_places.csv"


@dataclass(frozen=True, eq=False)
class Demand:
    """Demand cells: centres in WGS84 and Albers metres, weights, and the district each is in.

    Arrays are read-only and of one length; ``weight`` is float64 and >= 0.
    ``description`` is one line saying what model or source this is; ``totals`` what a
    district's summed weight is: its 2020 census figure (``"census"``), a modelled share
    of a larger census unit (``"share"``), census for some and shares for the districts
    in ``modelled`` (``"mixed"``), or the user's points (``"points"``).
    """

    lon: np.ndarray  # cell centres, WGS84 degrees
    lat: np.ndarray
    x_m: np.ndarray  # the same in locator.coords Albers metres (the grid axes)
    y_m: np.ndarray
    weight: np.ndarray
    district_adcode: np.ndarray  # str per cell ("" if none)
    district_name: np.ndarray
    cell_size_m: float
    description: str
    totals: str = CENSUS_TOTALS
    modelled: frozenset[str] = frozenset()  # district adcodes whose total is a modelled share

    def __post_init__(self) -> None:
        arrays = [v for v in vars(self).values() if isinstance(v, np.ndarray)]
        if len({len(a) for a in arrays}) != 1:
            raise ValueError("Demand arrays must all have the same length")
        for a in arrays:
            a.setflags(write=False)


def check_cell_size(cell_size_m: float) -> None:
    low, high = CELL_SIZE_RANGE_M
    if not (math.isfinite(cell_size_m) and low <= cell_size_m <= high):
        raise BadQuery(f"cell_size_m must be between {low:g} and {high:g} m, got {cell_size_m}.")


def _to_metric_xy(xy: np.ndarray) -> np.ndarray:
    """Project an (n, 2) array of lon, lat to Albers metres (for shapely.transform)."""
    return np.column_stack(coords.to_metric(xy[:, 0], xy[:, 1]))


def _grid(polys_m: np.ndarray, cell_size_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centres (x_m, y_m) of the cells whose centre lies in a polygon, and that polygon's index.

    ``polys_m`` must be prepared shapely polygons in Albers metres. A centre on a border
    shared by two polygons goes to the first.
    """
    x0, y0, x1, y1 = shapely.total_bounds(polys_m)
    xs, ys = (
        (np.arange(math.floor(lo / cell_size_m), math.floor(hi / cell_size_m) + 1) + 0.5)
        * cell_size_m
        for lo, hi in ((x0, x1), (y0, y1))
    )
    owner = np.full((ys.size, xs.size), -1, dtype=np.int64)
    for i, poly in enumerate(polys_m):
        bx0, by0, bx1, by1 = poly.bounds
        cols = slice(np.searchsorted(xs, bx0), np.searchsorted(xs, bx1, side="right"))
        rows = slice(np.searchsorted(ys, by0), np.searchsorted(ys, by1, side="right"))
        gx, gy = np.meshgrid(xs[cols], ys[rows])
        block = owner[rows, cols]  # a view: writing to it fills ``owner``
        block[(block < 0) & shapely.intersects_xy(poly, gx, gy)] = i
    row, col = np.nonzero(owner >= 0)
    return xs[col], ys[row], owner[row, col]


def gaussian_kernels(
    x_m: np.ndarray, y_m: np.ndarray, centres_m: np.ndarray, strength: Any, sigma_m: Any
) -> np.ndarray:
    """Sum of ``strength * exp(-d² / (2 sigma_m²))`` over the centres, at each point.

    Points and the (n, 2) ``centres_m`` are Albers metres; each kernel is cut at
    ``KERNEL_CUTOFF_SIGMAS`` sigma (a KD-tree radius query, no dense distance matrix).
    """
    out = np.zeros(len(x_m))
    if not len(x_m) or not len(centres_m):
        return out
    sigma = np.broadcast_to(np.asarray(sigma_m, dtype=float), len(centres_m))
    tree = cKDTree(np.column_stack([x_m, y_m]))
    hits = tree.query_ball_point(centres_m, KERNEL_CUTOFF_SIGMAS * sigma)
    for idx, (cx, cy), s, sig in zip(hits, centres_m, strength, sigma, strict=True):
        near = np.asarray(idx, dtype=np.int64)
        d2 = (x_m[near] - cx) ** 2 + (y_m[near] - cy) ** 2
        out[near] += s * np.exp(-d2 / (2.0 * sig * sig))
    return out


def _exact_total(weight: np.ndarray, total: float) -> np.ndarray:
    """Nudge the largest weight so that ``math.fsum(weight) == total`` exactly."""
    for _ in range(8):
        gap = total - math.fsum(weight)
        if gap == 0.0:
            break
        weight[np.argmax(weight)] += gap
    return weight


def _spread(kernel: np.ndarray, unit: np.ndarray, totals: pd.Series) -> np.ndarray:
    """Weights: each unit's total over its cells, FLOOR_SHARE evenly, the rest by kernel."""
    weight = np.zeros(kernel.size)
    for code, total in totals.items():
        rows = np.flatnonzero(unit == code)
        if not rows.size:
            raise BadQuery(f"no cell centre falls in unit {code}; use a smaller cell_size_m.")
        share = np.full(rows.size, 1.0 / rows.size)
        k = kernel[rows]
        if k.sum() > 0:
            share = FLOOR_SHARE * share + (1.0 - FLOOR_SHARE) * k / k.sum()
        weight[rows] = _exact_total(float(total) * share, float(total))
    return weight


def census_table(data_dir: Path, region: str) -> CensusTable:
    """The first of ``region``'s census tables present in ``data_dir``; DataError if none."""
    for table in CENSUS[region]:
        if (Path(data_dir) / table.file).is_file():
            return table
    raise DataError(f"{CENSUS[region][-1].file}: no census table for {region} in the data folder.")


def _census(data_dir: Path, table: CensusTable) -> pd.Series:
    """2020 census population per unit code (summed per polygon unit, e.g. 杨凌 in 咸阳)."""
    frame = pd.read_csv(data_dir / table.file, dtype={table.key: str})
    return frame.groupby(table.key)["pop_census_2020"].sum().astype(np.int64)


def _place_kernels(data_dir: Path, region: str, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
    """Kernel sum ``k`` of the region's GeoNames places at the cell centres."""
    places = pd.read_csv(data_dir / PLACES_FILE, dtype={"province_adcode": str})
    places = places[places["province_adcode"] == PROVINCES[region]]
    centres_m = np.column_stack(coords.to_metric(places["lon"], places["lat"]))
    log_pop = np.log1p(places["population"].to_numpy(dtype=float))
    base_m, per_log_m = SIGMA_M[region]
    return gaussian_kernels(x_m, y_m, centres_m, 1.0 + log_pop, base_m + per_log_m * log_pop)


def _model(data_dir: Path, region: str, cell_size_m: float) -> Demand:
    """Build the census-and-places model of ``region`` (see the module docstring)."""
    check_cell_size(cell_size_m)
    data_dir = Path(data_dir)
    districts = load_regions(data_dir, region).districts
    table = census_table(data_dir, region)
    totals, units = _census(data_dir, table), districts[table.polygon_key].to_numpy(dtype=str)
    polys_m = shapely.transform(districts.geometry.to_numpy(), _to_metric_xy)
    shares: frozenset[str] = frozenset()
    if table.totals == SHARE_TOTALS:  # every county's figure is a share of its prefecture's
        shares = frozenset(districts["district_adcode"].astype(str))
    elif set(units) != set(totals.index):
        totals, shares = _county_shares(data_dir, region, table, totals, units, polys_m)
    shapely.prepare(polys_m)
    x_m, y_m, owner = _grid(polys_m, cell_size_m)
    weight = _spread(_place_kernels(data_dir, region, x_m, y_m), units[owner], totals)
    kind = table.totals if not shares or table.totals == SHARE_TOTALS else MIXED_TOTALS
    note = f" ({len(shares)} are shares of the prefecture total)" if kind == MIXED_TOTALS else ""
    text = (
        f"{region.capitalize()} demand model, {cell_size_m:g} m cells: 2020 census population "
        f"per {table.unit}{note} spread around GeoNames places; modelled, not measured."
    )
    return demand_from_cells(
        x_m, y_m, weight, districts.iloc[owner], cell_size_m, text, kind, shares
    )


def _county_shares(
    data_dir: Path,
    region: str,
    table: CensusTable,
    totals: pd.Series,
    units: np.ndarray,
    polys_m: np.ndarray,
) -> tuple[pd.Series, frozenset[str]]:
    """County totals when the county table lacks some of ``region``'s counties: the rules of
    :mod:`locator.census` with the region's prefecture table (each county of a prefecture
    with a missing county becomes a modelled share). DataError without that table."""
    fallback = [t for t in CENSUS[region] if t.totals == SHARE_TOTALS]
    if not fallback or not (data_dir / fallback[0].file).is_file():
        raise DataError(f"{table.file}: its units do not match the {region} polygons.")
    whole = _census(data_dir, fallback[0])
    area = dict(zip(units, shapely.area(polys_m), strict=True))
    found = census.county_totals(
        totals,
        pd.Series(whole.to_numpy(), index=[str(c)[:4] for c in whole.index]),
        list(units),
        list(units),
        lambda codes: np.array([area[c] for c in codes]),
    )
    return found.totals, found.modelled


def beijing_model(data_dir: Path, cell_size_m: float = BEIJING_CELL_M) -> Demand:
    """Beijing's default demand: 2020 district census populations around GeoNames places.

    Raises BadQuery for a cell size outside CELL_SIZE_RANGE_M or one so coarse that a
    district holds no cell centre.
    """
    return _model(data_dir, "beijing", cell_size_m)


def shaanxi_model(data_dir: Path, cell_size_m: float = SHAANXI_CELL_M) -> Demand:
    """Shaanxi's default demand: 2020 county census around GeoNames places (the prefecture
    census, 杨凌 in 咸阳, when the county table is missing).

    Cells carry their county as district. Raises BadQuery like :func:`beijing_model`.
    """
    return _model(data_dir, "shaanxi", cell_size_m)


def default_model(data_dir: Path, region: str) -> Demand:
    """The default model of ``region``: "beijing" and "shaanxi" as above, any other region
    key (an adcode) from the national county census (:mod:`locator.demand_census`).
    BadQuery for a region that is not one."""
    from locator.demand_census import census_model  # same floor; it builds on this module

    models = {"beijing": beijing_model, "shaanxi": shaanxi_model}
    key = region.strip().lower() if isinstance(region, str) else ""
    if key in models:
        return models[key](Path(data_dir))
    if key not in CELL_M:
        raise BadQuery(f"unknown demand region {region!r}; give a region key or adcode.")
    return census_model(Path(data_dir), key)


def demand_from_cells(
    x_m: np.ndarray,
    y_m: np.ndarray,
    weight: np.ndarray,
    district: pd.DataFrame,
    cell_size_m: float,
    description: str,
    totals: str = CENSUS_TOTALS,
    modelled: frozenset[str] = frozenset(),
) -> Demand:
    """A Demand from Albers cell centres and one admin row (``district``) per cell."""
    lon, lat = coords.from_metric(x_m, y_m)
    adcode, name = (district[c].to_numpy(dtype=str) for c in ("district_adcode", "district_name"))
    return Demand(
        lon, lat, x_m, y_m, weight, adcode, name, float(cell_size_m), description, totals, modelled
    )
