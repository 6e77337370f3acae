"""XLSX workbooks: the zip checked before anything is parsed, the first sheet streamed.

An XLSX file is a zip archive of XML parts. Before openpyxl opens it, the parts are
counted and their uncompressed sizes summed against ``UPLOAD_MAX_ZIP_ENTRIES`` and
``UPLOAD_MAX_UNZIPPED_BYTES``; Python's zipfile never inflates a part beyond the size it
declares (a larger stream fails its CRC check), so the sum bounds what is read. A part
that is itself an archive (zip-in-zip), and XML declaring a DTD (entity bombs), are
refused. The sheet is read in openpyxl's
read-only mode with its ``<dimension>`` discarded, so a sheet claiming A1:XFD1048576 is
not padded to 16,384 columns; rows are trimmed of trailing blanks and counted as they come.
"""

from __future__ import annotations

import logging
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from locator.amenities import header_key
from locator.errors import DataError
from locator.schema import header_field
from locator.stations.layer import cell_text
from locator.stations.limits import Budget, ReadLimits, limit_error

logger = logging.getLogger(__name__)

HEADER_ROWS = 20  # the header is looked for among the first filled rows
CHECK_EVERY = 2_000  # rows between two looks at the clock
ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!")
SCAN_BYTES = 1 << 20
DTD_MARKS = (b"<!DOCTYPE", b"<!ENTITY")
ARCHIVE_SUFFIXES = (".zip", ".xlsx", ".xlsm", ".docx", ".pptx", ".gz", ".7z", ".rar", ".jar")


def check_zip(path: Path, name: str, limits: ReadLimits, budget: Budget) -> None:
    """Refuse a workbook whose parts are too many, too large together, archives, or XML
    with a DTD; every XML part is inflated once to be scanned (within the size limit)."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > limits.max_zip_entries:
                raise limit_error(name, limits, "max_zip_entries", f"it has {len(entries):,} parts")
            total = sum(e.file_size for e in entries)
            if total > limits.max_unzipped_bytes:
                found = f"its parts unzip to {total:,} bytes"
                raise limit_error(name, limits, "max_unzipped_bytes", found)
            if "xl/workbook.xml" not in {e.filename for e in entries}:
                raise DataError(f"{name}: a zip archive, but not an Excel workbook.")
            for entry in entries:
                _check_part(archive, entry, name)
                budget.check()
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, OSError, EOFError):
        raise DataError(f"{name}: not a readable XLSX workbook (a broken zip archive).") from None


def _check_part(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, name: str) -> None:
    """DataError if the part is an archive (zip-in-zip) or XML declaring a DTD.

    Excel never writes a DTD; one in a workbook is there to define entities (a "billion
    laughs" expands a few hundred bytes into gigabytes).
    """
    with archive.open(entry) as part:
        chunk = part.read(SCAN_BYTES)
        if entry.filename.lower().endswith(ARCHIVE_SUFFIXES) or chunk[:4] in ARCHIVE_MAGIC:
            raise DataError(
                f"{name}: the workbook holds another archive; save the sheet again "
                "without embedded files."
            )
        if not entry.filename.lower().endswith((".xml", ".rels", ".vml")):
            return
        tail = b""
        while chunk:
            if any(mark in tail + chunk for mark in DTD_MARKS):
                raise DataError(
                    f"{name}: the workbook's XML declares a DTD, which Excel never writes; "
                    "it is not read. Save the sheet again from Excel or WPS."
                )
            tail, chunk = chunk[-16:], part.read(SCAN_BYTES)


def _trimmed(row: Sequence[object], name: str, limits: ReadLimits) -> list[str]:
    """The row's cells as text, without trailing blanks; TooLarge past the column limit."""
    width = len(row)
    while width and row[width - 1] in (None, ""):
        width -= 1
    if width > limits.max_columns:
        raise limit_error(name, limits, "max_columns", f"a row has {width:,} columns")
    return [cell_text(v) for v in row[:width]]


def _rows(
    sheet_rows: Iterable[Sequence[object]], name: str, limits: ReadLimits, budget: Budget
) -> tuple[list[list[str]], list[int]]:
    """The filled rows and their spreadsheet numbers; bounded in rows, cells and time.

    Rows are counted by their number, so blank rows count too: a sheet whose last row is
    number 1,048,576 is refused after ``max_rows + HEADER_ROWS`` rows, not read to the end.
    """
    kept: list[list[str]] = []
    numbers: list[int] = []
    cells = 0
    for number, row in enumerate(sheet_rows, start=1):
        if number % CHECK_EVERY == 0:
            budget.check()
        if number > limits.max_rows + HEADER_ROWS:
            raise limit_error(name, limits, "max_rows")
        values = _trimmed(row, name, limits)
        if not values:
            continue
        cells += len(values)
        if cells > limits.max_cells:
            raise limit_error(name, limits, "max_cells")
        kept.append(values)
        numbers.append(number)
    return kept, numbers


def _stream(
    path: Path, name: str, limits: ReadLimits, budget: Budget
) -> tuple[list[list[str]], list[int]]:
    """The first worksheet's filled rows, read in streaming mode."""
    from openpyxl import load_workbook

    try:
        # The file is opened here so that it is closed however openpyxl fails.
        with path.open("rb") as fh, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about unsupported extensions
            book = load_workbook(fh, read_only=True, data_only=True, keep_links=False)
            if not book.worksheets:
                raise DataError(f"{name}: the workbook has no worksheet.")
            sheet = book.worksheets[0]
            sheet.reset_dimensions()  # never trust <dimension>
            rows = sheet.iter_rows(values_only=True)
            try:
                return _rows(rows, name, limits, budget)
            finally:
                rows.close()
                book.close()
    except DataError:
        raise
    except Exception:  # openpyxl raises many types for broken workbooks
        logger.info("openpyxl could not read %s", name, exc_info=True)
        raise DataError(f"{name}: not a readable XLSX workbook.") from None


def _header_row(rows: Sequence[Sequence[str]]) -> int:
    """The row, among the first ``HEADER_ROWS``, naming the most known columns (so title
    rows above the header are skipped)."""

    def known(row: Sequence[str]) -> int:
        return sum(bool(header_field(v) or header_key(v)) for v in row if v)

    return max(range(min(len(rows), HEADER_ROWS)), key=lambda i: (known(rows[i]), -i))


def header_names(cells: Sequence[str]) -> list[str]:
    """Column names from header cells: a blank one becomes "column C" (its letter), and a
    repeated one gets its letter too ("name (D)"), so that every name is unique."""
    from openpyxl.utils import get_column_letter

    names: list[str] = []
    for i, cell in enumerate(cells):
        text, letter = cell.strip(), get_column_letter(i + 1)
        names.append(text or f"column {letter}")
        if text and names[-1] in names[:-1]:
            names[-1] = f"{text} ({letter})"
    return names


def read_xlsx(
    path: Path, name: str, limits: ReadLimits, budget: Budget
) -> tuple[pd.DataFrame, np.ndarray]:
    """(text cells, spreadsheet row numbers) of the first worksheet, below its header.

    Columns with a blank header and no value are dropped; other blank headers are named
    by their letter, and validation then reports them as columns it does not know.
    """
    check_zip(path, name, limits, budget)
    rows, numbers = _stream(path, name, limits, budget)
    if not rows:
        raise DataError(f"{name}: the first sheet is empty.")
    first = _header_row(rows)
    body = rows[first + 1 :]
    if len(body) > limits.max_rows:
        raise limit_error(name, limits, "max_rows", f"the sheet has {len(body):,} rows")
    width = max(len(r) for r in rows[first:])
    header = rows[first] + [""] * (width - len(rows[first]))
    padded = [r + [""] * (width - len(r)) for r in body]
    cells = pd.DataFrame(padded, columns=header_names(header), dtype=object)
    if len(cells.columns):
        blank = np.array([not h.strip() for h in header]) & ~(cells != "").any().to_numpy()
        cells = cells.loc[:, ~blank]
    return cells.reset_index(drop=True), np.array(numbers[first + 1 :], dtype=np.int64)
