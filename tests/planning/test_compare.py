"""Comparing two plans' sites: shared within a few metres (geodesic), the rest by plan."""

from __future__ import annotations

import pytest

from locator.planning.compare import compare_sites

# At 39.9° N one metre of latitude is about 9.0e-6 degrees and of longitude 1.17e-5.
A_LON, A_LAT = [116.40, 116.50, 116.60], [39.90, 39.90, 39.90]


def test_same_sites_within_a_few_metres_are_common() -> None:
    b_lon = [116.60, 116.40 + 5 * 1.17e-5, 116.70]  # A3 exactly, A1 about 5 m east, a new one
    found = compare_sites(A_LON, A_LAT, b_lon, [39.90, 39.90, 39.90])
    assert [(c.rank_a, c.rank_b) for c in found.common] == [(1, 2), (3, 1)]
    assert found.common[0].distance_m == pytest.approx(5.0, abs=0.1)
    assert found.common[1].distance_m == 0.0
    assert (found.only_a, found.only_b) == ((2,), (3,))


def test_degrees_are_not_metres() -> None:
    """0.0001° of longitude is 8.5 m at 39.9° N: common at 10 m, not at 5 m."""
    b = ([116.4001], [39.90])
    assert len(compare_sites([116.40], [39.90], *b).common) == 1
    assert compare_sites([116.40], [39.90], *b, within_m=5.0).only_a == (1,)


def test_each_site_matches_once_closest_first() -> None:
    """Two B sites near A1: the closer one (2 m) is common, the other (8 m) only in B."""
    b_lon = [116.40 + 8 * 1.17e-5, 116.40 + 2 * 1.17e-5]
    found = compare_sites([116.40], [39.90], b_lon, [39.90, 39.90])
    assert [(c.rank_a, c.rank_b) for c in found.common] == [(1, 2)]
    assert (found.only_a, found.only_b) == ((), (1,))


def test_empty_plans() -> None:
    found = compare_sites([], [], A_LON, A_LAT)
    assert (found.common, found.only_a, found.only_b) == ((), (), (1, 2, 3))
