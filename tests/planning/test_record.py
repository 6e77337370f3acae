"""A plan survives the trip through JSON: every download and summary is the same."""

from __future__ import annotations

import json

import pandas as pd

from locator.planning import export
from locator.planning.record import plan_from_json, plan_json, request_from_json, request_json
from tests.planning.test_export import plan, state  # noqa: F401 - fixtures


def test_plan_round_trip_keeps_every_output(plan) -> None:  # noqa: F811
    stored = json.loads(json.dumps(plan_json(plan)))  # as the database keeps it
    back = plan_from_json(stored)
    assert export.summary(back) == export.summary(plan)
    assert export.sites_geojson(back, synthetic_stations=True) == export.sites_geojson(
        plan, synthetic_stations=True
    )
    assert export.sites_csv(back, synthetic_stations=True) == export.sites_csv(
        plan, synthetic_stations=True
    )
    pd.testing.assert_frame_equal(back.districts, plan.districts)
    pd.testing.assert_frame_equal(back.uncovered, plan.uncovered)
    pd.testing.assert_frame_equal(back.before.districts, plan.before.districts)
    assert back.result.chosen.tolist() == plan.result.chosen.tolist()
    assert back.before.clusters == plan.before.clusters


def test_request_round_trip_hides_server_paths(plan) -> None:  # noqa: F811
    stored = request_json(plan.request)
    assert stored["demand_path"] == "uploaded" and "/" not in json.dumps(stored)
    back = request_from_json(stored, {"demand": plan.request.demand_path})
    assert back == plan.request
