"""Comparing the new sites of two plans: which they share and which only one proposes.

Two sites are the same place when they lie within ``within_m`` (default
:data:`SAME_SITE_M`) of each other on the WGS84 ellipsoid (:func:`locator.geodesy.distance_m`);
candidates are found with a KD-tree over earth-centred points, whose chord is never longer
than the geodesic, so none is missed. Each site is matched at most once, closest pairs
first. Sites are numbered by rank (1 = first chosen), as plans list them. Flask-free.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.spatial import cKDTree

from locator.geodesy import distance_m, ecef_m
from locator.planning.plan import Plan

SAME_SITE_M = 10.0


@dataclass(frozen=True)
class CommonSite:
    """A site both plans propose: its rank in each, where A puts it, and how far apart."""

    rank_a: int
    rank_b: int
    lon: float
    lat: float
    distance_m: float


@dataclass(frozen=True)
class SiteComparison:
    """Sites in common (in A's rank order) and the ranks only A or only B proposes."""

    common: tuple[CommonSite, ...]
    only_a: tuple[int, ...]
    only_b: tuple[int, ...]
    within_m: float


def compare_sites(
    a_lon: ArrayLike,
    a_lat: ArrayLike,
    b_lon: ArrayLike,
    b_lat: ArrayLike,
    within_m: float = SAME_SITE_M,
) -> SiteComparison:
    """Match the sites of A (WGS84 degrees, in rank order) to those of B within ``within_m``."""
    a_lon, a_lat = np.asarray(a_lon, float), np.asarray(a_lat, float)
    b_lon, b_lat = np.asarray(b_lon, float), np.asarray(b_lat, float)
    pairs: list[tuple[float, int, int]] = []
    if len(a_lon) and len(b_lon):
        near = cKDTree(ecef_m(a_lon, a_lat)).sparse_distance_matrix(
            cKDTree(ecef_m(b_lon, b_lat)), within_m + 1.0, output_type="ndarray"
        )  # chord bound, with a metre to spare for distance_m's own error
        i, j = near["i"].astype(int), near["j"].astype(int)
        metres = distance_m(a_lon[i], a_lat[i], b_lon[j], b_lat[j])
        keep = metres <= within_m
        pairs = sorted(zip(metres[keep].tolist(), i[keep].tolist(), j[keep].tolist(), strict=True))
    used_a: dict[int, tuple[int, float]] = {}
    used_b: set[int] = set()
    for apart_m, ia, jb in pairs:
        if ia not in used_a and jb not in used_b:
            used_a[ia] = (jb, apart_m)
            used_b.add(jb)
    common = tuple(
        CommonSite(ia + 1, jb + 1, float(a_lon[ia]), float(a_lat[ia]), round(apart_m, 2))
        for ia, (jb, apart_m) in sorted(used_a.items())
    )
    only_a = tuple(i + 1 for i in range(len(a_lon)) if i not in used_a)
    only_b = tuple(j + 1 for j in range(len(b_lon)) if j not in used_b)
    return SiteComparison(common, only_a, only_b, within_m)


def compare_plans(a: Plan, b: Plan, within_m: float = SAME_SITE_M) -> SiteComparison:
    """:func:`compare_sites` of two finished plans' new sites."""
    return compare_sites(
        a.sites["lon"].to_numpy(float),
        a.sites["lat"].to_numpy(float),
        b.sites["lon"].to_numpy(float),
        b.sites["lat"].to_numpy(float),
        within_m,
    )
