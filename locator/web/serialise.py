"""Stations as GeoJSON features, built from per-column lists and cached per station.

The API answers many small queries about the same few thousand stations, so the
parts of a feature that never change (its properties and the navigation links
that do not depend on the user) are built once per station, on first use: as
dicts for :meth:`FeatureWriter.feature`, and as encoded JSON for the search
answers (:meth:`FeatureWriter.feature_json`), which then encode only what the
query changes and join bytes. ``tests/test_serialise.py`` checks that text
against a JSON encoder's. Coordinates are GeoJSON ``[lon, lat]`` (RFC 7946).
Besides the file's columns, a feature carries properties derived from them:
``name_pinyin`` (how the name is read, for English pages), ``opening_hours_text``,
``amenities`` and ``last_confirmed`` (the day an import listed it or an admin confirmed a
report on it; null for a table not loaded from the database). ``reported_closed`` (the
day of the latest "closed for good" report when several clients sent one and no admin has
acted yet, else null) changes without a new version: it is looked up on every answer
from ``flags``, a function giving the flagged stations.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from locator import amenities, coords, names, navigation, schema, travel
from locator import hours_text as hours_words
from locator.index import AlongRoute, Hit, Nearest
from locator.schema import CONFIRMED
from locator.stations.table import StationTable, dataset_json

PROPERTIES: tuple[str, ...] = (
    *(f for f in schema.FIELDS if f not in ("lon", "lat")),
    "name_pinyin",
    "opening_hours_text",
    "amenities",
    "last_confirmed",
    "reported_closed",
)
_DERIVED = ("name_pinyin", "opening_hours_text", "amenities", "last_confirmed", "reported_closed")
MAX_CACHED = 50_000

dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


class FeatureWriter:
    """Builds features for rows of one station table; safe to share between threads."""

    def __init__(
        self,
        table: StationTable,
        dataset: dict[str, Any] | None = None,
        flags: Callable[[], Mapping[str, str]] = dict,
    ) -> None:
        """``dataset`` is what answers say of the data (default: :func:`dataset_json`);
        ``flags`` gives the stations reported closed (id: ISO day)."""
        frame = table.frame
        self._confirmed = frame[CONFIRMED].tolist() if CONFIRMED in frame else None
        self._flags = flags
        self._columns = {c: frame[c].tolist() for c in (*schema.FIELDS, *amenities.KEYS)}
        lon, lat = frame["lon"].to_numpy(), frame["lat"].to_numpy()
        shifted = (*coords.wgs84_to_gcj02(lon, lat), *coords.wgs84_to_bd09(lon, lat))
        # (GCJ-02 lon, lat, BD-09 lon, lat) per row, for the navigation links
        self._shifted: list[tuple[float, float, float, float]] = list(
            zip(*(a.tolist() for a in shifted), strict=True)
        )
        self._props: dict[int, dict[str, Any]] = {}
        self._text: dict[int, tuple[bytes, str]] = {}
        self._dataset = dumps(dataset or dataset_json(table)).encode()
        self._lock = threading.Lock()

    def closed_flags(self) -> Mapping[str, str]:
        """The stations reported closed now (id: ISO day), as answers show them."""
        return self._flags()

    def properties(self, row: int) -> dict[str, Any]:
        """Every property of the station at ``row`` (a shared dict: copy before changing)."""
        found = self._props.get(row)
        if found is None:
            found = self._properties(row)
            with self._lock:
                if len(self._props) >= MAX_CACHED:
                    self._props.clear()
                self._props[row] = found
        return found

    def _properties(self, row: int) -> dict[str, Any]:
        c = self._columns
        found = {f: c[f][row] for f in PROPERTIES if f not in _DERIVED}
        # pypinyin is imported on the first call (see locator.names), not with this module.
        found["name_pinyin"] = names.pinyin_line(str(found["name"] or ""))
        found["opening_hours_text"] = hours_text(found["opening_hours"])
        found["amenities"] = {k: c[k][row] for k in amenities.KEYS}
        found["last_confirmed"] = (self._confirmed[row] or None) if self._confirmed else None
        found["reported_closed"] = None  # looked up per answer (feature, feature_json)
        return found

    def feature(self, row: int, fields: tuple[str, ...] = PROPERTIES) -> dict[str, Any]:
        """A GeoJSON Feature with the chosen properties (a new dict each call)."""
        props = self.properties(row)
        chosen = dict(props) if fields is PROPERTIES else {f: props[f] for f in fields}
        if "reported_closed" in chosen:
            chosen["reported_closed"] = self._flags().get(self._columns["id"][row])
        return self._feature(row, chosen)

    def _feature(self, row: int, props: dict[str, Any]) -> dict[str, Any]:
        lon, lat = self._columns["lon"][row], self._columns["lat"][row]
        return {
            "type": "Feature",
            "id": self._columns["id"][row],
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": props,
        }

    def features(
        self, rows: np.ndarray, fields: tuple[str, ...] = PROPERTIES
    ) -> list[dict[str, Any]]:
        return [self.feature(int(r), fields) for r in rows]

    def feature_json(self, row: int, members: str, baidu_origin: str = "") -> bytes:
        """The Feature as UTF-8 JSON, with its navigation links and more properties.

        ``members`` are the extra properties as JSON object members (no braces);
        ``baidu_origin`` is :func:`locator.navigation.baidu_origin` of the user, if known.
        The text that never changes is encoded once per station.
        """
        head, tail = self._encoded(row)
        flag = self._flags().get(self._columns["id"][row])
        closed = f',"reported_closed":"{flag}"' if flag else ',"reported_closed":null'  # ISO day
        return head + f"{baidu_origin}{tail},{members}{closed}}}}}".encode()

    def collection_json(self, members: dict[str, Any], features: list[bytes]) -> bytes:
        """A FeatureCollection as UTF-8 JSON: ``members``, then the ``dataset`` note, then
        the ``features`` from :meth:`feature_json`."""
        head = f'{{"type":"FeatureCollection",{dumps(members)[1:-1]},"dataset":'
        return b"".join(
            (head.encode(), self._dataset, b',"features":[', b",".join(features), b"]}")
        )

    def _encoded(self, row: int) -> tuple[bytes, str]:
        """The station's Feature JSON cut where Baidu's link takes the user's origin.

        ``head`` (UTF-8) ends inside the Baidu URL, after its ``?``; ``tail`` is the rest
        of that URL (ASCII, as URLs are) and closes the links object, leaving the
        properties open for more members.
        """
        found = self._text.get(row)
        if found is None:
            c = self._columns
            fixed, destination = navigation.station_links(
                c["lon"][row],
                c["lat"][row],
                *self._shifted[row],
                c["name"][row],
                c["kind"][row],
            )
            props = self._properties(row)  # the text is cached instead
            del props["reported_closed"]  # added per answer, after the members
            feature = self._feature(row, props)
            feature_text = dumps(feature)[:-2]  # open: without the closing "}}"
            head = f'{feature_text},"links":{dumps(fixed)[:-1]},"baidu":"{navigation.BAIDU}'
            found = head.encode(), f"{dumps(destination)[1:]}}}"
            with self._lock:
                if len(self._text) >= MAX_CACHED:
                    self._text.clear()
                self._text[row] = found
        return found


def hours_text(expression: str | None) -> dict[str, str] | None:
    """Opening hours in words, ``{"en": ..., "zh": ...}`` (as written where words cannot say
    them, see :mod:`locator.hours_text`); None when blank."""
    found = hours_words.describe(expression or "")
    return None if found is None else {"en": found.en, "zh": found.zh}


def nearest_json(writer: FeatureWriter, found: Nearest, query: dict[str, Any]) -> bytes:
    """The nearest-station FeatureCollection as UTF-8 JSON: each hit with its distance,
    bearing, open state, travel estimates and navigation links from the query point."""
    origin = navigation.baidu_origin(coords.wgs84_to_bd09_point(query["lon"], query["lat"]))
    features = [writer.feature_json(hit.row, _hit_members(hit), origin) for hit in found.hits]
    members = {
        "numberMatched": found.number_matched,
        "numberReturned": len(features),
        "query": {
            **query,
            "evaluated_at": found.evaluated_at.isoformat(timespec="minutes"),
            "timezone": "Asia/Shanghai",
        },
    }
    return writer.collection_json(members, features)


def along_route_json(writer: FeatureWriter, found: AlongRoute) -> bytes:
    """The along-route FeatureCollection as UTF-8 JSON: each station with its distance
    along the route and from it, its open state and navigation links."""
    features = [
        writer.feature_json(
            int(row),
            f'"along_m":{along_m:.1f},"offset_m":{offset_m:.1f},"open_now":"{open_now}"',
        )
        for row, along_m, offset_m, open_now in zip(
            found.rows, found.along_m, found.offset_m, found.open_now, strict=True
        )
    ]
    members = {
        "numberMatched": found.number_matched,
        "numberReturned": len(features),
        "route_length_m": round(found.route_length_m, 1),
    }
    return writer.collection_json(members, features)


_NOTE = json.dumps(travel.NOTE)  # ASCII escapes keep the hits' JSON ASCII, quick to encode


def _hit_members(hit: Hit) -> str:
    """A hit's distance, bearing, open state and travel estimates, as JSON members.

    Numbers are formatted straight to text (``:.1f`` rounds as ``round(x, 1)`` does), with
    the precision of :func:`locator.travel.estimates`.
    """
    modes = ""
    for mode in travel.MODES:
        route_m, minutes = travel.estimate(hit.distance_m, mode)
        modes += f'"{mode.name}":{{"route_m":{route_m:.0f},"minutes":{minutes:.1f}}},'
    return (
        f'"distance_m":{hit.distance_m:.1f},"bearing_deg":{round(hit.bearing_deg, 1) % 360},'
        f'"open_now":"{hit.open_now}","estimates":{{{modes}"note":{_NOTE}}}'
    )


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
