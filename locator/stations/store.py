"""Load the station table and import station files into the store, atomically.

The store is one GeoPackage (layer ``stations``, EPSG:4326) with the dataset
description in its metadata. An import validates the whole file first, then takes the
store's lock (``<store>.lock``, a file lock held by one import at a time; another waits
up to ``IMPORT_WAIT_SECONDS`` and then refuses), reads the store for a merge, writes a
temporary GeoPackage next to it, keeps the previous store as ``<store>.bak.gpkg`` and
renames the new file into place (``os.replace``, atomic on POSIX). A failed or
interrupted import leaves the previous store untouched; the temporary files of an
import that was killed are removed by the next import or start-up once its process is
gone. Without a store, the app serves the shipped synthetic stations.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import filelock
import geopandas as gpd
import pandas as pd
import pyogrio

from locator import amenities, config, schema
from locator.errors import Conflict, DataError
from locator.regions import Regions
from locator.stations.limits import DEFAULT_LIMITS, ReadLimits
from locator.stations.readers import read_raw
from locator.stations.table import DatasetInfo, StationTable, build_table
from locator.stations.validation import ParseResult, parse_stations

DEFAULT_STATIONS = Path("stations") / "synthetic_stations.csv"
LAYER = "stations"
DEFAULT_WAIT_S: float = next(s.default for s in config.SETTINGS if s.name == "IMPORT_WAIT_SECONDS")


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote: the store path, the row count and the warnings."""

    store: Path
    backup: Path | None
    count: int
    result: ParseResult


def load_table(data_dir: Path, store: Path | None, regions: Regions) -> StationTable:
    """The store if it exists, else the shipped synthetic stations.

    Both were written by the server, so they are read without upload limits. Leftovers
    of a killed import next to the store are removed first (:func:`clean_leftovers`).
    """
    if store is not None and store.parent.is_dir():
        _clean_at_start(store)
    if store is not None and store.exists():
        meta = _metadata(store)
        info = DatasetInfo(
            meta.get("name", store.stem),
            str(store),
            meta.get("synthetic") == "true",
            meta.get("description", ""),
            meta.get("licence", ""),
        )
        raw = read_raw(store, limits=ReadLimits.trusted())
        return build_table(_checked(parse_stations(raw, regions)), info)
    path = data_dir / DEFAULT_STATIONS
    meta = json.loads(path.with_suffix(".meta.json").read_text(encoding="utf-8"))
    info = DatasetInfo(
        meta["name"],
        str(path),
        bool(meta["synthetic"]),
        meta["description"],
        meta.get("licence", ""),
    )
    raw = read_raw(path, limits=ReadLimits.trusted())
    return build_table(_checked(parse_stations(raw, regions)), info)


def _metadata(store: Path) -> dict[str, str]:
    """The store's layer metadata with lower-case keys: GDAL's GeoPackage driver keeps
    ``description`` in gpkg_contents and gives it back as ``DESCRIPTION``."""
    meta = pyogrio.read_info(store, layer=LAYER).get("layer_metadata") or {}
    return {str(key).lower(): str(value) for key, value in meta.items()}


def _checked(result: ParseResult) -> pd.DataFrame:
    if result.errors:
        first = "; ".join(str(p) for p in result.errors[:5])
        raise DataError(
            f"{len(result.errors)} error(s) in the station data: {first}", result.errors
        )
    return result.stations


def import_file(
    path: Path,
    store: Path,
    regions: Regions,
    *,
    kind: str | None = None,
    crs: str | None = None,
    merge: bool = False,
    limits: ReadLimits = DEFAULT_LIMITS,
    wait_s: float = DEFAULT_WAIT_S,
) -> ImportResult:
    """Validate ``path`` and replace (or, with ``merge``, upsert into) the store.

    The file is read within ``limits`` and validated before the store's lock is taken;
    the store is read (for a merge) and written under the lock, so two imports never
    interleave. Raises DataError (TooLarge past a limit), leaving the store as it was,
    when the file has any error, and Conflict when another import holds the lock for
    longer than ``wait_s`` seconds.
    """
    result = parse_stations(read_raw(path, limits=limits), regions, kind=kind, crs=crs)
    frame = _checked(result)
    with import_lock(store, wait_s):
        clean_leftovers(store)
        if merge and store.exists():
            old = load_table(Path(), store, regions).frame
            frame = pd.concat([old[~old["id"].isin(frame["id"])], frame], ignore_index=True)
        synthetic = frame["source"].str.contains("synthetic", case=False).any()
        meta = {
            "name": Path(path).name,
            "synthetic": "true" if synthetic else "false",
            "description": f"Imported from {Path(path).name}",
            "licence": "",
        }
        backup = write_store(frame, store, meta)
    return ImportResult(store, backup, len(frame), result)


@contextlib.contextmanager
def import_lock(store: Path, wait_s: float = DEFAULT_WAIT_S) -> Iterator[None]:
    """Hold ``<store>.lock`` for one import; Conflict after waiting ``wait_s`` seconds."""
    store.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(store.with_name(store.name + ".lock"), thread_local=False)
    try:
        lock.acquire(timeout=wait_s)
    except filelock.Timeout:
        raise Conflict(
            f"another import into {store.name} is running; waited {wait_s:g} s "
            "(IMPORT_WAIT_SECONDS). Try again when it has finished."
        ) from None
    try:
        yield
    finally:
        lock.release()


def clean_leftovers(store: Path) -> list[Path]:
    """Remove the temporary files (``.<stem>.<pid>.tmp.*``) of imports whose process is
    gone; return what was removed. Files of a running import are kept."""
    removed = []
    pattern = f".{glob.escape(store.stem)}.*.tmp.*"
    for leftover in store.parent.glob(pattern):
        pid = leftover.name[len(store.stem) + 2 :].split(".", 1)[0]
        if pid.isdecimal() and int(pid) != os.getpid() and not _running(int(pid)):
            leftover.unlink(missing_ok=True)
            removed.append(leftover)
    return removed


def _clean_at_start(store: Path) -> None:
    """:func:`clean_leftovers` at start-up, when there are any and no import holds the
    lock (an import in another container has a process id this one cannot see). A
    read-only folder, or a lock held, leaves them for the next import."""
    if not any(store.parent.glob(f".{glob.escape(store.stem)}.*.tmp.*")):
        return
    with contextlib.suppress(Conflict, OSError), import_lock(store, wait_s=0):
        clean_leftovers(store)


def _running(pid: int) -> bool:
    """Whether a process with ``pid`` exists (one of another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_store(frame: pd.DataFrame, store: Path, meta: dict[str, str]) -> Path | None:
    """Write canonical rows to ``store`` atomically; return the backup path, if any."""
    store.parent.mkdir(parents=True, exist_ok=True)
    tmp = store.with_name(f".{store.stem}.{os.getpid()}.tmp.gpkg")
    staged_backup = tmp.with_suffix(".bak")
    columns = [c for c in (*schema.FIELDS, *amenities.KEYS) if c not in ("lon", "lat")]
    gdf = gpd.GeoDataFrame(
        frame[columns], crs="EPSG:4326", geometry=gpd.points_from_xy(frame["lon"], frame["lat"])
    )
    try:
        pyogrio.write_dataframe(gdf, tmp, layer=LAYER, driver="GPKG", layer_metadata=meta)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        backup = None
        if store.exists():
            backup = store.with_name(store.stem + ".bak.gpkg")
            shutil.copy2(store, staged_backup)
            os.replace(staged_backup, backup)
        os.replace(tmp, store)
    finally:
        tmp.unlink(missing_ok=True)
        staged_backup.unlink(missing_ok=True)
    return backup
