"""What an import would change, on tables small enough to check by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from locator import amenities, schema
from locator.geodesy import distance_m
from locator.stations.diff import Change, diff_tables
from locator.stations.table import DatasetInfo, build_table

INFO = DatasetInfo("test", "test.csv", False, "", "")


def table(*rows: dict):
    """A canonical table: every field blank and every amenity unknown unless given."""
    blank = {**dict.fromkeys(schema.FIELDS, ""), **dict.fromkeys(amenities.KEYS, "unknown")}
    records = [{**blank, "kind": "warm_heart", **row} for row in rows]
    return build_table(pd.DataFrame.from_records(records), INFO)


A = {"id": "a", "name": "东单驿站", "lon": 116.418, "lat": 39.913, "shower": "yes"}
B = {"id": "b", "name": "国贸驿站", "lon": 116.461, "lat": 39.909}
C = {"id": "c", "name": "三里屯", "lon": 116.45, "lat": 39.93}


def test_added_and_removed_by_id() -> None:
    found = diff_tables(table(A, B), table(A, C))
    assert (found.added, found.removed, found.unchanged) == (1, 1, 1)
    assert [s.id for s in found.added_examples] == ["c"]
    assert [(s.id, s.name) for s in found.removed_examples] == [("b", "国贸驿站")]
    assert (found.moved, found.amenities_changed, found.fields_changed) == (0, 0, 0)


def test_a_merge_removes_nothing_and_says_what_it_keeps() -> None:
    found = diff_tables(table(A, B), table(A, C), merge=True)
    assert (found.added, found.removed, found.kept, found.removed_examples) == (1, 0, 1, ())


def test_moved_means_at_least_ten_metres_on_the_ground() -> None:
    # 0.0001 degrees of latitude is about 11.1 m; 0.00005 about 5.6 m.
    far = {**A, "lat": A["lat"] + 0.0001}
    near = {**B, "lat": B["lat"] + 0.00005}
    found = diff_tables(table(A, B), table(far, near))
    assert found.moved == 1 and found.unchanged == 1
    (move,) = found.moved_examples
    assert move.id == "a" and move.distance_m == pytest.approx(11.1, abs=0.1)
    exact = float(distance_m(A["lon"], A["lat"], far["lon"], far["lat"]))
    assert move.distance_m == round(exact, 1)


def test_changed_amenities_and_fields_name_the_key_old_and_new() -> None:
    changed = {**A, "shower": "no", "toilet": "yes", "name": "东单新站"}
    found = diff_tables(table(A), table(changed))
    (amenity,) = found.amenity_examples
    assert set(amenity.changes) == {
        Change("shower", "yes", "no"),
        Change("toilet", "unknown", "yes"),
    }
    (field,) = found.field_examples
    assert field.changes == (Change("name", "东单驿站", "东单新站"),)
    assert (found.amenities_changed, found.fields_changed, found.unchanged) == (1, 1, 0)


def test_blank_and_missing_values_compare_equal() -> None:
    odd = {**A, "address": float("nan"), "toilet": "maybe"}
    assert diff_tables(table(A), table(odd)).unchanged == 1


def test_lists_are_capped_but_counts_are_not() -> None:
    many = [
        {"id": f"n{i}", "name": f"站{i}", "lon": 116.3, "lat": 39.9 + i / 100} for i in range(30)
    ]
    found = diff_tables(table(A), table(*many), examples=5)
    assert (found.added, len(found.added_examples), found.removed) == (30, 5, 1)
    assert found.to_dict()["added_examples"][0] == {"id": "n0", "name": "站0"}


def test_nothing_served_yet_means_everything_is_added() -> None:
    found = diff_tables(None, table(A, B))
    assert (found.added, found.removed, found.unchanged) == (2, 0, 0)
