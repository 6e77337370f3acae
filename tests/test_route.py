"""Polyline decoding and the along-route corridor."""

from __future__ import annotations

import numpy as np
import pytest

from locator.errors import BadQuery
from locator.index import Filters, StationIndex, along_route
from locator.route import corridor, decode_polyline, parse_route
from tests.test_index import make_table


def test_decode_google_example():
    # The example in Google's "Encoded Polyline Algorithm Format" documentation.
    points = decode_polyline("_p~iF~ps|U_ulLnnqC_mqNvxq`@")
    assert points.tolist() == [[-120.2, 38.5], [-120.95, 40.7], [-126.453, 43.252]]


@pytest.mark.parametrize(
    "route",
    [
        {"type": "LineString", "coordinates": []},
        {"type": "LineString", "coordinates": [[116.4, 39.9]]},
        {"type": "LineString", "coordinates": [[116.4, 39.9], [116.4, 39.9]]},
        {"type": "LineString", "coordinates": [[116.4, 39.9], ["x", 1]]},
        {"type": "LineString", "coordinates": [[39.9, 116.4], [39.9, 116.5]]},
        {"type": "Point", "coordinates": [116.4, 39.9]},
        "",
        "_p~iF~ps|U_",
        None,
    ],
)
def test_bad_routes_are_refused(route):
    with pytest.raises(BadQuery):
        parse_route(route)


def test_corridor_orders_by_distance_along_the_route():
    # A 1 km east-west route along latitude 39.9 from 116.40 to 116.41 (about 854 m).
    line = np.array([[116.40, 39.9], [116.41, 39.9]])
    lon = np.array([116.409, 116.401, 116.405, 116.405, 116.43])
    lat = np.array([39.9, 39.9009, 39.95, 39.8991, 39.9])
    found = corridor(line, lon, lat, corridor_m=200)
    assert found.rows.tolist() == [1, 3, 0]  # 2 is 5.5 km north, 4 is 1.7 km beyond the end
    assert found.along_m.round(-1).tolist() == [90.0, 430.0, 770.0]
    assert found.offset_m.round(-1).tolist() == [100.0, 100.0, 0.0]
    assert found.route_length_m == pytest.approx(854, abs=2)


def test_along_route_applies_filters_and_limit():
    index = StationIndex(make_table())
    line = np.array([[116.395, 39.9], [116.415, 39.9]])
    everything = along_route(index, line, 500, limit=10)
    names = index.table.frame["id"].to_numpy()
    found = names[everything.rows].tolist()
    assert sorted(found[:2]) == ["s1", "s3"]  # both at 116.400: level along the route
    assert found[2:] == ["s2", "s4"]
    assert everything.number_matched == 4
    shower = along_route(index, line, 500, limit=1, filters=Filters(amenities=("shower",)))
    assert names[shower.rows].tolist() == ["s2"] and shower.number_matched == 2
