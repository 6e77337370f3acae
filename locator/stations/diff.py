"""What an import would change: the served stations against an incoming file, by id.

:func:`diff_tables` sorts every station id into added, removed (never with ``merge``,
which keeps the served rows a file lacks), moved, amenities changed and other fields
changed. A station may be moved and have changed amenities at once; it counts in both.
Distances are geodesic (:func:`locator.geodesy.distance_m`, within 1 m of the exact
WGS84 geodesic), so "moved" means at least ``moved_m`` metres on the ground. Each kind
of change keeps a count and at most ``examples`` examples, in the incoming (or served)
file's order.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from locator import amenities, schema
from locator.geodesy import distance_m
from locator.stations.table import StationTable

MOVED_M = 10.0
EXAMPLES = 20
FIELDS = tuple(f for f in schema.FIELDS if f not in ("id", "lon", "lat"))


@dataclass(frozen=True)
class Station:
    """A station named in a list of changes."""

    id: str
    name: str


@dataclass(frozen=True)
class Move:
    """A station whose point moved by ``distance_m`` metres (geodesic)."""

    id: str
    name: str
    distance_m: float


@dataclass(frozen=True)
class Change:
    """One changed value of a station: ``key`` (a field or amenity key), old and new."""

    key: str
    old: str
    new: str


@dataclass(frozen=True)
class Changed:
    """A station with changed values (amenities, or other fields)."""

    id: str
    name: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Diff:
    """Counts of each kind of change and capped lists of examples.

    ``unchanged`` counts stations in both tables with no change at all; ``kept`` the
    served stations a merge keeps without the file naming them.
    """

    added: int
    removed: int
    moved: int
    amenities_changed: int
    fields_changed: int
    unchanged: int
    kept: int
    moved_m: float
    added_examples: tuple[Station, ...]
    removed_examples: tuple[Station, ...]
    moved_examples: tuple[Move, ...]
    amenity_examples: tuple[Changed, ...]
    field_examples: tuple[Changed, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (tuples become lists)."""
        return asdict(self, dict_factory=lambda pairs: {k: _plain(v) for k, v in pairs})


def _plain(value: Any) -> Any:
    return [_plain(v) for v in value] if isinstance(value, tuple) else value


def _text(frame: pd.DataFrame, columns: tuple[str, ...], fill: str) -> pd.DataFrame:
    """The columns as text, as the database keeps them: anything but text is ``fill``."""
    out = pd.DataFrame(index=frame.index)
    for col in columns:
        values = frame[col] if col in frame else pd.Series(fill, index=frame.index)
        out[col] = [v if isinstance(v, str) and v else fill for v in values]
    return out


def _amenity_codes(frame: pd.DataFrame) -> pd.DataFrame:
    out = _text(frame, amenities.KEYS, amenities.UNKNOWN)
    known = out.isin([amenities.YES, amenities.NO])
    return out.where(known, amenities.UNKNOWN)


def _changed(
    ids: np.ndarray, names: np.ndarray, old: pd.DataFrame, new: pd.DataFrame, examples: int
) -> tuple[np.ndarray, tuple[Changed, ...]]:
    """Which rows differ between ``old`` and ``new`` (same columns, aligned), and up to
    ``examples`` of them with their changed values."""
    differs = old.to_numpy() != new.to_numpy()
    rows = np.flatnonzero(differs.any(axis=1)) if len(old) else np.zeros(0, dtype=int)
    listed = []
    for i in rows[:examples]:
        cols = [int(c) for c in np.flatnonzero(differs[i])]
        changes = tuple(
            Change(str(old.columns[c]), str(old.iat[int(i), c]), str(new.iat[int(i), c]))
            for c in cols
        )
        listed.append(Changed(str(ids[i]), str(names[i]), changes))
    return rows, tuple(listed)


def _stations(frame: pd.DataFrame, examples: int) -> tuple[Station, ...]:
    head = frame.head(examples)
    return tuple(Station(str(i), str(n)) for i, n in zip(head["id"], head["name"], strict=True))


def diff_tables(
    served: StationTable | None,
    incoming: StationTable,
    *,
    merge: bool = False,
    moved_m: float = MOVED_M,
    examples: int = EXAMPLES,
) -> Diff:
    """What serving ``incoming`` (merged into ``served`` with ``merge``) would change.

    ``served`` None means nothing is served yet: every station is added. Ids are compared
    as text; a table has each id once (validation reports duplicates as errors).
    """
    old = served.frame if served is not None else incoming.frame.iloc[0:0]
    new = incoming.frame
    old_ids, new_ids = set(old["id"]), set(new["id"])
    added = new[~new["id"].isin(old_ids)]
    missing = old[~old["id"].isin(new_ids)]
    pairs = new[new["id"].isin(old_ids)].merge(
        old, on="id", how="left", suffixes=("", "_old"), validate="one_to_one"
    )
    ids, names = pairs["id"].to_numpy(), pairs["name"].to_numpy()
    far_m = distance_m(pairs["lon_old"], pairs["lat_old"], pairs["lon"], pairs["lat"])
    moved = np.flatnonzero(np.asarray(far_m) >= moved_m)
    old_cols = {f"{c}_old": c for c in (*FIELDS, *amenities.KEYS)}
    before = pairs[[c for c in old_cols if c in pairs]].rename(columns=old_cols)
    amenity_rows, amenity_examples = _changed(
        ids, names, _amenity_codes(before), _amenity_codes(pairs), examples
    )
    field_rows, field_examples = _changed(
        ids, names, _text(before, FIELDS, ""), _text(pairs, FIELDS, ""), examples
    )
    touched = len(set(moved) | set(amenity_rows) | set(field_rows))
    return Diff(
        added=len(added),
        removed=0 if merge else len(missing),
        moved=len(moved),
        amenities_changed=len(amenity_rows),
        fields_changed=len(field_rows),
        unchanged=len(pairs) - touched,
        kept=len(missing) if merge else 0,
        moved_m=moved_m,
        added_examples=_stations(added, examples),
        removed_examples=() if merge else _stations(missing, examples),
        moved_examples=tuple(
            Move(str(ids[i]), str(names[i]), round(float(far_m[i]), 1)) for i in moved[:examples]
        ),
        amenity_examples=amenity_examples,
        field_examples=field_examples,
    )
