"""Tests for locator.coords: datum shifts, CRS names, geodesics and the metric grid."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import prcoords
import pytest
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from locator import coords
from locator.errors import CoordinateError

TIANANMEN_WGS84 = (116.391275, 39.907230)
# Cross-checked: prcoords.wgs_gcj((39.907230, 116.391275)) gives the same to 1e-14 deg.
TIANANMEN_GCJ02 = (116.39751613408473, 39.90863125241546)
TIANANMEN_BD09 = (116.4038891568533, 39.91497466302148)

BOUNDARIES = Path(__file__).parents[2] / "shared" / "data" / "boundaries"


@pytest.fixture(scope="module")
def china_points() -> tuple[np.ndarray, np.ndarray]:
    """10,000 seeded random points well inside the rectangle."""
    rng = np.random.default_rng(20240601)
    return rng.uniform(73.0, 135.0, 10_000), rng.uniform(18.0, 53.0, 10_000)


def _prc(func, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Apply a prcoords function, which works on one (lat, lon) pair at a time."""
    out = np.array([func((la, lo)) for lo, la in zip(lon, lat, strict=True)])
    return out[:, 1], out[:, 0]


def test_tiananmen_known_shift() -> None:
    lon, lat = coords.wgs84_to_gcj02(*TIANANMEN_WGS84)
    assert lon - TIANANMEN_WGS84[0] == pytest.approx(0.0062, abs=1e-4)
    assert lat - TIANANMEN_WGS84[1] == pytest.approx(0.0014, abs=1e-4)
    assert (lon, lat) == pytest.approx(TIANANMEN_GCJ02, abs=1e-9)
    assert coords.wgs84_to_bd09(*TIANANMEN_WGS84) == pytest.approx(TIANANMEN_BD09, abs=1e-9)
    assert coords.gcj02_to_bd09(*TIANANMEN_GCJ02) == pytest.approx(TIANANMEN_BD09, abs=1e-9)
    # about 550 m, as the provenance notes say
    assert 500 < coords.geodesic_distance_m(*TIANANMEN_WGS84, lon, lat) < 600


def test_shapes_and_dtypes() -> None:
    lon, lat = coords.wgs84_to_gcj02(116, 40)
    assert lon.shape == () and lat.dtype == np.float64
    lon, lat = coords.gcj02_to_wgs84(np.full((2, 3), 116.4), 39.9)  # lat broadcasts
    assert lon.shape == lat.shape == (2, 3)
    with pytest.raises(CoordinateError):
        coords.wgs84_to_gcj02("east", 40)


def test_forward_matches_prcoords(china_points) -> None:
    lon, lat = china_points
    for ours, theirs in [
        (coords.wgs84_to_gcj02, prcoords.wgs_gcj),
        (coords.wgs84_to_bd09, prcoords.wgs_bd),
        (coords.gcj02_to_bd09, prcoords.gcj_bd),
    ]:
        got, want = ours(lon, lat), _prc(theirs, lon, lat)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


def test_inverses_match_prcoords_within_1cm(china_points) -> None:
    lon, lat = china_points
    # prcoords stops iterating at 1e-5 deg, so its own answers carry up to ~5 mm of error
    # (2 cm for its one-step bd_wgs_bored; hence the composed reference for BD-09).
    cases = [
        (coords.gcj02_to_wgs84, prcoords.gcj_wgs_bored),
        (coords.bd09_to_gcj02, prcoords.bd_gcj_bored),
        (coords.bd09_to_wgs84, lambda p: prcoords.gcj_wgs_bored(prcoords.bd_gcj_bored(p))),
    ]
    for ours, theirs in cases:
        err_m = coords.geodesic_distance_m(*ours(lon, lat), *_prc(theirs, lon, lat))
        assert err_m.max() < 0.01


def test_inverse_solves_prcoords_forward(china_points) -> None:
    lon, lat = china_points
    wgs_lon, wgs_lat = coords.bd09_to_wgs84(lon, lat)
    back = _prc(lambda p: prcoords.wgs_bd(p, False), wgs_lon, wgs_lat)
    np.testing.assert_allclose(back, (lon, lat), rtol=0, atol=1e-9)


def test_round_trips_under_1cm(china_points) -> None:
    lon, lat = china_points
    for there, back in [
        (coords.wgs84_to_gcj02, coords.gcj02_to_wgs84),
        (coords.wgs84_to_bd09, coords.bd09_to_wgs84),
        (coords.gcj02_to_bd09, coords.bd09_to_gcj02),
    ]:
        err_m = coords.geodesic_distance_m(lon, lat, *back(*there(lon, lat)))
        assert err_m.max() < 1e-3  # 1 mm; in practice about 1e-7 m


CONVERSIONS = [
    coords.wgs84_to_gcj02,
    coords.gcj02_to_wgs84,
    coords.wgs84_to_bd09,
    coords.bd09_to_wgs84,
    coords.gcj02_to_bd09,
    coords.bd09_to_gcj02,
]


@pytest.mark.parametrize("convert", CONVERSIONS)
def test_outside_rectangle_and_nan_pass_through(convert) -> None:
    # London, Tokyo (139.69 E is east of 137.8347), Sydney, then NaN in either axis
    lon = np.array([-0.1276, 139.6917, 151.2093, np.nan, 116.4])
    lat = np.array([51.5072, 35.6895, -33.8688, 39.9, np.nan])
    out_lon, out_lat = convert(lon, lat)
    np.testing.assert_array_equal(out_lon, lon)
    np.testing.assert_array_equal(out_lat, lat)


def test_rectangle_rule() -> None:
    # Seoul is in South Korea but INSIDE the rectangle, so it is shifted like Beijing.
    # That is the documented rule (Chinese map services reportedly do the same), not a bug.
    seoul = (126.978, 37.566)
    assert coords.in_china(*seoul)
    assert coords.wgs84_to_gcj02(*seoul)[0] != seoul[0]
    inside = coords.in_china([72.004, 137.8347, 72.0, 100.0, np.nan], [30, 30, 30, 55.9, 30])
    assert inside.tolist() == [True, True, False, False, False]


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("wgs84", "wgs84"),
        (" WGS-84 ", "wgs84"),
        ("epsg:4326", "wgs84"),
        ("GCJ02", "gcj02"),
        ("gcj-02", "gcj02"),
        ("BD-09", "bd09"),
        ("bd09mc", "bd09mc"),
        ("Baidu-Mercator", "bd09mc"),
        ("epsg:3857", "EPSG:3857"),
        ("EPSG:32650", "EPSG:32650"),
    ],
)
def test_parse_crs_accepts(name: str, canonical: str) -> None:
    assert coords.parse_crs(name) == canonical


@pytest.mark.parametrize("name", ["mars", "", "EPSG:", "EPSG:999999", "EPSG:5773", "wgs72"])
def test_parse_crs_rejects(name: str) -> None:
    # EPSG:5773 exists but is a vertical datum (EGM96 height), not a 2-D CRS
    with pytest.raises(CoordinateError, match="EPSG"):
        coords.parse_crs(name)


def test_epsg_round_trip_and_datums_by_name() -> None:
    x_m, y_m = coords.from_wgs84(116.391275, 39.90723, "EPSG:3857")
    # x = 6378137 m * radians(116.391275); y = 6378137 m * ln(tan(45 deg + lat / 2))
    assert (x_m, y_m) == pytest.approx((12956617.47, 4852470.34), abs=0.01)
    assert coords.to_wgs84(x_m, y_m, "epsg:3857") == pytest.approx(TIANANMEN_WGS84, abs=1e-9)
    assert coords.from_wgs84(*TIANANMEN_WGS84, "gcj02") == pytest.approx(TIANANMEN_GCJ02)
    assert coords.to_wgs84(*TIANANMEN_BD09, "bd-09") == pytest.approx(TIANANMEN_WGS84, abs=1e-9)
    assert coords.to_wgs84(1.5, 2.5, "wgs84") == pytest.approx((1.5, 2.5), abs=0)
    with pytest.raises(CoordinateError, match="wgs84, gcj02, bd09"):
        coords.to_wgs84(1, 2, "baidu")


def test_geodesics() -> None:
    # one degree of longitude on the equator is a * pi / 180 = 111319.49 m
    assert coords.geodesic_distance_m(0, 0, 1, 0) == pytest.approx(111319.49, abs=0.01)
    assert np.isnan(coords.geodesic_distance_m(0, 0, np.nan, 0))


def test_metric_projection() -> None:
    # Xi'an, and a point 0.01 deg east of it
    x_m, y_m = coords.to_metric([108.94, 108.95], [34.34, 34.34])
    assert (x_m[0], y_m[0]) == pytest.approx((356126.74, 3667346.72), abs=0.01)
    grid_m = np.hypot(x_m[1] - x_m[0], y_m[1] - y_m[0])
    geodesic_m = coords.geodesic_distance_m(108.94, 34.34, 108.95, 34.34)
    # Between the standard parallels (25 N, 47 N) Albers shrinks east-west lengths: 1.7% here
    assert grid_m / geodesic_m == pytest.approx(0.9826, abs=1e-4)
    lon, lat = coords.from_metric(x_m, y_m)
    np.testing.assert_allclose((lon, lat), ([108.94, 108.95], [34.34, 34.34]), rtol=0, atol=1e-9)


def _districts(path: Path, key: str) -> dict[int, BaseGeometry]:
    """Read a district GeoJSON file into {adcode: geometry}."""
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    return {int(f["properties"][key]): shape(f["geometry"]) for f in features}


def test_real_amap_gcj02_boundaries_land_on_wgs84() -> None:
    gcj_path = BOUNDARIES / "beijing_districts_amap_GCJ02_cnmaps.geojson"
    wgs_path = BOUNDARIES / "beijing_districts_amap_wgs84.geojson"
    if not (gcj_path.exists() and wgs_path.exists()):
        pytest.skip("../shared/data/boundaries is not present")
    gcj = _districts(gcj_path, "adcode")
    wgs = _districts(wgs_path, "district_adcode")
    assert sorted(gcj) == sorted(wgs) and len(gcj) == 16
    for adcode, gcj_geom in gcj.items():
        xy = shapely.get_coordinates(gcj_geom)
        converted = shapely.set_coordinates(
            gcj_geom, np.column_stack(coords.gcj02_to_wgs84(xy[:, 0], xy[:, 1]))
        )
        target = wgs[adcode].centroid
        # The files come from different packages with different vertex sets (ring
        # Hausdorff distances reach 0.013 deg even after conversion), so compare centroids.
        assert converted.centroid.distance(target) < 0.002, adcode
        assert gcj_geom.centroid.distance(target) > 0.005, adcode  # raw offset ~0.006


def test_bd09_of_one_point_matches_the_array_form() -> None:
    lon = [116.391275, 72.004, 137.8347, 72.0, -0.1276, 108.94, 121.47]
    lat = [39.907230, 30.0, 55.8271, 30.0, 51.5072, 34.27, 31.23]
    arrays = np.column_stack(coords.wgs84_to_bd09(lon, lat))
    points = np.array([coords.wgs84_to_bd09_point(x, y) for x, y in zip(lon, lat, strict=True)])
    np.testing.assert_allclose(points, arrays, rtol=0, atol=1e-12)
    assert coords.wgs84_to_bd09_point(116.391275, 39.907230) == pytest.approx(
        (116.403889, 39.914975), abs=1e-6
    )


def test_baidu_mercator_goes_through_bd09() -> None:
    # bd09convertor's documented example: (12943772.884424742, 4832666.423350099) m is
    # BD-09 (116.274625, 39.961627).
    x_m, y_m = 12943772.884424742, 4832666.423350099
    lon, lat = coords.to_wgs84([x_m, np.nan], [y_m, 1.0], "bd09mc")
    expected = [float(v) for v in coords.bd09_to_wgs84(116.274625, 39.961627)]
    assert (lon[0], lat[0]) == pytest.approx(expected, abs=1e-6)
    assert np.isnan(lon[1]) and np.isnan(lat[1])
    back = coords.from_wgs84(lon[:1], lat[:1], "bd09mc")
    assert (back[0][0], back[1][0]) == pytest.approx((x_m, y_m), abs=0.05)  # metres
