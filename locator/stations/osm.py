"""OpenStreetMap objects as stations: the tag table, and Overpass API JSON.

:data:`OSM_TAGS` is the one table that maps OpenStreetMap tags to station fields and to
the amenity vocabulary (:mod:`locator.amenities`); both OSM readers (this module's
Overpass reader and :mod:`locator.stations.osm_pbf`) use it through :func:`osm_row`.

Which objects are stations: every node, way or relation with a ``name`` (or
``name:zh``) tag. Objects without a name are parts of the map (a footpath, a lone
bench), not stations; the detection line counts the tagged ones skipped. Coordinates
are WGS84 (OpenStreetMap's datum): a node's own, a way's or relation's ``center``
(Overpass ``out center;``; the .osm.pbf reader averages a way's nodes). The id is
``osm-n<id>``, ``osm-w<id>`` or ``osm-r<id>``, and the source "OpenStreetMap (ODbL)";
data taken from OpenStreetMap must credit "© OpenStreetMap contributors".
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from locator.amenities import NO, YES
from locator.errors import DataError
from locator.stations.geojson import json_document
from locator.stations.layer import cell_text, check_shape
from locator.stations.limits import Budget, ReadLimits
from locator.stations.readers import RawTable
from locator.stations.records import CHECK_EVERY, members, record, record_raw

ANY = "*"
OSM_SOURCE = "OpenStreetMap (ODbL)"
NAME_TAGS = ("name", "name:zh")
TYPE_LETTERS = {"node": "n", "way": "w", "relation": "r"}

# (tag, value) pairs that must all be present -> (station column, cell).
# A value of ANY matches every value; a cell of ANY copies the last tag's value. The
# column is a schema field (name, phone, ...) or an amenity key (toilet, shower, ...).
# For each column the first rule that matches wins, so a more specific or negative
# rule comes first. Tags no rule names are not read.
OSM_TAGS: Mapping[tuple[tuple[str, str], ...], tuple[str, str]] = MappingProxyType({
    (("name", ANY),): ("name", ANY),
    (("name:zh", ANY),): ("name", ANY),
    (("name:en", ANY),): ("name_en", ANY),
    (("opening_hours", ANY),): ("opening_hours", ANY),
    (("phone", ANY),): ("phone", ANY),
    (("contact:phone", ANY),): ("phone", ANY),
    (("addr:full", ANY),): ("address", ANY),
    (("addr:street", ANY),): ("address", ANY),
    (("operator", ANY),): ("host_type", ANY),
    (("toilets", "no"),): ("toilet", NO),
    (("amenity", "toilets"),): ("toilet", YES),
    (("toilets", "yes"),): ("toilet", YES),
    (("drinking_water", "no"),): ("drinking_water", NO),
    (("amenity", "drinking_water"),): ("drinking_water", YES),
    (("drinking_water", "yes"),): ("drinking_water", YES),
    (("shower", "no"),): ("shower", NO),
    (("amenity", "shower"),): ("shower", YES),
    (("shower", "yes"),): ("shower", YES),
    (("shower", "hot"),): ("shower", YES),
    (("amenity", "shelter"),): ("rest_area", YES),
    (("amenity", "parking"), ("hgv", "no")): ("truck_parking", NO),
    (("amenity", "parking"), ("hgv", "yes")): ("truck_parking", YES),
    (("amenity", "parking"), ("hgv", "designated")): ("truck_parking", YES),
    (("internet_access", "no"),): ("wifi", NO),
    (("internet_access", "wlan"),): ("wifi", YES),
    (("internet_access", "yes"),): ("wifi", YES),
    (("air_conditioning", "no"),): ("air_conditioning", NO),
    (("air_conditioning", "yes"),): ("air_conditioning", YES),
    (("shop", "convenience"),): ("convenience_store", YES),
    (("amenity", "restaurant"),): ("food", YES),
    (("amenity", "fast_food"),): ("food", YES),
    (("amenity", "bicycle_repair_station"),): ("repair_tools", YES),
    (("smoking", "isolated"),): ("smoking_area", YES),
    (("smoking", "separated"),): ("smoking_area", YES),
})  # fmt: skip


def _matches(rule: tuple[tuple[str, str], ...], tags: Mapping[str, str]) -> bool:
    """Whether every (tag, value) of ``rule`` is in ``tags`` (ANY: any non-blank value)."""
    return all(
        key in tags and tags[key].strip() and value in (ANY, tags[key].strip())
        for key, value in rule
    )


def osm_row(tags: Mapping[str, str]) -> dict[str, str]:
    """Station cells from an object's tags through :data:`OSM_TAGS` (first rule wins)."""
    row: dict[str, str] = {}
    for rule, (column, cell) in OSM_TAGS.items():
        if column not in row and _matches(rule, tags):
            row[column] = tags[rule[-1][0]].strip() if cell == ANY else cell
    return row


def is_station(tags: Mapping[str, str]) -> bool:
    """Whether tagged object is a station: it has a name."""
    return any(tags.get(key, "").strip() for key in NAME_TAGS)


def station_row(kind: str, osm_id: int, tags: Mapping[str, str], lon: str, lat: str) -> dict:
    """The row of one named object: id, WGS84 lon and lat text, source and mapped tags."""
    cells = {"id": f"osm-{TYPE_LETTERS[kind]}{osm_id}", "lon": lon, "lat": lat}
    return cells | {"source": OSM_SOURCE} | osm_row(tags)


def skipped_note(rows: int, skipped: int, why: str = "no name") -> str:
    """ ", 3 named object(s) read, 2 other tagged object(s) skipped (no name)" for the
    detection line."""
    return f", {rows:,} named object(s) read, {skipped:,} other tagged object(s) skipped ({why})"


def _position(element: dict[str, Any], number: int, name: str) -> tuple[str, str]:
    """A node's lon and lat, else the ``center`` Overpass gives with ``out center``."""
    where = element if element.get("type") == "node" else element.get("center")
    if isinstance(where, dict) and "lat" in where and "lon" in where:
        return cell_text(where["lon"]), cell_text(where["lat"])
    raise DataError(
        f"{name}: element {number} ({element.get('type')} {cell_text(element.get('id'))}) "
        "has no coordinates; run the Overpass query with `out center;`."
    )


def _tags(element: dict[str, Any]) -> dict[str, str]:
    """An element's tags as text (an element without tags has none)."""
    tags = element.get("tags")
    return {str(k): cell_text(v) for k, v in tags.items()} if isinstance(tags, dict) else {}


def read_overpass(path: Path, name: str, limits: ReadLimits, budget: Budget) -> RawTable:
    """The named elements of a saved Overpass API JSON answer, one row each (WGS84).

    Row numbers count every element from 1, so a row can be found in the file.
    """
    doc = json_document(path.read_bytes(), name, limits, "Overpass JSON")
    elements = members(doc, "elements", name, "an Overpass API answer")
    check_shape(name, limits, len(elements), 0)
    rows, numbers, unnamed = [], [], 0
    for i, value in enumerate(elements):
        if i % CHECK_EVERY == 0:
            budget.check()
        element = record(value, i + 1, name, "element")
        tags = _tags(element)
        kind = element.get("type")
        if not is_station(tags) or kind not in TYPE_LETTERS:
            unnamed += bool(tags)
            continue
        lon, lat = _position(element, i + 1, name)
        rows.append(station_row(str(kind), int(element.get("id", 0)), tags, lon, lat))
        numbers.append(i + 1)
    return record_raw(
        name,
        rows,
        numbers,
        limits=limits,
        row_label="element",
        file_crs=None,
        detected="OpenStreetMap Overpass JSON" + skipped_note(len(rows), unnamed),
    )
