"""OpenStreetMap: the tag table, Overpass JSON and .osm.pbf extracts written by pyosmium."""

from __future__ import annotations

from pathlib import Path

import osmium
import pytest

from locator import amenities, schema
from locator.errors import DataError, TooLarge
from locator.stations.detect import read_detected
from locator.stations.limits import ReadLimits
from locator.stations.osm import ANY, OSM_TAGS, osm_row
from locator.stations.validation import parse_stations

FIXTURES = Path(__file__).parent / "fixtures"


def test_every_rule_targets_a_station_field_or_an_amenity():
    columns = set(schema.FIELDS) | set(amenities.KEYS)
    for rule, (column, cell) in OSM_TAGS.items():
        assert rule and column in columns, rule
        assert cell == ANY or (column in amenities.KEYS and cell in (amenities.YES, amenities.NO))


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"amenity": "toilets"}, {"toilet": "yes"}),
        ({"amenity": "toilets", "toilets": "no"}, {"toilet": "no"}),
        ({"drinking_water": "yes"}, {"drinking_water": "yes"}),
        ({"shower": "hot"}, {"shower": "yes"}),
        ({"amenity": "shelter"}, {"rest_area": "yes"}),
        ({"amenity": "parking", "hgv": "yes"}, {"truck_parking": "yes"}),
        ({"amenity": "parking"}, {}),  # a car park is not truck parking
        ({"hgv": "yes"}, {}),  # nor is a road open to lorries
        ({"opening_hours": "Mo-Fr 08:00-20:00"}, {"opening_hours": "Mo-Fr 08:00-20:00"}),
        ({"name": "甲", "name:zh": "乙"}, {"name": "甲"}),
        ({"name:zh": "乙"}, {"name": "乙"}),
        ({"contact:phone": "+86 10 0000 0001"}, {"phone": "+86 10 0000 0001"}),
        ({"internet_access": "wlan", "highway": "bus_stop"}, {"wifi": "yes"}),
    ],
)
def test_tags_map_through_the_one_table(tags: dict[str, str], expected: dict[str, str]):
    assert osm_row(tags) == expected


def test_overpass_json(regions):
    raw = read_detected(FIXTURES / "overpass.json")
    assert raw.detected == (
        "OpenStreetMap Overpass JSON, 2 named object(s) read, "
        "1 other tagged object(s) skipped (no name)"
    )
    assert (raw.row_label, raw.row_numbers.tolist()) == ("element", [2, 4])
    result = parse_stations(raw, regions, kind="warm_heart")
    assert result.errors == () and result.warnings == ()
    got = result.stations.set_index("id")
    shelter, parking = got.loc["osm-n1002"], got.loc["osm-w2001"]
    assert (shelter["name"], shelter["opening_hours"], shelter["phone"]) == (
        "国贸暖心驿站",
        "24/7",
        "010-00000001",
    )
    assert (shelter["rest_area"], shelter["drinking_water"], shelter["shower"]) == ("yes",) * 3
    assert (shelter["toilet"], shelter["truck_parking"]) == ("no", "unknown")
    assert (parking["lon"], parking["lat"], parking["truck_parking"]) == (116.3975, 39.9087, "yes")
    assert (parking["address"], parking["source"]) == ("东长安街1号", "OpenStreetMap (ODbL)")


def test_an_overpass_way_without_a_centre_is_refused(tmp_path: Path):
    path = tmp_path / "overpass.json"
    path.write_text(
        '{"elements": [{"type": "way", "id": 7, "nodes": [1, 2], "tags": {"name": "x"}}]}',
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=r"element 1 \(way 7\) has no coordinates.*out center"):
        read_detected(path)


def write_extract(path: Path) -> Path:
    """A tiny extract: a toilet (no name), a named node, a named closed way, a relation."""
    node, way, relation = (
        osmium.osm.mutable.Node,
        osmium.osm.mutable.Way,
        osmium.osm.mutable.Relation,
    )
    writer = osmium.SimpleWriter(str(path))
    try:
        writer.add_node(node(id=1, location=(116.418, 39.913), tags={"amenity": "toilets"}))
        tags = {"name": "国贸暖心驿站", "shower": "yes", "drinking_water": "yes"}
        writer.add_node(node(id=2, location=(116.461, 39.909), tags=tags))
        corners = [(116.397, 39.908), (116.398, 39.908), (116.398, 39.909), (116.397, 39.909)]
        for i, corner in enumerate(corners, start=10):
            writer.add_node(node(id=i, location=corner))
        tags = {"name": "天安门司机之家", "amenity": "parking", "hgv": "yes"}
        writer.add_way(way(id=100, nodes=[10, 11, 12, 13, 10], tags=tags))
        members = [("w", 100, "outer")]
        writer.add_relation(relation(id=500, members=members, tags={"name": "关系"}))
    finally:
        writer.close()
    return path


def test_a_pbf_extract(tmp_path: Path, regions):
    path = write_extract(tmp_path / "extract.osm.pbf")
    raw = read_detected(path)
    assert raw.detected == (
        "OpenStreetMap PBF extract, 2 named object(s) read, "
        "2 other tagged object(s) skipped (no name, or a relation)"
    )
    assert (raw.row_label, raw.row_numbers.tolist()) == ("object", [2, 7])
    result = parse_stations(raw, regions, kind="driver_home")
    assert result.errors == ()
    got = result.stations.set_index("id")
    assert got.loc["osm-n2", ["shower", "drinking_water"]].tolist() == ["yes", "yes"]
    way = got.loc["osm-w100"]  # the mean of the four corners (the closing node once)
    assert (way["lon"], way["lat"], way["truck_parking"]) == (116.3975, 39.9085, "yes")


def test_a_pbf_is_detected_whatever_its_name(tmp_path: Path):
    path = write_extract(tmp_path / "extract.osm.pbf")
    renamed = tmp_path / "stations.csv"
    renamed.write_bytes(path.read_bytes())
    assert read_detected(renamed).detected.endswith("(the name says CSV text)")


def test_a_pbf_is_bounded(tmp_path: Path):
    path = write_extract(tmp_path / "extract.osm.pbf")
    with pytest.raises(TooLarge, match="UPLOAD_MAX_CELLS"):
        read_detected(path, limits=ReadLimits(max_cells=3))
    with pytest.raises(TooLarge, match="UPLOAD_MAX_BYTES"):
        read_detected(path, limits=ReadLimits(max_bytes=10))


def test_a_broken_pbf_is_a_clear_error(tmp_path: Path):
    path = write_extract(tmp_path / "extract.osm.pbf")
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(path.read_bytes()[:40])
    with pytest.raises(DataError, match=r"^broken.osm.pbf: not a readable OpenStreetMap"):
        read_detected(broken)
