"""What one plan may cost, checked before it is queued: the pairs its coverage matrix (and
spacing matrix) would hold, and the candidates an uploaded file may list."""

from __future__ import annotations

import math

import pytest

from locator.errors import BadQuery
from locator.planning.plan import PlanRequest
from locator.planning.service import check_pairs, disc_cells, estimated_pairs
from tests.conftest import make_plan_app, plan_count, stop_plans
from tests.web.test_plans import SHOPS_CSV, post_with_files

pytestmark = pytest.mark.both_databases

# The default demand models: every cell is populated (see tests/test_demand.py).
BEIJING_CELLS, SHAANXI_CELLS = 65_630, 51_398


def test_a_disc_holds_pi_r_squared_cells_at_most_all_of_them() -> None:
    assert disc_cells(1_000, 500, 10**6) == pytest.approx(4 * math.pi)
    assert disc_cells(30_000, 2_000, 100) == 100


@pytest.mark.parametrize(
    ("region", "radius_m", "cells", "expected"),
    # cells × π (radius / cell size)²; counted with cKDTree.count_neighbors the default
    # models have 0.71 M, 19.7 M, 8.64 M and 33.0 M pairs within these radii.
    [
        ("beijing", 1_000, BEIJING_CELLS, 824_731),
        ("beijing", 5_000, BEIJING_CELLS, 20_618_273),
        ("shaanxi", 15_000, SHAANXI_CELLS, 9_082_777),
        ("shaanxi", 30_000, SHAANXI_CELLS, 36_331_106),
    ],
)
def test_the_estimate_bounds_the_measured_pairs(region, radius_m, cells, expected) -> None:
    request = PlanRequest(region=region, new=10, radius_m=radius_m)
    assert estimated_pairs(request, cells, cells) == pytest.approx(expected, abs=1)


def test_spacing_pairs_count_too() -> None:
    plain = PlanRequest(region="beijing", new=10, radius_m=1_000)
    spaced = PlanRequest(region="beijing", new=10, radius_m=1_000, min_spacing_m=1_000)
    assert estimated_pairs(plain, 1_000, 10**6) == 12_567  # 1,000 × π × (1,000 m / 500 m)²
    assert estimated_pairs(spaced, 1_000, 10**6) == 25_133


def test_the_default_plans_fit_and_a_30_km_shaanxi_plan_does_not() -> None:
    for region, cells in (("beijing", BEIJING_CELLS), ("shaanxi", SHAANXI_CELLS)):
        check_pairs(PlanRequest(region=region, new=10), cells, cells, 10_000_000)
    request = PlanRequest(region="shaanxi", new=10, radius_m=30_000)
    with pytest.raises(BadQuery) as caught:
        check_pairs(request, SHAANXI_CELLS, SHAANXI_CELLS, 10_000_000)
    message = caught.value.message
    assert "about 36,331,106 pairs" in message and "LOCATOR_PLAN_MAX_PAIRS" in message
    assert "radius_m of at most about 15,700 m" in message


def test_the_api_refuses_a_plan_too_large_before_queueing(tmp_path) -> None:
    app = make_plan_app(tmp_path, PLAN_MAX_PAIRS=1_000)
    try:
        api = app.test_client()
        response = api.post("/api/v1/plans", json={"region": "beijing", "new": 5})
        assert response.status_code == 400
        assert "LOCATOR_PLAN_MAX_PAIRS" in response.json["error"]
        assert plan_count(app) == 0
    finally:
        stop_plans(app)


def test_an_uploaded_candidate_list_has_a_size_limit(tmp_path) -> None:
    app = make_plan_app(tmp_path, PLAN_MAX_CANDIDATES=2)
    try:
        response = post_with_files(app.test_client(), candidates=(SHOPS_CSV, "shops.csv"))
        assert response.status_code == 413
        assert response.json["error"] == (
            "shops.csv: 3 candidate sites, more than the 2 a plan may have "
            "(LOCATOR_PLAN_MAX_CANDIDATES)."
        )
    finally:
        stop_plans(app)
