"""Parse query parameters into typed values, raising BadQuery with a usable message.

These take plain strings (``None`` when absent), so they work for any web
framework and for the CLI.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from locator import amenities, coords, schema
from locator.errors import BadQuery


@dataclass(frozen=True)
class Filters:
    """What a station must offer. ``open_at`` drops stations closed then (unknown hours stay);
    ``confirmed_since`` keeps only stations confirmed (listed by an import, or a report
    confirmed) on or after that day (unknown: dropped)."""

    kind: str | None = None
    amenities: tuple[str, ...] = ()
    include_unknown: bool = False
    open_at: dt.datetime | None = None
    confirmed_since: dt.date | None = None


def parse_int(name: str, value: str | None, default: int, lo: int, hi: int) -> int:
    """An integer in ``lo..hi``; ``default`` when absent."""
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadQuery(f"{name} must be a whole number, got {value!r}.") from None
    if not lo <= number <= hi:
        raise BadQuery(f"{name} must be between {lo} and {hi}, got {number}.")
    return number


def parse_float(name: str, value: str | None, lo: float, hi: float) -> float:
    """A finite number in ``lo..hi``; NaN and infinity are refused."""
    if value is None or value == "":
        raise BadQuery(f"{name} is required.")
    try:
        number = float(value)
    except ValueError:
        raise BadQuery(f"{name} must be a number, got {value!r}.") from None
    if not math.isfinite(number) or not lo <= number <= hi:
        raise BadQuery(f"{name} must be a number between {lo} and {hi}, got {value!r}.")
    return number


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """``west,south,east,north`` in WGS84 degrees, or None when absent."""
    if value is None or value == "":
        return None
    parts = value.split(",")
    if len(parts) != 4:
        raise BadQuery(f"bbox must be west,south,east,north (4 numbers), got {value!r}.")
    west, east = (parse_float("bbox longitude", parts[i], -180, 180) for i in (0, 2))
    south, north = (parse_float("bbox latitude", parts[i], -90, 90) for i in (1, 3))
    if west > east or south > north:
        raise BadQuery(f"bbox must have west <= east and south <= north, got {value!r}.")
    return west, south, east, north


TILE_MAX_ZOOM = 22


def parse_tile(value: str | None) -> tuple[float, float, float, float] | None:
    """The WGS84 bounding box (west, south, east, north) of a web-map tile ``z/x/y``
    (the XYZ scheme of OpenStreetMap, Amap and Leaflet: x east from 180°W, y south from
    85.05°N), or None when absent. The tile edges are exact in degrees; no distance is
    measured."""
    if value is None or value == "":
        return None
    parts = value.split("/")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise BadQuery(f"tile must be z/x/y (3 whole numbers), got {value!r}.")
    z, x, y = (int(p) for p in parts)
    if z > TILE_MAX_ZOOM or x >= 2**z or y >= 2**z:
        raise BadQuery(f"tile {value!r} is not a tile: z <= {TILE_MAX_ZOOM}, x and y < 2**z.")

    def lat_deg(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / 2**z))))

    west, east = (col / 2**z * 360.0 - 180.0 for col in (x, x + 1))
    return west, lat_deg(y + 1), east, lat_deg(y)


def parse_kind(value: str | None) -> str | None:
    """A station kind (warm_heart or driver_home), or None when absent; empty is refused."""
    if value is None:
        return None
    if value not in schema.KINDS:
        raise BadQuery(f"kind must be one of {', '.join(schema.KINDS)}, got {value!r}.")
    return value


def parse_amenities(value: str | None) -> tuple[str, ...]:
    """Comma-separated amenity keys (all-of); unknown keys are refused by name."""
    if value is None or value.strip() == "":
        return ()
    keys = tuple(k.strip() for k in value.split(",") if k.strip())
    unknown = [k for k in keys if k not in amenities.KEYS]
    if unknown:
        raise BadQuery(f"unknown amenity {', '.join(unknown)}; see GET /api/v1/amenities.")
    return keys


def parse_bool(name: str, value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise BadQuery(f"{name} must be true or false, got {value!r}.")


def parse_fields(value: str | None, allowed: tuple[str, ...]) -> tuple[str, ...]:
    """Comma-separated property names to return; all of ``allowed`` when absent."""
    if value is None or value.strip() == "":
        return allowed
    names = tuple(n.strip() for n in value.split(",") if n.strip())
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise BadQuery(f"unknown field {', '.join(unknown)}; use any of {', '.join(allowed)}.")
    return names


POINT_DATUMS = ("wgs84", "gcj02", "bd09")


def parse_datum(value: Any, name: str = "crs") -> str:
    """The datum points are given in (wgs84 when absent); empty or unknown is refused."""
    found = text(value, name)
    if found is None:
        return "wgs84"
    datum = found.strip().lower()
    if datum not in POINT_DATUMS:
        raise BadQuery(f"{name} must be one of {', '.join(POINT_DATUMS)}, got {found!r}.")
    return datum


def parse_point(lon: str | None, lat: str | None, crs: str | None) -> tuple[float, float]:
    """A query point as WGS84 (lon, lat); ``crs`` is the datum it was given in."""
    datum = parse_datum(crs)
    x = parse_float("lon", lon, -180, 180)
    y = parse_float("lat", lat, -90, 90)
    if datum == "wgs84":
        return x, y
    out = coords.to_wgs84(x, y, datum)
    return float(out[0]), float(out[1])


def parse_datetime(name: str, value: str | None) -> dt.datetime | None:
    """ISO 8601 date-time (naive means Beijing time), "now", or None when absent."""
    if value is None or value == "":
        return None
    if value == "now":
        return dt.datetime.now(dt.UTC)
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise BadQuery(
            f"{name} must be an ISO 8601 time like 2024-05-01T21:30, got {value!r}."
        ) from None


def parse_positive(name: str, value: str | None, hi: float) -> float | None:
    """A number in (0, hi], or None when absent."""
    if value is None or value == "":
        return None
    number = parse_float(name, value, 0, hi)
    if number <= 0:
        raise BadQuery(f"{name} must be greater than 0, got {value!r}.")
    return number


def text(value: Any, name: str = "a parameter") -> str | None:
    """A JSON or form value as the string these parsers take: ``None`` stays ``None``,
    booleans are ``true``/``false``, numbers are written out. A list or an object is
    refused (BadQuery naming ``name``): a field that takes one value never takes several."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str | int | float):
        return str(value)
    raise BadQuery(f"{name} must be a single value, not {shown(value)}.")


def text_list(value: Any, name: str) -> str | None:
    """A comma-separated value, or a JSON list of strings joined with commas."""
    if isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            raise BadQuery(f"{name} must be a list of strings, got {shown(value)}.")
        return ",".join(value)
    return text(value, name)


def shown(value: Any) -> str:
    """A short description of a JSON value for a message: never more than 40 characters."""
    if isinstance(value, list):
        return f"a list of {len(value):,} item(s)"
    if isinstance(value, dict):
        return f"an object with {len(value):,} key(s)"
    return repr(value)[:40]


def is_number(value: Any) -> bool:
    """A JSON number: an int or a float, but not a boolean (``true`` is not 1)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_positions(items: list[Any], name: str) -> None:
    """BadQuery unless every item is a GeoJSON position: a list of 2 or 3 JSON numbers."""
    for i, item in enumerate(items):
        if not (isinstance(item, list) and len(item) in (2, 3) and all(is_number(v) for v in item)):
            raise BadQuery(
                f"{name} must be [lon, lat] number pairs; item {i} is {shown(item)}"
                + (f": {', '.join(shown(v) for v in item[:3])}." if isinstance(item, list) else ".")
            )


def parse_point_list(items: list[Any]) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    """(lon, lat, ids) of a JSON list of ``[lon, lat]`` pairs or ``{lon, lat, id}`` objects.

    Every item must have the form of the first; lon and lat must be JSON numbers (a boolean,
    a string, a third number or a flat ``[lon, lat, lon, lat]`` list is refused, naming the
    item by its index). Ranges are not checked here. ``ids`` is None for pairs, and for
    objects none of which has an id; a missing id is the point's index.
    """
    n = len(items)
    lon, lat = np.empty(n), np.empty(n)
    objects = n > 0 and isinstance(items[0], dict)
    ids: list[str] = []
    for i, item in enumerate(items):
        if objects:
            if not isinstance(item, dict) or "lon" not in item or "lat" not in item:
                raise BadQuery(
                    f"point {i}: each point object needs lon and lat, got {shown(item)}."
                )
            x, y = item["lon"], item["lat"]
            ids.append(text(item.get("id"), f"point {i}: id") or str(i))
        elif isinstance(item, list) and len(item) == 2:
            x, y = item
        else:
            raise BadQuery(f"point {i}: points must be [lon, lat] number pairs, got {shown(item)}.")
        if not (is_number(x) and is_number(y)):
            form = (
                "lon and lat must be numbers"
                if objects
                else "points must be [lon, lat] number pairs"
            )
            raise BadQuery(f"point {i}: {form}, got {shown(x)}, {shown(y)}.")
        lon[i], lat[i] = x, y
    has_ids = objects and any("id" in item for item in items)
    return lon, lat, ids if has_ids else None


def parse_filters(args: Mapping[str, Any]) -> Filters:
    """kind, amenities (comma list or JSON list), include_unknown and open_at from a mapping."""
    return Filters(
        kind=parse_kind(text(args.get("kind"), "kind")),
        amenities=parse_amenities(text_list(args.get("amenities"), "amenities")),
        include_unknown=parse_bool(
            "include_unknown", text(args.get("include_unknown"), "include_unknown")
        ),
        open_at=parse_datetime("open_at", text(args.get("open_at"), "open_at")),
        confirmed_since=parse_months_ago(
            "confirmed_months", text(args.get("confirmed_months"), "confirmed_months")
        ),
    )


MAX_CONFIRMED_MONTHS = 120


def parse_months_ago(name: str, value: str | None, today: dt.date | None = None) -> dt.date | None:
    """The day ``value`` (1–120) calendar months before ``today`` (UTC; the last day of a
    shorter month when the day does not exist); None when absent."""
    if value is None or value == "":
        return None
    months = parse_int(name, value, 0, 1, MAX_CONFIRMED_MONTHS)
    today = today or dt.datetime.now(dt.UTC).date()
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    month += 1
    last_day = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(today.day, last_day))
