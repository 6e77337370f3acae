"""Where a plan may put new sites: a planner's list or the uncovered demand cells, minus
exclusion zones.

Both files are untrusted: each is read by the one reader its checked format needs,
within the ``ReadLimits`` passed in. A candidate list is validated like a station file
(every bad row is named); exclusion zones must be polygons, and a feature that is not is
named by its number. Either file may be in WGS84, GCJ-02, BD-09 or an EPSG system (``crs``,
else the file's own, else WGS84); everything is turned into WGS84 here.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import shapely

from locator import coords
from locator.demand import Demand
from locator.errors import CoordinateError, DataError
from locator.regions import Regions
from locator.stations.limits import DEFAULT_LIMITS, ReadLimits
from locator.stations.readers import read_layer, read_raw
from locator.stations.validation import parse_stations

DEFAULT_HOST = "待定 (demand-cell centre)"
ZONE_TYPES = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class Candidates:
    lon: np.ndarray
    lat: np.ndarray
    host_type: np.ndarray
    name: np.ndarray
    district_adcode: np.ndarray
    district_name: np.ndarray

    def __len__(self) -> int:
        return len(self.lon)

    def where(self, keep: np.ndarray) -> Candidates:
        return Candidates(*(getattr(self, f.name)[keep] for f in fields(self)))


def read_candidates(
    path: Path,
    regions: Regions,
    kind: str,
    crs: str | None,
    *,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Candidates:
    """A planner's candidate sites (a station file read within ``limits``); DataError naming
    the bad rows, TooLarge past a limit."""
    parsed = parse_stations(read_raw(path, limits=limits), regions, kind=kind, crs=crs)
    if parsed.errors:
        raise DataError(
            f"{len(parsed.errors)} error(s) in the candidate file; first: {parsed.errors[0]}",
            parsed.errors,
        )
    f = parsed.stations
    columns = ("host_type", "name", "district_adcode", "district_name")
    return Candidates(
        f["lon"].to_numpy(float), f["lat"].to_numpy(float), *(f[c].to_numpy(str) for c in columns)
    )


def cell_candidates(demand: Demand, already: np.ndarray) -> Candidates:
    """The centres of the demand cells with weight that no station covers yet."""
    free = np.flatnonzero(~already & (demand.weight > 0))
    return Candidates(
        demand.lon[free],
        demand.lat[free],
        np.full(len(free), DEFAULT_HOST),
        np.full(len(free), ""),
        demand.district_adcode[free].astype(str),
        demand.district_name[free].astype(str),
    )


def read_exclusions(
    path: Path, crs: str | None = None, *, limits: ReadLimits = DEFAULT_LIMITS
) -> shapely.Geometry:
    """The union of the polygons in a GeoJSON or GeoPackage file, in WGS84.

    The file is read within ``limits``. DataError names the first features that are not
    valid, non-empty polygons (a feature without geometry among them).
    """
    layer = read_layer(path, limits=limits)
    name = layer.name
    layer.require_geometry(f"exclusion zones must be {' or '.join(ZONE_TYPES)} features")
    geoms = layer.geometry
    bad = [
        i + 1
        for i, g in enumerate(geoms)
        if g is None or g.geom_type not in ZONE_TYPES or g.is_empty or not g.is_valid
    ]
    if bad or len(geoms) == 0:
        where = f"feature(s) {', '.join(map(str, bad[:3]))}" if bad else "it has no features"
        raise DataError(
            f"{name}: exclusion zones must be valid, non-empty {' or '.join(ZONE_TYPES)} "
            f"features; {where}{' and more' if len(bad) > 3 else ''} are not."
        )
    datum = _datum(name, crs, layer.crs)

    def to_wgs84(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(coords.to_wgs84(xy[:, 0], xy[:, 1], datum))

    return shapely.union_all(shapely.transform(geoms, to_wgs84))


def outside(cands: Candidates, zones: shapely.Geometry) -> Candidates:
    """The candidates that lie in no zone (a site on a zone's border counts as inside)."""
    return cands.where(~shapely.intersects_xy(zones, cands.lon, cands.lat))


def _datum(name: str, crs: str | None, file_crs: str | None) -> str:
    try:
        return coords.parse_crs(crs if crs is not None else coords.file_datum(file_crs))
    except CoordinateError as exc:
        raise DataError(f"{name}: {exc.message} Pass the crs explicitly.") from exc
