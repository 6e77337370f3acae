"""Nearest search on five stations around (116.4, 39.9) whose answers are known by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyproj
import pytest

from locator import amenities, schema
from locator.index import Filters, StationIndex
from locator.stations.table import DatasetInfo, build_table

GEOD = pyproj.Geod(ellps="WGS84")
MONDAY_9PM = dt.datetime(2026, 11, 30, 21, 0)  # Beijing time

# id, kind, lon, lat, shower, hours.  Offsets from (116.4, 39.9): s1 ~111 m north,
# s2 ~171 m east, s3 ~333 m south, s4 ~854 m east; s5 is in Xi'an.
ROWS = [
    ("s1", "warm_heart", 116.400, 39.901, "no", "24/7"),
    ("s2", "warm_heart", 116.402, 39.900, "yes", "Mo-Fr 08:00-20:00"),
    ("s3", "warm_heart", 116.400, 39.897, "unknown", ""),
    ("s4", "warm_heart", 116.410, 39.900, "yes", "Mo-Su 08:00-20:00"),
    ("s5", "driver_home", 108.940, 34.270, "yes", "24/7"),
]


def make_table(rows=ROWS):
    frame = pd.DataFrame({f: [""] * len(rows) for f in schema.FIELDS})
    frame["id"], frame["kind"] = [r[0] for r in rows], [r[1] for r in rows]
    frame["lon"], frame["lat"] = [r[2] for r in rows], [r[3] for r in rows]
    frame["name"] = frame["id"]
    frame["opening_hours"] = [r[5] for r in rows]
    for key in amenities.KEYS:
        frame[key] = "unknown"
    frame["shower"] = [r[4] for r in rows]
    return build_table(frame, DatasetInfo("test", "", True, "", ""))


@pytest.fixture(scope="module")
def index():
    return StationIndex(make_table())


def ids(index, result):
    return [index.table.frame["id"].iloc[h.row] for h in result.hits]


def test_nearest_sorted_by_distance_with_honest_counts(index):
    result = index.nearest(116.4, 39.9, 3, when=MONDAY_9PM)
    assert ids(index, result) == ["s1", "s2", "s3"]
    assert result.number_matched == 5
    assert [round(h.distance_m) for h in result.hits] == [111, 171, 333]
    assert [round(h.bearing_deg) for h in result.hits] == [0, 90, 180]
    assert [h.open_now for h in result.hits] == ["yes", "no", "unknown"]


def test_distances_agree_with_pyproj(index):
    result = index.nearest(116.4, 39.9, 5)
    for hit in result.hits:
        _, _, exact = GEOD.inv(116.4, 39.9, index.lon[hit.row], index.lat[hit.row])
        assert abs(hit.distance_m - exact) <= max(1.0, 0.001 * exact)


def test_amenity_filter_excludes_unknown_unless_asked(index):
    shower = index.nearest(116.4, 39.9, 5, Filters(amenities=("shower",)))
    assert ids(index, shower) == ["s2", "s4", "s5"] and shower.number_matched == 3
    with_unknown = index.nearest(
        116.4, 39.9, 5, Filters(amenities=("shower",), include_unknown=True)
    )
    assert ids(index, with_unknown) == ["s2", "s3", "s4", "s5"]


def test_kind_filter(index):
    result = index.nearest(116.4, 39.9, 5, Filters(kind="driver_home"))
    assert ids(index, result) == ["s5"] and result.number_matched == 1


def test_open_at_drops_closed_and_flags_unknown(index):
    result = index.nearest(116.4, 39.9, 5, Filters(open_at=MONDAY_9PM))
    assert ids(index, result) == ["s1", "s3", "s5"]
    assert [h.open_now for h in result.hits] == ["yes", "unknown", "yes"]
    assert result.number_matched == 3
    morning = index.nearest(116.4, 39.9, 2, Filters(open_at=dt.datetime(2026, 11, 30, 9, 0)))
    assert ids(index, morning) == ["s1", "s2"]


def test_open_at_with_timezone_is_converted_to_beijing_time(index):
    utc_1pm = dt.datetime(2026, 11, 30, 13, 0, tzinfo=dt.UTC)  # 21:00 in Beijing
    assert ids(index, index.nearest(116.4, 39.9, 2, Filters(open_at=utc_1pm))) == ["s1", "s3"]


def test_radius_limits_results_and_count(index):
    result = index.nearest(116.4, 39.9, 10, radius_m=200)
    assert ids(index, result) == ["s1", "s2"] and result.number_matched == 2
    assert index.nearest(116.4, 39.9, 10, radius_m=50).hits == ()


def test_no_match_is_empty(index):
    result = index.nearest(116.4, 39.9, 5, Filters(kind="driver_home", amenities=("toilet",)))
    assert result.hits == () and result.number_matched == 0


def random_table(n, seed):
    rng = np.random.default_rng(seed)
    rows = [
        (f"r{i}", "warm_heart", float(lon), float(lat), str(s), "24/7")
        for i, (lon, lat, s) in enumerate(
            zip(
                rng.normal(116.4, 0.2, n),
                rng.normal(39.9, 0.15, n),
                rng.choice(["yes", "no", "unknown"], n, p=[0.05, 0.9, 0.05]),
                strict=True,
            )
        )
    ]
    return make_table(rows)


def brute_force(index, lon, lat, rows, k):
    _, _, d = GEOD.inv(
        np.full(len(rows), lon), np.full(len(rows), lat), index.lon[rows], index.lat[rows]
    )
    return rows[np.argsort(d)[:k]]


def test_nearest_matches_brute_force_with_and_without_filters():
    index = StationIndex(random_table(3000, seed=1))
    rng = np.random.default_rng(2)
    shower = np.flatnonzero(index.table.frame["shower"] == "yes")
    for lon, lat in zip(rng.normal(116.4, 0.3, 50), rng.normal(39.9, 0.2, 50), strict=True):
        plain = [h.row for h in index.nearest(lon, lat, 7).hits]
        assert plain == brute_force(index, lon, lat, np.arange(3000), 7).tolist()
        rare = [h.row for h in index.nearest(lon, lat, 7, Filters(amenities=("shower",))).hits]
        assert rare == brute_force(index, lon, lat, shower, 7).tolist()


def test_batch_matches_single_queries():
    index = StationIndex(random_table(2000, seed=3))
    rng = np.random.default_rng(4)
    lon, lat = rng.normal(116.4, 0.3, 300), rng.normal(39.9, 0.2, 300)
    rows, dist = index.nearest_many(lon, lat, k=3)
    for i in range(300):
        single = index.nearest(lon[i], lat[i], 3)
        assert rows[i].tolist() == [h.row for h in single.hits]
        # single queries measure exact geodesics, the batch the arc from the chord
        assert dist[i] == pytest.approx([h.distance_m for h in single.hits], rel=1e-8)


def test_batch_far_from_every_station_ranks_by_geodesic():
    # Stations around Beijing; queries in Urumqi, Lhasa and Harbin, 1,000-2,500 km away:
    # beyond FAR_CHORD_M, so ranked by Andoyer-Lambert (1.4e-6 of the geodesic).
    index = StationIndex(random_table(500, seed=6))
    lon, lat = np.array([87.6, 91.1, 126.6]), np.array([43.8, 29.65, 45.75])
    rows, dist = index.nearest_many(lon, lat, k=4)
    for i in range(3):
        expected = brute_force(index, lon[i], lat[i], np.arange(500), 4)
        assert rows[i].tolist() == expected.tolist()
        _, _, exact = GEOD.inv(
            np.full(4, lon[i]), np.full(4, lat[i]), index.lon[expected], index.lat[expected]
        )
        assert dist[i] == pytest.approx(exact, rel=2e-6)


def test_batch_pads_when_fewer_stations_match(index):
    rows, dist = index.nearest_many(
        np.array([116.4]), np.array([39.9]), k=2, filters=Filters(kind="driver_home")
    )
    assert rows.tolist() == [[4, -1]] and np.isnan(dist[0, 1])


def test_batch_with_exact_ties_widens_the_search():
    # Ten stations on one spot and one 1 km away: k=3 must return three of the ten.
    rows = [(f"d{i}", "warm_heart", 116.4, 39.9, "no", "24/7") for i in range(10)]
    index = StationIndex(make_table([*rows, ("far", "warm_heart", 116.4, 39.909, "no", "24/7")]))
    found, dist = index.nearest_many(np.array([116.401]), np.array([39.9]), k=3)
    assert set(found[0].tolist()) <= set(range(10)) and len(set(found[0].tolist())) == 3
    assert dist[0] == pytest.approx([85.5] * 3, abs=0.1)  # pyproj.Geod: 85.52 m


def test_confirmed_since_keeps_stations_confirmed_on_or_after_the_day() -> None:
    table = make_table()
    table.frame[schema.CONFIRMED] = ["2026-06-01", "2025-01-01", "", "2026-01-01", "2026-12-01"]
    index = StationIndex(table)
    since = Filters(confirmed_since=dt.date(2026, 1, 1))
    found = index.nearest(116.4, 39.9, 5, since)
    assert [table.frame["id"][h.row] for h in found.hits] == ["s1", "s4", "s5"]
    assert found.number_matched == 3
    unknown = StationIndex(make_table())  # a table from a file: nobody confirmed anything
    assert unknown.nearest(116.4, 39.9, 5, since).number_matched == 0
