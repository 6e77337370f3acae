"""Baidu Maps (百度地图) Place API answers: ``results[].location`` in BD-09 unless told.

A saved answer of the Baidu Place API v2/v3 search looks like::

    {"status": 0, "message": "ok",
     "results": [{"uid": "...", "name": "...", "address": "...", "telephone": "...",
                  "location": {"lat": 30.29, "lng": 120.16}}]}

Each result becomes one row, numbered from 1 in the ``results`` list; ``uid``, ``name``,
``address``, ``telephone`` and ``location`` are read. The Place API answers in BD-09
(``bd09ll``) unless the request asked otherwise (``ret_coordtype``). The datum is taken,
most specific first, from a result's own ``coord_type``, the answer's ``coord_type`` or
``ret_coordtype`` member (Baidu's names ``bd09ll``, ``bd09mc``, ``gcj02ll``, ``wgs84ll``,
or the Place API's codes 1 to 4), else BD-09, except that a location in metres (beyond
360) can only be Baidu Mercator (``bd09mc``, e.g. lng 12934801, lat 4825923), the one
planar system Baidu answers in; the detection line says which rule applied.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from locator.errors import DataError
from locator.stations.geojson import json_document
from locator.stations.layer import cell_text, check_shape
from locator.stations.limits import Budget, ReadLimits, excerpt
from locator.stations.readers import RawTable
from locator.stations.records import (
    CHECK_EVERY,
    answer_error,
    members,
    record,
    record_raw,
    text_of,
)

DEFAULT_DATUM = "bd09"
# Baidu's coordinate type names and Place API codes -> locator's datum names.
BAIDU_DATUMS = {
    "bd09ll": "bd09",
    "bd09": "bd09",
    "bd09mc": "bd09mc",
    "gcj02ll": "gcj02",
    "gcj02": "gcj02",
    "wgs84ll": "wgs84",
    "wgs84": "wgs84",
    "1": "wgs84",
    "2": "gcj02",
    "3": "bd09",
    "4": "bd09mc",
}
DATUM_KEYS = ("coord_type", "ret_coordtype")
DEGREES_MAX = 360.0  # a larger |lng| or |lat| is in metres


def baidu_datum(value: object, name: str, where: str) -> str | None:
    """locator's datum name for a Baidu coordinate type (None when ``value`` is blank);
    DataError naming ``where`` for a type Baidu does not have."""
    text = cell_text(value).strip().lower()
    if not text:
        return None
    if text not in BAIDU_DATUMS:
        raise DataError(
            f"{name}: {where} has coord_type {excerpt(text)!r}; Baidu's types are "
            "bd09ll, bd09mc, gcj02ll and wgs84ll (or 1 to 4)."
        )
    return BAIDU_DATUMS[text]


def _in_metres(lon: str, lat: str) -> bool:
    """Whether a location's numbers are beyond any degree value (Baidu Mercator metres)."""
    try:
        values = [abs(float(v)) for v in (lon, lat) if v]
    except ValueError:
        return False
    return any(math.isfinite(v) and v > DEGREES_MAX for v in values)


def _result_row(result: dict[str, Any], number: int, name: str) -> tuple[dict[str, str], str]:
    """The canonical cells of one result, and its own datum ("" when it names none)."""
    location = result.get("location")
    where = location if isinstance(location, dict) else {}
    own = baidu_datum(result.get("coord_type"), name, f"result {number}")
    row = {
        "id": text_of(result.get("uid")),
        "name": text_of(result.get("name")),
        "lon": text_of(where.get("lng")),
        "lat": text_of(where.get("lat")),
        "address": text_of(result.get("address")),
        "phone": text_of(result.get("telephone")),
    }
    return row, own or ""


def _document_datum(doc: dict[str, Any], name: str) -> str | None:
    """The datum the whole answer names, if it names one."""
    for key in DATUM_KEYS:
        found = baidu_datum(doc.get(key), name, "the answer")
        if found:
            return found
    return None


def _datum_note(kinds: list[str], named: bool) -> str:
    """ "datum bd09 (Baidu's default)" and the like, for the detection line."""
    if named:
        how = "named in the answer"
    elif "bd09mc" in kinds:
        how = "metres, so Baidu Mercator; degrees are Baidu's default bd09"
    else:
        how = "Baidu's default"
    return f"datum {', '.join(kinds) or DEFAULT_DATUM} ({how})"


def read_baidu_json(path: Path, name: str, limits: ReadLimits, budget: Budget) -> RawTable:
    """The results of a saved Baidu Place API answer, one row each, with their datum.

    When every row has the same datum it is the file's (``--crs`` overrides it);
    otherwise each row gets a ``crs`` cell, as in a file that mixes datums per row.
    """
    doc = json_document(path.read_bytes(), name, limits, "Baidu JSON")
    if isinstance(doc, dict) and str(doc.get("status", "0")) not in ("0", "ok"):
        raise answer_error(name, "Baidu", doc.get("status"), doc.get("message"))
    results = members(doc, "results", name, "a Baidu Place API answer")
    check_shape(name, limits, len(results), 0)
    answer = _document_datum(doc, name)
    rows, datums, named = [], [], answer is not None
    for i, value in enumerate(results):
        if i % CHECK_EVERY == 0:
            budget.check()
        row, own = _result_row(record(value, i + 1, name, "result"), i + 1, name)
        metres = "bd09mc" if _in_metres(row["lon"], row["lat"]) else DEFAULT_DATUM
        rows.append(row)
        datums.append(own or answer or metres)
        named = named or bool(own)
    kinds = sorted(set(datums))
    if len(kinds) > 1:
        for row, datum in zip(rows, datums, strict=True):
            row["crs"] = datum
    return record_raw(
        name,
        rows,
        range(1, len(rows) + 1),
        limits=limits,
        row_label="result",
        file_crs=kinds[0] if len(kinds) == 1 else None,
        detected=f"Baidu Place API JSON, {len(rows):,} result(s), {_datum_note(kinds, named)}",
    )
