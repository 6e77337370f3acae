"""OpenStreetMap ``.osm.pbf`` extracts, read with pyosmium (the ``osmium`` package).

The bytes are read into memory (within ``UPLOAD_MAX_BYTES``) and handed to libosmium as
a buffer of the declared format ``pbf``: libosmium never sees a file name, so it cannot
pick another format from a suffix, read standard input or fetch a URL. Nodes and ways
with a name become rows through :data:`locator.stations.osm.OSM_TAGS`; a way's position
is the mean of its nodes' locations (a
closed way's first node counted once). Relations are counted, not read. Every object
libosmium decodes is counted against ``UPLOAD_MAX_CELLS`` and the clock is checked every
few thousand, so an extract of millions of untagged nodes stops at a limit; libosmium
itself refuses a block that inflates beyond 32 MiB.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from locator.errors import DataError
from locator.stations.layer import cell_text
from locator.stations.limits import Budget, ReadLimits, limit_error
from locator.stations.osm import is_station, skipped_note, station_row
from locator.stations.readers import RawTable
from locator.stations.records import CHECK_EVERY, record_raw

logger = logging.getLogger(__name__)

PBF_FORMAT = "pbf"
PBF_MARK = b"\x0a\x09OSMHeader"  # the first BlobHeader's type, after a 4-byte length


def is_pbf(head: bytes) -> bool:
    """Whether ``head`` starts like an OSM PBF file (the first blob is an OSMHeader)."""
    return head[4 : 4 + len(PBF_MARK)] == PBF_MARK


def _way_position(way: Any) -> tuple[str, str] | None:
    """The mean lon and lat of a way's located nodes (a closed way's first node once), or
    None when none is located."""
    refs = list(way.nodes)
    if len(refs) > 1 and refs[0].ref == refs[-1].ref:
        refs = refs[:-1]
    points = [(n.lon, n.lat) for n in refs if n.location.valid()]
    if not points:
        return None
    lon = sum(p[0] for p in points) / len(points)
    lat = sum(p[1] for p in points) / len(points)
    return cell_text(round(lon, 7)), cell_text(round(lat, 7))


def _position(obj: Any, name: str) -> tuple[str, str]:
    """A node's location or a way's mean; DataError when the extract lacks its nodes."""
    if obj.is_node():
        if obj.location.valid():
            return cell_text(obj.location.lon), cell_text(obj.location.lat)
        found = None
    else:
        found = _way_position(obj)
    if found is None:
        raise DataError(
            f"{name}: {obj.type_str()} {obj.id} has no located nodes in the extract; "
            "cut the extract with complete ways."
        )
    return found


def _objects(data: bytes) -> Any:
    """Every object of the PBF data in file order, ways with node locations."""
    import osmium

    source = osmium.io.FileBuffer(data, PBF_FORMAT)
    pool = osmium.io.ThreadPool(num_threads=1)
    return osmium.FileProcessor(source, thread_pool=pool).with_locations()


def _rows(data: bytes, name: str, limits: ReadLimits, budget: Budget) -> tuple[list, list, int]:
    """(rows, object numbers, tagged objects skipped) of the named nodes and ways."""
    rows: list[dict[str, str]] = []
    numbers: list[int] = []
    skipped = 0
    for number, obj in enumerate(_objects(data), start=1):
        if number % CHECK_EVERY == 0:
            budget.check()
        if number > limits.max_cells:
            raise limit_error(name, limits, "max_cells", "the extract holds more objects")
        if not len(obj.tags):
            continue
        tags = {t.k: t.v for t in obj.tags}
        kind = obj.type_str()
        if kind not in ("n", "w") or not is_station(tags):
            skipped += 1
            continue
        lon, lat = _position(obj, name)
        rows.append(station_row({"n": "node", "w": "way"}[kind], obj.id, tags, lon, lat))
        numbers.append(number)
    return rows, numbers, skipped


def read_osm_pbf(path: Path, name: str, limits: ReadLimits, budget: Budget) -> RawTable:
    """The named nodes and ways of an .osm.pbf extract, one row each (WGS84).

    Row numbers count the objects of the file from 1 in file order (nodes, then ways,
    then relations). DataError when libosmium cannot read the data.
    """
    data = path.read_bytes()
    try:
        rows, numbers, skipped = _rows(data, name, limits, budget)
    except DataError:
        raise
    except Exception:  # libosmium raises RuntimeError and others for broken data
        logger.info("osmium could not read %s", name, exc_info=True)
        raise DataError(f"{name}: not a readable OpenStreetMap .osm.pbf file.") from None
    return record_raw(
        name,
        rows,
        numbers,
        limits=limits,
        row_label="object",
        file_crs=None,
        detected="OpenStreetMap PBF extract"
        + skipped_note(len(rows), skipped, "no name, or a relation"),
    )
