"""GeoPackages, read by GDAL's GPKG driver only, and GDAL's settings for the whole process.

:func:`configure_gdal` runs once at start-up (``create_app`` and the ``locator``
command): it removes GDAL's VRT drivers, which can name any local file or URL, and
closes GDAL's network file systems. :func:`read_gpkg` checks that a file is a real
GeoPackage (SQLite header, GeoPackage application id, a ``gpkg_contents`` table) and
opens it with the ``GPKG:`` prefix, so no other driver can claim it; SQLite counts its
rows first, since pyogrio allocates for as many features as it is told to read. GDAL's
own error text (paths, SQL) never reaches a message; it goes to the log.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from locator.errors import DataError
from locator.stations.layer import Layer, cell_text, check_shape
from locator.stations.limits import Budget, ReadLimits

logger = logging.getLogger(__name__)

SKIPPED_DRIVERS = "VRT,OGR_VRT,GTI"  # GTI: GDAL's tile index, which also names other files
GDAL_OPTIONS = {
    "GDAL_SKIP": SKIPPED_DRIVERS,
    "OGR_SKIP": SKIPPED_DRIVERS,
    # No /vsicurl/ (nor /vsis3/, /vsigs/ ...) request: no file name has this extension.
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".locator-network-is-disabled",
    "CPL_VSIL_CURL_ALLOWED_FILENAME": "/locator-network-is-disabled",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_CONNECTTIMEOUT": "1",
    "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO",
    "GDAL_VRT_ENABLE_PYTHON": "NO",
    "GDAL_VRT_ENABLE_RAWRASTERBAND": "NO",
}


def configure_gdal() -> None:
    """Set ``GDAL_OPTIONS`` for the process and drop the skipped drivers; idempotent.

    GDAL reads ``GDAL_SKIP`` when drivers are registered, which pyogrio does on import, so
    the drivers are registered again (GDAL then removes the skipped ones). RuntimeError
    if a VRT driver survives: the app must not start with it.
    """
    import pyogrio
    from pyogrio import core

    pyogrio.set_gdal_config_options(GDAL_OPTIONS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL warns of skipped drivers it has not got
        core._register_drivers()  # pyogrio's start-up call; GDALAllRegister applies GDAL_SKIP
    left = {"VRT", "OGR_VRT"} & set(pyogrio.list_drivers())
    if left:
        raise RuntimeError(f"GDAL's {', '.join(sorted(left))} driver could not be disabled.")


def gpkg_layer(path: Path, name: str) -> tuple[str, int]:
    """The table to read and its true row count, from the file opened read-only by SQLite.

    The first feature table in ``gpkg_contents`` is read, else the first attribute table;
    views are not (counting one could run any query). DataError when the file has no
    readable ``gpkg_contents`` table (it is not a GeoPackage) or no such table.
    """
    uri = f"{path.absolute().as_uri()}?mode=ro&immutable=1"
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
            db.execute("PRAGMA trusted_schema = OFF")
            found = db.execute(
                "SELECT c.table_name FROM gpkg_contents AS c JOIN sqlite_master AS m "
                "ON m.name = c.table_name AND m.type = 'table' "
                "WHERE c.data_type IN ('features', 'attributes') "
                "ORDER BY c.data_type != 'features', c.rowid LIMIT 1"
            ).fetchone()
            if found is None:
                raise DataError(f"{name}: the GeoPackage has no feature or attribute table.")
            table = str(found[0])
            quoted = '"' + table.replace('"', '""') + '"'
            rows = int(db.execute(f"SELECT COUNT(*) FROM {quoted}").fetchone()[0])
    except (sqlite3.Error, UnicodeDecodeError):
        raise DataError(f"{name}: not a GeoPackage (no readable gpkg_contents table).") from None
    return table, rows


@contextlib.contextmanager
def _gdal_name(path: Path) -> Iterator[str]:
    """``GPKG:<absolute path>``; through a symbolic link when the path has a colon,
    which the prefix syntax would take as a separator."""
    absolute = path.absolute()
    if ":" not in str(absolute):
        yield f"GPKG:{absolute}"
        return
    with tempfile.TemporaryDirectory(prefix="locator-gpkg-") as folder:
        link = Path(folder) / "layer.gpkg"
        link.symlink_to(absolute)
        yield f"GPKG:{link}"


def read_gpkg(path: Path, name: str, limits: ReadLimits, budget: Budget) -> Layer:
    """The first feature table of a GeoPackage (else its first attribute table).

    Rows (counted by SQLite, not taken from the file's own count) and columns are checked
    before GDAL reads anything, and GDAL is told to read exactly that many features (pyogrio
    allocates what it is told). GDAL cannot be interrupted, so time is checked after.
    """
    import pyogrio

    table, rows = gpkg_layer(path, name)
    check_shape(name, limits, rows, 0)
    try:
        with _gdal_name(path) as source, warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")  # GDAL's warnings about the file go to the log
            info = pyogrio.read_info(source, layer=table)
            check_shape(name, limits, rows, len(info["fields"]))
            if rows == 0:
                return Layer(name, pd.DataFrame(columns=list(info["fields"])), _none(0), None)
            frame = pyogrio.read_dataframe(source, layer=table, max_features=rows)
        for warning in said:
            logger.info("GDAL reading %s: %s", name, warning.message)
    except DataError:
        raise
    except Exception:  # pyogrio wraps GDAL errors in several types
        logger.info("GDAL could not read %s", name, exc_info=True)
        raise DataError(f"{name}: not a readable GeoPackage (GDAL could not read it).") from None
    budget.check()
    if len(frame) != rows:
        raise DataError(f"{name}: the GeoPackage's own feature count is wrong; save it again.")
    return _layer(frame, name, limits)


def _none(count: int) -> np.ndarray:
    """``count`` missing geometries."""
    return np.full(count, None, dtype=object)


def _layer(frame: pd.DataFrame, name: str, limits: ReadLimits) -> Layer:
    """A Layer from pyogrio's frame (a GeoDataFrame, or a DataFrame for an attribute table)."""
    if isinstance(frame, gpd.GeoDataFrame):
        geometry = np.asarray(frame.geometry.array, dtype=object)
        crs = frame.crs.to_string() if frame.crs is not None else None
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    else:
        geometry, crs = _none(len(frame)), None
    check_shape(name, limits, len(frame), len(frame.columns))
    cells = pd.DataFrame(
        {str(c): _text(frame.iloc[:, i]) for i, c in enumerate(frame.columns)},
        index=range(len(frame)),
    )
    return Layer(name, cells, geometry, crs)


def _text(values: pd.Series) -> pd.Series:
    """A column as cell text; text columns (most of a station file) in one step."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return values.map(cell_text)
    return values.astype(object).where(values.notna(), "").astype(str)
