"""Andoyer-Lambert and chord-based distances against the exact geodesic, and ECEF coordinates."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest

from locator.geodesy import WGS84_A_M, arc_from_chord_m, distance_m, ecef_m, ecef_point_m

GEOD = pyproj.Geod(ellps="WGS84")


@pytest.mark.parametrize("spread_deg", [1e-5, 1e-3, 0.1, 1.0, 10.0, 30.0])
def test_distance_within_1_m_or_0_1_percent_of_pyproj(spread_deg):
    rng = np.random.default_rng(7)
    lon1, lat1 = rng.uniform(73, 135, 5000), rng.uniform(18, 53, 5000)
    lon2 = lon1 + rng.normal(0, spread_deg, 5000)
    lat2 = np.clip(lat1 + rng.normal(0, spread_deg, 5000), -89, 89)
    _, _, exact = GEOD.inv(lon1, lat1, lon2, lat2)
    error = np.abs(distance_m(lon1, lat1, lon2, lat2) - exact)
    assert (error <= np.maximum(1.0, 0.001 * exact)).all()


def test_known_distance_tiananmen_to_xian_bell_tower():
    # pyproj.Geod gives 911,129.3 m.
    assert float(distance_m(116.3913, 39.9075, 108.9423, 34.2610)) == pytest.approx(911129.3, abs=2)


def test_zero_distance_is_zero_not_nan():
    assert float(distance_m(116.4, 39.9, 116.4, 39.9)) == 0.0


def test_ecef_of_equator_and_pole():
    xyz = ecef_m([0.0, 90.0, 0.0], [0.0, 0.0, 90.0])
    assert xyz[0] == pytest.approx([WGS84_A_M, 0, 0])
    assert xyz[1] == pytest.approx([0, WGS84_A_M, 0], abs=1e-6)
    assert xyz[2][2] == pytest.approx(6356752.314, abs=1e-3)  # WGS84 polar radius


def test_chord_never_exceeds_geodesic():
    rng = np.random.default_rng(3)
    lon1, lat1 = rng.uniform(73, 135, 2000), rng.uniform(18, 53, 2000)
    lon2, lat2 = lon1 + rng.normal(0, 2, 2000), lat1 + rng.normal(0, 2, 2000)
    chord = np.linalg.norm(ecef_m(lon1, lat1) - ecef_m(lon2, lat2), axis=1)
    _, _, exact = GEOD.inv(lon1, lat1, lon2, lat2)
    assert (chord <= exact + 1e-6).all()


def test_ecef_of_one_point_matches_the_array_form():
    xyz = ecef_m([116.4, -70.1], [39.9, -12.3])
    assert ecef_point_m(116.4, 39.9) == pytest.approx(tuple(xyz[0]), abs=1e-6)
    assert ecef_point_m(-70.1, -12.3) == pytest.approx(tuple(xyz[1]), abs=1e-6)


@pytest.mark.parametrize(
    ("spread_deg", "rel"), [(0.01, 1e-8), (1.0, 2e-6), (3.0, 2e-5), (10.0, 1e-3)]
)
def test_arc_from_chord_against_pyproj(spread_deg, rel):
    rng = np.random.default_rng(8)
    lon1, lat1 = rng.uniform(73, 135, 5000), rng.uniform(18, 53, 5000)
    lon2, lat2 = lon1 + rng.normal(0, spread_deg, 5000), lat1 + rng.normal(0, spread_deg, 5000)
    chord = np.linalg.norm(ecef_m(lon1, lat1) - ecef_m(lon2, lat2), axis=1)
    _, _, exact = GEOD.inv(lon1, lat1, lon2, lat2)
    arc = arc_from_chord_m(chord, lat1)
    assert np.all(np.abs(arc - exact) <= np.maximum(rel * exact, 1e-6))
