"""``locator plan --region china``: every province in one run on Dask.

:func:`plan_china` is what the ``plan`` command calls when the region is China
(:func:`is_national`). It loads the served stations as the server does, runs
:func:`locator.planning.national.run_national` on a local cluster (one worker process per
core) or on ``LOCATOR_DASK_SCHEDULER``, prints the certificate and the per-province
table, and writes the new sites and the table to ``--out``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from locator.errors import BadQuery
from locator.regions import CHINA

if TYPE_CHECKING:  # the solver and Dask load only when the command runs
    from locator.planning.national import NationalPlan

NATIONAL = "china"
SUFFIXES = (".csv", ".gpkg")


def is_national(text: str) -> bool:
    """True for ``china``, 中国, 全国 or 100000 (any case, surrounding spaces ignored)."""
    return text.strip().lower() in CHINA


def per_province_limit_s(time_limit_s: float, workers: int, provinces: int) -> float:
    """Each province's solver limit: the run's ``time_limit_s`` shared by the provinces
    that run on each worker, and at least 2 s."""
    rounds = -(-provinces // max(workers, 1))
    return max(2.0, time_limit_s / rounds)


def plan_china(
    *, new: int, radius_m: float | None, kind: str | None, time_limit_s: float, out: Path
) -> NationalPlan:
    """Plan ``new`` sites over every province and write them to ``out`` (.csv or .gpkg).

    ``time_limit_s`` bounds the solve of the whole run (:func:`per_province_limit_s`);
    building the demand adds to it. Raises BadQuery for other kinds of output.
    """
    from locator import create_app
    from locator.index import Filters
    from locator.planning.national import (
        NATIONAL_RADIUS_M,
        NationalRequest,
        province_codes,
        run_national,
    )
    from locator.web.state import state_of

    if out.suffix.lower() not in SUFFIXES:
        raise BadQuery(f"{out.name}: a national plan is written as .csv or .gpkg.")
    st = state_of(create_app())
    index = st.live.current().index
    rows = index.subset(Filters(kind=kind or "driver_home")).rows
    scheduler = str(st.settings.get("DASK_SCHEDULER", ""))
    workers = os.cpu_count() or 1
    request = NationalRequest(new=new, radius_m=radius_m or NATIONAL_RADIUS_M,
                              workers=workers, scheduler=scheduler)  # fmt: skip
    limit_s = per_province_limit_s(time_limit_s, workers, len(province_codes(request)))
    request = NationalRequest(**{**vars(request), "time_limit_s": limit_s})
    click.echo(f"{len(rows)} existing stations; {limit_s:.1f} s per province", err=True)
    plan = run_national(request, data_dir=st.settings["DATA_DIR"], station_lon=index.lon[rows],
                        station_lat=index.lat[rows],
                        progress=lambda stage, _f: click.echo(stage, err=True))  # fmt: skip
    write_national(plan, out, synthetic_stations=st.live.current().table.info.synthetic)
    for line in describe(plan, st.live.current().table.info.synthetic):
        click.echo(line)
    return plan


def describe(plan: NationalPlan, synthetic: bool) -> list[str]:
    """The certificate, the per-province table and the totals, for the terminal."""
    table = plan.table.assign(
        share_before=plan.table["covered_before"] / plan.table["demand"],
        share_after=plan.table["covered_after"] / plan.table["demand"],
    )
    shown = table[["province_adcode", "province", "demand", "share_before", "share_after",
                   "new_sites", "objective", "bound", "gap", "task_s"]]  # fmt: skip
    total = float(table["demand"].sum())
    note = " (existing stations SYNTHETIC)" if synthetic else ""
    return [
        shown.to_string(index=False, float_format=lambda v: f"{v:,.3f}"),
        f"China: {len(plan.sites)} new sites, radius {plan.request.radius_m:g} m, "
        f"{plan.request.cell_size_m:g} m cells{note}",
        f"covered: {table['covered_before'].sum() / total:.1%} → {plan.objective / total:.1%}"
        f" of {total:,.0f} people (2020 census)",
        f"optimality gap ≤ {plan.gap:.2%} (Σ objective {plan.objective:,.0f} / Σ bound "
        f"{plan.bound:,.0f}, for these per-province counts); ≤ {plan.any_gap:.2%} against any "
        f"sharing of the sites",
        f"{plan.workers} Dask worker(s), {plan.seconds:.1f} s; peak memory per worker "
        + ", ".join(f"{mb:,.0f} MiB" for mb in plan.peak_worker_mb),
    ]


def write_national(plan: NationalPlan, out: Path, *, synthetic_stations: bool) -> None:
    """The sites to ``out``; the province table beside a CSV (``<stem>.provinces.csv``) or
    as the ``province_summary`` layer of a GeoPackage. Each says what its inputs were
    (:mod:`locator.caveats`: the census demand is spread over cells, so modelled; the
    stations maybe synthetic): a ``caveats`` column in each CSV, whose cells are safe to
    open in a spreadsheet, or the ``locator_caveats`` table of the GeoPackage."""
    import geopandas as gpd
    import pyogrio

    from locator import caveats
    from locator.planning.export import write_caveats
    from locator.spreadsheet import safe_frame

    found = caveats.caveats_of(synthetic_stations=synthetic_stations, modelled_demand=True)
    if out.suffix.lower() == ".csv":
        cell = {caveats.CSV_COLUMN: caveats.csv_cell(found)}
        safe_frame(plan.sites.assign(**cell)).to_csv(out, index=False, float_format="%.6f")
        provinces = out.with_name(f"{out.stem}.provinces.csv")
        safe_frame(plan.table.assign(**cell)).to_csv(provinces, index=False)
        return
    points = gpd.points_from_xy(plan.sites["lon"], plan.sites["lat"], crs="EPSG:4326")
    pyogrio.write_dataframe(gpd.GeoDataFrame(plan.sites, geometry=points), out,
                            layer="new_sites", driver="GPKG")  # fmt: skip
    pyogrio.write_dataframe(plan.table, out, layer="province_summary", driver="GPKG")
    write_caveats(out, found)
