"""GET /api/v1/coverage: the demand model covered by the fixture stations, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from locator.demand import default_model
from locator.geodesy import distance_m
from tests.conftest import DATA
from tests.web.test_plans import assert_error

BEIJING_CENSUS_2020 = 21_893_095


@pytest.fixture()
def api(plan_app):
    return plan_app.test_client()


def test_coverage_of_the_fixture_stations(api):
    body = api.get("/api/v1/coverage").json
    assert (body["region"], body["kind"], body["radius_m"]) == ("beijing", "warm_heart", 1000.0)
    assert body["total_weight"] == pytest.approx(BEIJING_CENSUS_2020)
    assert body["stations"] == {"count": 2} and body["synthetic"] is True
    assert body["demand"]["modelled"] is True and body["demand"]["cells"] == 65630
    assert "modelled, not measured" in body["demand"]["description"]
    # Two warm-heart stations, 1 km each: 0.81 % of Beijing's modelled residents.
    assert body["covered_share"] == pytest.approx(0.0081167, abs=1e-6)
    model = default_model(DATA, "beijing")
    near = [
        distance_m(model.lon, model.lat, lon, lat) <= 1000
        for lon, lat in ((116.418, 39.913), (116.461, 39.909))
    ]
    by_hand = float(model.weight[np.logical_or(*near)].sum())
    assert body["covered_weight"] == pytest.approx(by_hand, rel=1e-9)
    districts = {d["district_name"]: d for d in body["districts"]}
    assert len(districts) == 16
    assert (districts["东城区"]["stations"], districts["朝阳区"]["stations"]) == (1, 1)
    assert districts["东城区"]["demand"] == 708829
    assert districts["西城区"]["covered"] == 0
    assert set(body["distance_percentiles_m"]) == {"50", "75", "90", "95"}
    assert 0 < body["distance_percentiles_m"]["50"] < body["distance_percentiles_m"]["95"]
    assert len(body["clusters"]) == 10
    assert set(body["clusters"][0]) == {"lon", "lat", "weight", "cells", "district_name"}


def test_coverage_filters_and_regions(api):
    shower = api.get("/api/v1/coverage?amenities=shower&radius_m=500").json
    assert shower["stations"] == {"count": 1} and shower["radius_m"] == 500.0
    assert 0 < shower["covered_share"] < 0.0081167
    shaanxi = api.get("/api/v1/coverage?region=shaanxi").json
    assert (shaanxi["kind"], shaanxi["radius_m"], shaanxi["stations"]) == (
        "driver_home",
        15000.0,
        {"count": 1},
    )
    # 15 km around central Xi'an: its urban districts' own census (about 7 M of 39.5 M).
    assert 0.1 < shaanxi["covered_share"] < 0.25
    nobody = api.get("/api/v1/coverage?amenities=laundry").json
    assert nobody["covered_share"] == 0 and nobody["distance_percentiles_m"]["50"] is None


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("region=mars", "unknown region 'mars'"),
        ("kind=hotel", "kind must be one of warm_heart, driver_home"),
        ("amenities=jacuzzi", "unknown amenity jacuzzi"),
        ("radius_m=0", "radius_m must be greater than 0"),
        ("radius_m=-5", "radius_m must be a number between 0"),
        ("radius_m=6000", "between 0 and 5000"),
        ("radius_m=abc", "radius_m must be a number"),
    ],
)
def test_coverage_bad_parameters(api, query, fragment):
    assert_error(api.get(f"/api/v1/coverage?{query}"), 400, fragment)
