"""Experiment: refine the default Beijing demand model with shared-only point layers.

Run from the project root::

    .venv/bin/python bench/demand_refine.py [--cell-size-m 500] [--no-record]

The default model (:func:`locator.demand.beijing_model`) spreads each district's 2020
census population around GeoNames places. This experiment builds a second surface from
three layers that exist only in ``../shared/data`` (never copied into the project, see
its PROVENANCE.md), read at run time:

* 329 township (街道/乡镇) centre points, ``townships/beijing_townships_2023_points_wgs84.csv``;
* 2,331 community/village (社区/村) points with coordinates,
  ``townships/vonng_adcode_2016_communities_beijing.csv`` (``lon_wgs84``, ``lat_wgs84``);
* 328 subway stations, ``transit/beijing_subway_stations_osm_2019.csv`` (``lat``, ``lng``).

Each layer is a sum of Gaussian kernels (strength 1 per point; sigma in ``LAYERS``),
scaled so that each layer carries the same total; the "extra" surface is the sum of the
three, shaped within each district exactly like the default model (5 % floor, district
census total). The "refined" surface is the mean of the default and the extra surface,
so it keeps every district total. It reports how much weight shifts: the share of
demand within 1 km (geodesic, cell centre to nearest station) of a subway station under
each surface, the share in the densest 10 % of cells, the correlation of the surfaces,
and the share of demand that moves (half the sum of absolute differences).

When ``../shared/data`` is absent (a fresh clone), it prints a message and exits 0.
Results go to BENCHMARKS.md, under this script's own heading, only if that file exists
and ``--no-record`` is not given.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree
from scipy.stats import spearmanr

from locator import coords
from locator.demand import FLOOR_SHARE, Demand, beijing_model, gaussian_kernels

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
BENCHMARKS = ROOT / "BENCHMARKS.md"
HEADING = "## Demand model refinement (bench/demand_refine.py)"
LAYERS = {  # name: (file under SHARED, lon column, lat column, sigma_m)
    "townships": ("townships/beijing_townships_2023_points_wgs84.csv", "lon_wgs84", "lat_wgs84",
                  1500.0),
    "communities": ("townships/vonng_adcode_2016_communities_beijing.csv", "lon_wgs84",
                    "lat_wgs84", 750.0),
    "subway": ("transit/beijing_subway_stations_osm_2019.csv", "lng", "lat", 750.0),
}  # fmt: skip
NEAR_SUBWAY_M = 1000.0
REFINED_SHARE = 0.5  # of the refined surface that comes from the extra layers


def read_layer(name: str) -> pd.DataFrame:
    """lon, lat (WGS84) of the points of one shared layer that have coordinates."""
    file, lon_col, lat_col, _ = LAYERS[name]
    table = pd.read_csv(SHARED / file, usecols=[lon_col, lat_col])
    table = table.rename(columns={lon_col: "lon", lat_col: "lat"})
    return table.dropna().reset_index(drop=True)


def extra_surface(model: Demand, layers: dict[str, pd.DataFrame]) -> np.ndarray:
    """The extra layers' kernels, shaped per district like the default model."""
    kernel = np.zeros(len(model.weight))
    for name, points in layers.items():
        centres_m = np.column_stack(coords.to_metric(points["lon"], points["lat"]))
        k = gaussian_kernels(model.x_m, model.y_m, centres_m, np.ones(len(points)), LAYERS[name][3])
        kernel += k / k.sum()
    frame = pd.DataFrame({"d": model.district_adcode, "w": model.weight, "k": kernel})
    groups = frame.groupby("d")
    total, n, k_sum = (
        groups[c].transform(f) for c, f in (("w", "sum"), ("w", "size"), ("k", "sum"))
    )
    shape = FLOOR_SHARE / n + (1.0 - FLOOR_SHARE) * frame["k"] / k_sum
    return (total * shape).to_numpy()


def near_share(model: Demand, weight: np.ndarray, points: pd.DataFrame, radius_m: float) -> float:
    """Share of ``weight`` in cells whose centre is within ``radius_m`` of a point (geodesic)."""
    tree = cKDTree(np.column_stack(coords.to_metric(points["lon"], points["lat"])))
    _, idx = tree.query(np.column_stack([model.x_m, model.y_m]), k=3)  # Albers shortlist
    lon, lat = points["lon"].to_numpy(), points["lat"].to_numpy()
    dist_m = np.min(
        [coords.geodesic_distance_m(model.lon, model.lat, lon[i], lat[i]) for i in idx.T], axis=0
    )
    return float(weight[dist_m <= radius_m].sum() / weight.sum())


def top_share(weight: np.ndarray, fraction: float = 0.1) -> float:
    """Share of the total held by the densest ``fraction`` of cells."""
    ordered = np.sort(weight)[::-1]
    return float(ordered[: int(len(ordered) * fraction)].sum() / ordered.sum())


def report(model: Demand, layers: dict[str, pd.DataFrame], build_s: float) -> str:
    """Markdown section with the comparison."""
    extra = extra_surface(model, layers)
    refined = (1.0 - REFINED_SHARE) * model.weight + REFINED_SHARE * extra
    surfaces = {"default": model.weight, "extra layers only": extra, "refined (mean)": refined}
    rows = [
        f"| {name} | {near_share(model, w, layers['subway'], NEAR_SUBWAY_M):.1%} "
        f"| {near_share(model, w, layers['townships'], NEAR_SUBWAY_M):.1%} | {top_share(w):.1%} |"
        for name, w in surfaces.items()
    ]
    moved = 0.5 * np.abs(refined - model.weight).sum() / model.weight.sum()
    moved_extra = 0.5 * np.abs(extra - model.weight).sum() / model.weight.sum()
    pearson = np.corrcoef(model.weight, refined)[0, 1]
    pearson_extra = np.corrcoef(model.weight, extra)[0, 1]
    spearman = spearmanr(model.weight, extra).statistic
    labels = {"townships": "township points", "communities": "community points"}
    counts = ", ".join(f"{len(p):,} {labels.get(n, 'subway stations')}" for n, p in layers.items())
    header = (
        "| surface | within 1 km of a subway station | within 1 km of a township centre "
        "| in the densest 10 % of cells |\n|---|---|---|---|"
    )
    return f"""{HEADING}

Default Beijing model: {len(model.weight):,} cells of {model.cell_size_m:g} m, built in
{build_s:.2f} s. Extra layers from `../shared/data` (shared only, read at run time):
{counts}. Kernel sigma 1.5 km (townships), 0.75 km (communities, subway); each layer
carries one third of the extra kernel mass; the same 5 % floor and district census totals
as the default. Refined = mean of default and extra. Distances are geodesic from cell
centres to the nearest point.

{header}
{chr(10).join(rows)}

- Demand that moves, default to refined: {moved:.1%} (to extra-only: {moved_extra:.1%}).
- Pearson correlation of cell weights: default vs refined {pearson:.3f}, default vs extra
  {pearson_extra:.3f}; Spearman default vs extra {spearman:.3f}.
- District totals are identical by construction; only the shape within districts changes.
"""


def record(text: str) -> bool:
    """Replace or append this script's section in BENCHMARKS.md, if that file exists."""
    if not BENCHMARKS.exists():
        return False
    old = BENCHMARKS.read_text(encoding="utf-8")
    start = old.find(HEADING)
    if start < 0:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        end = old.find("\n## ", start + len(HEADING))
        new = old[:start] + text + ("" if end < 0 else "\n" + old[end + 1 :])
    BENCHMARKS.write_text(new, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell-size-m", type=float, default=500.0)
    parser.add_argument("--no-record", action="store_true", help="do not write BENCHMARKS.md")
    args = parser.parse_args(argv)
    if not SHARED.is_dir():
        print(f"{SHARED} is absent (a fresh clone has no shared data): nothing to compare.")
        return 0
    start = time.perf_counter()
    model = beijing_model(ROOT / "data", cell_size_m=args.cell_size_m)
    build_s = time.perf_counter() - start
    text = report(model, {name: read_layer(name) for name in LAYERS}, build_s)
    print(text)
    if not args.no_record and record(text):
        print(f"recorded in {BENCHMARKS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
