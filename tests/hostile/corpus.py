"""Hostile files, built in code: each is what an attacker (or an unlucky export) might send.

:func:`build` writes the whole corpus into a folder and returns ``{name: path}``. Every
file must be refused with a clear DataError or TooLarge, quickly and without the process
growing (see ``test_corpus.py``), except the few in ``READABLE``, which are ugly but
valid and must be read correctly (a sheet whose ``<dimension>`` claims A1:XFD1048576,
blank header cells). Nothing here touches the network: the VRT documents name a local
port that ``test_corpus.py`` watches for connections.
"""

from __future__ import annotations

import io
import random
import sqlite3
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from shapely.geometry import Point

EXTENSIONS = (".csv", ".txt", ".xlsx", ".geojson", ".json", ".gpkg")
SECRET_BODY = "FETCHED-SECRET-BODY"  # what the watched port would answer
BIG_SHEET_BYTES = 101 * 2**20  # just above the default UPLOAD_MAX_UNZIPPED_BYTES

STEMS = ("vrt_passwd", "vrt_curl", "vrt_port9", "bom_only", "empty", "junk")  # x EXTENSIONS
XLSX = (
    "dimension_bomb.xlsx",
    "last_row_bomb.xlsx",
    "wide_row.xlsx",
    "unzipped_bomb.xlsx",
    "lying_sizes.xlsx",
    "billion_laughs.xlsx",
    "zip_in_zip.xlsx",
    "many_parts.xlsx",
    "blank_headers.xlsx",
)
GEOJSON = (
    "deep_arrays.geojson",
    "deep_objects.json",
    "deep_properties.geojson",
    "no_geometry.geojson",
    "not_geojson.json",
)
GPKG = ("attributes_only.gpkg", "count_lies.gpkg", "plain_sqlite.gpkg", "fake_gpkg.gpkg")
NAMES = (
    *(f"{stem}{ext}" for stem in STEMS for ext in EXTENSIONS),
    "utf16.csv",
    "blank_headers.csv",
    *XLSX,
    *GEOJSON,
    *GPKG,
)
# Readable though hostile-looking: read, not refused.
READABLE = ("dimension_bomb.xlsx", "blank_headers.xlsx", "blank_headers.csv", "count_lies.gpkg")

_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{_PKG_NS}"><Relationship Id="rId1" '
        f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'<workbook xmlns="{_SHEET_NS}" xmlns:r="{_REL_NS}"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_PKG_NS}"><Relationship Id="rId1" '
        f'Type="{_REL_NS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


def vrt_passwd() -> str:
    """A VRT whose SQL puts /etc/passwd into the station fields."""
    return (
        '<OGRVRTDataSource><OGRVRTLayer name="x">'
        "<SrcDataSource>CSV:/etc/passwd</SrcDataSource>"
        '<SrcSQL dialect="sqlite">SELECT field_1 AS name, field_1 AS kind, '
        "116.4 AS lon, 39.9 AS lat FROM passwd</SrcSQL>"
        "</OGRVRTLayer></OGRVRTDataSource>"
    )


def vrt_curl(port: int) -> str:
    """A VRT (with an XML declaration) that makes GDAL fetch a URL on ``port``."""
    return (
        '<?xml version="1.0"?>\n<OGRVRTDataSource><OGRVRTLayer name="x">'
        f"<SrcDataSource>/vsicurl/http://127.0.0.1:{port}/x.csv</SrcDataSource>"
        "</OGRVRTLayer></OGRVRTDataSource>"
    )


def vrt_port9() -> str:
    """The issue's own example: a VRT naming /vsicurl/http://127.0.0.1:9/x."""
    return (
        '\ufeff<OGRVRTDataSource><OGRVRTLayer name="x">'
        "<SrcDataSource>/vsicurl/http://127.0.0.1:9/x</SrcDataSource>"
        "</OGRVRTLayer></OGRVRTDataSource>"
    )


def _cell(ref: str, value: object) -> str:
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def sheet_xml(
    rows: list[list[object]], dimension: str = "", numbers: list[int] | None = None
) -> str:
    """A worksheet part with inline strings; ``numbers`` are the rows' ``r`` attributes."""
    from openpyxl.utils import get_column_letter

    out = []
    for number, row in zip(numbers or range(1, len(rows) + 1), rows, strict=True):
        cells = "".join(
            _cell(f"{get_column_letter(i + 1)}{number}", v) for i, v in enumerate(row) if v != ""
        )
        out.append(f'<row r="{number}">{cells}</row>')
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<worksheet xmlns="{_SHEET_NS}">{dim}<sheetData>{"".join(out)}</sheetData></worksheet>'


def xlsx(sheet: str | bytes, extra: dict[str, bytes] | None = None, level: int = 6) -> bytes:
    """A minimal workbook (no styles part) around one worksheet part."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, text in _PARTS.items():
            zf.writestr(name, text)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


STATION_ROWS: list[list[object]] = [
    ["name", "kind", "lon", "lat"],
    ["东单驿站", "warm_heart", 116.418, 39.913],
    ["国贸驿站", "warm_heart", 116.461, 39.909],
]


def big_sheet() -> bytes:
    """A 1 MB workbook whose sheet inflates to just over 100 MiB (the issue's 369 MB case)."""
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 1000
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, text in _PARTS.items():
            zf.writestr(name, text)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(f'<worksheet xmlns="{_SHEET_NS}"><sheetData>'.encode())
            written = 0
            while written < BIG_SHEET_BYTES:
                written += part.write(row)
            part.write(b"</sheetData></worksheet>")
    return buf.getvalue()


def lying_sheet() -> bytes:
    """A workbook whose sheet says it is 200 bytes but inflates to 2 MB."""
    honest = xlsx(sheet_xml([["name"], *[["x" * 100]] * 20_000]))
    data = bytearray(honest)
    with zipfile.ZipFile(io.BytesIO(honest)) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    size = info.file_size.to_bytes(4, "little")
    small = (200).to_bytes(4, "little")
    start = 0
    while (found := data.find(size, start)) >= 0:  # local header and central directory
        data[found : found + 4] = small
        start = found + 4
    return bytes(data)


def billion_laughs() -> bytes:
    """A sheet whose entities expand to a billion characters."""
    entities = ['<!ENTITY a0 "ha">'] + [
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)
    ]
    sheet = (
        f"<!DOCTYPE worksheet [{''.join(entities)}]>"
        f'<worksheet xmlns="{_SHEET_NS}"><sheetData><row r="1">'
        '<c r="A1" t="inlineStr"><is><t>&a9;</t></is></c></row></sheetData></worksheet>'
    )
    return xlsx(sheet)


def xlsx_files() -> dict[str, bytes]:
    """Workbooks: bombs, zip-in-zip, too many parts, and two readable oddities."""
    header_blanks = [
        ["name", "", "", "kind", "lon", "lat"],
        ["东单驿站", "x", "", "warm_heart", 116.418, 39.913],
    ]
    return {
        "dimension_bomb.xlsx": xlsx(sheet_xml(STATION_ROWS, "A1:XFD1048576")),
        "last_row_bomb.xlsx": xlsx(sheet_xml([*STATION_ROWS, ["x"]], numbers=[1, 2, 3, 1048576])),
        "wide_row.xlsx": xlsx(sheet_xml([["name"], [*[""] * 16383, "x"]])),
        "unzipped_bomb.xlsx": big_sheet(),
        "lying_sizes.xlsx": lying_sheet(),
        "billion_laughs.xlsx": billion_laughs(),
        "zip_in_zip.xlsx": xlsx(sheet_xml(STATION_ROWS), {"xl/embeddings/inner.bin": xlsx("x")}),
        "many_parts.xlsx": xlsx(
            sheet_xml(STATION_ROWS), {f"x/{i}.xml": b"<a/>" for i in range(1001)}
        ),
        "blank_headers.xlsx": xlsx(sheet_xml(header_blanks)),
    }


def geojson_files() -> dict[str, str]:
    """JSON nested 10,000 deep, too deep inside a valid collection, and no geometry."""
    deep_props = '{"a": ' * 100 + "1" + "}" * 100
    feature = '{"type": "Feature", "geometry": null, "properties": {"name": "x"}}'
    return {
        "deep_arrays.geojson": "[" * 10_000 + "]" * 10_000,
        "deep_objects.json": '{"a": ' * 10_000 + "1" + "}" * 10_000,
        "deep_properties.geojson": (
            '{"type": "FeatureCollection", "features": [{"type": "Feature", '
            f'"geometry": null, "properties": {{"deep": {deep_props}}}}}]}}'
        ),
        "no_geometry.geojson": f'{{"type": "FeatureCollection", "features": [{feature}]}}',
        "not_geojson.json": '{"hello": "world"}',
    }


def gpkg_files(folder: Path) -> dict[str, Path]:
    """GeoPackages without geometry, claiming 2e9 features (pyogrio would allocate for
    them all), and fakes."""
    out = {}
    out["attributes_only.gpkg"] = folder / "attributes_only.gpkg"
    pyogrio.write_dataframe(
        pd.DataFrame({"name": ["x"]}), out["attributes_only.gpkg"], driver="GPKG"
    )
    out["count_lies.gpkg"] = folder / "count_lies.gpkg"
    frame = gpd.GeoDataFrame(
        {"name": ["a", "b", "c"]}, geometry=[Point(116.4, 39.9)] * 3, crs="EPSG:4326"
    )
    pyogrio.write_dataframe(frame, out["count_lies.gpkg"], driver="GPKG", layer="t")
    with sqlite3.connect(out["count_lies.gpkg"]) as db:
        db.execute("UPDATE gpkg_ogr_contents SET feature_count = 2000000000")  # 16 GB a column
    out["plain_sqlite.gpkg"] = folder / "plain_sqlite.gpkg"
    with sqlite3.connect(out["plain_sqlite.gpkg"]) as db:
        db.execute("CREATE TABLE t (x)")
    out["fake_gpkg.gpkg"] = folder / "fake_gpkg.gpkg"
    with sqlite3.connect(out["fake_gpkg.gpkg"]) as db:
        db.execute("PRAGMA application_id = 1196444487")  # "GPKG", and nothing else
        db.execute("CREATE TABLE t (x)")
    return out


def every_extension(stem: str, data: bytes) -> dict[str, bytes]:
    """``data`` saved under each accepted extension."""
    return {f"{stem}{ext}": data for ext in EXTENSIONS}


def build(folder: Path, port: int) -> dict[str, Path]:
    """Write the corpus into ``folder``; ``port`` is where the VRTs would fetch from."""
    junk = bytes(random.Random(10).randrange(256) for _ in range(4096))
    files: dict[str, bytes] = {
        **every_extension("vrt_passwd", vrt_passwd().encode()),
        **every_extension("vrt_curl", vrt_curl(port).encode()),
        **every_extension("vrt_port9", vrt_port9().encode()),
        **every_extension("bom_only", b"\xef\xbb\xbf"),
        **every_extension("empty", b""),
        **every_extension("junk", b"\x89PNG\r\n\x1a\n\x00" + junk),
        "utf16.csv": "name,lon,lat\nx,1,2\n".encode("utf-16"),
        "blank_headers.csv": "name,,,kind,lon,lat\n东单驿站,x,,warm_heart,116.418,39.913\n".encode(),
        **xlsx_files(),
        **{k: v.encode() for k, v in geojson_files().items()},
    }
    paths = {}
    for name, data in files.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    return {**paths, **gpkg_files(folder)}
