"""The sparse cover matrix: a site covers exactly the demand within radius_m (geodesic)."""

from __future__ import annotations

import numpy as np
import pyproj

from locator.coverage import cover_matrix

GEOD = pyproj.Geod(ellps="WGS84")


def test_cover_matrix_is_exact_at_the_radius():
    # Demand 999.9 m and 1,000.1 m from the site, due north, east and south-west (pyproj).
    site = (116.4, 39.9)
    ranges, azimuths = [999.9, 1000.1] * 3, [0, 0, 90, 90, 225, 225]
    lon, lat, _ = GEOD.fwd([site[0]] * 6, [site[1]] * 6, azimuths, ranges)
    matrix = cover_matrix(
        np.array(lon), np.array(lat), np.array([site[0]]), np.array([site[1]]), 1000.0
    )
    assert matrix.shape == (6, 1) and matrix.dtype == bool
    assert matrix.toarray()[:, 0].tolist() == [True, False] * 3


def test_cover_matrix_of_two_sites_and_far_demand():
    # Sites 116.40 and 116.43 E on 39.9 N (2,566 m apart); the middle point is 1,283 m from each.
    sites_lon, sites_lat = np.array([116.40, 116.43]), np.array([39.9, 39.9])
    demand_lon = np.array([116.40, 116.415, 116.43, 108.94])  # the last is in Xi'an
    demand_lat = np.array([39.9, 39.9, 39.9, 34.27])
    near = cover_matrix(demand_lon, demand_lat, sites_lon, sites_lat, 1000.0).toarray()
    assert near.tolist() == [[True, False], [False, False], [False, True], [False, False]]
    wide = cover_matrix(demand_lon, demand_lat, sites_lon, sites_lat, 1300.0).toarray()
    assert wide[1].tolist() == [True, True]


def test_cover_matrix_without_sites_or_demand():
    empty = np.array([])
    assert cover_matrix(empty, empty, np.array([116.4]), np.array([39.9]), 1000.0).shape == (0, 1)
    assert cover_matrix(np.array([116.4]), np.array([39.9]), empty, empty, 1000.0).nnz == 0
