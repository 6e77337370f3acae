"""Load the station table and import station files into the store, atomically.

The store is one GeoPackage (layer ``stations``, EPSG:4326) with the dataset
description in its metadata. An import validates the whole file first, writes
a temporary GeoPackage next to the store, keeps the previous store as
``<store>.bak.gpkg`` and renames the new file into place (``os.replace``, atomic on
POSIX). A failed or interrupted import leaves the previous store untouched.
Without a store, the app serves the shipped synthetic stations.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from locator import amenities, schema
from locator.errors import DataError
from locator.regions import Regions
from locator.stations.readers import read_raw
from locator.stations.table import DatasetInfo, StationTable, build_table
from locator.stations.validation import ParseResult, parse_stations

DEFAULT_STATIONS = Path("stations") / "synthetic_stations.csv"
LAYER = "stations"


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote: the store path, the row count and the warnings."""

    store: Path
    backup: Path | None
    count: int
    result: ParseResult


def load_table(data_dir: Path, store: Path | None, regions: Regions) -> StationTable:
    """The store if it exists, else the shipped synthetic stations."""
    if store is not None and store.exists():
        meta = pyogrio.read_info(store, layer=LAYER).get("layer_metadata") or {}
        info = DatasetInfo(
            meta.get("name", store.stem),
            str(store),
            meta.get("synthetic") == "true",
            meta.get("description", ""),
            meta.get("licence", ""),
        )
        return build_table(_checked(parse_stations(read_raw(store), regions)), info)
    path = data_dir / DEFAULT_STATIONS
    meta = json.loads(path.with_suffix(".meta.json").read_text(encoding="utf-8"))
    info = DatasetInfo(
        meta["name"],
        str(path),
        bool(meta["synthetic"]),
        meta["description"],
        meta.get("licence", ""),
    )
    return build_table(_checked(parse_stations(read_raw(path), regions)), info)


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
) -> ImportResult:
    """Validate ``path`` and replace (or, with ``merge``, upsert into) the store.

    Raises DataError, leaving the store as it was, when the file has any error.
    """
    result = parse_stations(read_raw(path), regions, kind=kind, crs=crs)
    frame = _checked(result)
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
