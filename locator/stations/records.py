"""Station rows built from records: Amap POIs, Baidu places and OpenStreetMap objects.

The record readers (:mod:`~locator.stations.amap`, :mod:`~locator.stations.baidu`,
:mod:`~locator.stations.osm`, :mod:`~locator.stations.osm_pbf`) turn each record into a
dict of canonical column names (``name``, ``lon``, ``lat``, ``phone``, amenity keys, ...)
to text cells; :func:`record_raw` makes the :class:`~locator.stations.readers.RawTable`
that :func:`~locator.stations.validation.parse_stations` validates, so their reports have
the same shape as a spreadsheet's. Only fields a reader maps become columns: the other
members of a record are not station fields and are not reported as ignored columns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from locator.errors import DataError
from locator.stations.layer import cell_text, check_shape
from locator.stations.limits import ReadLimits, excerpt, limit_error
from locator.stations.readers import RawTable, tidy

CHECK_EVERY = 5_000  # records between two looks at the clock
_NUMBER = r"([-+]?\d+(?:\.\d+)?)"
PAIR = re.compile(rf"\s*{_NUMBER}\s*[,，]\s*{_NUMBER}\s*")  # "lng,lat" as Amap writes it


def split_pair(text: str) -> tuple[str, str] | None:
    """("lng", "lat") from a combined "lng,lat" cell such as "120.153576,30.287459", or None.

    Only two plain decimal numbers separated by a comma (ASCII or full-width) match.
    """
    match = PAIR.fullmatch(text)
    return (match.group(1), match.group(2)) if match else None


def pair_cells(text: str) -> tuple[str, str]:
    """lon and lat cells from a combined cell; a cell that is not a pair goes to ``lon``
    whole (validation then names it as not a number) and ``lat`` stays blank."""
    return split_pair(text) or (text.strip(), "")


def text_of(value: object) -> str:
    """A record member as cell text: "" for None, objects and Amap's empty ``[]``; a list
    of values joined with ";"; numbers written plainly."""
    if isinstance(value, list):
        return ";".join(t for t in (text_of(v) for v in value) if t)
    if isinstance(value, dict):
        return ""
    return cell_text(value).strip()


def members(doc: Any, key: str, name: str, what: str) -> list[Any]:
    """The list ``doc[key]`` of a JSON document; DataError naming ``what`` otherwise."""
    found = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(found, list):
        raise DataError(f"{name}: not {what} (no {key!r} list at the top level).")
    return found


def record(value: object, number: int, name: str, label: str) -> dict[str, Any]:
    """``value`` when it is a JSON object, else DataError naming record ``number``."""
    if not isinstance(value, dict):
        raise DataError(f"{name}: {label} {number} is not a JSON object.")
    return value


def answer_error(name: str, service: str, status: object, message: object) -> DataError:
    """The error for a saved API answer that reports a failure instead of places."""
    return DataError(
        f"{name}: this {service} answer reports an error (status {excerpt(status)!r}: "
        f"{excerpt(message)!r}), not places; save a successful answer."
    )


def record_raw(
    name: str,
    rows: Sequence[dict[str, str]],
    numbers: Sequence[int],
    *,
    limits: ReadLimits,
    row_label: str,
    file_crs: str | None,
    detected: str,
) -> RawTable:
    """A RawTable of ``rows`` (columns in order of first use, blanks as ""); TooLarge
    past the row, column or cell limit. ``numbers`` is each row's record number."""
    columns: dict[str, None] = {}
    cells = 0
    for row in rows:
        columns.update(dict.fromkeys(row))
        cells += len(row)
    check_shape(name, limits, len(rows), len(columns))
    if cells > limits.max_cells:
        raise limit_error(name, limits, "max_cells")
    frame = pd.DataFrame(list(rows), columns=list(columns), index=range(len(rows)), dtype=object)
    table = tidy(frame.fillna(""))
    return RawTable(name, table, np.asarray(numbers, dtype=np.int64), row_label, file_crs, detected)
