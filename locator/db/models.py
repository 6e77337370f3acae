"""The tables, as SQLAlchemy 2 typed mappings. Migrations (:mod:`locator.db.migrations`)
create them; this module is what the code reads and writes through.

History is kept by version: every import is a new :class:`DatasetVersion` with its own
:class:`StationRow` rows, and :class:`DatasetHead` names the version that is served, so a
rollback changes one row. Times are UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    """A person who may change things: ``admin`` or ``planner``."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class ApiToken(Base):
    """A script's bearer token, stored only as its SHA-256 (shown once, revocable)."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class DatasetVersion(Base):
    """One import: who, when, from which file (name and hash), counts and the report."""

    __tablename__ = "dataset_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    created_by: Mapped[str] = mapped_column(String(80))
    source_name: Mapped[str] = mapped_column(String(255))
    source_sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(Integer)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    report: Mapped[list[Any]] = mapped_column(JSON)
    name: Mapped[str] = mapped_column(String(255))
    synthetic: Mapped[bool] = mapped_column(Boolean)
    description: Mapped[str] = mapped_column(Text, default="")
    licence: Mapped[str] = mapped_column(Text, default="")


class StationRow(Base):
    """A station as one version lists it; amenities map each key to ``yes`` or ``no``
    (keys not listed are unknown)."""

    __tablename__ = "stations"
    version_id: Mapped[int] = mapped_column(
        ForeignKey("dataset_versions.id", ondelete="CASCADE"), primary_key=True
    )
    station_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)  # the row's place in the imported file
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)  # the other text columns
    amenities: Mapped[dict[str, Any]] = mapped_column(JSON)
    # the day an import listed it or an admin confirmed a report on it (None: before 0005)
    confirmed_on: Mapped[dt.date | None] = mapped_column(Date)


class DatasetHead(Base):
    """The one row naming the version every web worker serves."""

    __tablename__ = "dataset_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    version_id: Mapped[int] = mapped_column(ForeignKey("dataset_versions.id"))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class PlanRecord(Base):
    """A siting plan: request, status and progress, timings, and when done its result."""

    __tablename__ = "plans"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    created_by: Mapped[str] = mapped_column(String(80), default="")
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    request_key: Mapped[str] = mapped_column(String(64), index=True)  # SHA-256 of request
    status: Mapped[str] = mapped_column(String(16), index=True)
    stage: Mapped[str] = mapped_column(String(64), default="queued")
    fraction: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # curve, sites, tables
    error: Mapped[str | None] = mapped_column(Text)
    published: Mapped[bool] = mapped_column(Boolean, default=False)


class PlanUpload(Base):
    """A file sent with a plan (demand, candidates or exclusions), kept for the worker."""

    __tablename__ = "plan_uploads"
    plan_id: Mapped[str] = mapped_column(
        ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(String(16), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class PendingImport(Base):
    """A station file uploaded on the import page, waiting for an admin to confirm it.

    ``options`` holds how to read it (kind, crs, merge), ``based_on`` the version served
    when it was checked, and ``summary`` what the page showed (report and changes);
    ``status`` is ``pending``, ``applied`` or ``discarded``.
    """

    __tablename__ = "pending_imports"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    created_by: Mapped[str] = mapped_column(String(80))
    source_name: Mapped[str] = mapped_column(String(255))
    source_sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    based_on: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")


class PlanImage(Base):
    """A published plan's rendered map (``key`` names view, format and style), kept so
    that every web worker serves it without drawing it again."""

    __tablename__ = "plan_images"
    plan_id: Mapped[str] = mapped_column(
        ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class WriteLock(Base):
    """One row that writes which must not interleave (plan submissions, new dataset
    versions) update first, so they take turns on every database."""

    __tablename__ = "write_lock"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class AuditEntry(Base):
    """Who did what to what, and when; every write adds one."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class StationReport(Base):
    """What a rider or driver said about a station (no account): one of the fixed kinds,
    the amenity it names, an optional comment, whether they were within 200 m, and a keyed
    hash of their address that changes daily (to count clients, never to find them).
    ``status`` is ``pending``, ``confirmed``, ``dismissed`` or ``visit`` (a site visit)."""

    __tablename__ = "station_reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    amenity: Mapped[str | None] = mapped_column(String(32))
    comment: Mapped[str] = mapped_column(String(280), default="")
    near: Mapped[bool | None] = mapped_column(Boolean)
    client: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utc_now, index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    moderated_by: Mapped[str | None] = mapped_column(String(80))
    moderated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class SiteSuggestion(Base):
    """ "There should be a station here": the centre of a 250 m grid cell (WGS84), what
    was needed there, and the reporter's daily client hash."""

    __tablename__ = "site_suggestions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cell: Mapped[str] = mapped_column(String(32), index=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    needs: Mapped[list[Any]] = mapped_column(JSON)
    client: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
