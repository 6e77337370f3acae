"""Read station files (CSV, XLSX, GeoJSON, GeoPackage) into a table of text cells.

Readers do not interpret values; :mod:`locator.stations.validation` does. Every cell is a
string ("" for empty), and each row keeps the number a person would look for:

* CSV and XLSX: the spreadsheet row number (the header is row 1);
* GeoJSON and GeoPackage: the feature number, counting from 1.

Files are untrusted. :func:`~locator.stations.sniff.sniff` checks the content against
the extension first, then exactly one reader opens it: CSV with pandas, XLSX with
openpyxl (streaming), GeoJSON with Python's json module and GeoPackage with GDAL's GPKG
driver. Each is bounded by a :class:`~locator.stations.limits.ReadLimits`. Messages name
the file by its name only (a client's upload name, never a server path).

CSV encodings are detected: UTF-8 (with or without a BOM), else GB18030, the
superset of GBK that Chinese Excel exports use.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from locator.errors import DataError
from locator.stations.geojson import read_geojson
from locator.stations.gpkg import configure_gdal, read_gpkg
from locator.stations.layer import Layer, check_shape, point_cells
from locator.stations.limits import DEFAULT_LIMITS, Budget, ReadLimits, excerpt, limit_error
from locator.stations.sniff import FORMATS, HEAD_BYTES, LABELS, content_format, sniff
from locator.stations.xlsx import read_xlsx

__all__ = [
    "SUFFIXES",
    "RawTable",
    "configure_gdal",
    "read_as",
    "read_csv_bytes",
    "read_layer",
    "read_raw",
    "tidy",
]

SUFFIXES = FORMATS  # extension -> format; the web layer lists the keys
VECTOR = ("geojson", "gpkg")
CSV_CHUNK_ROWS = 20_000


@dataclass(frozen=True)
class RawTable:
    """Text cells of one file, the row number of each row, and the file's own CRS.

    ``name`` is the file's name as messages show it (no folders). ``detected`` says what
    :func:`locator.stations.detect.read_detected` found the content to be (the one line
    ``locator validate`` and ``locator import`` print); "" from :func:`read_raw`.
    """

    name: str
    cells: pd.DataFrame
    row_numbers: np.ndarray
    row_label: str
    file_crs: str | None = None
    detected: str = ""


def read_raw(
    path: str | Path,
    *,
    limits: ReadLimits = DEFAULT_LIMITS,
    formats: tuple[str, ...] = ("csv", "xlsx", "geojson", "gpkg"),
) -> RawTable:
    """Read ``path`` with the one reader its (checked) format needs.

    ``formats`` narrows what is accepted (quotas take only CSV and XLSX). Raises
    DataError for an unusable file, TooLarge past a limit of ``limits``.
    """
    path = Path(path)
    kind = _checked_format(path, path.name, limits, formats)
    return read_as(path, kind, limits)


def read_as(path: Path, kind: str, limits: ReadLimits) -> RawTable:
    """Read ``path`` with the reader of ``kind`` (csv, xlsx, geojson or gpkg), whatever
    its name says; the caller has checked the content is that format."""
    name = path.name
    budget = Budget(name, limits)
    if kind == "csv":
        cells = _csv_cells(path.read_bytes(), name, limits, budget)
        return RawTable(name, tidy(cells), np.arange(2, len(cells) + 2), "row")
    if kind == "xlsx":
        cells, numbers = read_xlsx(path, name, limits, budget)
        return RawTable(name, tidy(cells), numbers, "row")
    layer = _read_vector(path, name, kind, limits, budget)
    cells = point_cells(layer)
    return RawTable(name, tidy(cells), np.arange(1, len(cells) + 1), "feature", layer.crs)


def read_layer(path: str | Path, *, limits: ReadLimits = DEFAULT_LIMITS) -> Layer:
    """The features of a GeoJSON or GeoPackage file (for zones, which are polygons)."""
    path = Path(path)
    name = path.name
    kind = _checked_format(path, name, limits, VECTOR)
    return _read_vector(path, name, kind, limits, Budget(name, limits))


def _checked_format(path: Path, name: str, limits: ReadLimits, formats: tuple[str, ...]) -> str:
    kind = sniff(path, name, limits)
    if kind not in formats:
        wanted = sorted(s for s, f in FORMATS.items() if f in formats)
        raise DataError(f"{name}: this file must be one of {', '.join(wanted)}.")
    return kind


def _read_vector(path: Path, name: str, kind: str, limits: ReadLimits, budget: Budget) -> Layer:
    if kind == "geojson":
        return read_geojson(path, name, limits, budget)
    return read_gpkg(path, name, limits, budget)


def detect_encoding(data: bytes, name: str) -> str:
    """The encoding of CSV bytes: UTF-8 (BOM optional), else GB18030."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    raise DataError(
        f"{name}: the file is neither UTF-8 nor GBK/GB18030 text; save it again as CSV UTF-8."
    )


def decode_text(data: bytes, name: str) -> str:
    """Decode CSV bytes as UTF-8 (BOM optional), falling back to GB18030."""
    return data.decode(detect_encoding(data, name))


def read_csv_bytes(data: bytes, name: str, limits: ReadLimits = DEFAULT_LIMITS) -> pd.DataFrame:
    """Text cells of CSV held in memory (an upload that is not saved), checked like a file.

    The content is sniffed (a VRT, XML, binary or empty upload is refused) and read within
    ``limits``; ``name`` is what messages call it. DataError or TooLarge as for files.
    """
    if len(data) > limits.max_bytes:
        raise limit_error(name, limits, "max_bytes", f"the file has {len(data):,} bytes")
    found = content_format(data[:HEAD_BYTES], len(data), name)
    if found not in ("csv", "geojson"):  # any text may be CSV
        raise DataError(f"{name}: the content is {LABELS[found]}, not CSV text.")
    return tidy(_csv_cells(data, name, limits, Budget(name, limits)))


def _csv_cells(data: bytes, name: str, limits: ReadLimits, budget: Budget) -> pd.DataFrame:
    """CSV text cells, read ``CSV_CHUNK_ROWS`` rows at a time against the limits."""
    encoding = detect_encoding(data, name)
    try:
        header = pd.read_csv(
            io.BytesIO(data), encoding=encoding, dtype=str, keep_default_na=False, nrows=0
        )
        check_shape(name, limits, 0, len(header.columns))
        chunks = []
        rows = 0
        reader = pd.read_csv(
            io.BytesIO(data),
            encoding=encoding,
            dtype=str,
            keep_default_na=False,
            chunksize=CSV_CHUNK_ROWS,
        )
        with reader:
            for chunk in reader:
                rows += len(chunk)
                check_shape(name, limits, rows, len(header.columns))
                budget.check()
                chunks.append(chunk)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{name}: not a readable CSV file ({excerpt(first, 120)}).") from None
    return _blank_headers(pd.concat(chunks, ignore_index=True) if chunks else header)


def _blank_headers(cells: pd.DataFrame) -> pd.DataFrame:
    """Name CSV columns with a blank header by their letter ("column C", as in XLSX), and
    drop those that hold nothing."""
    from openpyxl.utils import get_column_letter

    blank = {
        c: f"column {get_column_letter(i + 1)}"
        for i, c in enumerate(cells.columns)
        if re.fullmatch(r"Unnamed: \d+", str(c))  # pandas' name for a blank header
    }
    keep = [c for c in cells.columns if c not in blank or (cells[c] != "").any()]
    return cells[keep].rename(columns=blank)


def tidy(cells: pd.DataFrame) -> pd.DataFrame:
    """Every cell a string ("" when empty), headers trimmed and unique ("name", "name (2)");
    copies only what needs it."""
    names: list[str] = []
    for column in cells.columns:
        text = base = str(column).strip()
        copy = 1
        while text in names:
            copy += 1
            text = f"{base} ({copy})"
        names.append(text)
    cells.columns = names
    for i in range(cells.shape[1]):
        values = cells.iloc[:, i]
        if values.hasnans or values.dtype != "str":
            cells.isetitem(i, values.fillna("").astype(str).array)
    return cells.reset_index(drop=True)
