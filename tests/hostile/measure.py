"""Read every file of a corpus folder in a fresh process and report its memory and time.

``python -m tests.hostile.measure FOLDER`` prints JSON: the peak resident set size (from
``resource.getrusage``, in KiB) after warming up on small valid files of every format,
the peak after reading the whole corpus, and the slowest file in seconds. Run by
``test_memory.py`` in a subprocess so that the peak is this corpus's alone.
"""

from __future__ import annotations

import contextlib
import json
import resource
import sys
import time
from pathlib import Path

import geopandas as gpd
from openpyxl import Workbook
from shapely.geometry import Point

from locator.errors import DataError
from locator.planning.inputs import read_exclusions
from locator.stations.readers import configure_gdal, read_raw


def peak_kib() -> int:
    """The process's peak resident set size so far, in KiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def warm_up(folder: Path) -> None:
    """Load every reader's libraries on small valid files."""
    (folder / "w.csv").write_text("name,lon,lat\na,116.4,39.9\n", encoding="utf-8")
    book = Workbook()
    book.active.append(["name", "lon", "lat"])  # type: ignore[union-attr]
    book.save(folder / "w.xlsx")
    frame = gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(116.4, 39.9)], crs="EPSG:4326")
    frame.to_file(folder / "w.geojson")
    frame.to_file(folder / "w.gpkg")
    for name in ("w.csv", "w.xlsx", "w.geojson", "w.gpkg"):
        read_raw(folder / name)


def main(corpus: Path, scratch: Path) -> dict[str, object]:
    configure_gdal()
    warm_up(scratch)
    baseline = peak_kib()
    slowest = (0.0, "")
    for path in sorted(corpus.iterdir()):
        for read in (read_raw, read_exclusions):
            started = time.monotonic()
            with contextlib.suppress(DataError):
                read(path)
            slowest = max(slowest, (time.monotonic() - started, path.name))
    return {"baseline_kib": baseline, "peak_kib": peak_kib(), "slowest": slowest}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]))))
