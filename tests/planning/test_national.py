"""The national plan on a real local Dask cluster (2 worker processes), on two small
provinces so that it takes seconds; and the allocation rule by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from locator.cli.national import is_national, per_province_limit_s
from locator.errors import BadQuery
from locator.planning.national import (
    TABLE_COLUMNS,
    NationalRequest,
    allocate,
    province_codes,
    run_national,
)
from locator.planning.provinces import coarse_demand

DATA = Path(__file__).resolve().parents[2] / "data"
NINGXIA, TIANJIN = "640000", "120000"


def test_allocate_takes_the_largest_gains_in_pick_order() -> None:
    curves = [np.array([10.0, 4.0, 1.0]), np.array([7.0, 6.0, 5.0, 0.5]), np.array([])]
    assert allocate(curves, 4).tolist() == [1, 3, 0]  # 10, 7, 6, 5
    assert allocate(curves, 5).tolist() == [2, 3, 0]  # then 4
    assert allocate([np.array([3.0]), np.array([3.0])], 1).tolist() == [1, 0]  # tie: first
    with pytest.raises(BadQuery, match="more than the 7 candidate"):
        allocate(curves, 8)


def test_province_codes_leave_out_the_places_without_census() -> None:
    codes = province_codes(NationalRequest(new=1))
    assert len(codes) == 31 and "110000" in codes and "810000" not in codes
    with pytest.raises(BadQuery, match="810000"):
        province_codes(NationalRequest(new=1, provinces=("810000",)))


def test_coarse_demand_keeps_every_county_and_the_total() -> None:
    fine = coarse_demand(DATA, TIANJIN, 1000.0)  # every district has a 1 km cell centre
    coarse = coarse_demand(DATA, TIANJIN, 10_000.0)  # some have no 10 km one
    assert coarse.weight.sum() == pytest.approx(fine.weight.sum(), rel=1e-12)
    assert len(coarse.weight) < len(fine.weight) / 50


def test_national_names_and_time_share() -> None:
    assert is_national(" China ") and is_national("中国") and not is_national("120000")
    assert per_province_limit_s(60.0, 2, 31) == pytest.approx(60.0 / 16)
    assert per_province_limit_s(10.0, 2, 31) == 2.0


def test_two_provinces_on_two_workers_sum_to_one_certificate() -> None:
    request = NationalRequest(
        new=12, provinces=(TIANJIN, NINGXIA), time_limit_s=1.0, workers=2, cell_size_m=5000.0
    )
    yinchuan = (np.array([106.27]), np.array([38.47]))  # one existing station, in Ningxia
    plan = run_national(request, data_dir=DATA, station_lon=yinchuan[0], station_lat=yinchuan[1])
    table = plan.table
    assert tuple(table.columns) == TABLE_COLUMNS
    assert table["province_adcode"].tolist() == [TIANJIN, NINGXIA]
    assert table["province"].tolist() == ["天津市", "宁夏回族自治区"]
    assert table["new_sites"].sum() == 12 == len(plan.sites)
    assert plan.objective == pytest.approx(table["objective"].sum())
    assert plan.bound == pytest.approx(table["bound"].sum())
    assert plan.gap == pytest.approx(1 - table["objective"].sum() / table["bound"].sum())
    assert 0 <= plan.gap <= plan.any_gap < 1
    assert plan.bound <= plan.any_bound or plan.gap == 0
    assert (table["covered_before"] <= table["covered_after"]).all()
    before = table["covered_before"].to_numpy()
    assert before[0] == 0 < before[1]
    assert (table["covered_after"] <= table["bound"] + 1e-6).all()
    assert (table["bound"] <= table["demand"] + 1e-6).all()
    assert plan.workers == 2 and len(plan.peak_worker_mb) == 2
    assert (table["task_s"] > 0).all()
    sites_per = plan.sites.groupby("province_adcode").size()
    assert sites_per.reindex(table["province_adcode"]).fillna(0).tolist() == (
        table["new_sites"].tolist()
    )
