"""The stations a new database starts with (:func:`locator.web.state.load_state`): the
GeoPackage store earlier versions of locator wrote (``LOCATOR_STORE``, layer
``stations``, EPSG:4326, the dataset description in its metadata) when there is one,
else the shipped synthetic stations. Imports go to the database
(:mod:`locator.db.imports`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyogrio

from locator.errors import DataError
from locator.regions import Regions
from locator.stations.limits import ReadLimits
from locator.stations.readers import read_raw
from locator.stations.table import DatasetInfo, StationTable, build_table
from locator.stations.validation import ParseResult, parse_stations

DEFAULT_STATIONS = Path("stations") / "synthetic_stations.csv"
LAYER = "stations"


def load_table(data_dir: Path, store: Path | None, regions: Regions) -> StationTable:
    """The store if it exists, else the shipped synthetic stations.

    Both were written by a server, so they are read without upload limits.
    """
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
