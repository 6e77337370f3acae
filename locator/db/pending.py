"""Imports checked on the import page and applied only when an admin confirms them.

:func:`preview` validates an uploaded file completely, works out what serving it would
change (:func:`locator.stations.diff.diff_tables`) and keeps the file, its options, its
report and the changes as a :class:`~locator.db.models.PendingImport`, together with the
version served when it was checked (``based_on``). A file with errors is kept too, so its
report can be shown, but it can never be confirmed. :func:`confirm` reads the kept file
again with the same options and commits it through the same path as ``locator import``
(:func:`~locator.db.imports.check_file`, :func:`~locator.db.datasets.add_version`), in one
transaction that holds the write lock while it checks that the import is still pending
and that ``based_on`` is still served; so of two confirms at once one applies and the
other is a Conflict. Everything is in the database, so any web worker can confirm what
another one checked. Every write adds an audit entry.
"""

from __future__ import annotations

import datetime as dt
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from locator.db.datasets import add_version, load_version, served_version
from locator.db.imports import CheckedFile, check_file
from locator.db.models import AuditEntry, DatasetHead, PendingImport
from locator.db.session import take_write_lock, transaction
from locator.errors import Conflict, NotFound
from locator.regions import Regions
from locator.stations.diff import diff_tables
from locator.stations.limits import DEFAULT_LIMITS, ReadLimits
from locator.stations.readers import SUFFIXES

PENDING, APPLIED, DISCARDED = "pending", "applied", "discarded"
MAX_PROBLEMS = 2000  # problems kept for the page; the counts include every one
NAME_CHARS = 120
STALE = "the served data changed since this check; check the file again."


@dataclass(frozen=True)
class Options:
    """How to read a file: the kind for rows without one, the datum, and whether to merge."""

    kind: str | None = None
    crs: str | None = None
    merge: bool = False


@dataclass(frozen=True)
class Pending:
    """An import as the page shows it. ``summary`` holds the counts (``stations``,
    ``errors``, ``warnings``, ``problem_count``), the first ``MAX_PROBLEMS`` problems as
    dicts, the changes (:meth:`locator.stations.diff.Diff.to_dict`, None for a file with
    errors) and, once applied, the ``version`` it became."""

    id: str
    created_at: dt.datetime
    created_by: str
    source_name: str
    source_sha256: str
    options: Options
    based_on: int | None
    summary: dict[str, Any]
    status: str

    @property
    def confirmable(self) -> bool:
        """True while it is pending and the file had no errors."""
        return self.status == PENDING and not self.summary["errors"]


@dataclass(frozen=True)
class Applied:
    """What a confirm committed: the new served version and its row count."""

    version: int
    count: int


def upload_name(filename: str | None) -> str:
    """The client's file name as messages and the audit log show it: its last part only
    (no folders), printable, at most ``NAME_CHARS`` characters with its suffix kept."""
    name = PurePosixPath((filename or "").replace("\\", "/")).name
    name = "".join(c for c in name if c.isprintable()).strip()
    if name in ("", ".", ".."):
        return "upload"
    suffix = PurePosixPath(name).suffix if PurePosixPath(name).suffix.lower() in SUFFIXES else ""
    return name[: NAME_CHARS - len(suffix)].rstrip(".") + suffix if len(name) > NAME_CHARS else name


def _check_bytes(
    name: str, content: bytes, regions: Regions, actor: str, options: Options, limits: ReadLimits
) -> CheckedFile:
    """:func:`check_file` on ``content`` saved as ``name`` in a temporary folder, which is
    always removed."""
    with tempfile.TemporaryDirectory(prefix="locator-import-") as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        return check_file(
            path, regions, actor=actor, kind=options.kind, crs=options.crs, limits=limits
        )


def _summary(
    checked: CheckedFile, engine: Engine, based_on: int | None, merge: bool
) -> dict[str, Any]:
    result = checked.result
    problems = list(checked.source.report)
    changes = None
    if not result.errors:
        served = None if based_on is None else load_version(engine, based_on)
        changes = diff_tables(served, checked.table, merge=merge).to_dict()
    return {
        "stations": len(result.stations),
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        "problem_count": len(problems),
        "problems": problems[:MAX_PROBLEMS],
        "changes": changes,
    }


def preview(
    engine: Engine,
    filename: str | None,
    content: bytes,
    regions: Regions,
    *,
    actor: str,
    kind: str | None = None,
    crs: str | None = None,
    merge: bool = False,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Pending:
    """Check ``content`` (uploaded as ``filename``) within ``limits`` and keep it as a
    pending import. DataError (TooLarge past a limit) when it cannot be read at all: then
    nothing is kept. Row-level errors are kept in the summary, and make it unconfirmable."""
    name, options = upload_name(filename), Options(kind, crs, merge)
    checked = _check_bytes(name, content, regions, actor, options, limits)
    based_on = served_version(engine)
    summary = _summary(checked, engine, based_on, merge)
    row = PendingImport(
        id=secrets.token_urlsafe(16),
        created_at=dt.datetime.now(dt.UTC),
        created_by=actor,
        source_name=name,
        source_sha256=checked.source.sha256,
        content=content,
        options={"kind": kind, "crs": crs, "merge": merge},
        based_on=based_on,
        summary=summary,
        status=PENDING,
    )
    detail = {"source": name, "sha256": row.source_sha256, "stations": summary["stations"],
              "errors": summary["errors"], "based_on": based_on}  # fmt: skip
    with transaction(engine) as session:
        session.add(row)
        session.add(AuditEntry(actor=actor, action="check import",
                               target=f"import {row.id}", detail=detail))  # fmt: skip
        return _view(row)


def _view(row: PendingImport) -> Pending:
    options = Options(row.options.get("kind"), row.options.get("crs"), bool(row.options["merge"]))
    return Pending(row.id, row.created_at, row.created_by, row.source_name, row.source_sha256,
                   options, row.based_on, row.summary, row.status)  # fmt: skip


def _row(session: Session, pending_id: str) -> PendingImport:
    row = session.get(PendingImport, pending_id)
    if row is None:
        raise NotFound(f"no import {pending_id!r} was checked; check the file again.")
    return row


def get(engine: Engine, pending_id: str) -> Pending:
    """One pending (or applied, or discarded) import; NotFound when there is none."""
    with transaction(engine) as session:
        return _view(_row(session, pending_id))


def _refuse_unless_current(session: Session, row: PendingImport) -> None:
    """Conflict unless ``row`` is pending and the version it was checked against is served."""
    if row.status != PENDING:
        raise Conflict(f"this import was {row.status} already; nothing changed.")
    head = session.get(DatasetHead, 1)
    if (None if head is None else head.version_id) != row.based_on:
        raise Conflict(STALE)


def confirm(
    engine: Engine,
    pending_id: str,
    regions: Regions,
    *,
    actor: str,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Applied:
    """Serve a pending import as a new dataset version, in one transaction.

    Conflict (nothing changes) when it is not pending any more, when its file had errors,
    or when the served version is no longer the one it was checked against; NotFound for
    an unknown id. The file is read again (outside the transaction) with the options it
    was checked with; the checks that matter are repeated under the write lock.
    """
    with transaction(engine) as session:
        row = _row(session, pending_id)
        _refuse_unless_current(session, row)
        if row.summary["errors"]:
            raise Conflict(
                "this file has errors and cannot be imported; fix them and check it again."
            )
        name, content, view = row.source_name, row.content, _view(row)
    checked = _check_bytes(name, content, regions, actor, view.options, limits)
    checked.refuse_errors()
    with transaction(engine) as session:
        take_write_lock(session)
        row = _row(session, pending_id)
        _refuse_unless_current(session, row)
        version, count = add_version(
            session, checked.table, checked.source, merge=view.options.merge
        )
        row.status, row.content = APPLIED, b""  # the version keeps the stations and the hash
        row.summary = {**row.summary, "version": version}
        detail = {"source": name, "version": version, "rows": count}
        session.add(AuditEntry(actor=actor, action="confirm import", target=f"import {row.id}",
                               detail=detail))  # fmt: skip
        return Applied(version, count)


def discard(engine: Engine, pending_id: str, *, actor: str) -> None:
    """Drop a pending import (its file is deleted); Conflict when it is not pending."""
    with transaction(engine) as session:
        take_write_lock(session)
        row = _row(session, pending_id)
        if row.status != PENDING:
            raise Conflict(f"this import was {row.status} already; nothing changed.")
        row.status, row.content = DISCARDED, b""
        session.add(AuditEntry(actor=actor, action="discard import", target=f"import {row.id}",
                               detail={"source": row.source_name}))  # fmt: skip
