"""Tab- or comma-separated exports as crawlers write them, with combined "lng,lat" columns.

Crawls of Amap (and Baidu) are saved as text tables whose coordinates are one cell,
"120.153576,30.287459" (quoted in a comma-separated file), sometimes in three columns
for WGS84, GCJ-02 and BD-09, and sometimes without a header row. This reader:

* takes tabs as the separator when the first line has one, else commas, and reads the
  cells with Python's csv module, bounded like every reader (rows, columns, cells, time);
* requires a header: when no cell of the first row names a known column (a station
  field, an amenity or a coordinate column), it refuses the file with "cannot tell which
  column is which", listing the columns it saw. It never guesses from the values;
* finds the combined coordinate columns by header (:func:`coordinate_column`: location,
  lnglat, 经纬度, 坐标 ... optionally with a datum: ``wgs84_location``, ``经纬度(GCJ02)``,
  ``坐标_百度``; a header that is only a datum name, such as ``gcj02``, counts too),
  reads the one chosen (``coordinates``: a header or a datum name; by default the
  GCJ-02 one, as Amap answered it, else WGS84, else BD-09, else the first) into ``lon``
  and ``lat``, and drops the others. A header's datum becomes the file's (``--crs``
  overrides it); a column without one is WGS84 unless ``--crs`` says otherwise, as for
  every file, and the detection line says so;
* reads an Amap ``type``/``类型`` column whose cells are "大类;中类;小类" as the host type
  (its middle category), not as the station kind; a cell "[]" (Amap's empty member) as
  blank; and several phone numbers as ";"-separated.

A per-row datum column (``crs``, ``坐标系``, ``coord_type``) still gives each row's datum.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from locator import coords
from locator.amenities import header_key
from locator.errors import CoordinateError, DataError
from locator.schema import header_field, normalise_header
from locator.stations.amap import amap_category, phones
from locator.stations.limits import Budget, ReadLimits, excerpt, limit_error
from locator.stations.readers import RawTable, decode_text, tidy
from locator.stations.records import pair_cells, split_pair
from locator.stations.xlsx import header_names

CHECK_EVERY = 2_000  # rows between two looks at the clock
SHOWN_COLUMNS = 8  # columns a headerless error lists
HEAD_CHARS = 65_536  # text searched for the first filled line
COORDINATE_WORDS = frozenset(
    ("location", "lnglat", "lonlat", "latlng", "coordinates", "coordinate", "coords", "coord",
     "经纬度", "坐标", "位置", "gps坐标", "经纬度坐标", "poi坐标")
)  # fmt: skip
DATUM_WORDS = (  # order matters: bd09mc before bd09
    ("bd09mc", r"bd-?09-?mc|百度墨卡托|baidu ?mercator"),
    ("bd09", r"bd-?09(?:ll)?|百度|baidu"),
    ("gcj02", r"gcj-?02(?:ll)?|高德|火星|amap|gaode"),
    ("wgs84", r"wgs-?84(?:ll)?|gps"),
)
PREFERENCE = ("gcj02", "wgs84", "bd09", "bd09mc", None)
_PUNCTUATION = re.compile(r"[\s_\-()（）\[\]【】:：/.]+")
TYPE_HEADERS = ("type", "类型", "poi类型", "分类", "类别")


def coordinate_column(header: str) -> tuple[bool, str | None]:
    """(is a combined coordinate column, its datum or None) from a column header."""
    text = normalise_header(header)
    datum = None
    for name, pattern in DATUM_WORDS:
        found = re.search(pattern, text)
        if found:
            datum, text = name, text[: found.start()] + " " + text[found.end() :]
            break
    core = _PUNCTUATION.sub("", text)
    return (core in COORDINATE_WORDS or (datum is not None and core == "")), datum


def delimiter(first_line: str) -> str:
    """Tab when the first line has one, else comma."""
    return "\t" if "\t" in first_line else ","


def known_header(cell: str) -> bool:
    """Whether a header cell names a station field, an amenity or a coordinate column."""
    return bool(header_field(cell) or header_key(cell) or coordinate_column(cell)[0])


def wants_this_reader(lines: list[str]) -> bool:
    """Whether text whose first lines are ``lines`` needs this reader rather than the CSV
    one: tab-separated, without a known header, or with a combined coordinate column."""
    if not lines:
        return False
    sep = delimiter(lines[0])
    rows = list(csv.reader(lines[:2], delimiter=sep))
    header = rows[0] if rows else []
    if sep == "\t" or not any(known_header(c) for c in header):
        return True
    cells = [c for row in rows for c in row]
    return any(coordinate_column(c)[0] or split_pair(c) for c in cells)


def _records(
    lines: Iterable[list[str]], name: str, limits: ReadLimits, budget: Budget
) -> tuple[list[list[str]], list[int]]:
    """The filled rows and their line numbers; bounded in rows, columns, cells and time."""
    kept: list[list[str]] = []
    numbers: list[int] = []
    cells = 0
    try:
        for number, row in enumerate(lines, start=1):
            if number % CHECK_EVERY == 0:
                budget.check()
            if len(row) > limits.max_columns:
                raise limit_error(name, limits, "max_columns", f"a row has {len(row):,} columns")
            if not any(c.strip() for c in row):
                continue
            cells += len(row)
            if cells > limits.max_cells:
                raise limit_error(name, limits, "max_cells")
            if len(kept) > limits.max_rows:
                raise limit_error(name, limits, "max_rows")
            kept.append(row)
            numbers.append(number)
    except csv.Error as exc:
        raise DataError(f"{name}: not a readable text table ({excerpt(exc, 80)}).") from None
    return kept, numbers


def headerless_error(name: str, first: list[str]) -> DataError:
    """ "cannot tell which column is which", naming the columns of the first row."""
    from openpyxl.utils import get_column_letter

    shown = [f"{get_column_letter(i + 1)} {excerpt(c, 24)!r}" for i, c in enumerate(first)]
    more = f" and {len(first) - SHOWN_COLUMNS} more" if len(first) > SHOWN_COLUMNS else ""
    return DataError(
        f"{name}: cannot tell which column is which: no cell of the first row names a "
        f"column locator knows. The columns it saw: {', '.join(shown[:SHOWN_COLUMNS])}{more}. "
        "Add a header row naming them (e.g. 名称, 地址, 经纬度 or name, address, location), "
        "or rename the headers."
    )


def _choose(pairs: list[tuple[str, str | None]], wanted: str | None, name: str) -> int:
    """The index in ``pairs`` of the coordinate column to read."""
    if wanted is None:
        return min(range(len(pairs)), key=lambda i: (PREFERENCE.index(pairs[i][1]), i))
    key = normalise_header(wanted)
    for i, (column, _) in enumerate(pairs):
        if normalise_header(column) == key:
            return i
    try:
        datum = coords.parse_crs(wanted)
    except CoordinateError:
        datum = None
    for i, (_, found) in enumerate(pairs):
        if found is not None and found == datum:
            return i
    listed = ", ".join(repr(c) for c, _ in pairs) or "none"
    raise DataError(
        f"{name}: no coordinate column {excerpt(wanted)!r}; its coordinate columns are {listed}."
    )


def _combine(
    cells: pd.DataFrame, wanted: str | None, name: str
) -> tuple[pd.DataFrame, str | None, str]:
    """Split the chosen "lng,lat" column into lon and lat, drop the other coordinate
    columns; return the cells, the chosen column's datum and a note for the detection line."""
    found = [(c, coordinate_column(c)) for c in cells.columns]
    pairs = [(c, datum) for c, (yes, datum) in found if yes]
    if not pairs:
        if wanted is not None:
            raise DataError(f'{name}: it has no combined "lng,lat" column to choose.')
        return cells, None, "separate lon/lat columns"
    column, datum = pairs[_choose(pairs, wanted, name)]
    split = [pair_cells(v) for v in cells[column].tolist()]
    out = cells.drop(columns=[c for c, _ in pairs])
    out.insert(0, "lat", [p[1] for p in split])
    out.insert(0, "lon", [p[0] for p in split])
    said = (
        f"datum {datum} from its header" if datum else "no datum in its header: wgs84 unless --crs"
    )
    others = [repr(c) for c, _ in pairs if c != column]
    rest = f"; not read: {', '.join(others)}" if others else ""
    return out, datum, f"coordinates from column {column!r} ({said}){rest}"


def _amap_cells(cells: pd.DataFrame) -> pd.DataFrame:
    """Amap's ways in a crawl: "[]" (its empty member) is blank, phone numbers are
    ";"-separated, and a type column ("大类;中类;小类" cells) is the host type."""
    cells = cells.replace("[]", "")
    for column in cells.columns:
        if header_field(column) == "phone":
            cells[column] = cells[column].map(phones)
    for column in cells.columns:
        values = cells[column]
        if normalise_header(column) in TYPE_HEADERS and values.str.contains(";").any():
            cells[column] = values.map(amap_category)
            return cells.rename(columns={column: "host_type"})
    return cells


def read_delimited(
    path: Path, name: str, limits: ReadLimits, budget: Budget, coordinates: str | None = None
) -> RawTable:
    """The rows of a tab- or comma-separated export below its header (row 1).

    ``coordinates`` chooses among several combined coordinate columns (a header or a
    datum name). DataError for a file without a header, TooLarge past a limit.
    """
    text = decode_text(path.read_bytes(), name).lstrip("\ufeff")
    sep = delimiter(next((t for t in text[:HEAD_CHARS].splitlines() if t.strip()), ""))
    lines = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    rows, numbers = _records(lines, name, limits, budget)
    if not rows:
        raise DataError(f"{name}: the file is empty.")
    if not any(known_header(c) for c in rows[0]):
        raise headerless_error(name, rows[0])
    width = max(len(r) for r in rows)
    body = [r + [""] * (width - len(r)) for r in rows[1:]]
    header = header_names(rows[0] + [""] * (width - len(rows[0])))
    cells = pd.DataFrame(body, columns=header, dtype=object)
    cells, datum, note = _combine(cells, coordinates, name)
    table = tidy(_amap_cells(cells))
    kind = "tab-separated" if sep == "\t" else "comma-separated"
    return RawTable(
        name,
        table,
        np.asarray(numbers[1:], dtype=np.int64),
        "row",
        datum,
        f"{kind} text table with a header, {len(body):,} row(s), {note}",
    )
