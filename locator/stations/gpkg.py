"""GeoPackages, read by GDAL's GPKG driver only, and GDAL's settings for the whole process.

:func:`configure_gdal` runs once at start-up (``create_app`` and the ``locator``
command): it removes GDAL's VRT drivers, which can name any local file or URL, and
closes GDAL's network file systems. :func:`read_gpkg` checks that a file is a real
GeoPackage (SQLite header, GeoPackage application id, a ``gpkg_contents`` table) and
opens it with the ``GPKG:`` prefix, so no other driver can claim it. GDAL's own error
text (paths, SQL) never reaches a message; it goes to the log.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from locator.errors import DataError
from locator.stations.layer import Layer, cell_text, check_shape
from locator.stations.limits import Budget, ReadLimits, limit_error

logger = logging.getLogger(__name__)

SKIPPED_DRIVERS = "VRT OGR_VRT GTI"  # GTI: GDAL's tile index, which also names other files
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
    core._register_drivers()  # pyogrio's own start-up call; GDALAllRegister applies GDAL_SKIP
    left = {"VRT", "OGR_VRT"} & set(pyogrio.list_drivers())
    if left:
        raise RuntimeError(f"GDAL's {', '.join(sorted(left))} driver could not be disabled.")


def gpkg_tables(path: Path, name: str) -> list[tuple[str, str]]:
    """(table, data_type) of each layer in ``gpkg_contents``, opened read-only.

    DataError when the file has no readable ``gpkg_contents`` table (then it is not a
    GeoPackage) or lists no layer.
    """
    uri = f"{path.absolute().as_uri()}?mode=ro&immutable=1"
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
            db.execute("PRAGMA trusted_schema = OFF")
            rows = db.execute(
                "SELECT table_name, data_type FROM gpkg_contents ORDER BY rowid"
            ).fetchall()
    except sqlite3.Error:
        raise DataError(f"{name}: not a GeoPackage (no readable gpkg_contents table).") from None
    tables = [(str(t), str(k)) for t, k in rows if k in ("features", "attributes")]
    if not tables:
        raise DataError(f"{name}: the GeoPackage has no feature or attribute table.")
    return tables


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

    Columns are checked before reading; rows are read up to ``max_rows + 1`` whatever
    the file says its count is. GDAL cannot be interrupted, so time is checked after.
    """
    import pyogrio

    tables = gpkg_tables(path, name)
    table = next((t for t, kind in tables if kind == "features"), tables[0][0])
    try:
        with _gdal_name(path) as source:
            info = pyogrio.read_info(source, layer=table)
            check_shape(name, limits, 0, len(info["fields"]))
            frame = pyogrio.read_dataframe(source, layer=table, max_features=limits.max_rows + 1)
    except DataError:
        raise
    except Exception:  # pyogrio wraps GDAL errors in several types
        logger.info("GDAL could not read %s", name, exc_info=True)
        raise DataError(f"{name}: not a readable GeoPackage (GDAL could not read it).") from None
    budget.check()
    if len(frame) > limits.max_rows:
        raise limit_error(name, limits, "max_rows")
    return _layer(frame, name, limits)


def _layer(frame: pd.DataFrame, name: str, limits: ReadLimits) -> Layer:
    """A Layer from pyogrio's frame (a GeoDataFrame, or a DataFrame for an attribute table)."""
    if isinstance(frame, gpd.GeoDataFrame):
        geometry = np.asarray(frame.geometry.array, dtype=object)
        crs = frame.crs.to_string() if frame.crs is not None else None
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    else:
        geometry, crs = np.full(len(frame), None, dtype=object), None
    check_shape(name, limits, len(frame), len(frame.columns))
    cells = pd.DataFrame(
        {str(c): [cell_text(v) for v in frame[c].tolist()] for c in frame.columns},
        index=range(len(frame)),
        dtype=object,
    )
    return Layer(name, cells, geometry, crs)
