"""Suggestions as a demand layer: cells added with their weight, counted per district, and
the share of them a set of sites covers (by hand, on the three-station fixture's demand)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyogrio
import pytest
from pyproj import Geod

from locator import coverage, create_app
from locator.planning import export, suggested
from locator.planning.demand_points import from_points
from locator.planning.plan import Plan, PlanRequest, run_plan
from locator.planning.record import plan_from_json, plan_json
from locator.web.state import state_of
from tests.conftest import DATA, DEMAND_CSV, TINY_CSV, write_dataset

GEOD = Geod(ellps="WGS84")
# Eight suggestions in one cell far from every station (昌平区), and one in 朝阳区.
FAR = (116.2304, 40.2201)
CLUSTER = [FAR] * 8 + [(116.5001, 39.9201)]


@pytest.fixture()
def demand(tmp_path, regions):
    path = tmp_path / "demand.csv"
    path.write_text(DEMAND_CSV, encoding="utf-8")
    return from_points(path, DATA, cell_size_m=500.0)


def test_suggestions_become_weighted_cells_of_their_own(demand, regions) -> None:
    cells = suggested.cells(CLUSTER)
    assert cells == ((116.2304, 40.2201, 8), (116.5001, 39.9201, 1))
    found = suggested.with_suggestions(demand, cells, 10.0, regions)
    assert found.count == 9 and found.suggested.sum() == 2
    assert len(found.demand.weight) == len(demand.weight) + 2
    assert found.demand.weight[found.suggested].tolist() == [80.0, 10.0]
    assert found.demand.weight.sum() == pytest.approx(80 + 90)
    assert found.demand.district_name[found.suggested].tolist() == ["昌平区", "朝阳区"]
    assert "plus 9 worker suggestions at 10 each" in found.demand.description


def test_no_suggestions_or_no_weight_leave_the_demand_alone(demand, regions) -> None:
    for cells, weight in (((), 10.0), (suggested.cells(CLUSTER), 0.0)):
        found = suggested.with_suggestions(demand, cells, weight, regions)
        assert found.demand is demand and found.count == 0 and not found.suggested.any()


def test_points_outside_the_region_are_left_out(demand, regions) -> None:
    found = suggested.with_suggestions(demand, ((0.0, 0.0, 3), (*FAR, 1)), 5.0, regions)
    assert found.count == 1 and found.demand.weight[found.suggested].tolist() == [5.0]


def test_the_covered_share_of_suggested_demand(demand, regions) -> None:
    found = suggested.with_suggestions(demand, suggested.cells(CLUSTER), 10.0, regions)
    near_far = coverage.covered_mask(found.demand, np.array([FAR[0]]), np.array([FAR[1]]), 500)
    assert suggested.covered_share(found, near_far) == pytest.approx(80 / 90)
    nothing = np.zeros(len(found.demand.weight), bool)
    assert suggested.covered_share(found, nothing) == 0.0
    plain = suggested.with_suggestions(demand, (), 10.0, regions)
    assert suggested.covered_share(plain, nothing) is None


def test_counts_per_district(regions) -> None:
    table = suggested.by_district(suggested.cells(CLUSTER), regions)
    assert table.to_dict("records") == [
        {"district_adcode": "110114", "district_name": "昌平区", "suggestions": 8},
        {"district_adcode": "110105", "district_name": "朝阳区", "suggestions": 1},
    ]
    assert suggested.by_district((), regions).empty


@pytest.fixture()
def served(tmp_path):
    app = create_app(
        {"TESTING": True, "DATA_DIR": write_dataset(tmp_path / "data", TINY_CSV),
         "STORE": tmp_path / "x"}
    )  # fmt: skip
    (tmp_path / "demand.csv").write_text(DEMAND_CSV, encoding="utf-8")
    return state_of(app), tmp_path / "demand.csv"


def plan_with(served, weight: float) -> Plan:
    st, demand = served
    request = PlanRequest(region="beijing", new=2, demand_path=demand, time_limit_s=5,
                          suggestion_weight=weight, suggestions=suggested.cells(CLUSTER))  # fmt: skip
    return run_plan(request, data_dir=st.settings["DATA_DIR"], index=st.live.current().index,
                    regions=st.regions)  # fmt: skip


def test_a_cluster_of_suggestions_far_from_any_station_gets_a_site(served) -> None:
    def metres_to_far(plan: Plan) -> list[float]:
        return [
            float(GEOD.inv(lon, lat, *FAR)[2])
            for lon, lat in plan.sites[["lon", "lat"]].itertuples(index=False)
        ]

    without = plan_with(served, 0.0)
    assert min(metres_to_far(without)) > 10_000 and without.suggested is None
    found = plan_with(served, 10.0)
    assert min(metres_to_far(found)) < 1  # the suggested cell itself is a candidate
    assert found.suggested == {"count": 9, "weight": 10.0, "covered_share_before": 0.0,
                               "covered_share_after": pytest.approx(80 / 90)}  # fmt: skip
    assert "plus 9 worker suggestions" in found.demand_description
    again = plan_from_json(json.loads(json.dumps(plan_json(found))))
    assert again.request.suggestions == found.request.suggestions
    assert again.suggested == found.suggested
    pd.testing.assert_frame_equal(again.suggested_cells, found.suggested_cells)


def test_the_suggested_cells_are_a_layer_of_the_plan_export(served, tmp_path) -> None:
    found = plan_with(served, 10.0)
    cells = found.suggested_cells.set_index("district_name")
    assert cells.loc["昌平区", ["suggestions", "weight"]].tolist() == [8, 80.0]
    assert cells.loc["朝阳区", ["suggestions", "weight"]].tolist() == [1, 10.0]
    assert not cells["covered_before"].any() and cells.loc["昌平区", "covered_after"]
    export.write_gpkg(found, tmp_path / "plan.gpkg", synthetic_stations=True)
    layer = pyogrio.read_dataframe(tmp_path / "plan.gpkg", layer=export.SUGGESTED_LAYER)
    assert sorted(layer["suggestions"]) == [1, 8]
    far = layer[layer["suggestions"] == 8].geometry.iloc[0]
    assert float(GEOD.inv(far.x, far.y, *FAR)[2]) < 250  # the cell centre, [lon, lat]
    without = plan_with(served, 0.0)
    assert without.suggested_cells.empty
    export.write_gpkg(without, tmp_path / "none.gpkg", synthetic_stations=True)
    assert export.SUGGESTED_LAYER not in pyogrio.list_layers(tmp_path / "none.gpkg")[:, 0]
