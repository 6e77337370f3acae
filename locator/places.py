"""Place names a driver can type to start or end a route: the shipped districts and places.

Two sources, both shipped in ``data/`` (see data/README.md): the district and county
polygons of the configured region (Chinese names, matched also by their English form
from :func:`locator.names.english`, e.g. "Chaoyang District", each at a representative
point inside its polygon) and the GeoNames places
(pinyin names as GeoNames spells them). A query matches a name or its pinyin, ignoring
case, spaces, hyphens and apostrophes: names that start with it first, then names that
contain it; districts before places, then more populous places first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from locator.errors import BadQuery
from locator.names import english
from locator.regions import Regions

PLACES_FILE = Path("places") / "geonames_places.csv"
MAX_QUERY_CHARS = 40
MAX_LIMIT = 20
_IGNORED = re.compile(r"[\s'’‘`\-·.]+")


@dataclass(frozen=True)
class Place:
    """A named point: ``kind`` is ``district`` or ``place``; lon/lat are WGS84 degrees."""

    name: str
    name_latin: str
    kind: str
    district: str
    lon: float
    lat: float
    population: int


@dataclass(frozen=True)
class Gazetteer:
    """Every place of the region with its search keys (normalised name and pinyin)."""

    places: tuple[Place, ...]
    keys: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class PlaceMatches:
    """The best ``places`` for ``query``, of ``number_matched`` names that matched."""

    query: str
    places: tuple[Place, ...]
    number_matched: int


def normalise(text: str) -> str:
    """Lower case without spaces, hyphens, apostrophes or dots: "Zu’an" -> "zuan"."""
    return _IGNORED.sub("", text).lower()


def load_gazetteer(data_dir: Path, regions: Regions) -> Gazetteer:
    """The districts of ``regions`` and the GeoNames places inside them (districts only
    when ``data_dir`` has no places file)."""
    places: list[Place] = []
    frame = regions.districts
    district_names = {
        str(a): str(n)
        for a, n in zip(frame["district_adcode"], frame["district_name"], strict=True)
    }
    points = frame.geometry.representative_point()
    for name, point in zip(frame["district_name"], points, strict=True):
        places.append(
            Place(str(name), english(str(name)), "district", str(name), point.x, point.y, 0)
        )
    path = data_dir / PLACES_FILE
    if path.exists():
        places += _geonames(path, district_names)
    keys = tuple((normalise(p.name), normalise(p.name_latin)) for p in places)
    return Gazetteer(tuple(places), keys)


def _geonames(path: Path, district_names: dict[str, str]) -> list[Place]:
    """The GeoNames places of ``path`` that lie in one of ``district_names`` (by adcode)."""
    table = pd.read_csv(path, dtype={"district_adcode": str})
    table = table[table["district_adcode"].isin(district_names)]
    return [
        Place(name, name, "place", district_names[adcode], lon, lat, population)
        for name, adcode, lon, lat, population in zip(
            table["name"].astype(str),
            table["district_adcode"],
            table["lon"].astype(float),
            table["lat"].astype(float),
            table["population"].astype(int),
            strict=True,
        )
    ]


def search_places(gazetteer: Gazetteer, query: str, limit: int = 10) -> PlaceMatches:
    """Places whose name or pinyin starts with or contains ``query`` (see the module).

    BadQuery when the query is empty once normalised or longer than MAX_QUERY_CHARS, or
    ``limit`` is outside 1..MAX_LIMIT.
    """
    if len(query) > MAX_QUERY_CHARS:
        raise BadQuery(f"q is longer than {MAX_QUERY_CHARS} characters.")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadQuery(f"limit must be between 1 and {MAX_LIMIT}, got {limit}.")
    q = normalise(query)
    if not q:
        raise BadQuery("q must name a place, e.g. 东城 or Baoji.")
    ranked = []
    for i, (place, keys) in enumerate(zip(gazetteer.places, gazetteer.keys, strict=True)):
        if any(k.startswith(q) for k in keys):
            rank = 0
        elif any(q in k for k in keys):
            rank = 1
        else:
            continue
        ranked.append((rank, place.kind != "district", -place.population, i))
    ranked.sort()
    best = tuple(gazetteer.places[r[-1]] for r in ranked[:limit])
    return PlaceMatches(query, best, len(ranked))
