"""Every hostile file, in every slot a file can come through, is refused cleanly and fast.

The slots are the readers behind each upload field and command: stations (``locator
validate`` / ``import``), plan candidates, plan demand, exclusion zones and quotas. A
refusal is a DataError (TooLarge, 413, for size limits) whose message names the file and
nothing else of the server: no path, no SQL, no file content, no fetched content.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from locator.errors import DataError, TooLarge
from locator.planning.demand_points import from_points
from locator.planning.inputs import read_candidates, read_exclusions
from locator.planning.quotas import read_quotas
from locator.regions import Regions
from locator.stations.readers import read_raw
from locator.stations.sniff import FORMATS
from locator.stations.validation import parse_stations
from tests.conftest import DATA
from tests.hostile import corpus

BUDGET_S = 3.0  # per file and slot; most take milliseconds
ALL = ("csv", "xlsx", "geojson", "gpkg")
SLOTS: dict[str, tuple[tuple[str, ...], Callable[[Path, Regions], object]]] = {
    "stations": (ALL, lambda p, regions: parse_stations(read_raw(p), regions)),
    "candidates": (ALL, lambda p, regions: read_candidates(p, regions, "warm_heart", None)),
    "demand": (ALL, lambda p, regions: from_points(p, DATA)),
    "exclusions": (("geojson", "gpkg"), lambda p, regions: read_exclusions(p)),
    "quotas": (("csv", "xlsx"), lambda p, regions: read_quotas(p, regions.districts)),
}
FORMAT = FORMATS  # extension -> format, as the readers declare it
# What the message must say, where the slot takes the file's format: (status, fragment).
EXPECTED = {
    "vrt_": (422, "GDAL VRT document"),
    "bom_only": (422, "the file is empty"),
    "empty": (422, "the file is empty"),
    "junk": (422, "binary data"),
    "utf16": (422, "UTF-16"),
    "last_row_bomb": (413, "UPLOAD_MAX_ROWS"),
    "wide_row": (413, "UPLOAD_MAX_COLUMNS"),
    "unzipped_bomb": (413, "UPLOAD_MAX_UNZIPPED_BYTES"),
    "many_parts": (413, "UPLOAD_MAX_ZIP_ENTRIES"),
    "zip_in_zip": (422, "holds another archive"),
    "lying_sizes": (422, "a broken zip archive"),
    "billion_laughs": (422, "declares a DTD"),
    "deep_": (422, "UPLOAD_MAX_DEPTH"),
    "no_geometry": (422, "no feature has a geometry"),
    "attributes_only": (422, "no feature has a geometry"),
    "not_geojson": (422, "FeatureCollection"),
    "plain_sqlite": (422, "without the GeoPackage application id"),
    "fake_gpkg": (422, "not a GeoPackage"),
}
FORBIDDEN = (
    "root:",
    "/etc/",
    "SELECT",
    "sqlite3_",
    "127.0.0.1",
    corpus.SECRET_BODY,
    "np.float64",
    "Traceback",
)


def check_message(exc: DataError, name: str, folder: Path) -> None:
    """One clean line naming the file and nothing of the server."""
    text = exc.message
    assert text.startswith(name) or name in text, text
    assert "\n" not in text and len(text) < 400, text
    assert str(folder) not in text, text
    for word in FORBIDDEN:
        assert word not in text, (word, text)


@pytest.mark.parametrize("name", [n for n in corpus.NAMES if n not in corpus.READABLE])
def test_every_slot_refuses_the_file_cleanly(name: str, hostile: dict[str, Path], regions) -> None:
    path = hostile[name]
    expected = next((v for k, v in EXPECTED.items() if name.startswith(k)), None)
    for slot, (formats, read) in SLOTS.items():
        started = time.monotonic()
        with pytest.raises(DataError) as caught:
            read(path, regions)
        assert time.monotonic() - started < BUDGET_S, (slot, name)
        check_message(caught.value, name, path.parent)
        if expected is not None and FORMAT[path.suffix] in formats:
            status, fragment = expected
            assert (caught.value.status, fragment in caught.value.message) == (status, True), (
                slot,
                caught.value.message,
            )
            assert isinstance(caught.value, TooLarge) == (status == 413)


def test_no_slot_ever_opened_a_url(hostile: dict[str, Path], regions, watcher) -> None:
    for name in [n for n in hostile if n.startswith("vrt_curl")]:
        for _, read in SLOTS.values():
            with pytest.raises(DataError):
                read(hostile[name], regions)
    assert watcher.connections == 0


def test_a_sheet_claiming_a1_to_xfd1048576_is_read_as_the_rows_it_has(hostile, regions) -> None:
    started = time.monotonic()
    raw = read_raw(hostile["dimension_bomb.xlsx"])
    assert time.monotonic() - started < 1.0
    assert raw.cells.shape == (2, 4) and raw.row_numbers.tolist() == [2, 3]
    result = parse_stations(raw, regions)
    assert result.errors == () and result.stations["name"].tolist() == ["东单驿站", "国贸驿站"]


@pytest.mark.parametrize("name", ["blank_headers.xlsx", "blank_headers.csv"])
def test_blank_header_cells_give_a_report_not_a_crash(name: str, hostile, regions) -> None:
    result = parse_stations(read_raw(hostile[name]), regions)
    assert result.errors == ()
    assert result.stations["name"].tolist() == ["东单驿站"]
    ignored = [p for p in result.warnings if p.code == "ignored_column"]
    assert [p.column for p in ignored] == ["column B"]  # C is blank throughout: dropped


def test_a_geopackage_claiming_two_billion_features_reads_the_three_it_has(hostile) -> None:
    raw = read_raw(hostile["count_lies.gpkg"])
    assert raw.cells["name"].tolist() == ["a", "b", "c"]
