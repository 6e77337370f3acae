"""A finished :class:`~locator.planning.plan.Plan` as JSON and back, so that any web
worker can serve a plan that a queue worker on another machine computed.

Tables go through pandas' ``orient="table"`` JSON, which keeps column types; arrays
become lists. The request's upload paths are not kept (the files belong to the worker
that ran the plan); whether a file was given is.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from locator.coverage import Cluster, CoverageSummary
from locator.planning.plan import Plan, PlanRequest
from locator.planning.suggested import cells_table
from locator.siting.maximal import CoverageResult

UPLOADED = "uploaded"  # stands for a path in a stored request


def _frame_json(frame: pd.DataFrame) -> Any:
    return json.loads(frame.to_json(orient="table", index=False, force_ascii=False))


def _frame(data: Any) -> pd.DataFrame:
    return pd.read_json(io.StringIO(json.dumps(data)), orient="table")


def request_json(request: PlanRequest) -> dict[str, Any]:
    """A request as JSON; file paths become ``"uploaded"``."""
    out: dict[str, Any] = {}
    for f in fields(request):
        value = getattr(request, f.name)
        if isinstance(value, Path):
            value = UPLOADED
        elif f.name == "quotas":
            value = {k: list(v) for k, v in value.items()}
        elif f.name == "suggestions":
            value = [list(cell) for cell in value]
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def request_from_json(data: dict[str, Any], uploads: dict[str, Path] | None = None) -> PlanRequest:
    """The request back; ``uploads`` maps ``demand``/``candidates``/``exclusions`` to the
    files on this machine. Without them a given file stays marked as given (its path is
    ``Path("uploaded")``), so a stored plan still says its demand was not modelled."""
    found = dict(data)
    for name in ("demand", "candidates", "exclusions"):
        key = f"{name}_path"
        given = found.get(key) is not None
        found[key] = (uploads or {}).get(name, Path(UPLOADED)) if given else None
    found["amenities"] = tuple(found["amenities"])
    found["quotas"] = {k: (v[0], v[1]) for k, v in found["quotas"].items()}
    found["suggestions"] = tuple(tuple(cell) for cell in found.get("suggestions", ()))
    return PlanRequest(**found)


def plan_json(plan: Plan) -> dict[str, Any]:
    """Everything a plan's status, downloads and maps need, as JSON."""
    result = {
        f.name: getattr(plan.result, f.name).tolist()
        if isinstance(getattr(plan.result, f.name), np.ndarray)
        else getattr(plan.result, f.name)
        for f in fields(plan.result)
    }
    before = plan.before
    return {
        "request": request_json(plan.request),
        "sites": _frame_json(plan.sites),
        "result": result,
        "before": {
            "radius_m": before.radius_m,
            "total_weight": before.total_weight,
            "covered_weight": before.covered_weight,
            "covered_share": before.covered_share,
            "districts": _frame_json(before.districts),
            "distance_percentiles_m": {str(k): v for k, v in before.distance_percentiles_m.items()},
            "clusters": [asdict(c) for c in before.clusters],
        },
        "districts": _frame_json(plan.districts),
        "uncovered": _frame_json(plan.uncovered),
        "demand_description": plan.demand_description,
        "seconds": plan.seconds,
        "suggested": plan.suggested,
        "suggested_cells": _frame_json(plan.suggested_cells),
    }


def plan_from_json(data: dict[str, Any]) -> Plan:
    """The plan :func:`plan_json` wrote (its request without upload paths)."""
    result = dict(data["result"])
    for name in ("chosen", "gains", "curve"):
        result[name] = np.asarray(result[name], dtype=int if name == "chosen" else float)
    before = dict(data["before"])
    summary = CoverageSummary(
        radius_m=before["radius_m"],
        total_weight=before["total_weight"],
        covered_weight=before["covered_weight"],
        covered_share=before["covered_share"],
        districts=_frame(before["districts"]),
        distance_percentiles_m={int(k): v for k, v in before["distance_percentiles_m"].items()},
        clusters=tuple(Cluster(**c) for c in before["clusters"]),
    )
    return Plan(
        request=request_from_json(data["request"]),
        sites=_frame(data["sites"]),
        result=CoverageResult(**result),
        before=summary,
        districts=_frame(data["districts"]),
        uncovered=_frame(data["uncovered"]),
        demand_description=data["demand_description"],
        seconds=data["seconds"],
        suggested=data.get("suggested"),
        suggested_cells=(
            _frame(data["suggested_cells"]) if "suggested_cells" in data else cells_table()
        ),
    )
