"""Parameters as the web and CLI take them: one value where one is meant, JSON numbers that
are numbers (never booleans), and empty choices refused."""

from __future__ import annotations

import numpy as np
import pytest

from locator import params
from locator.errors import BadQuery


def test_text_takes_one_value() -> None:
    assert params.text(None, "k") is None
    assert params.text(True, "k") == "true" and params.text(2, "k") == "2"
    assert params.text("a,b", "k") == "a,b"
    for value in ([5], {"a": 1}):
        with pytest.raises(BadQuery, match="new must be a single value"):
            params.text(value, "new")


def test_text_list_joins_strings_only() -> None:
    assert params.text_list(["shower", "toilet"], "amenities") == "shower,toilet"
    assert params.text_list("shower", "amenities") == "shower"
    with pytest.raises(BadQuery, match="amenities must be a list of strings"):
        params.text_list(["shower", 1], "amenities")


def test_booleans_are_not_numbers() -> None:
    assert params.is_number(1) and params.is_number(1.5)
    assert not params.is_number(True) and not params.is_number("1")


def test_point_lists_of_pairs_or_objects() -> None:
    lon, lat, ids = params.parse_point_list([[116.4, 39.9], [108, 34]])
    assert lon.tolist() == [116.4, 108.0] and lat.tolist() == [39.9, 34.0] and ids is None
    lon, lat, ids = params.parse_point_list([{"lon": 1, "lat": 2, "id": "a"}, {"lon": 3, "lat": 4}])
    assert lon.tolist() == [1.0, 3.0] and ids == ["a", "1"]
    empty = params.parse_point_list([])
    assert len(empty[0]) == 0 and empty[2] is None
    assert isinstance(lon, np.ndarray)


@pytest.mark.parametrize(
    ("items", "fragment"),
    [
        ([[True, False]], "point 0: points must be [lon, lat] number pairs, got True, False"),
        ([116.4, 39.9, 116.5, 39.9], "point 0: points must be [lon, lat] number pairs, got 116.4"),
        ([{"lon": 116.4, "lat": 39.9}, 5], "point 1: each point object needs lon and lat, got 5"),
        ([{"lon": None, "lat": 1}], "point 0: lon and lat must be numbers, got None, 1"),
    ],
)
def test_point_lists_name_the_bad_item(items, fragment) -> None:
    with pytest.raises(BadQuery) as caught:
        params.parse_point_list(items)
    assert fragment in caught.value.message


def test_positions_are_lists_of_two_or_three_numbers() -> None:
    params.check_positions([[1, 2], [3, 4, 5]], "route coordinates")
    with pytest.raises(BadQuery, match="item 1 is a list of 2 item"):
        params.check_positions([[1, 2], [True, 4]], "route coordinates")


def test_empty_kind_and_datum_are_refused() -> None:
    assert params.parse_kind(None) is None and params.parse_datum(None) == "wgs84"
    assert params.parse_datum(" GCJ02 ") == "gcj02"
    with pytest.raises(BadQuery, match="kind must be one of warm_heart, driver_home, got ''"):
        params.parse_kind("")
    with pytest.raises(BadQuery, match="crs must be one of wgs84, gcj02, bd09, got ''"):
        params.parse_datum("")


def test_months_ago_are_calendar_months() -> None:
    import datetime as dt

    from locator.params import parse_months_ago

    today = dt.date(2026, 3, 31)
    assert parse_months_ago("m", "1", today) == dt.date(2026, 2, 28)
    assert parse_months_ago("m", "12", today) == dt.date(2025, 3, 31)
    assert parse_months_ago("m", "15", today) == dt.date(2024, 12, 31)
    assert parse_months_ago("m", None, today) is None
    with pytest.raises(BadQuery, match="between 1 and 120"):
        parse_months_ago("m", "0", today)
