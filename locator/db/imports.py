"""Importing a station file into the database: validate it completely, then commit it as
a new dataset version in one transaction, which every web worker serves within
``LOCATOR_LIVE_POLL_S``. A file with any error imports nothing.

Two imports at once take turns on the database's write lock (a merge reads the served
version under it), so neither loses the other's rows; an import killed part-way leaves
nothing behind, because its transaction never commits. The import page checks a file
first and applies it only when an admin confirms (:mod:`locator.db.pending`); both paths
validate with :func:`check_file` and commit through :func:`~locator.db.datasets.add_version`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from locator.db.datasets import Source, commit_version
from locator.errors import DataError
from locator.regions import Regions
from locator.stations.limits import DEFAULT_LIMITS, ReadLimits
from locator.stations.readers import RawTable, read_raw
from locator.stations.table import DatasetInfo, StationTable, build_table
from locator.stations.validation import ParseResult, parse_stations


@dataclass(frozen=True)
class CheckedFile:
    """A station file read and validated completely: its report, the table it would serve
    (only its rows without errors) and where it came from."""

    result: ParseResult
    table: StationTable
    source: Source

    def refuse_errors(self) -> None:
        """DataError naming the first errors when the file has any (nothing may change)."""
        errors = self.result.errors
        if errors:
            first = "; ".join(str(p) for p in errors[:5])
            raise DataError(f"{len(errors)} error(s) in {self.source.name}: {first}", errors)


@dataclass(frozen=True)
class ImportResult:
    """What an import committed: the new version, its row count and the file's report."""

    version: int
    count: int
    result: ParseResult


def check_file(
    path: Path,
    regions: Regions,
    *,
    actor: str,
    kind: str | None = None,
    crs: str | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
    raw: RawTable | None = None,
) -> CheckedFile:
    """Read and validate ``path`` within ``limits`` (DataError when it cannot be read at
    all, TooLarge past a limit); row-level problems are in the result, not raised.

    ``raw`` is ``path`` already read (the command line reads by content,
    :func:`locator.stations.detect.read_detected`); by default it is read with
    :func:`~locator.stations.readers.read_raw`, the extension-checked reader uploads use.
    """
    raw = read_raw(path, limits=limits) if raw is None else raw
    result = parse_stations(raw, regions, kind=kind, crs=crs)
    frame = result.stations
    synthetic = bool(frame["source"].str.contains("synthetic", case=False).any())
    info = DatasetInfo(path.name, path.name, synthetic, f"Imported from {path.name}", "")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    report = tuple(p.to_dict() for p in result.problems)
    return CheckedFile(result, build_table(frame, info), Source(path.name, digest, actor, report))


def import_file(
    engine: Engine,
    path: Path,
    regions: Regions,
    *,
    actor: str,
    kind: str | None = None,
    crs: str | None = None,
    merge: bool = False,
    limits: ReadLimits = DEFAULT_LIMITS,
    raw: RawTable | None = None,
) -> ImportResult:
    """Validate ``path`` (within ``limits``; ``raw`` if it is already read, as for
    :func:`check_file`) and commit it as the served version; with ``merge``, rows of the
    served version whose id the file lacks are kept. DataError (TooLarge past a limit)
    when the file has any error: then nothing changes."""
    checked = check_file(path, regions, actor=actor, kind=kind, crs=crs, limits=limits, raw=raw)
    checked.refuse_errors()
    version, count = commit_version(engine, checked.table, checked.source, merge=merge)
    return ImportResult(version, count, checked.result)
