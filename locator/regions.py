"""Administrative boundaries: which district a point lies in, and the configured region.

The shipped layer ``data/boundaries/admin_districts.geojson`` holds Beijing's 16
districts and Shaanxi's 107 counties with province, city and district adcodes
(see data/README.md for provenance).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from locator.errors import BadQuery

PROVINCES = {"beijing": "110000", "shaanxi": "610000"}
ADMIN_FILE = Path("boundaries") / "admin_districts.geojson"


@dataclass(frozen=True)
class Regions:
    """District polygons of the configured region, with a spatial index."""

    names: tuple[str, ...]
    districts: gpd.GeoDataFrame
    tree: shapely.STRtree

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Row of ``districts`` that contains each point, or -1 outside the region.

        Bounding boxes first (the STRtree), then an exact test per polygon on its
        candidate points only. Points on a shared border go to the first polygon.
        """
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        found = np.full(len(lon), -1, dtype=np.int64)
        point_idx, poly_idx = self.tree.query(shapely.points(lon, lat))
        order = np.argsort(poly_idx, kind="stable")
        point_idx, poly_idx = point_idx[order], poly_idx[order]
        geoms = self.districts.geometry.values
        edges = np.searchsorted(poly_idx, np.arange(len(geoms) + 1))
        for g in range(len(geoms)):
            idx = point_idx[edges[g] : edges[g + 1]]
            idx = idx[found[idx] < 0]
            if len(idx):
                found[idx[shapely.intersects_xy(geoms[g], lon[idx], lat[idx])]] = g
        return found


def parse_region(value: str) -> tuple[str, ...]:
    """Split "beijing,shaanxi" into known region names; raise BadQuery for unknown ones."""
    names = tuple(n.strip().lower() for n in value.split(",") if n.strip())
    unknown = [n for n in names if n not in PROVINCES]
    if unknown or not names:
        raise BadQuery(
            f"unknown region {','.join(unknown) or value!r}; "
            f"use one or more of {', '.join(PROVINCES)}."
        )
    return names


def load_regions(data_dir: Path, region: str = "beijing,shaanxi") -> Regions:
    """Load the district polygons of ``region`` from ``data_dir``."""
    names = parse_region(region)
    frame = gpd.read_file(data_dir / ADMIN_FILE)
    for col in ("province_adcode", "city_adcode", "district_adcode"):
        frame[col] = frame[col].astype(str)
    wanted = {PROVINCES[n] for n in names}
    frame = frame[frame["province_adcode"].isin(wanted)].reset_index(drop=True)
    shapely.prepare(frame.geometry.values)
    return Regions(names, frame, shapely.STRtree(frame.geometry.values))
