""" "There should be a station here": places where workers needed a station and found none.

A suggestion is stored as the centre of its 250 m grid cell (:func:`snap`), never the
point the worker tapped, with what they needed (:data:`NEEDS`) and the day's client hash
(as for reports, :mod:`locator.db.reports`). Planners add them to a plan as a demand
layer (:mod:`locator.planning.suggested`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select

from locator import coords
from locator.db.models import SiteSuggestion
from locator.db.session import transaction
from locator.errors import BadQuery, TooBusy

NEEDS: tuple[str, ...] = ("water", "toilet", "charging", "shower", "parking")
CELL_M = 250.0


@dataclass(frozen=True)
class Suggestion:
    """A stored suggestion: its cell's centre (WGS84 degrees) and what was needed."""

    id: int
    lon: float
    lat: float
    needs: tuple[str, ...]
    created_at: dt.datetime


def snap(lon: float, lat: float) -> tuple[str, float, float]:
    """The 250 m grid cell of a WGS84 point: its key ``"<col>:<row>"`` and its centre's
    longitude and latitude. Cells are squares in an equal-area projection, so each is
    250 m by 250 m on the ground (within projection distortion, under 2 % in China), on the
    axes of the demand models' grid (:func:`locator.coords.to_metric`)."""
    x_m, y_m = coords.to_metric(lon, lat)
    col, row = math.floor(float(x_m) / CELL_M), math.floor(float(y_m) / CELL_M)
    centre_lon, centre_lat = coords.from_metric((col + 0.5) * CELL_M, (row + 0.5) * CELL_M)
    return f"{col}:{row}", float(centre_lon), float(centre_lat)


def parse_needs(value: object) -> tuple[str, ...]:
    """At least one of :data:`NEEDS`, in their order; BadQuery otherwise."""
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        raise BadQuery(f"needs must be a list of one or more of {', '.join(NEEDS)}.")
    unknown = [repr(v)[:40] for v in value if v not in NEEDS]
    if unknown:
        raise BadQuery(f"unknown need {', '.join(unknown)}; use {', '.join(NEEDS)}.")
    return tuple(n for n in NEEDS if n in value)


def add_suggestion(
    engine: Engine, lon: float, lat: float, needs: tuple[str, ...], client: str, daily_cap: int
) -> Suggestion:
    """Store a suggestion at the cell of (``lon``, ``lat``); TooBusy (429) when ``client``
    already made ``daily_cap`` today (the client hash changes daily)."""
    cell, centre_lon, centre_lat = snap(lon, lat)
    with transaction(engine) as session:
        made = session.scalar(select(func.count()).where(SiteSuggestion.client == client))
        if (made or 0) >= daily_cap:
            raise TooBusy(
                f"this client has suggested {daily_cap} places today; thank you, try again "
                "tomorrow.",
                retry_after_s=3600,
            )
        row = SiteSuggestion(cell=cell, lon=centre_lon, lat=centre_lat, needs=list(needs),
                             client=client)  # fmt: skip
        session.add(row)
        session.flush()
        return _suggestion(row)


def all_suggestions(engine: Engine, needs: Sequence[str] = ()) -> list[Suggestion]:
    """Every suggestion not hidden by an admin, oldest first; with ``needs``, only those
    naming at least one of them."""
    with transaction(engine) as session:
        rows = session.scalars(
            select(SiteSuggestion).where(~SiteSuggestion.hidden).order_by(SiteSuggestion.id)
        ).all()
        found = [_suggestion(row) for row in rows]
    if needs:
        found = [s for s in found if set(s.needs) & set(needs)]
    return found


def suggestion_json(found: Suggestion) -> Mapping[str, Any]:
    return {"id": found.id, "lon": round(found.lon, 6), "lat": round(found.lat, 6),
            "needs": list(found.needs), "created": found.created_at.isoformat()}  # fmt: skip


def _suggestion(row: SiteSuggestion) -> Suggestion:
    at = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=dt.UTC)
    return Suggestion(row.id, row.lon, row.lat, tuple(row.needs), at)
