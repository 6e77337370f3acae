"""Candidate lists and exclusion zones: datums, border points and every refusal."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from locator import coords
from locator.errors import DataError
from locator.planning.inputs import Candidates, outside, read_candidates, read_exclusions
from locator.regions import load_regions
from tests.conftest import DATA

# A 0.02° square in Dongcheng, in WGS84.
SQUARE = [(116.40, 39.90), (116.42, 39.90), (116.42, 39.92), (116.40, 39.92), (116.40, 39.90)]


def geojson(path: Path, *geometries: dict) -> Path:
    features = [{"type": "Feature", "properties": {}, "geometry": g} for g in geometries]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def polygon(ring: list[tuple[float, float]]) -> dict:
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}


def candidates(lon: list[float], lat: list[float]) -> Candidates:
    n = len(lon)
    text = np.array([f"c{i}" for i in range(n)])
    return Candidates(np.array(lon), np.array(lat), text, text, text, text)


def test_sites_inside_or_on_a_zone_are_dropped(tmp_path):
    zones = read_exclusions(geojson(tmp_path / "parks.geojson", polygon(SQUARE)))
    # inside, outside (east), on the west edge, at a corner
    cands = candidates([116.41, 116.43, 116.40, 116.42], [39.91, 39.91, 39.91, 39.92])
    assert outside(cands, zones).name.tolist() == ["c1"]


def test_zones_drawn_on_a_chinese_map_are_shifted_to_wgs84(tmp_path):
    lon, lat = coords.wgs84_to_gcj02(*np.array(SQUARE).T)
    drawn = geojson(tmp_path / "amap.geojson", polygon(list(zip(lon, lat, strict=True))))
    zone = read_exclusions(drawn, crs="gcj02")
    assert zone.bounds == pytest.approx((116.40, 39.90, 116.42, 39.92), abs=1e-6)
    unshifted = read_exclusions(drawn)  # taken as WGS84: about 500 m east and north
    assert unshifted.bounds[0] - 116.40 == pytest.approx(0.0062, abs=0.0005)


def test_a_projected_geopackage_is_read_in_its_own_crs(tmp_path):
    frame = gpd.GeoDataFrame(geometry=[shapely.Polygon(SQUARE)], crs="EPSG:4326")
    path = tmp_path / "zones.gpkg"
    frame.to_crs("EPSG:3857").to_file(path)
    assert read_exclusions(path).bounds == pytest.approx((116.40, 39.90, 116.42, 39.92), abs=1e-7)


def test_bad_zone_files_are_refused_by_feature(tmp_path):
    point = {"type": "Point", "coordinates": [116.41, 39.91]}
    bowtie = polygon(
        [(116.40, 39.90), (116.42, 39.92), (116.42, 39.90), (116.40, 39.92), (116.40, 39.90)]
    )
    mixed = geojson(tmp_path / "mixed.geojson", polygon(SQUARE), point, bowtie)
    with pytest.raises(DataError, match=r"mixed.geojson: .*; feature\(s\) 2, 3 are not"):
        read_exclusions(mixed)
    with pytest.raises(DataError, match="it has no features"):
        read_exclusions(geojson(tmp_path / "empty.geojson"))
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", "utf-8")
    with pytest.raises(DataError, match=r"broken\.geojson: not valid JSON \(.* line 1, column 2\)"):
        read_exclusions(broken)
    with pytest.raises(DataError, match="unknown coordinate system 'mars'"):
        read_exclusions(geojson(tmp_path / "ok.geojson", polygon(SQUARE)), crs="mars")


def test_a_candidate_list_keeps_its_host_types_and_names_its_bad_rows(tmp_path):
    regions = load_regions(DATA, "beijing")
    good = tmp_path / "shops.csv"
    good.write_text("name,lon,lat,host_type\n便利店A,116.41,39.91,便利店\n", "utf-8")
    cands = read_candidates(good, regions, "warm_heart", None)
    assert (cands.host_type.tolist(), cands.district_name.tolist()) == (["便利店"], ["东城区"])
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "name,lon,lat,host_type\n便利店A,116.41,39.91,便利店\nB,x,39.9,便利店\n", "utf-8"
    )
    with pytest.raises(
        DataError, match=r"1 error.* in the candidate file; first: .*bad.csv:3 \[lon='x'\]"
    ):
        read_candidates(bad, regions, "warm_heart", None)
