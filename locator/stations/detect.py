"""Which reader a station file needs, found from its content (``locator validate`` and
``locator import``).

The web forms keep :func:`~locator.stations.readers.read_raw`: the extension declares
one of four formats and the content must agree. The command line reads what an operator
hands it, so :func:`read_detected` looks only at the content, and its ``detected`` line
says what it found (and when the name says otherwise):

1. the same refusals as :mod:`~locator.stations.sniff` (GDAL virtual paths, anything but
   a regular file, files beyond ``UPLOAD_MAX_BYTES``, empty files, a GDAL VRT or other
   XML, old or encrypted Excel, UTF-16, unknown binary data);
2. an OpenStreetMap PBF file by its first block (an ``OSMHeader`` blob);
3. an XLSX workbook or a GeoPackage by its magic bytes, as today;
4. JSON by the first of its list members: ``"pois": [`` an Amap place search answer,
   ``"results": [`` a Baidu Place API answer, ``"elements": [`` an Overpass answer,
   ``"features": [`` or ``"type": "Feature..."`` GeoJSON (also the fall-back, whose
   reader then says what is missing); the chosen reader checks the whole structure;
5. other text: the CSV reader, unless the first lines are tab-separated, have a combined
   "lng,lat" coordinate column, or have no known header, which
   :mod:`~locator.stations.delimited` reads (or refuses: "cannot tell which column is
   which").
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from locator.errors import DataError
from locator.stations.amap import read_amap_json
from locator.stations.baidu import read_baidu_json
from locator.stations.delimited import read_delimited, wants_this_reader
from locator.stations.limits import DEFAULT_LIMITS, Budget, ReadLimits, limit_error
from locator.stations.osm import read_overpass
from locator.stations.osm_pbf import is_pbf, read_osm_pbf
from locator.stations.readers import RawTable, read_as
from locator.stations.sniff import FORMATS, HEAD_BYTES, LABELS, check_path, content_format

DETECTED_LABELS = {
    "csv": "CSV text",
    "xlsx": "an XLSX workbook",
    "geojson": "GeoJSON",
    "gpkg": "a GeoPackage",
}
RECORD_READERS = {
    "amap_json": read_amap_json,
    "baidu_json": read_baidu_json,
    "overpass": read_overpass,
    "osm_pbf": read_osm_pbf,
}
# Detected format -> the format its usual extension declares (see sniff.FORMATS).
FAMILY = {"delimited": "csv", "amap_json": "geojson", "baidu_json": "geojson"}
FAMILY |= {"overpass": "geojson", "osm_pbf": "pbf"}
_JSON_MARKS = re.compile(
    rb'"(pois|results|elements|features)"\s*:\s*\[|"type"\s*:\s*"(Feature)(?:Collection)?"'
)
_JSON_FORMATS = {
    b"pois": "amap_json",
    b"results": "baidu_json",
    b"elements": "overpass",
    b"features": "geojson",
    b"Feature": "geojson",
}


def json_flavour(head: bytes) -> str:
    """The JSON format whose list member (or GeoJSON type) comes first in ``head``."""
    found = _JSON_MARKS.search(head)
    if found is None:
        return "geojson"
    return _JSON_FORMATS[found.group(1) or found.group(2)]


def _first_lines(head: bytes, count: int = 2) -> list[str]:
    """The first ``count`` filled lines of text (undecodable bytes dropped)."""
    text = head.decode("utf-8-sig", errors="ignore")
    if "\ufffd" in head.decode("utf-8", errors="replace"):
        text = head.decode("gb18030", errors="ignore")
    return [line for line in text.splitlines() if line.strip()][:count]


def detect_format(path: Path, name: str, limits: ReadLimits) -> str:
    """The format of ``path``'s content: csv, delimited, xlsx, geojson, gpkg, amap_json,
    baidu_json, overpass or osm_pbf. DataError for content no reader takes."""
    check_path(path, name)
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise limit_error(name, limits, "max_bytes", f"the file has {size:,} bytes")
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    if is_pbf(head):
        return "osm_pbf"
    found = content_format(head, size, name)
    if found in ("xlsx", "gpkg"):
        return found
    if found == "geojson":
        return json_flavour(head)
    if found == "csv":
        return "delimited" if wants_this_reader(_first_lines(head)) else "csv"
    raise DataError(
        f"{name}: the content is {LABELS[found]}; locator reads CSV or tab-separated text, "
        "XLSX, GeoJSON, GeoPackage, Amap, Baidu or Overpass JSON and .osm.pbf."
    )


def _name_note(path: Path, kind: str) -> str:
    """ " (the name says CSV text)" when the extension declares another format."""
    declared = FORMATS.get(path.suffix.lower())
    if path.name.lower().endswith(".osm.pbf") or declared in (None, FAMILY.get(kind, kind)):
        return ""
    return f" (the name says {LABELS[declared]})"


def read_detected(
    path: str | Path, *, limits: ReadLimits = DEFAULT_LIMITS, coordinates: str | None = None
) -> RawTable:
    """Read ``path`` with the reader its content needs; ``detected`` says which.

    ``coordinates`` chooses among several combined "lng,lat" columns of a text export
    (a header, or a datum name such as gcj02); DataError when given for another format.
    """
    path = Path(path)
    kind = detect_format(path, path.name, limits)
    if coordinates is not None and kind != "delimited":
        raise DataError(
            f'{path.name}: --coords chooses among combined "lng,lat" columns of a text '
            "export; this file has none."
        )
    budget = Budget(path.name, limits)
    if kind in RECORD_READERS:
        raw = RECORD_READERS[kind](path, path.name, limits, budget)
    elif kind == "delimited":
        raw = read_delimited(path, path.name, limits, budget, coordinates)
    else:
        raw = read_as(path, kind, limits)
        crs = f", CRS {raw.file_crs}" if raw.file_crs else ""
        label = f"{DETECTED_LABELS[kind]}, {len(raw.cells):,} {raw.row_label}(s){crs}"
        raw = replace(raw, detected=label)
    return replace(raw, detected=raw.detected + _name_note(path, kind))
