"""Importing a station file into the database: validate it completely, then commit it as
a new dataset version in one transaction, which every web worker serves within
``LOCATOR_LIVE_POLL_S``. A file with any error imports nothing.

Two imports at once take turns on the database's write lock (a merge reads the served
version under it), so neither loses the other's rows; an import killed part-way leaves
nothing behind, because its transaction never commits.
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
from locator.stations.readers import read_raw
from locator.stations.table import DatasetInfo, build_table
from locator.stations.validation import ParseResult, parse_stations


@dataclass(frozen=True)
class ImportResult:
    """What an import committed: the new version, its row count and the file's report."""

    version: int
    count: int
    result: ParseResult


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
) -> ImportResult:
    """Validate ``path`` (within ``limits``) and commit it as the served version; with
    ``merge``, rows of the served version whose id the file lacks are kept. DataError
    (TooLarge past a limit) when the file has any error: then nothing changes."""
    result = parse_stations(read_raw(path, limits=limits), regions, kind=kind, crs=crs)
    if result.errors:
        first = "; ".join(str(p) for p in result.errors[:5])
        raise DataError(f"{len(result.errors)} error(s) in {path.name}: {first}", result.errors)
    frame = result.stations
    synthetic = bool(frame["source"].str.contains("synthetic", case=False).any())
    info = DatasetInfo(path.name, path.name, synthetic, f"Imported from {path.name}", "")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    report = tuple(p.to_dict() for p in result.problems)
    version, count = commit_version(
        engine, build_table(frame, info), Source(path.name, digest, actor, report), merge=merge
    )
    return ImportResult(version, count, result)
