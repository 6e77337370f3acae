"""Amap (高德) Web Service answers: the place search's POI JSON, in GCJ-02.

A saved answer of the Amap Web Service place search (``/v3/place/text``,
``/v3/place/around``, ``/v5/place/...``) looks like::

    {"status": "1", "info": "OK", "count": "1",
     "pois": [{"id": "B0FFxxxxxx", "name": "...", "type": "大类;中类;小类",
               "address": "...", "location": "120.153576,30.287459",
               "tel": "0571-1234;0571-5678"}]}

Each POI becomes one row, numbered from 1 in the ``pois`` list. Read: ``id``, ``name``,
``address``, ``location`` ("lng,lat", split into lon and lat), ``tel`` (or v5's
``business.tel``; several numbers stay ";"-separated) and ``type``, whose middle
category (中类, e.g. 加油站 in "汽车服务;加油站;中国石化") becomes the host type. Amap
writes an empty member as ``[]``; it reads as blank. Other members (typecode, adcode,
pname, ...) are not station fields: the district is found from the point, as for every
file. The file's datum is GCJ-02, which Amap always answers in (``--crs`` overrides it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from locator.stations.geojson import json_document
from locator.stations.layer import check_shape
from locator.stations.limits import Budget, ReadLimits
from locator.stations.readers import RawTable
from locator.stations.records import (
    CHECK_EVERY,
    answer_error,
    members,
    pair_cells,
    record,
    record_raw,
    text_of,
)

AMAP_DATUM = "gcj02"


def amap_category(type_text: str) -> str:
    """The middle category of an Amap ``type`` ("大类;中类;小类"), else its first part.

    A POI with several types ("a;b;c|d;e;f") is taken by its first.
    """
    first = type_text.split("|", 1)[0]
    parts = [p.strip() for p in first.split(";") if p.strip()]
    return parts[1] if len(parts) > 1 else (parts[0] if parts else "")


def phones(text: str) -> str:
    """Phone numbers separated by ";" (Amap's and OpenStreetMap's separator), each trimmed."""
    return ";".join(p.strip() for p in text.replace("；", ";").split(";") if p.strip())


def _poi_row(poi: dict[str, Any]) -> dict[str, str]:
    """The canonical cells of one POI."""
    business = poi.get("business")
    tel = text_of(poi.get("tel"))
    if not tel and isinstance(business, dict):
        tel = text_of(business.get("tel"))
    lon, lat = pair_cells(text_of(poi.get("location")))
    return {
        "id": text_of(poi.get("id")),
        "name": text_of(poi.get("name")),
        "lon": lon,
        "lat": lat,
        "address": text_of(poi.get("address")),
        "phone": phones(tel),
        "host_type": amap_category(text_of(poi.get("type"))),
    }


def read_amap_json(path: Path, name: str, limits: ReadLimits, budget: Budget) -> RawTable:
    """The POIs of a saved Amap place search answer, one row each (datum GCJ-02).

    DataError when the answer reports a failure (``status`` "0"), has no ``pois`` list
    or a POI is not an object; TooLarge past a limit.
    """
    doc = json_document(path.read_bytes(), name, limits, "Amap JSON")
    if isinstance(doc, dict) and str(doc.get("status", "1")) == "0":
        raise answer_error(name, "Amap", doc.get("status"), doc.get("info"))
    pois = members(doc, "pois", name, "an Amap place search answer")
    check_shape(name, limits, len(pois), 0)
    rows = []
    for i, poi in enumerate(pois):
        if i % CHECK_EVERY == 0:
            budget.check()
        rows.append(_poi_row(record(poi, i + 1, name, "POI")))
    return record_raw(
        name,
        rows,
        range(1, len(rows) + 1),
        limits=limits,
        row_label="POI",
        file_crs=AMAP_DATUM,
        detected=f"Amap POI JSON, {len(rows):,} POI(s), datum GCJ-02",
    )
