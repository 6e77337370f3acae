"""GeoJSON, parsed by Python's json module (never GDAL), with its nesting depth checked first.

:func:`json_depth` finds the deepest nesting of arrays and objects with numpy, without
parsing, so a document nested 10,000 deep is refused before the recursive parser sees
it. Accepted: a FeatureCollection or a single Feature, in UTF-8 (a BOM is allowed),
with the legacy ``crs`` member read as GDAL reads it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np
import pandas as pd
import shapely
import shapely.geometry

from locator.errors import DataError
from locator.stations.layer import Layer, cell_text, check_shape
from locator.stations.limits import Budget, ReadLimits, limit_error

CHUNK_BYTES = 1 << 24
CHECK_EVERY = 5_000  # features between two looks at the clock
_OPEN, _CLOSE = 0x7B, 0x7D  # "{" and "}"; OR-ing 0x20 maps "[" and "]" onto them
_EPSG = re.compile(r"(?:urn:ogc:def:crs:)?epsg:(?:[\d.]*:)?(\d+)", re.IGNORECASE)


def _escaped(data: np.ndarray, quotes: np.ndarray) -> np.ndarray:
    """Which quotes are escaped: those right after an odd run of backslashes."""
    slashes = np.flatnonzero(data == 0x5C)
    if not len(slashes) or not len(quotes):
        return np.zeros(len(quotes), dtype=bool)
    breaks = np.flatnonzero(np.diff(slashes) != 1)
    ends = np.append(slashes[breaks], slashes[-1])  # last backslash of each run
    starts = np.insert(slashes[breaks + 1], 0, slashes[0])
    run = np.searchsorted(ends, quotes - 1)
    run = np.minimum(run, len(ends) - 1)
    return (ends[run] == quotes - 1) & ((ends[run] - starts[run] + 1) % 2 == 1)


def json_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in JSON ``data`` (brackets in strings
    do not count). Linear time; a few bytes of memory per bracket."""
    array = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(array == 0x22)
    quotes = quotes[~_escaped(array, quotes)]
    depth = top = 0
    for start in range(0, len(array), CHUNK_BYTES):
        folded = array[start : start + CHUNK_BYTES] | 0x20
        where = np.flatnonzero((folded == _OPEN) | (folded == _CLOSE))
        outside = np.searchsorted(quotes, where + start) % 2 == 0
        step = np.where(folded[where[outside]] == _OPEN, 1, -1).astype(np.int64)
        if len(step):
            levels = depth + np.cumsum(step)
            top, depth = max(top, int(levels.max())), int(levels[-1])
    return top


def json_document(data: bytes, name: str, limits: ReadLimits, what: str = "GeoJSON") -> Any:
    """The parsed JSON; DataError when too deep, not UTF-8 or not valid JSON.

    The depth is checked before parsing; ``what`` names the format in messages. Every
    JSON reader (GeoJSON, Amap, Baidu, Overpass) parses through here.
    """
    depth = json_depth(data)
    if depth > limits.max_depth:
        raise limit_error(name, limits, "max_depth", f"arrays and objects nest {depth:,} deep")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{name}: {what} must be UTF-8 text; save it again as UTF-8.") from None

    def no_constant(word: str) -> None:
        raise ValueError(f"{word} is not a JSON number")

    try:
        return json.loads(text, parse_constant=no_constant)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise DataError(f"{name}: not valid JSON ({exc.msg} at {where}).") from None
    except (ValueError, RecursionError) as exc:
        raise DataError(f"{name}: not valid JSON ({type(exc).__name__}).") from None


def _features(doc: Any, name: str) -> list[Any]:
    """The features of a FeatureCollection or a single Feature."""
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind == "Feature":
        return [doc]
    if kind == "FeatureCollection" and isinstance(doc.get("features"), list):
        return list(doc["features"])
    raise DataError(f"{name}: GeoJSON must be a FeatureCollection (or one Feature).")


def _crs(doc: dict[str, Any]) -> str | None:
    """The legacy ``crs`` member as GDAL names it ("EPSG:3857", "OGC:CRS84"), else None."""
    crs = doc.get("crs")
    props = crs.get("properties") if isinstance(crs, dict) else None
    value = props.get("name") if isinstance(props, dict) else None
    if not isinstance(value, str):
        return None
    if "crs84" in value.lower():
        return "OGC:CRS84"
    match = _EPSG.fullmatch(value.strip())
    return f"EPSG:{match.group(1)}" if match else value[:80]


def _property_text(value: object) -> str:
    """A property as cell text; arrays and objects as compact JSON."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return cell_text(value)


def _geometries(raw: list[object], name: str, budget: Budget) -> np.ndarray:
    """Shapely geometries (None where a feature has none); DataError naming a bad one."""
    out = np.full(len(raw), None, dtype=object)
    points: list[int] = []
    xy: list[list[float]] = []
    for i, geom in enumerate(raw):
        if i % CHECK_EVERY == 0:
            budget.check()
        if geom is None:
            continue
        coords = geom.get("coordinates") if isinstance(geom, dict) else None
        if isinstance(geom, dict) and geom.get("type") == "Point" and _is_xy(coords):
            points.append(i)
            xy.append([float(coords[0]), float(coords[1])])
            continue
        try:
            out[i] = shapely.geometry.shape(geom)
        except Exception:  # shapely raises many types for malformed geometries
            raise DataError(f"{name}: feature {i + 1} has no valid GeoJSON geometry.") from None
    if points:
        out[points] = shapely.points(np.array(xy, dtype=float))
    return out


def _is_xy(coords: object) -> TypeGuard[list[float]]:
    """Whether ``coords`` is a position: 2 or 3 numbers (not booleans)."""
    return (
        isinstance(coords, list)
        and len(coords) in (2, 3)
        and all(isinstance(c, int | float) and not isinstance(c, bool) for c in coords)
    )


def _properties(
    features: list[Any], name: str, limits: ReadLimits, budget: Budget
) -> tuple[list[dict[str, str]], list[str]]:
    """Each feature's properties as text, and every column in order of first use;
    TooLarge past the column or cell limit."""
    rows: list[dict[str, str]] = []
    columns: dict[str, None] = {}
    cells = 0
    for i, feature in enumerate(features):
        if i % CHECK_EVERY == 0:
            budget.check()
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise DataError(f"{name}: feature {i + 1} is not a GeoJSON Feature.")
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            raise DataError(f"{name}: feature {i + 1} has properties that are not an object.")
        row = {str(k): _property_text(v) for k, v in props.items()}
        columns.update(dict.fromkeys(row))
        cells += len(row)
        check_shape(name, limits, 0, len(columns))
        if cells > limits.max_cells:
            raise limit_error(name, limits, "max_cells")
        rows.append(row)
    return rows, list(columns)


def read_geojson(path: Path, name: str, limits: ReadLimits, budget: Budget) -> Layer:
    """The features of a GeoJSON file as a :class:`Layer` (feature order kept)."""
    doc = json_document(path.read_bytes(), name, limits)
    features = _features(doc, name)
    check_shape(name, limits, len(features), 0)
    rows, columns = _properties(features, name, limits, budget)
    cells = pd.DataFrame(rows, columns=columns, index=range(len(rows)), dtype=object).fillna("")
    raw = [f.get("geometry") for f in features]
    return Layer(name, cells.astype(object), _geometries(raw, name, budget), _crs(doc))
