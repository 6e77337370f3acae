"""Read station files (CSV, XLSX, GeoJSON, GeoPackage) into a table of text cells.

Readers do not interpret values; :mod:`locator.stations.validation` does. Every cell is a
string ("" for empty), and each row keeps the number a person would look for:

* CSV and XLSX: the spreadsheet row number (the header is row 1);
* GeoJSON and GeoPackage: the feature number, counting from 1.

CSV encodings are detected: UTF-8 (with or without a BOM), else GB18030, the
superset of GBK that Chinese Excel exports use.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from locator.amenities import header_key
from locator.errors import DataError
from locator.schema import header_field

SUFFIXES = {
    ".csv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".geojson": "vector",
    ".json": "vector",
    ".gpkg": "vector",
}


@dataclass(frozen=True)
class RawTable:
    """Text cells of one file, with the row number of each row and the file's own CRS."""

    path: str
    cells: pd.DataFrame
    row_numbers: np.ndarray
    row_label: str
    file_crs: str | None = None


def read_raw(path: str | Path) -> RawTable:
    """Read ``path`` by its suffix; raise DataError for unknown formats and unreadable files."""
    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise DataError(
            f"{path.name}: unsupported file type {path.suffix!r}; "
            f"use one of {', '.join(sorted(SUFFIXES))}."
        )
    if not path.is_file():
        raise DataError(f"{path}: no such file.")
    if kind == "csv":
        return _read_csv(path)
    if kind == "xlsx":
        return _read_xlsx(path)
    return _read_vector(path)


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


def _read_csv(path: Path) -> RawTable:
    data = path.read_bytes()
    encoding = detect_encoding(data, path.name)
    try:
        cells = pd.read_csv(io.BytesIO(data), encoding=encoding, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path.name}: not a readable CSV file ({exc}).") from exc
    return RawTable(str(path), _tidy(cells), np.arange(2, len(cells) + 2), "row")


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _read_xlsx(path: Path) -> RawTable:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise DataError(f"{path.name}: not a readable XLSX workbook ({exc}).") from exc
    try:
        rows = list(book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()
    first = _header_row(rows)
    if first is None:
        raise DataError(f"{path.name}: the first sheet is empty.")
    header = [_cell_text(v) for v in rows[first]]
    body = [[_cell_text(v) for v in r] for r in rows[first + 1 :]]
    numbers = np.arange(first + 2, first + 2 + len(body))
    keep = [i for i, r in enumerate(body) if any(r)]  # trailing blank rows are not stations
    cells = pd.DataFrame([body[i] for i in keep], columns=header, dtype=str)
    return RawTable(str(path), _tidy(cells), numbers[keep], "row")


def _header_row(rows: Sequence[Sequence[object]]) -> int | None:
    """The row, among the first 20, naming the most known columns (title rows are skipped)."""

    def known(row: Sequence[object]) -> int:
        return sum(bool(header_field(v) or header_key(_cell_text(v))) for v in row if v)

    filled = [i for i, r in enumerate(rows[:20]) if any(v not in (None, "") for v in r)]
    return max(filled, key=lambda i: (known(rows[i]), -i), default=None)


def _read_vector(path: Path) -> RawTable:
    import pyogrio

    try:
        frame = pyogrio.read_dataframe(path)
    except Exception as exc:  # pyogrio wraps GDAL errors in several types
        raise DataError(f"{path.name}: not a readable GeoJSON/GeoPackage file ({exc}).") from exc
    file_crs = frame.crs.to_string() if frame.crs is not None else None
    geometry = frame.geometry
    cells = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    cells = cells.astype(object).where(cells.notna(), "").astype(str)
    if geometry.notna().any():
        points = geometry.geom_type == "Point"
        if not points[geometry.notna()].all():
            raise DataError(f"{path.name}: stations must be Point features.")
        cells["lon"] = [_cell_text(v) for v in geometry.x.where(points)]
        cells["lat"] = [_cell_text(v) for v in geometry.y.where(points)]
    return RawTable(str(path), _tidy(cells), np.arange(1, len(cells) + 1), "feature", file_crs)


def _tidy(cells: pd.DataFrame) -> pd.DataFrame:
    """Every cell a string ("" when empty) and headers trimmed; copies only what needs it."""
    for col in cells.columns:
        if cells[col].hasnans or cells[col].dtype != "str":
            cells[col] = cells[col].fillna("").astype(str)
    cells.columns = [str(c).strip() for c in cells.columns]
    return cells.reset_index(drop=True)
