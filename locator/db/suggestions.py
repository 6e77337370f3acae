""" "There should be a station here": places where workers needed a station and found none.

A suggestion is stored as the centre of its 250 m grid cell (:func:`snap`), never the
point the worker tapped, with what they needed (:data:`NEEDS`) and the day's client hash
(as for reports, :mod:`locator.db.reports`). Planners add them to a plan as a demand
layer (:mod:`locator.planning.suggested`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, func, insert, select

from locator import coords
from locator.db import group_commit
from locator.db.models import SiteSuggestion, utc_now
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
    """Store a suggestion at the cell of (``lon``, ``lat``) (committed when this returns);
    TooBusy (429) when ``client`` already made ``daily_cap`` today (the client hash changes
    daily). Group-committed like reports (:mod:`locator.db.report_writer`), the cap exact
    across threads and processes."""
    cell, centre_lon, centre_lat = snap(lon, lat)
    row = {"cell": cell, "lon": centre_lon, "lat": centre_lat, "needs": list(needs),
           "client": client, "hidden": False}  # fmt: skip
    return group_commit.writer(engine, "suggestions", _store).submit((row, daily_cap))


def _store(
    connection: Connection, batch: Sequence[tuple[dict[str, Any], int]]
) -> list[Suggestion | Exception]:
    """One batch of :func:`add_suggestion`, inside the writer's transaction."""
    group_commit.lock_pairs(connection, (f"suggestion\0{row['client']}" for row, _ in batch))
    table = cast(Table, SiteSuggestion.__table__)
    clients = sorted({row["client"] for row, _ in batch})
    made: Counter[str] = Counter(
        dict(
            connection.execute(
                select(table.c.client, func.count())
                .where(table.c.client.in_(clients))
                .group_by(table.c.client)
            ).all()
        )
    )
    now, rows = utc_now(), []
    answers: list[Suggestion | Exception | None] = []
    for row, cap in batch:
        if made[row["client"]] >= cap:
            answers.append(TooBusy(
                f"this client has suggested {cap} places today; thank you, try again "
                "tomorrow.",
                retry_after_s=3600,
            ))  # fmt: skip
            continue
        made[row["client"]] += 1
        rows.append({**row, "created_at": now})
        answers.append(None)
    returning = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids = iter(connection.execute(returning, rows).scalars() if rows else ())
    stored = iter(rows)
    return [
        answer if answer is not None else _stored(next(ids), next(stored)) for answer in answers
    ]


def _stored(suggestion_id: int, row: dict[str, Any]) -> Suggestion:
    return Suggestion(suggestion_id, row["lon"], row["lat"], tuple(row["needs"]), row["created_at"])


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
