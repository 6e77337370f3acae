"""Which reader may open a file: its extension declares a format, its first bytes must agree.

A file is opened only by the reader of its declared format, and only after its content
has been checked to be that format. Refused before any reader sees them: paths GDAL
would treat as virtual (``/vsi...``) or that are not regular files, files larger than
``UPLOAD_MAX_BYTES``, empty files (or only a byte-order mark and blanks), XML of any kind
(a GDAL VRT document, which can name other files and URLs, above all), old or encrypted
Excel files, and binary content where text is expected.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from locator.errors import DataError
from locator.stations.limits import ReadLimits, limit_error

# Extension -> declared format. Web forms list these keys.
FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
}
LABELS = {
    "csv": "CSV text",
    "xlsx": "an XLSX workbook",
    "geojson": "GeoJSON",
    "gpkg": "a GeoPackage",
    "sqlite": "an SQLite database without the GeoPackage application id",
    "ole": "an old (.xls) or password-protected Excel workbook",
    "xml": "an XML or HTML document",
    "utf16": "UTF-16 text",
    "binary": "binary data",
}
HEAD_BYTES = 64 * 1024
SQLITE_MAGIC = b"SQLite format 3\x00"
GPKG_APPLICATION_IDS = (b"GPKG", b"GP10", b"GP11")  # GeoPackage 1.2+, 1.0, 1.1
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
VRT_MARKERS = (b"<ogrvrtdatasource", b"<vrtdataset", b"<gdal_wms", b"<gdal_wmts")


def declared_format(path: Path, name: str) -> str:
    """The format ``path``'s extension declares; DataError for any other extension."""
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        raise DataError(
            f"{name}: unsupported file type {path.suffix!r}; use one of "
            f"{', '.join(sorted(FORMATS))}."
        )
    return found


def check_path(path: Path, name: str) -> None:
    """Refuse GDAL virtual paths and anything that is not an existing regular file."""
    if any(str(p).lower().startswith("/vsi") for p in (path, path.absolute())):
        raise DataError(f"{name}: GDAL virtual paths (/vsi...) are never read.")
    if not path.is_file():
        raise DataError(f"{name}: no such file.")


def content_format(head: bytes, size: int, name: str) -> str:
    """The format the first bytes of a file show (a key of ``LABELS``).

    DataError for an empty file, one that is only a byte-order mark and blanks, and a
    GDAL VRT document, whatever the file is called.
    """
    if head.startswith(SQLITE_MAGIC):
        return "gpkg" if head[68:72] in GPKG_APPLICATION_IDS else "sqlite"
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if head.startswith(OLE_MAGIC):
        return "ole"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf16"
    text = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if not text and size <= len(head):
        raise DataError(f"{name}: the file is empty.")
    if any(marker in head.lower() for marker in VRT_MARKERS):
        raise DataError(
            f"{name}: this is a GDAL VRT document, which can name other files and URLs; "
            "it is never opened. Send the data itself as CSV, XLSX, GeoJSON or GeoPackage."
        )
    if text.startswith(b"<"):
        return "xml"
    if b"\x00" in head:  # text in an unknown encoding is left to the reader to name
        return "binary"
    return "geojson" if text.startswith((b"{", b"[")) else "csv"


def sniff(path: Path, name: str, limits: ReadLimits) -> str:
    """Check ``path`` and return its format: "csv", "xlsx", "geojson" or "gpkg".

    ``name`` is the file name messages show (the client's, never a server path). The
    content must be the format the extension declares, except that any text may be CSV.
    """
    declared = declared_format(path, name)
    check_path(path, name)
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise limit_error(name, limits, "max_bytes", f"the file has {size:,} bytes")
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    found = content_format(head, size, name)
    if found == declared or (declared == "csv" and found == "geojson"):
        return declared
    advice = {
        "ole": "save it again as .xlsx without a password",
        "utf16": "save it again as CSV UTF-8",
    }.get(found, f"send {LABELS[declared]}, or give the file the extension of its format")
    raise DataError(
        f"{name}: the content is {LABELS[found]}, not {LABELS[declared]} as its name says; "
        f"{advice}."
    )
