"""Nearest-station search: k nearest by ellipsoidal distance, with filters.

How it stays fast when a filter matches few stations: every distinct filter
(kind, amenities, include_unknown) gets its own KD-tree over just the matching
stations, built on first use from per-amenity row lists and cached. A query
never walks stations that fail those filters. Opening hours change with the
time asked, so they are checked on the candidates only, widening the search
until enough open (or unknown) stations are found.

Candidates come from a KD-tree over earth-centred coordinates, whose chord
distance never exceeds the geodesic. One query ranks its few candidates by the
exact geodesic (pyproj, which also gives the bearings); the batch search takes
distances from the chords themselves (:func:`locator.geodesy.arc_from_chord_m`,
within 2e-6 of the geodesic up to 500 km). The single search stops once the k-th best
distance is no longer than the chord to the farthest candidate examined, so
no unexamined station can be nearer.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from locator import amenities, coords, hours, route
from locator.geodesy import (
    arc_from_chord_m,
    ecef_m,
    ecef_point_m,
    reduced_distance_m,
    reduced_latitude,
)
from locator.params import Filters
from locator.schema import CONFIRMED
from locator.stations.table import StationTable

MAX_CACHED_SUBSETS = 256
FAR_CHORD_M = 500_000.0  # beyond this the batch search ranks by Andoyer-Lambert instead
_Measured = tuple[float, int, float, int]  # distance_m, row, bearing_deg, open state


@dataclass(frozen=True)
class Hit:
    """One station found: its table row, distance, bearing from the query and open state."""

    row: int
    distance_m: float
    bearing_deg: float
    open_now: str


@dataclass(frozen=True)
class Nearest:
    """Hits sorted by distance; ``number_matched`` counts every station passing the filters."""

    hits: tuple[Hit, ...]
    number_matched: int
    evaluated_at: dt.datetime


@dataclass(frozen=True)
class Subset:
    """Rows passing the static filters, and a KD-tree over their ECEF points."""

    rows: np.ndarray
    tree: cKDTree


class StationIndex:
    """Spatial index over a :class:`StationTable`; safe to share between threads."""

    def __init__(self, table: StationTable) -> None:
        self.table = table
        self.lon = table.frame["lon"].to_numpy(dtype=float)
        self.lat = table.frame["lat"].to_numpy(dtype=float)
        self.xyz = ecef_m(self.lon, self.lat)
        self._lam, self._beta = np.radians(self.lon), reduced_latitude(self.lat)
        self.hours = hours.Hours(table.frame["opening_hours"])
        # Plain lists for the per-candidate loop of one query (see _measure).
        self._lon_list, self._lat_list = self.lon.tolist(), self.lat.tolist()
        self._hours_code = self.hours.codes.tolist()
        self._kind = table.frame["kind"].to_numpy()
        self._with = {  # per amenity: rows with "yes", and rows with "yes" or "unknown"
            (key, unknown): np.flatnonzero((col == 1) | (unknown & (col == -1)))
            for i, key in enumerate(amenities.KEYS)
            for unknown, col in (
                (False, table.amenity_codes[:, i]),
                (True, table.amenity_codes[:, i]),
            )
        }
        self._subsets: OrderedDict[tuple[object, ...], Subset] = OrderedDict()
        self._lock = threading.Lock()

    def subset(self, filters: Filters) -> Subset:
        """The cached subset for ``filters`` (its static part), built on first use."""
        key = (
            filters.kind,
            tuple(sorted(set(filters.amenities))),
            filters.include_unknown,
            filters.confirmed_since,
        )
        with self._lock:
            if key in self._subsets:
                self._subsets.move_to_end(key)
                return self._subsets[key]
        rows = self._matching_rows(filters)
        found = Subset(rows, cKDTree(self.xyz[rows]))
        with self._lock:
            self._subsets[key] = found
            while len(self._subsets) > MAX_CACHED_SUBSETS:
                self._subsets.popitem(last=False)
        return found

    def _matching_rows(self, filters: Filters) -> np.ndarray:
        lists = [self._with[(a, filters.include_unknown)] for a in set(filters.amenities)]
        if not lists:
            rows = np.arange(len(self.table))
        else:
            lists.sort(key=len)  # start from the rarest amenity: work is O(its count)
            rows = lists[0]
            for other in lists[1:]:
                rows = rows[np.isin(rows, other, assume_unique=True)]
        if filters.kind:
            rows = rows[self._kind[rows] == filters.kind]
        if filters.confirmed_since:
            confirmed = self.table.frame.get(CONFIRMED)  # ISO days ("" unknown) sort as text
            if confirmed is None:
                return rows[:0]
            since = filters.confirmed_since.isoformat()
            days = confirmed.to_numpy(dtype=str)[rows]
            rows = rows[(days != "") & (days >= since)]
        return rows

    def nearest(
        self,
        lon: float,
        lat: float,
        k: int,
        filters: Filters = Filters(),
        radius_m: float | None = None,
        when: dt.datetime | None = None,
    ) -> Nearest:
        """The ``k`` stations nearest to (lon, lat) WGS84 that pass ``filters``.

        ``radius_m`` limits the search; open states are evaluated at
        ``filters.open_at``, else ``when``, else now (Beijing time).
        """
        at = hours.local_time(filters.open_at or when)
        sub = self.subset(filters)
        if len(sub.rows) == 0:
            return Nearest((), 0, at)
        point = ecef_point_m(lon, lat)
        states = self.hours.expression_states(at)
        drop_closed = filters.open_at is not None
        if radius_m is None:
            hits, matched = self._k_nearest(sub, point, lon, lat, k, at, states, drop_closed)
        else:
            rows = sub.rows[sub.tree.query_ball_point(point, r=radius_m)].tolist()
            hits = [
                h for h in self._measure(lon, lat, rows, states, drop_closed) if h[0] <= radius_m
            ]
            matched = len(hits)
        found = tuple(Hit(r, d, b, hours.STATE_NAMES[s]) for d, r, b, s in hits[:k])
        return Nearest(found, matched, at)

    def _k_nearest(
        self,
        sub: Subset,
        point: tuple[float, float, float],
        lon: float,
        lat: float,
        k: int,
        at: dt.datetime,
        states: list[int],
        drop_closed: bool,
    ) -> tuple[list[_Measured], int]:
        n = len(sub.rows)
        matched = n
        if drop_closed:
            open_or_unknown = self.hours.states_at(at, sub.rows) != hours.CLOSED
            matched = int(np.count_nonzero(open_or_unknown))
        want = min(k, matched)
        kq = min(n, k + 1)  # one more than asked: enough unless the k-th and next nearly tie
        while True:
            chord, idx = sub.tree.query(point, k=kq)
            rows = np.atleast_1d(sub.rows[idx]).tolist()
            hits = self._measure(lon, lat, rows, states, drop_closed)[:want]
            farthest_m = float(np.atleast_1d(chord)[-1])
            if kq == n or (len(hits) == want and (want == 0 or hits[-1][0] <= farthest_m)):
                return hits, matched
            kq = min(n, kq * 4)

    def _measure(
        self, lon: float, lat: float, rows: list[int], states: list[int], drop_closed: bool
    ) -> list[_Measured]:
        """(distance_m, row, bearing_deg, open state) of each candidate, nearest first, by
        the exact geodesic; closed stations are left out when ``drop_closed``.

        One query measures a handful of candidates, for which plain Python with pyproj's
        scalar call is faster than numpy's per-call overhead."""
        out = []
        for row in rows:
            state = states[self._hours_code[row]]
            if drop_closed and state == hours.CLOSED:
                continue
            az_deg, _, d_m = coords.WGS84_GEOD.inv(
                lon, lat, self._lon_list[row], self._lat_list[row]
            )
            bearing = az_deg % 360.0
            out.append((d_m, row, 0.0 if bearing >= 360.0 else bearing, state))
        out.sort()
        return out

    def nearest_many(
        self, lon: np.ndarray, lat: np.ndarray, k: int = 1, filters: Filters = Filters()
    ) -> tuple[np.ndarray, np.ndarray]:
        """Batch search: (rows, distance_m), each (n, k), for many points at once.

        Opening hours are not applied. Where fewer than k stations pass the
        filters, missing entries are row -1 and distance NaN.

        The k nearest by ECEF chord are the k nearest by geodesic, and the distance
        follows from the chord (:func:`locator.geodesy.arc_from_chord_m`); the orders can
        differ only for distances closer than e^2 c^3 / 24R^2 (7 µm at 10 km, 7 mm at
        100 km). Points whose k-th station is farther than :data:`FAR_CHORD_M` are ranked
        again by Andoyer-Lambert distance.
        """
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        sub = self.subset(filters)
        rows = np.full((len(lon), k), -1, dtype=np.int64)
        dist = np.full((len(lon), k), np.nan)
        m = len(sub.rows)
        if m == 0 or len(lon) == 0:
            return rows, dist
        width = min(k, m)
        chord, idx = sub.tree.query(ecef_m(lon, lat), k=width)
        chord, idx = chord.reshape(len(lon), width), idx.reshape(len(lon), width)
        rows[:, :width] = sub.rows[idx]
        dist[:, :width] = arc_from_chord_m(chord, lat[:, None])
        far = np.flatnonzero(chord[:, -1] > FAR_CHORD_M)
        if len(far):
            rows[far, :width], dist[far, :width] = self._ranked(lon[far], lat[far], width, sub)
        return rows, dist

    def _ranked(
        self, lon: np.ndarray, lat: np.ndarray, k: int, sub: Subset
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest of ``sub`` (k <= its size) by Andoyer-Lambert distance."""
        rows, dist = np.empty((len(lon), k), dtype=np.int64), np.empty((len(lon), k))
        lam, beta = np.radians(lon), reduced_latitude(lat)
        todo, kq = np.arange(len(lon)), min(len(sub.rows), k + 1)
        while len(todo):
            # Rank by chord, measure the first k: exact unless the (k+1)-th chord is shorter
            # than the k-th distance (a near tie), in which case those points ask for more.
            chord, idx = sub.tree.query(ecef_m(lon[todo], lat[todo]), k=kq)
            chord, idx = chord.reshape(len(todo), kq), idx.reshape(len(todo), kq)
            measure = k if kq == k + 1 else kq  # after a near tie, measure them all
            cand = sub.rows[idx[:, :measure]]
            d = reduced_distance_m(
                lam[todo, None], beta[todo, None], self._lam[cand], self._beta[cand]
            )
            order = np.argsort(d, axis=1, kind="stable")[:, :k]
            best_rows = np.take_along_axis(cand, order, axis=1)
            best_d = np.take_along_axis(d, order, axis=1)
            unmeasured = chord[:, measure] if measure < kq else chord[:, -1]
            done = (kq == len(sub.rows)) | (best_d[:, -1] <= unmeasured)
            rows[todo[done]], dist[todo[done]] = best_rows[done], best_d[done]
            todo, kq = todo[~done], min(len(sub.rows), kq * 4)
        return rows, dist


@dataclass(frozen=True)
class AlongRoute:
    """Stations within a corridor of a route, ordered by distance along it from the start."""

    rows: np.ndarray
    along_m: np.ndarray
    offset_m: np.ndarray
    open_now: tuple[str, ...]
    number_matched: int
    route_length_m: float
    evaluated_at: dt.datetime


def along_route(
    index: StationIndex,
    points: np.ndarray,
    corridor_m: float,
    limit: int,
    filters: Filters = Filters(),
    when: dt.datetime | None = None,
) -> AlongRoute:
    """Stations passing ``filters`` within ``corridor_m`` of the route ``points`` ([lon, lat])."""
    at = hours.local_time(filters.open_at or when)
    sub = index.subset(filters).rows
    found = route.corridor(points, index.lon[sub], index.lat[sub], corridor_m)
    rows = sub[found.rows]
    state = index.hours.states_at(at, rows)
    keep = state != hours.CLOSED if filters.open_at is not None else np.ones(len(rows), bool)
    rows, state = rows[keep][:limit], state[keep][:limit]
    return AlongRoute(
        rows,
        found.along_m[keep][:limit],
        found.offset_m[keep][:limit],
        tuple(hours.STATE_NAMES[int(s)] for s in state),
        int(keep.sum()),
        found.route_length_m,
        at,
    )
