"""Write a finished plan: GeoPackage (three layers), CSV or GeoJSON of the new sites.

Everything is WGS84 (EPSG:4326); GeoJSON coordinates are ``[lon, lat]`` (RFC 7946).

* GeoPackage layers: ``new_sites`` (points in rank order, with the marginal gain, the
  covered share after each site, district and host type), ``uncovered_demand`` (demand
  cells still uncovered after the plan, points) and ``district_summary`` (one row per
  district: demand, covered before and after, existing and new stations; with the
  district polygon when ``districts`` is given, else a table without geometry); and, for a
  plan that used workers' suggestions, ``suggested_demand`` (:data:`SUGGESTED_LAYER`: the
  suggested cells as points, with their suggestions, weight, and whether each was covered
  before and after the plan).
* CSV: the new sites only, UTF-8 with a byte-order mark so that Excel shows Chinese names.
* GeoJSON: the new sites as a FeatureCollection, with the plan summary as a foreign member.

Each format says which inputs were synthetic or modelled (:mod:`locator.caveats`): a
``caveats`` column in the CSV, a top-level ``caveats`` member in the GeoJSON and a
``locator_caveats`` table in the GeoPackage. ``synthetic_stations`` is the served
dataset's flag (``DatasetInfo.synthetic``); the demand is modelled unless it was uploaded.

:func:`write_plan` picks the format from the file suffix and writes atomically: to a
temporary file in the target's folder, then ``os.replace`` over the target.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from locator import caveats
from locator.errors import BadQuery
from locator.planning.plan import Plan
from locator.spreadsheet import safe_frame

LAYERS = ("new_sites", "uncovered_demand", "district_summary")
SUGGESTED_LAYER = "suggested_demand"  # only when the plan used suggestions
SUFFIXES = {".gpkg": "gpkg", ".csv": "csv", ".geojson": "geojson", ".json": "geojson"}
MEDIA_TYPES = {
    "gpkg": "application/geopackage+sqlite3",
    "csv": "text/csv",
    "geojson": "application/geo+json",
}
CRS = "EPSG:4326"
COORD_DECIMALS = 7  # about 1 cm


def finite(value: float) -> float | None:
    """``value`` as a plain float, or None for NaN and infinity (JSON has neither)."""
    number = float(value)
    return number if math.isfinite(number) else None


def summary(plan: Plan) -> dict[str, Any]:
    """Before/after coverage, the solver's certificate and what the demand is.

    Shares are fractions of the total demand weight (0..1); weights are in the demand's
    unit (modelled residents, or the supplied weights). ``gap`` is
    ``(upper_bound - covered_weight_after) / upper_bound``.
    """
    r = plan.result
    total = r.total_weight

    def share(weight: float) -> float:
        return weight / total if total else 0.0

    return {
        "new": len(r.chosen),
        "radius_m": plan.request.resolved_radius_m,
        "total_weight": total,
        "covered_weight_before": plan.before.covered_weight,
        "covered_weight_after": r.covered_weight,
        "covered_share_before": plan.before.covered_share,
        "covered_share_after": share(r.covered_weight),
        "upper_bound": r.upper_bound,
        "upper_bound_share": share(r.upper_bound),
        "gap": finite(r.gap),
        "method": r.method,
        "seconds": round(plan.seconds, 3),
        "demand": {
            "description": plan.demand_description,
            "modelled": plan.request.demand_path is None,
        },
        "suggested": plan.suggested,
    }


def plan_caveats(plan: Plan, synthetic_stations: bool) -> tuple[caveats.Caveat, ...]:
    """What the plan's inputs were: synthetic stations, and modelled demand unless uploaded."""
    return caveats.caveats_of(
        synthetic_stations=synthetic_stations, modelled_demand=plan.request.demand_path is None
    )


def _site_properties(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "rank": int(row["rank"]),
        "marginal_gain": finite(row["marginal_gain"]),
        "covered_share_after": finite(row["covered_share_after"]),
        "district_adcode": str(row["district_adcode"]),
        "district_name": str(row["district_name"]),
        "host_type": str(row["host_type"]),
        "name": str(row["name"]),
    }


def sites_geojson(plan: Plan, *, synthetic_stations: bool) -> dict[str, Any]:
    """The new sites as a GeoJSON FeatureCollection, in rank order, with the plan summary
    and the ``caveats`` of its inputs as foreign members."""
    features = [
        {
            "type": "Feature",
            "geometry": {
                "type": "Point",
                "coordinates": [
                    round(float(row["lon"]), COORD_DECIMALS),
                    round(float(row["lat"]), COORD_DECIMALS),
                ],
            },
            "properties": _site_properties(row),
        }
        for row in plan.sites.to_dict("records")
    ]
    return {
        "type": "FeatureCollection",
        "caveats": caveats.as_json(plan_caveats(plan, synthetic_stations)),
        "summary": summary(plan),
        "features": features,
    }


def sites_csv(plan: Plan, *, synthetic_stations: bool) -> bytes:
    """The new sites as CSV bytes: UTF-8 with BOM, one row per site in rank order, the last
    column ``caveats`` (e.g. ``stations synthetic; demand modelled``); text cells a
    spreadsheet would run as formulas are neutralised (:mod:`locator.spreadsheet`)."""
    frame = plan.sites.round({"lon": COORD_DECIMALS, "lat": COORD_DECIMALS})
    frame = frame.assign(
        **{caveats.CSV_COLUMN: caveats.csv_cell(plan_caveats(plan, synthetic_stations))}
    )
    frame = safe_frame(frame)
    text: str = frame.to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")


def _points(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        frame.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        crs=CRS,
    )


def _district_layer(plan: Plan, districts: gpd.GeoDataFrame | None) -> pd.DataFrame:
    table = plan.districts.copy()
    table["district_adcode"] = table["district_adcode"].astype(str)
    if districts is None:
        return table
    shapes = districts[["district_adcode", "geometry"]].copy()
    shapes["district_adcode"] = shapes["district_adcode"].astype(str)
    shapes = shapes.drop_duplicates("district_adcode").to_crs(CRS)
    merged = table.merge(shapes, on="district_adcode", how="left")
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=CRS)


def write_caveats(path: Path, found: tuple[caveats.Caveat, ...]) -> None:
    """The ``locator_caveats`` table (input, status, note; no rows when every input was
    real) of the GeoPackage at ``path``."""
    columns = ("input", "status", "note")
    table = pd.DataFrame(
        {c: pd.Series([getattr(v, c) for v in found], dtype=object) for c in columns}
    )
    pyogrio.write_dataframe(table, path, layer=caveats.GPKG_TABLE, driver="GPKG")


def write_gpkg(
    plan: Plan,
    path: Path,
    districts: gpd.GeoDataFrame | None = None,
    *,
    synthetic_stations: bool,
) -> None:
    """Write the three layers of :data:`LAYERS`, :data:`SUGGESTED_LAYER` when the plan
    used suggestions, and the ``locator_caveats`` table (input, status, note; no rows when
    every input was real) to a new GeoPackage at ``path`` (not atomic)."""
    layers = (
        _points(plan.sites),
        _points(plan.uncovered),
        _district_layer(plan, districts),
    )
    for name, frame in zip(LAYERS, layers, strict=True):
        options = {"promote_to_multi": True} if name == "district_summary" else {}
        pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG", **options)
    if len(plan.suggested_cells):
        suggested = _points(plan.suggested_cells)
        pyogrio.write_dataframe(suggested, path, layer=SUGGESTED_LAYER, driver="GPKG")
    write_caveats(path, plan_caveats(plan, synthetic_stations))


def gpkg_bytes(
    plan: Plan, districts: gpd.GeoDataFrame | None = None, *, synthetic_stations: bool
) -> bytes:
    """The GeoPackage of :func:`write_gpkg` as bytes (written to a temporary folder)."""
    with tempfile.TemporaryDirectory(prefix="locator-plan-") as folder:
        path = Path(folder) / "plan.gpkg"
        write_gpkg(plan, path, districts, synthetic_stations=synthetic_stations)
        return path.read_bytes()


def format_of(path: Path) -> str:
    """The output format named by ``path``'s suffix; BadQuery for any other suffix."""
    found = SUFFIXES.get(Path(path).suffix.lower())
    if found is None:
        raise BadQuery(
            f"{Path(path).name}: cannot tell the output format; "
            f"end the file name in {', '.join(SUFFIXES)}."
        )
    return found


def write_plan(
    plan: Plan,
    path: Path,
    districts: gpd.GeoDataFrame | None = None,
    *,
    synthetic_stations: bool,
) -> str:
    """Write ``plan`` to ``path`` in the format its suffix names, atomically; return the format.

    A failure leaves any existing file at ``path`` untouched.
    """
    path = Path(path)
    kind = format_of(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.{secrets.token_hex(4)}.tmp{path.suffix}")
    try:
        if kind == "gpkg":
            write_gpkg(plan, tmp, districts, synthetic_stations=synthetic_stations)
        elif kind == "csv":
            tmp.write_bytes(sites_csv(plan, synthetic_stations=synthetic_stations))
        else:
            collection = sites_geojson(plan, synthetic_stations=synthetic_stations)
            text = json.dumps(collection, ensure_ascii=False, indent=1)
            tmp.write_text(text, encoding="utf-8")
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return kind
