"""Damaged files (cut short, bytes changed or inserted) are a DataError, never another error.

A small, seeded mutation run over one valid file of each format; a reader that lets a
library's own exception through (zlib, sqlite3, UnicodeDecodeError, ...) fails it.
"""

from __future__ import annotations

import random
from pathlib import Path

import geopandas as gpd
import pytest
from openpyxl import Workbook
from shapely.geometry import Point, Polygon

from locator.errors import DataError
from locator.stations.readers import read_layer, read_raw

MUTATIONS = 40  # per file; a longer run (2,000 per file) found the cases fixed here


def originals(folder: Path) -> list[Path]:
    """A CSV, an XLSX, point GeoJSON and GeoPackage, and a polygon GeoJSON."""
    (folder / "s.csv").write_text(
        'name,kind,lon,lat,设施\n东单,warm_heart,116.4,39.9,"淋浴,热水"\n', encoding="utf-8"
    )
    book = Workbook()
    for row in (["name", "kind", "lon", "lat"], ["东单", "warm_heart", 116.4, 39.9]):
        book.active.append(row)  # type: ignore[union-attr]
    book.save(folder / "s.xlsx")
    frame = gpd.GeoDataFrame(
        {"name": ["东单", "国贸"]},
        geometry=[Point(116.4, 39.9), Point(116.46, 39.91)],
        crs="EPSG:4326",
    )
    frame.to_file(folder / "s.geojson")
    frame.to_file(folder / "s.gpkg")
    zone = Polygon([(116.4, 39.9), (116.5, 39.9), (116.5, 40.0)])
    gpd.GeoDataFrame({"n": [1]}, geometry=[zone], crs="EPSG:4326").to_file(folder / "z.geojson")
    return [folder / n for n in ("s.csv", "s.xlsx", "s.geojson", "s.gpkg", "z.geojson")]


def mutated(data: bytes, rng: random.Random) -> bytes:
    """``data`` cut short, with a few bytes changed, or with random bytes inserted."""
    out = bytearray(data)
    choice = rng.random()
    if choice < 0.3:
        return bytes(out[: rng.randrange(len(out))])
    if choice < 0.8:
        for _ in range(rng.randint(1, 8)):
            out[rng.randrange(len(out))] = rng.randrange(256)
        return bytes(out)
    at = rng.randrange(len(out))
    return bytes(out[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 20))) + out[at:])


@pytest.mark.parametrize("index", range(5))
def test_a_damaged_file_is_read_or_refused_cleanly(tmp_path, hostile, index: int) -> None:
    source = originals(tmp_path)[index]
    rng = random.Random(index)
    target = tmp_path / f"damaged{source.suffix}"
    for _ in range(MUTATIONS):
        target.write_bytes(mutated(source.read_bytes(), rng))
        for read in (read_raw, read_layer) if source.suffix != ".csv" else (read_raw,):
            if read is read_layer and source.suffix == ".xlsx":
                continue
            try:
                read(target)
            except DataError as exc:
                assert exc.message.startswith(target.name) and "\n" not in exc.message
