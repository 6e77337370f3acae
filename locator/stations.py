"""The station table held in memory, and the queries the API lists stations with."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from locator import amenities, schema
from locator.errors import NotFound

_CODES = {amenities.YES: 1, amenities.NO: 0, amenities.UNKNOWN: -1}


@dataclass(frozen=True)
class DatasetInfo:
    """Where the stations came from; ``synthetic`` is True for generated stations."""

    name: str
    path: str
    synthetic: bool
    description: str
    licence: str


@dataclass(frozen=True)
class StationTable:
    """Canonical station rows plus an int8 amenity matrix (1 yes, 0 no, -1 unknown)."""

    frame: pd.DataFrame
    amenity_codes: np.ndarray
    info: DatasetInfo

    def __len__(self) -> int:
        return len(self.frame)

    def row_of(self, station_id: str) -> int:
        """Position of ``station_id``; raise NotFound when there is none."""
        hits = np.flatnonzero(self.frame["id"].to_numpy() == station_id)
        if len(hits) == 0:
            raise NotFound(f"no station with id {station_id!r}.")
        return int(hits[0])

    def counts_by_kind(self) -> dict[str, int]:
        counts = self.frame["kind"].value_counts()
        return {k: int(counts.get(k, 0)) for k in schema.KINDS}


def build_table(frame: pd.DataFrame, info: DatasetInfo) -> StationTable:
    """Wrap canonical rows (see :func:`locator.validation.parse_stations`)."""
    frame = frame.reset_index(drop=True)
    codes = (
        np.column_stack(
            [frame[k].map(_CODES).fillna(-1).to_numpy(dtype=np.int8) for k in amenities.KEYS]
        )
        if len(frame)
        else np.zeros((0, len(amenities.KEYS)), dtype=np.int8)
    )
    return StationTable(frame, codes, info)


@dataclass(frozen=True)
class Selection:
    """Rows of a table that matched a query: ``rows`` is the returned page."""

    rows: np.ndarray
    number_matched: int


def amenity_mask(
    table: StationTable, keys: tuple[str, ...], include_unknown: bool = False
) -> np.ndarray:
    """Stations that have every amenity in ``keys`` (all-of); unknown counts only if asked."""
    mask = np.ones(len(table), dtype=bool)
    for key in keys:
        col = table.amenity_codes[:, amenities.KEYS.index(key)]
        mask &= (col == 1) | ((col == -1) & include_unknown)
    return mask


def select(
    table: StationTable,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    kind: str | None = None,
    amenity_keys: tuple[str, ...] = (),
    limit: int = 100,
    offset: int = 0,
) -> Selection:
    """Stations inside ``bbox`` (west, south, east, north; WGS84) matching the filters.

    Rows come in id order so that pages are stable; ``number_matched`` counts
    every match, not only the page.
    """
    mask = amenity_mask(table, amenity_keys)
    if kind:
        mask &= (table.frame["kind"] == kind).to_numpy()
    if bbox:
        west, south, east, north = bbox
        lon, lat = table.frame["lon"].to_numpy(), table.frame["lat"].to_numpy()
        mask &= (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
    rows = np.flatnonzero(mask)
    rows = rows[np.argsort(table.frame["id"].to_numpy()[rows], kind="stable")]
    return Selection(rows[offset : offset + limit], len(rows))
