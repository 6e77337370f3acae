"""'There should be a station here': points snapped to 250 m cells, needs, the daily cap."""

from __future__ import annotations

import pytest
from pyproj import Geod

from locator.db import suggestions
from locator.db.session import upgrade
from locator.errors import BadQuery, TooBusy

GEOD = Geod(ellps="WGS84")


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


def test_points_are_stored_at_their_cell_centre() -> None:
    cell, lon, lat = suggestions.snap(116.4000, 39.9000)
    assert metres((lon, lat), (116.4, 39.9)) <= 125 * 2**0.5 * 1.02  # half a diagonal
    assert suggestions.snap(lon, lat) == (cell, lon, lat)  # a centre is its own cell
    east = suggestions.snap(lon + 0.0029, lat)  # ~248 m east: the next cell
    assert east[0] != cell
    assert metres((lon, lat), east[1:]) == pytest.approx(250, rel=0.02)


def test_needs_are_from_the_fixed_list() -> None:
    assert suggestions.parse_needs(["toilet", "water", "toilet"]) == ("water", "toilet")
    for bad in ([], "water", ["wifi"], None, [1]):
        with pytest.raises(BadQuery):
            suggestions.parse_needs(bad)


def test_suggestions_are_kept_and_capped_per_client(engine) -> None:
    upgrade(engine)
    first = suggestions.add_suggestion(engine, 116.3, 39.98, ("water",), "c1", daily_cap=2)
    suggestions.add_suggestion(engine, 116.3001, 39.9801, ("toilet",), "c1", daily_cap=2)
    with pytest.raises(TooBusy):
        suggestions.add_suggestion(engine, 116.3, 39.98, ("water",), "c1", daily_cap=2)
    found = suggestions.all_suggestions(engine)
    assert [s.needs for s in found] == [("water",), ("toilet",)]
    assert (found[0].lon, found[0].lat) == (first.lon, first.lat)
    assert [s.id for s in suggestions.all_suggestions(engine, ["toilet"])] == [found[1].id]
