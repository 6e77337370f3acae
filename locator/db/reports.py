"""Reports on stations from the people who use them, and what admins make of them.

A report is one of :data:`KINDS` about one station, with the amenity it names (for the two
amenity kinds), an optional comment of at most :data:`COMMENT_MAX_CHARS` characters, and
whether the reporter was within 200 m. It is stored with a client hash that the web layer
makes from the reporter's address and the day (:func:`locator.web.reports.client_hash`),
so a day's reports from one client can be counted (a daily cap per station, the distinct
clients behind a "closed" flag) without keeping who or where they are.

Reports wait in a moderation queue (``status`` ``pending``). An admin confirms one
(:func:`confirm`: the station changes in a new dataset version, whose source is the
report), dismisses it, or marks the station for a site visit. Several recent pending
"closed for good" reports from different clients flag the station on the finder
(:func:`closed_flags`) until an admin acts.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from locator import amenities
from locator.db.datasets import StationChange, derive_version
from locator.db.models import AuditEntry, StationReport, utc_now
from locator.db.session import take_write_lock, transaction
from locator.errors import BadQuery, Conflict, NotFound

KINDS: tuple[str, ...] = (
    "open_as_listed",
    "closed_for_good",
    "closed_when_open",
    "moved",
    "amenity_missing",
    "amenity_present",
    "crowded",
    "great",
)
AMENITY_KINDS = frozenset({"amenity_missing", "amenity_present"})
# What confirming a report does to the station; the other kinds need a site visit.
CONFIRMABLE = frozenset({"open_as_listed", "closed_for_good", "crowded", "great"} | AMENITY_KINDS)
ACTIONS = ("confirm", "dismiss", "visit")
COMMENT_MAX_CHARS = 280
WINDOW_DAYS = 30  # "recent": the public counts and the closed flag look this far back


@dataclass(frozen=True)
class NewReport:
    """A parsed report, before it is stored."""

    station_id: str
    kind: str
    amenity: str | None = None
    comment: str = ""
    near: bool | None = None


@dataclass(frozen=True)
class Report:
    """A stored report, as the moderation queue shows it."""

    id: int
    station_id: str
    kind: str
    amenity: str | None
    comment: str
    near: bool | None
    created_at: dt.datetime
    status: str


@dataclass(frozen=True)
class Summary:
    """What anyone may see of a station's recent reports: counts by kind over the last
    :data:`WINDOW_DAYS` days, the comments of confirmed reports, and the closed flag."""

    station_id: str
    counts: dict[str, int]
    comments: tuple[tuple[str, str, dt.date], ...]  # (kind, comment, day)
    reported_closed: dt.date | None


def parse_report(station_id: str, body: Mapping[str, Any]) -> NewReport:
    """A report from a JSON body; BadQuery naming the field for anything else."""
    unknown = sorted(set(body) - {"kind", "amenity", "comment", "near", "website"})
    if unknown:
        raise BadQuery(f"unknown field {', '.join(map(repr, unknown))} in the report.")
    kind = body.get("kind")
    if kind not in KINDS:
        raise BadQuery(f"kind must be one of {', '.join(KINDS)}.")
    amenity = body.get("amenity")
    if kind in AMENITY_KINDS:
        if amenity not in amenities.KEYS:
            raise BadQuery(f"amenity must be one of {', '.join(amenities.KEYS)} for {kind}.")
    elif amenity is not None:
        raise BadQuery(f"amenity is only for {' and '.join(sorted(AMENITY_KINDS))}.")
    near = body.get("near")
    if near is not None and not isinstance(near, bool):
        raise BadQuery("near must be true or false.")
    return NewReport(station_id, kind, amenity, clean_comment(body.get("comment", "")), near)


def clean_comment(value: object) -> str:
    """A comment as stored: a string of at most :data:`COMMENT_MAX_CHARS` characters,
    control characters (but not line breaks) removed and the ends trimmed."""
    if not isinstance(value, str):
        raise BadQuery("comment must be text.")
    text = "".join(c for c in value if c in "\n" or unicodedata.category(c)[0] != "C")
    text = text.strip()
    if len(text) > COMMENT_MAX_CHARS:
        raise BadQuery(f"comment must be at most {COMMENT_MAX_CHARS} characters.")
    return text


def summary(engine: Engine, station_id: str, flag_clients: int) -> Summary:
    """The public summary of ``station_id``'s reports over the last :data:`WINDOW_DAYS`."""
    since = utc_now() - dt.timedelta(days=WINDOW_DAYS)
    recent = (StationReport.station_id == station_id) & (StationReport.created_at >= since)
    with transaction(engine) as session:
        counts = dict(
            session.execute(
                select(StationReport.kind, func.count()).where(recent).group_by(StationReport.kind)
            ).all()
        )
        confirmed = session.execute(
            select(StationReport.kind, StationReport.comment, StationReport.created_at)
            .where(recent, StationReport.status == "confirmed", StationReport.comment != "")
            .order_by(StationReport.created_at.desc())
            .limit(20)
        ).all()
        flag = _closed_flags(session, flag_clients, station_id).get(station_id)
    comments = tuple((kind, text, at.date()) for kind, text, at in confirmed)
    return Summary(station_id, {k: int(n) for k, n in counts.items()}, comments, flag)


def closed_flags(engine: Engine, min_clients: int) -> dict[str, dt.date]:
    """Stations with pending "closed for good" reports from at least ``min_clients``
    different clients in the last :data:`WINDOW_DAYS` days, and the day of the latest."""
    with transaction(engine) as session:
        return _closed_flags(session, min_clients)


def _closed_flags(
    session: Session, min_clients: int, station_id: str | None = None
) -> dict[str, dt.date]:
    since = utc_now() - dt.timedelta(days=WINDOW_DAYS)
    query = (
        select(StationReport.station_id, func.max(StationReport.created_at))
        .where(
            StationReport.kind == "closed_for_good",
            StationReport.status == "pending",
            StationReport.created_at >= since,
        )
        .group_by(StationReport.station_id)
        .having(func.count(StationReport.client.distinct()) >= min_clients)
    )
    if station_id is not None:
        query = query.where(StationReport.station_id == station_id)
    return {sid: _as_utc(latest).date() for sid, latest in session.execute(query).all()}


class ClosedFlags:
    """:func:`closed_flags` as ISO days, asked of the database at most every ``ttl_s``
    seconds however many answers read it (thread-safe; a failed query keeps the last)."""

    def __init__(self, engine: Engine, min_clients: int, ttl_s: float = 1.0) -> None:
        self.engine, self.min_clients, self.ttl_s = engine, min_clients, ttl_s
        self._found: dict[str, str] = {}
        self._checked = -math.inf
        self._lock = threading.Lock()

    def current(self) -> dict[str, str]:
        if time.monotonic() - self._checked < self.ttl_s:
            return self._found
        with self._lock:
            if time.monotonic() - self._checked >= self.ttl_s:
                self._checked = time.monotonic()
                flags = closed_flags(self.engine, self.min_clients)
                self._found = {sid: day.isoformat() for sid, day in flags.items()}
        return self._found


def pending(engine: Engine, limit: int = 100) -> dict[str, list[Report]]:
    """The moderation queue: stations with pending reports (most reported first, at most
    ``limit``), each with its reports of the last :data:`WINDOW_DAYS` days, newest first."""
    since = utc_now() - dt.timedelta(days=WINDOW_DAYS)
    with transaction(engine) as session:
        waiting = session.execute(
            select(StationReport.station_id, func.count().label("n"))
            .where(StationReport.status == "pending")
            .group_by(StationReport.station_id)
            .order_by(func.count().desc(), StationReport.station_id)
            .limit(limit)
        ).all()
        ids = [station_id for station_id, _ in waiting]
        rows = session.scalars(
            select(StationReport)
            .where(StationReport.station_id.in_(ids), StationReport.created_at >= since)
            .order_by(StationReport.created_at.desc())
        ).all()
    found: dict[str, list[Report]] = {station_id: [] for station_id in ids}
    for row in rows:
        found[row.station_id].append(_report(row))
    return found


def moderate(engine: Engine, report_id: int, action: str, actor: str) -> int | None:
    """Act on a pending report: ``confirm`` (the station changes in a new dataset
    version, whose id is returned), ``dismiss`` or ``visit``. Acting on a report settles
    the station's other pending reports of the same kind (and amenity) that have no
    comment too (a comment waits to be read, as it is published when confirmed). NotFound for
    an unknown report, Conflict for one already settled or a kind that needs a visit."""
    if action not in ACTIONS:
        raise BadQuery(f"action must be one of {', '.join(ACTIONS)}.")
    with transaction(engine) as session:
        take_write_lock(session)  # one moderator's confirm at a time, like imports
        row = session.get(StationReport, report_id)
        if row is None:
            raise NotFound(f"no report {report_id}.")
        if row.status != "pending":
            raise Conflict(f"report {report_id} was already {row.status}.")
        if action == "confirm" and row.kind not in CONFIRMABLE:
            raise Conflict(
                f"a {row.kind} report cannot be confirmed from here: mark the station for a "
                "site visit, then correct it with an import."
            )
        version = None
        if action == "confirm":
            version = derive_version(session, row.station_id, _change(row), _source(row), actor)
        status = {"confirm": "confirmed", "dismiss": "dismissed", "visit": "visit"}[action]
        same = (
            (StationReport.station_id == row.station_id)
            & (StationReport.kind == row.kind)
            & (StationReport.status == "pending")
            & (StationReport.comment == "")  # a comment is read and published one by one
            & (
                StationReport.amenity == row.amenity
                if row.amenity
                else StationReport.amenity.is_(None)
            )
        )
        session.execute(
            update(StationReport)
            .where((StationReport.id == row.id) | same)
            .values(status=status, moderated_by=actor, moderated_at=utc_now())
        )
        detail = {"station": row.station_id, "kind": row.kind, "dataset": version}
        session.add(
            AuditEntry(actor=actor, action=f"report-{action}", target=f"report {report_id}",
                       detail=detail)
        )  # fmt: skip
        return version


def _change(row: StationReport) -> StationChange:
    """What confirming ``row`` does to its station in the new version."""
    if row.kind == "closed_for_good":
        return StationChange(remove=True)
    if row.kind in AMENITY_KINDS:
        value = amenities.NO if row.kind == "amenity_missing" else amenities.YES
        return StationChange(amenity=row.amenity, value=value)
    return StationChange()  # still as listed: only its "last confirmed" day moves


def _source(row: StationReport) -> str:
    amenity = f" ({row.amenity})" if row.amenity else ""
    return f"report {row.id}: {row.kind}{amenity} on station {row.station_id}"


def _report(row: StationReport) -> Report:
    return Report(row.id, row.station_id, row.kind, row.amenity, row.comment, row.near,
                  _as_utc(row.created_at), row.status)  # fmt: skip


def _as_utc(at: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def seconds_to_midnight_utc() -> int:
    now = utc_now()
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
    return max(1, int((midnight - now).total_seconds()))
