"""Stations as GeoJSON text: the pre-encoded JSON must equal what a JSON encoder makes."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from locator import amenities, coords, navigation, schema, travel
from locator.index import Hit, Nearest
from locator.stations.table import DatasetInfo, build_table
from locator.web import serialise
from locator.web.serialise import FeatureWriter

# Names a JSON or HTML writer could get wrong: quotes, backslash, control characters,
# markup, a line separator (valid JSON, invalid JavaScript).
NAMES = ['东单 "驿站" \\ 1', "<img src=x onerror=alert(1)>\n\t</script>", "a\u2028b\x01c"]


@pytest.fixture(scope="module")
def writer() -> FeatureWriter:
    frame = pd.DataFrame({f: [""] * len(NAMES) for f in schema.FIELDS})
    frame["id"] = [f"s{i}" for i in range(len(NAMES))]
    frame["kind"] = ["warm_heart", "driver_home", "warm_heart"]
    frame["lon"], frame["lat"] = [116.4, 108.94, 116.41], [39.9, 34.27, 39.91]
    frame["name"] = NAMES
    for key in amenities.KEYS:
        frame[key] = "unknown"
    frame["shower"] = ["yes", "no", "unknown"]
    return FeatureWriter(build_table(frame, DatasetInfo("test", "", True, "", "")))


def test_feature_json_equals_the_feature_with_links_and_members(writer: FeatureWriter) -> None:
    user = (116.3, 39.8)
    origin = navigation.baidu_origin(coords.wgs84_to_bd09_point(*user))
    for row, name in enumerate(NAMES):
        text = writer.feature_json(row, '"along_m":12.5,"open_now":"yes"', origin)
        expected = writer.feature(row)
        (lon, lat), kind = expected["geometry"]["coordinates"], expected["properties"]["kind"]
        links = navigation.links(lon, lat, name, kind, origin=user)
        expected["properties"].update(links=links, along_m=12.5, open_now="yes")
        assert json.loads(text) == expected
        assert json.loads(text)["properties"]["name"] == name


def test_opening_hours_in_words_are_a_property(writer: FeatureWriter) -> None:
    assert writer.feature(0)["properties"]["opening_hours_text"] is None  # blank hours
    assert serialise.hours_text("24/7") == {"en": "open 24 hours", "zh": "24 小时"}
    assert serialise.hours_text("PH off") == {"en": "PH off", "zh": "PH off"}  # as written


def test_collection_json_wraps_members_dataset_and_features(writer: FeatureWriter) -> None:
    features = [writer.feature_json(r, '"x":1') for r in range(3)]
    out = json.loads(writer.collection_json({"numberMatched": 3, "numberReturned": 3}, features))
    assert out["type"] == "FeatureCollection"
    assert (out["numberMatched"], out["dataset"]["synthetic"]) == (3, True)
    assert [f["id"] for f in out["features"]] == ["s0", "s1", "s2"]
    assert out["features"][1]["properties"]["links"]["baidu"].startswith(
        navigation.BAIDU + "destination="  # no user position: no origin
    )


def test_nearest_json_reports_each_hit(writer: FeatureWriter) -> None:
    at = dt.datetime(2026, 11, 30, 21, 0)
    found = Nearest((Hit(2, 1234.56, 359.96, "unknown"), Hit(0, 1500.0, 0.0, "yes")), 7, at)
    query = {"lon": 116.4, "lat": 39.9, "k": 2, "radius_m": None}
    out = json.loads(serialise.nearest_json(writer, found, query))
    assert (out["numberMatched"], out["numberReturned"]) == (7, 2)
    assert out["query"] == {
        **query,
        "evaluated_at": "2026-11-30T21:00",
        "timezone": "Asia/Shanghai",
    }
    first = out["features"][0]["properties"]
    assert (first["distance_m"], first["bearing_deg"], first["open_now"]) == (
        1234.6,
        0.0,  # 359.96 rounds to 360.0, which is north again
        "unknown",
    )
    assert first["estimates"] == {**travel.estimates(1234.56), "note": travel.NOTE}
    assert first["estimates"]["walk"] == {"route_m": 1605, "minutes": 21.4}  # 1.3x, 4.5 km/h
    assert "?origin=latlng:39.907734,116.412628|" in first["links"]["baidu"]  # user's BD-09


def test_hit_text_rounds_as_the_estimates_do() -> None:
    rng = np.random.default_rng(5)
    distances = [*rng.uniform(0, 60_000, 2000), 0.05, 0.25, 1.25, 2.675, 100.05, 1e7]
    for d in distances:
        text = serialise._hit_members(Hit(0, float(d), 1.0, "yes"))
        members = json.loads("{" + text + "}")
        assert members["distance_m"] == round(d, 1)
        assert members["estimates"] == {**travel.estimates(d), "note": travel.NOTE}
