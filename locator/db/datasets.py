"""Dataset versions in the database: commit an import as a new version, list them,
choose which one is served (rollback), and load the served one.

A version is written in one transaction together with the head pointer, so a reader
sees either the previous version or the new one, never half of each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from locator import amenities, schema
from locator.db.models import AuditEntry, DatasetHead, DatasetVersion, StationRow, utc_now
from locator.db.session import take_write_lock, transaction
from locator.errors import NotFound
from locator.stations.table import DatasetInfo, StationTable, build_table

OTHER_FIELDS = tuple(f for f in schema.FIELDS if f not in ("id", "name", "kind", "lon", "lat"))
CONFIRMED = schema.CONFIRMED


@dataclass(frozen=True)
class Source:
    """Where an import came from, and who made it."""

    name: str
    sha256: str
    actor: str
    report: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class VersionInfo:
    """One row of ``locator datasets list``."""

    id: int
    created_at: str
    created_by: str
    source_name: str
    source_sha256: str
    row_count: int
    served: bool


@dataclass(frozen=True)
class StationChange:
    """A change to one station of the served version: remove it, or set one amenity to
    ``value``; either way (unless removed) it counts as confirmed today."""

    remove: bool = False
    amenity: str | None = None
    value: str | None = None


def _row(version_id: int, seq: int, rec: Mapping[Any, Any], today: dt.date) -> StationRow:
    confirmed = rec.get(CONFIRMED)
    return StationRow(
        version_id=version_id,
        seq=seq,
        station_id=str(rec["id"]),
        name=str(rec["name"]),
        kind=str(rec["kind"]),
        lon=float(rec["lon"]),
        lat=float(rec["lat"]),
        fields={f: rec[f] for f in OTHER_FIELDS if isinstance(rec.get(f), str) and rec[f]},
        amenities={
            k: rec[k] for k in amenities.KEYS if rec.get(k) in (amenities.YES, amenities.NO)
        },
        # rows of an imported file are confirmed by it; rows carried over keep their day
        confirmed_on=dt.date.fromisoformat(confirmed)
        if isinstance(confirmed, str) and confirmed
        else today,
    )


def commit_version(
    engine: Engine, table: StationTable, source: Source, *, merge: bool = False
) -> tuple[int, int]:
    """Store ``table`` as a new version and serve it, in one transaction; the version id
    and its row count. With ``merge``, rows of the served version whose id the table
    lacks are kept (same id: the table's row wins); the served version is read under the
    write lock, so two merges at once never lose each other's rows."""
    with transaction(engine) as session:
        take_write_lock(session)
        return add_version(session, table, source, merge=merge)


def add_version(
    session: Session, table: StationTable, source: Source, *, merge: bool = False
) -> tuple[int, int]:
    """:func:`commit_version` inside the caller's transaction, which must hold the write
    lock (:func:`~locator.db.session.take_write_lock`) and commits both together."""
    if merge:
        head = session.get(DatasetHead, 1)
        if head is not None:
            old = _load(session, head.version_id).frame
            frame = pd.concat([old[~old["id"].isin(table.frame["id"])], table.frame])
            table = build_table(frame, table.info)
    return _write_version(session, table, source), len(table)


def seed_if_empty(engine: Engine, load: Callable[[], tuple[StationTable, Source]]) -> int | None:
    """On first start: store and serve what ``load`` gives, unless a version is served
    already (checked under the write lock, so many workers starting at once seed once)."""
    with transaction(engine) as session:
        take_write_lock(session)
        if session.get(DatasetHead, 1) is not None:
            return None
        table, source = load()
        return _write_version(session, table, source)


def derive_version(
    session: Session, station_id: str, change: StationChange, source: str, actor: str
) -> int:
    """A new version: the served one with ``change`` made to ``station_id``, served at
    once; its id. The caller holds the write lock. NotFound when the served version does
    not list the station."""
    head = session.get(DatasetHead, 1)
    if head is None:
        raise NotFound("no dataset version is served.")
    table = _load(session, head.version_id)
    frame = table.frame.copy()
    at = frame.index[frame["id"] == station_id]
    if at.empty:
        raise NotFound(f"station {station_id!r} is not in the served dataset version.")
    if change.remove:
        frame = frame.drop(index=at)
    else:
        if change.amenity is not None:
            frame.loc[at, change.amenity] = change.value
        frame.loc[at, CONFIRMED] = utc_now().date().isoformat()
    derived = Source(name=source, sha256="", actor=actor)
    return _write_version(session, build_table(frame, table.info), derived, action="change")


def _write_version(
    session: Session, table: StationTable, source: Source, action: str = "import"
) -> int:
    version = DatasetVersion(
        created_by=source.actor,
        source_name=source.name,
        source_sha256=source.sha256,
        row_count=len(table),
        counts=table.counts_by_kind(),
        report=list(source.report),
        name=table.info.name,
        synthetic=table.info.synthetic,
        description=table.info.description,
        licence=table.info.licence,
    )
    session.add(version)
    session.flush()
    records = table.frame.to_dict("records")
    today = utc_now().date()
    session.add_all(_row(version.id, seq, rec, today) for seq, rec in enumerate(records))
    _serve(session, version.id)
    detail = {"source": source.name, "sha256": source.sha256, "rows": len(table)}
    session.add(
        AuditEntry(actor=source.actor, action=action, target=f"dataset {version.id}",
                   detail=detail)
    )  # fmt: skip
    return version.id


def _serve(session: Session, version_id: int) -> None:
    head = session.get(DatasetHead, 1)
    if head is None:
        session.add(DatasetHead(id=1, version_id=version_id))
    else:
        head.version_id, head.changed_at = version_id, utc_now()


def rollback(engine: Engine, version_id: int, actor: str) -> None:
    """Serve ``version_id`` again; NotFound when there is no such version."""
    with transaction(engine) as session:
        take_write_lock(session)
        if session.get(DatasetVersion, version_id) is None:
            raise NotFound(f"no dataset version {version_id}; see `locator datasets list`.")
        _serve(session, version_id)
        session.add(AuditEntry(actor=actor, action="rollback", target=f"dataset {version_id}"))


def served_version(engine: Engine) -> int | None:
    """The id of the version being served, or None before the first import."""
    with transaction(engine) as session:
        head = session.get(DatasetHead, 1)
        return None if head is None else head.version_id


def list_versions(engine: Engine) -> list[VersionInfo]:
    """Every version, newest first."""
    served = served_version(engine)
    with transaction(engine) as session:
        rows = session.scalars(select(DatasetVersion).order_by(DatasetVersion.id.desc())).all()
        return [
            VersionInfo(v.id, v.created_at.isoformat(timespec="seconds"), v.created_by,
                        v.source_name, v.source_sha256, v.row_count, v.id == served)
            for v in rows
        ]  # fmt: skip


def load_version(engine: Engine, version_id: int) -> StationTable:
    """The stations of one version as the in-memory table the index is built on."""
    with transaction(engine) as session:
        return _load(session, version_id)


def _load(session: Session, version_id: int) -> StationTable:
    version = session.get(DatasetVersion, version_id)
    if version is None:
        raise NotFound(f"no dataset version {version_id}.")
    rows = session.scalars(
        select(StationRow).where(StationRow.version_id == version_id).order_by(StationRow.seq)
    ).all()
    records = [
        {"id": r.station_id, "name": r.name, "kind": r.kind, "lon": r.lon, "lat": r.lat,
         **{f: r.fields.get(f, "") for f in OTHER_FIELDS},
         **{k: r.amenities.get(k, amenities.UNKNOWN) for k in amenities.KEYS},
         CONFIRMED: r.confirmed_on.isoformat() if r.confirmed_on else ""}
        for r in rows
    ]  # fmt: skip
    info = DatasetInfo(version.name, f"dataset version {version.id}", version.synthetic,
                       version.description, version.licence)  # fmt: skip
    columns = [*schema.FIELDS, *amenities.KEYS, CONFIRMED]
    frame = pd.DataFrame.from_records(records, columns=columns)
    return build_table(frame, info)
