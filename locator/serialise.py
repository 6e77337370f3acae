"""Stations as GeoJSON features, built from per-column lists and cached per station.

The API answers many small queries about the same few thousand stations, so the
parts of a feature that never change (its properties and the navigation links
that do not depend on the user) are built once per station, on first use.
Coordinates are GeoJSON ``[lon, lat]`` (RFC 7946).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from locator import amenities, coords, navigation, schema
from locator.stations import StationTable

PROPERTIES: tuple[str, ...] = (*(f for f in schema.FIELDS if f not in ("lon", "lat")), "amenities")
MAX_CACHED = 50_000


class FeatureWriter:
    """Builds features for rows of one station table; safe to share between threads."""

    def __init__(self, table: StationTable) -> None:
        frame = table.frame
        self._columns = {c: frame[c].tolist() for c in (*schema.FIELDS, *amenities.KEYS)}
        self.gcj = coords.wgs84_to_gcj02(frame["lon"].to_numpy(), frame["lat"].to_numpy())
        self.bd = coords.wgs84_to_bd09(frame["lon"].to_numpy(), frame["lat"].to_numpy())
        self._props: dict[int, dict[str, Any]] = {}
        self._links: dict[int, dict[str, str]] = {}
        self._lock = threading.Lock()

    def properties(self, row: int) -> dict[str, Any]:
        """Every property of the station at ``row`` (a shared dict: copy before changing)."""
        found = self._props.get(row)
        if found is None:
            c = self._columns
            found = {f: c[f][row] for f in PROPERTIES if f != "amenities"}
            found["amenities"] = {k: c[k][row] for k in amenities.KEYS}
            with self._lock:
                if len(self._props) >= MAX_CACHED:
                    self._props.clear()
                self._props[row] = found
        return found

    def feature(self, row: int, fields: tuple[str, ...] = PROPERTIES) -> dict[str, Any]:
        """A GeoJSON Feature with the chosen properties (a new dict each call)."""
        props = self.properties(row)
        chosen = dict(props) if fields is PROPERTIES else {f: props[f] for f in fields}
        lon, lat = self._columns["lon"][row], self._columns["lat"][row]
        return {
            "type": "Feature",
            "id": props["id"],
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": chosen,
        }

    def features(
        self, rows: np.ndarray, fields: tuple[str, ...] = PROPERTIES
    ) -> list[dict[str, Any]]:
        return [self.feature(int(r), fields) for r in rows]

    def links(self, row: int, origin_bd: tuple[float, float] | None = None) -> dict[str, str]:
        """Navigation links to the station; ``origin_bd`` is the user's BD-09 (lon, lat)."""
        fixed = self._links.get(row)
        c = self._columns
        if fixed is None:
            lon, lat, name, kind = c["lon"][row], c["lat"][row], c["name"][row], c["kind"][row]
            fixed = navigation.fixed_links(
                lon, lat, float(self.gcj[0][row]), float(self.gcj[1][row]), name, kind
            )
            fixed["baidu"] = navigation.baidu_destination(
                float(self.bd[0][row]), float(self.bd[1][row]), name, kind
            )
            with self._lock:
                if len(self._links) >= MAX_CACHED:
                    self._links.clear()
                self._links[row] = fixed
        return {**fixed, "baidu": navigation.baidu_link(fixed["baidu"], origin_bd)}


COMPACT_SCALE = 100_000  # coordinates in 1e-5 degrees (about 1 m)


def compact_points(table: StationTable, rows: np.ndarray, datum: str = "wgs84") -> dict[str, Any]:
    """Stations as a small payload for maps: ids, kind codes and delta-encoded coordinates.

    ``coords`` is a flat list ``[dlon0, dlat0, dlon1, dlat1, ...]`` of integers in 1e-5
    degrees, each the difference from the previous point (the first from 0), so a
    client rebuilds ``lon_i = sum(dlon_0..dlon_i) / 1e5``. ``datum`` "gcj02" shifts the
    points for maps drawn on Amap tiles.
    """
    lon = table.frame["lon"].to_numpy(dtype=float)[rows]
    lat = table.frame["lat"].to_numpy(dtype=float)[rows]
    if datum == "gcj02":
        lon, lat = coords.wgs84_to_gcj02(lon, lat)
    ints = np.round(np.column_stack([lon, lat]) * COMPACT_SCALE).astype(np.int64)
    deltas = np.diff(ints, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    kinds = list(schema.KINDS)
    kind = table.frame["kind"].to_numpy()[rows]
    return {
        "count": len(rows),
        "datum": datum,
        "scale": COMPACT_SCALE,
        "kinds": kinds,
        "ids": table.frame["id"].to_numpy()[rows].tolist(),
        "kind": [kinds.index(k) for k in kind],
        "coords": deltas.ravel().tolist(),
    }
