"""Workers' "there should be a station here" suggestions as a demand layer of a plan.

A plan that uses suggestions carries them in its request, so that it can be run again and
defended later: each as the centre of its 250 m cell (:mod:`locator.db.suggestions`) with
how many suggestions fell in it. :func:`with_suggestions` adds them to the plan's demand
(the modelled or uploaded cells) as cells of their own, each suggestion weighing
``weight`` (people-equivalents: a planner's choice, shown with the plan), and keeps which
demand cells are suggestions, so that the plan's report can say how much of the suggested
demand its sites cover (:func:`covered_share`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from locator import coords
from locator.demand import Demand
from locator.regions import Regions

SuggestedCell = tuple[float, float, int]  # lon, lat (WGS84 cell centre), suggestions there


@dataclass(frozen=True)
class SuggestedDemand:
    """The demand with the suggestions added, and which of its cells are suggestions."""

    demand: Demand
    suggested: np.ndarray  # bool per demand cell
    count: int  # suggestions inside the region (others are left out)


def cells(points: Iterable[tuple[float, float]]) -> tuple[SuggestedCell, ...]:
    """Suggestions (cell centres) counted per cell, in a stable order."""
    counted = Counter((round(lon, 6), round(lat, 6)) for lon, lat in points)
    return tuple((lon, lat, n) for (lon, lat), n in sorted(counted.items()))


def with_suggestions(
    demand: Demand, suggested: tuple[SuggestedCell, ...], weight: float, regions: Regions
) -> SuggestedDemand:
    """``demand`` plus one cell per suggested cell inside ``regions`` weighing ``weight``
    per suggestion; its description says so."""
    if not suggested or weight <= 0:
        return SuggestedDemand(demand, np.zeros(len(demand.weight), bool), 0)
    lon, lat, counts = (np.array(column) for column in zip(*suggested, strict=True))
    row = regions.locate(lon, lat)
    inside = row >= 0
    lon, lat, counts, row = lon[inside], lat[inside], counts[inside], row[inside]
    x_m, y_m = coords.to_metric(lon, lat)
    districts = regions.districts.iloc[row]
    count = int(counts.sum())
    note = f"; plus {count} worker suggestions at {weight:g} each (reported, not modelled)"
    joined = Demand(
        lon=np.concatenate([demand.lon, lon]),
        lat=np.concatenate([demand.lat, lat]),
        x_m=np.concatenate([demand.x_m, x_m]),
        y_m=np.concatenate([demand.y_m, y_m]),
        weight=np.concatenate([demand.weight, counts * float(weight)]),
        district_adcode=np.concatenate(
            [demand.district_adcode, districts["district_adcode"].to_numpy(dtype=str)]
        ),
        district_name=np.concatenate(
            [demand.district_name, districts["district_name"].to_numpy(dtype=str)]
        ),
        cell_size_m=demand.cell_size_m,
        description=demand.description + note,
        totals=demand.totals,
    )
    mask = np.concatenate([np.zeros(len(demand.weight), bool), np.ones(len(lon), bool)])
    return SuggestedDemand(joined, mask, count)


def covered_share(found: SuggestedDemand, covered: np.ndarray) -> float | None:
    """The share (0–1) of the suggested weight in ``covered`` cells; None without any."""
    weight = found.demand.weight[found.suggested]
    total = float(weight.sum())
    return None if total == 0 else float(weight[covered[found.suggested]].sum()) / total


CELL_COLUMNS = {
    "lon": float, "lat": float, "suggestions": int, "weight": float, "district_adcode": str,
    "district_name": str, "covered_before": bool, "covered_after": bool,
}  # fmt: skip


def cells_table(
    found: SuggestedDemand | None = None,
    weight: float = 0.0,
    before: np.ndarray | None = None,
    after: np.ndarray | None = None,
) -> pd.DataFrame:
    """The suggested cells a plan used, one row each (:data:`CELL_COLUMNS`: centre,
    suggestions, their weight in the plan, district, covered before and after the plan);
    no rows without ``found`` or when it has no suggested cell."""
    if found is None or before is None or after is None or not found.suggested.any():
        return pd.DataFrame({name: pd.Series(dtype=kind) for name, kind in CELL_COLUMNS.items()})
    rows, demand = np.flatnonzero(found.suggested), found.demand
    return pd.DataFrame(
        {
            "lon": demand.lon[rows],
            "lat": demand.lat[rows],
            "suggestions": np.rint(demand.weight[rows] / weight).astype(int),
            "weight": demand.weight[rows],
            "district_adcode": demand.district_adcode[rows],
            "district_name": demand.district_name[rows],
            "covered_before": before[rows],
            "covered_after": after[rows],
        }
    )


def by_district(suggested: tuple[SuggestedCell, ...], regions: Regions) -> pd.DataFrame:
    """Suggestions per district of ``regions`` (adcode, name, count), most first; those
    outside every district are left out."""
    columns = ["district_adcode", "district_name", "suggestions"]
    if not suggested:
        return pd.DataFrame(columns=columns)
    lon, lat, counts = (np.array(column) for column in zip(*suggested, strict=True))
    row = regions.locate(lon, lat)
    inside = row >= 0
    districts = regions.districts.iloc[row[inside]]
    table = pd.DataFrame(
        {
            "district_adcode": districts["district_adcode"].to_numpy(dtype=str),
            "district_name": districts["district_name"].to_numpy(dtype=str),
            "suggestions": counts[inside].astype(int),
        }
    )
    grouped = table.groupby(["district_adcode", "district_name"], as_index=False).sum()
    return grouped.sort_values(["suggestions", "district_adcode"], ascending=[False, True])[
        columns
    ].reset_index(drop=True)
