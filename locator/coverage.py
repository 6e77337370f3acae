"""Coverage: which demand existing stations reach, and the sparse matrix the optimiser needs.

A demand cell is covered when a station lies within ``radius_m`` of its centre
(ellipsoidal distance). Matrices come from a radius query on earth-centred
coordinates (chord <= geodesic, so the query finds every pair) filtered by the
geodesic the chord spans (:func:`locator.geodesy.arc_from_chord_m`, within 1e-8
of it at these radii); no dense distance matrix is ever built.

Default radii, both assumptions: 1,000 m for warm-heart stations (a few
minutes by e-bike) and 15,000 m for driver's homes (about a quarter of an
hour of truck driving, the spacing of expressway service areas).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from locator.demand import Demand
from locator.geodesy import arc_from_chord_m, ecef_m
from locator.index import Filters, StationIndex

DEFAULT_RADIUS_M = {"warm_heart": 1000.0, "driver_home": 15000.0}
PERCENTILES = (50, 75, 90, 95)
MAX_CLUSTERS = 10


def cover_matrix(
    demand_lon: np.ndarray,
    demand_lat: np.ndarray,
    site_lon: np.ndarray,
    site_lat: np.ndarray,
    radius_m: float,
) -> sp.csr_matrix:
    """Boolean (n_demand, n_sites) matrix: True where the site is within ``radius_m``."""
    n_d, n_s = len(demand_lon), len(site_lon)
    if n_d == 0 or n_s == 0:
        return sp.csr_matrix((n_d, n_s), dtype=bool)
    tree = cKDTree(ecef_m(site_lon, site_lat))
    pairs = cKDTree(ecef_m(demand_lon, demand_lat)).sparse_distance_matrix(
        tree, radius_m, output_type="ndarray"
    )
    d_idx, s_idx = pairs["i"], pairs["j"]
    keep = arc_from_chord_m(pairs["v"], demand_lat[d_idx]) <= radius_m  # the chord's geodesic
    data = np.ones(int(keep.sum()), dtype=bool)
    return sp.csr_matrix((data, (d_idx[keep], s_idx[keep])), shape=(n_d, n_s))


def covered_mask(
    demand: Demand, site_lon: np.ndarray, site_lat: np.ndarray, radius_m: float
) -> np.ndarray:
    """Demand cells with at least one site within ``radius_m``."""
    matrix = cover_matrix(demand.lon, demand.lat, site_lon, site_lat, radius_m)
    return np.diff(matrix.indptr) > 0


@dataclass(frozen=True)
class Cluster:
    """A connected patch of uncovered cells (8-neighbour), with its weighted centre."""

    lon: float
    lat: float
    weight: float
    cells: int
    district_name: str


@dataclass(frozen=True)
class CoverageSummary:
    """Covered share of demand overall and per district, distances and uncovered clusters.

    ``districts`` has one row per district: adcode, name, demand, covered
    demand, covered share and the number of stations in it.
    """

    radius_m: float
    total_weight: float
    covered_weight: float
    covered_share: float
    districts: pd.DataFrame
    distance_percentiles_m: dict[int, float]
    clusters: tuple[Cluster, ...]


def district_table(
    demand: Demand, covered: np.ndarray, station_districts: np.ndarray
) -> pd.DataFrame:
    """Per-district demand, covered demand, covered share and station count."""
    frame = pd.DataFrame(
        {
            "district_adcode": demand.district_adcode,
            "district_name": demand.district_name,
            "demand": demand.weight,
            "covered": np.where(covered, demand.weight, 0.0),
        }
    )
    table = frame.groupby(["district_adcode", "district_name"], as_index=False, sort=True).sum()
    table["covered_share"] = np.where(table["demand"] > 0, table["covered"] / table["demand"], 0)
    counts = pd.Series(station_districts).value_counts()
    table["stations"] = table["district_adcode"].map(counts).fillna(0).astype(int)
    return table


def weighted_percentiles(
    values: np.ndarray, weights: np.ndarray, percentiles: tuple[int, ...] = PERCENTILES
) -> dict[int, float]:
    """Weighted percentiles (the value below which that share of the weight lies)."""
    ok = np.isfinite(values) & (weights > 0)
    if not ok.any():
        return {q: float("nan") for q in percentiles}
    order = np.argsort(values[ok])
    v, cum = values[ok][order], np.cumsum(weights[ok][order])
    return {q: float(v[np.searchsorted(cum, q / 100 * cum[-1])]) for q in percentiles}


def uncovered_clusters(
    demand: Demand, covered: np.ndarray, limit: int = MAX_CLUSTERS
) -> tuple[Cluster, ...]:
    """The heaviest patches of uncovered, populated cells touching edge or corner.

    "Populated" means at least as dense as the cells holding the top 75 % of
    demand, so that thinly populated countryside does not merge into one patch.
    """
    dense = weighted_percentiles(demand.weight, demand.weight, (25,))[25]
    rows = np.flatnonzero(~covered & (demand.weight >= dense) & (demand.weight > 0))
    if len(rows) == 0:
        return ()
    xy = np.column_stack([demand.x_m[rows], demand.y_m[rows]])
    pairs = cKDTree(xy).query_pairs(demand.cell_size_m * 1.5, output_type="ndarray")
    graph = sp.coo_matrix(
        (np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(rows), len(rows))
    )
    _, label = connected_components(graph, directed=False)
    w = demand.weight[rows]
    totals = np.bincount(label, weights=w)
    out = []
    for c in np.argsort(-totals)[:limit]:
        members = rows[label == c]
        mw = demand.weight[members]
        heaviest = members[np.argmax(mw)]
        out.append(
            Cluster(
                float(np.average(demand.lon[members], weights=mw)),
                float(np.average(demand.lat[members], weights=mw)),
                float(totals[c]),
                len(members),
                str(demand.district_name[heaviest]),
            )
        )
    return tuple(out)


def summarise(
    demand: Demand,
    site_lon: np.ndarray,
    site_lat: np.ndarray,
    site_districts: np.ndarray,
    radius_m: float,
    nearest_m: np.ndarray,
) -> CoverageSummary:
    """Coverage of ``demand`` by the sites; ``nearest_m`` is each cell's nearest-site distance."""
    covered = covered_mask(demand, site_lon, site_lat, radius_m)
    total = float(demand.weight.sum())
    got = float(demand.weight[covered].sum())
    return CoverageSummary(
        radius_m=radius_m,
        total_weight=total,
        covered_weight=got,
        covered_share=got / total if total else 0.0,
        districts=district_table(demand, covered, site_districts),
        distance_percentiles_m=weighted_percentiles(nearest_m, demand.weight),
        clusters=uncovered_clusters(demand, covered),
    )


def station_coverage(
    demand: Demand, index: StationIndex, filters: Filters, radius_m: float
) -> CoverageSummary:
    """Coverage of ``demand`` by the indexed stations that pass ``filters`` (e.g. a shower)."""
    rows = index.subset(filters).rows
    _, nearest = index.nearest_many(demand.lon, demand.lat, 1, filters)
    districts = index.table.frame["district_adcode"].to_numpy()[rows]
    return summarise(demand, index.lon[rows], index.lat[rows], districts, radius_m, nearest[:, 0])
