"""GeoJSON read by Python's json module: depth counted without parsing, shapes checked."""

from __future__ import annotations

import json

import pytest

from locator.errors import DataError
from locator.stations.geojson import json_depth
from locator.stations.readers import read_layer, read_raw


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("1", 0),
        ("[]", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('{"a": "[[[[{{{{"}', 1),  # brackets in strings do not count
        ('{"a": "quote \\" [[[["}', 1),  # nor after an escaped quote
        ('{"a": "slash \\\\", "b": [[1]]}', 3),  # an escaped backslash ends no string
        ('["\\\\\\"[[[", [[]]]', 3),
    ],
)
def test_json_depth(text: str, depth: int):
    assert json.loads(text) is not None
    assert json_depth(text.encode()) == depth


def feature(geometry: object, **props: object) -> dict[str, object]:
    return {"type": "Feature", "geometry": geometry, "properties": props}


def write(tmp_path, *features: object, **extra: object):
    path = tmp_path / "s.geojson"
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features, **extra}), "utf-8"
    )
    return path


def test_properties_become_text_and_points_lon_lat(tmp_path):
    point = {"type": "Point", "coordinates": [116.4, 39.9, 50]}
    path = write(tmp_path, feature(point, name="东单", open=True, n=3.0, tags=["a"]), feature(None))
    raw = read_raw(path)
    assert raw.cells.to_dict("records") == [
        {"name": "东单", "open": "true", "n": "3", "tags": '["a"]', "lon": "116.4", "lat": "39.9"},
        {"name": "", "open": "", "n": "", "tags": "", "lon": "", "lat": ""},
    ]
    assert raw.row_numbers.tolist() == [1, 2] and raw.file_crs is None


def test_the_legacy_crs_member_is_read_as_gdal_reads_it(tmp_path):
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    point = {"type": "Point", "coordinates": [12958000.0, 4852000.0]}
    assert read_raw(write(tmp_path, feature(point, name="x"), crs=crs)).file_crs == "EPSG:3857"


def test_a_table_without_geometry_but_with_lon_lat_is_read(tmp_path):
    raw = read_raw(write(tmp_path, feature(None, name="x", lon=116.4, lat=39.9)))
    assert raw.cells[["lon", "lat"]].values.tolist() == [["116.4", "39.9"]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"type": "Feature"', "not valid JSON"),
        ('{"type": "FeatureCollection", "features": [1]}', "feature 1 is not a GeoJSON Feature"),
        (
            '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": [1]}]}',
            "properties that are not an object",
        ),
        (
            '{"type": "Feature", "geometry": {"type": "Point", "coordinates": NaN}, "properties": {}}',
            "not valid JSON",
        ),
        (
            '{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": "x"}, "properties": {}}',
            "feature 1 has no valid GeoJSON geometry",
        ),
        (
            '{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}, "properties": {}}',
            "must be Point features; feature(s) 1",
        ),
    ],
)
def test_malformed_geojson_is_a_clear_error(tmp_path, text: str, message: str):
    path = tmp_path / "bad.geojson"
    path.write_text(text, "utf-8")
    with pytest.raises(DataError) as caught:
        read_raw(path)
    assert caught.value.message.startswith("bad.geojson: ") and message in caught.value.message


def test_a_layer_keeps_polygons_for_zones(tmp_path):
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    layer = read_layer(write(tmp_path, feature(square)))
    assert [g.geom_type for g in layer.geometry] == ["Polygon"]
