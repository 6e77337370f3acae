"""Quotas on new sites per district: ``{district adcode: (min, max)}``, None for no bound.

:func:`read_quotas` (a CSV/XLSX file with columns district, min, max) and
:func:`check_quotas` (a mapping, as the API receives it) produce
``PlanRequest.quotas``. Districts may be given by adcode or by name
(:func:`district_adcode`); the minimums together may not exceed the new sites asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from locator.errors import BadQuery, DataError
from locator.schema import normalise_header
from locator.stations.limits import DEFAULT_LIMITS, ReadLimits, excerpt
from locator.stations.readers import read_raw

Quotas = dict[str, tuple[int | None, int | None]]


def district_adcode(districts: pd.DataFrame, value: str) -> str:
    """The adcode of a district given by adcode or name (区/县/市 may be left off).

    ``districts`` has ``district_adcode`` and ``district_name`` columns; BadQuery when
    ``value`` names none of them, or several.
    """
    text = str(value).strip()
    codes = districts["district_adcode"].astype(str)
    if text in set(codes):
        return text
    names = districts["district_name"].astype(str)
    hits = codes[names == text]
    if hits.empty:
        hits = codes[names.str.replace(r"[区县市]$", "", regex=True) == text.rstrip("区县市")]
    if hits.empty or not text:
        raise BadQuery(
            f"unknown district {excerpt(text)!r}; give a district name or adcode (e.g. 110105)."
        )
    if hits.nunique() > 1:
        raise BadQuery(
            f"{excerpt(text)!r} names {hits.nunique()} districts; give the adcode instead."
        )
    return str(hits.iloc[0])


def _bound(name: str, value: object) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if isinstance(value, bool) or not (isinstance(value, int | str) and text.isdecimal()):
        raise BadQuery(
            f"{name} {excerpt(repr(value))} is not a whole number >= 0 (leave it blank for none)."
        )
    return int(text)


def quota_bounds(low: object, high: object) -> tuple[int | None, int | None]:
    """(min, max) new sites from two values: whole numbers >= 0, or blank/None for no bound."""
    lo, hi = _bound("min", low), _bound("max", high)
    if lo is not None and hi is not None and lo > hi:
        raise BadQuery(f"min {lo} is larger than max {hi}.")
    return lo, hi


def _check_total(quotas: Quotas, new: int | None) -> Quotas:
    least = sum(lo or 0 for lo, _ in quotas.values())
    if new is not None and least > new:
        raise BadQuery(f"the quotas ask for at least {least} new sites, but new is {new}.")
    return quotas


def check_quotas(quotas: object, districts: pd.DataFrame, new: int | None = None) -> Quotas:
    """Quotas from a mapping ``{district (adcode or name): [min, max]}``; BadQuery if malformed."""
    if not isinstance(quotas, Mapping):
        raise BadQuery('quotas must be an object like {"110105": [2, 10]} (null for no bound).')
    out: Quotas = {}
    for key, pair in quotas.items():
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise BadQuery(f"quota for {key!r} must be [min, max], got {pair!r}.")
        try:
            code, bounds = district_adcode(districts, str(key)), quota_bounds(*pair)
        except BadQuery as exc:
            raise BadQuery(f"quota for {key!r}: {exc.message}") from None
        if code in out:
            raise BadQuery(f"quota for {key!r}: district {code} is given twice.")
        if bounds != (None, None):
            out[code] = bounds
    return _check_total(out, new)


QUOTA_HEADERS = {
    "district": ("district", "district_adcode", "adcode", "district_name", "区县", "行政区"),
    "min": ("min", "minimum", "最少", "下限"),
    "max": ("max", "maximum", "最多", "上限"),
}


class _BadCell(ValueError):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column, self.message = column, message


def _quota_row(
    row: Mapping[Any, str], cols: Mapping[str, str], districts: pd.DataFrame
) -> tuple[str, tuple[int | None, int | None]]:
    """(adcode, (min, max)) of one file row; raises _BadCell naming the bad column."""
    values: dict[str, object] = {}
    for field, column in cols.items():
        try:
            if field == "district":
                values[field] = district_adcode(districts, row[column])
            else:
                values[field] = _bound(field, row[column])
        except BadQuery as exc:
            raise _BadCell(column, exc.message) from None
    lo, hi = values["min"], values["max"]
    if isinstance(lo, int) and isinstance(hi, int) and lo > hi:
        raise _BadCell(cols["min"], f"min {lo} is larger than max {hi}.")
    return str(values["district"]), (lo, hi)  # type: ignore[return-value]


def read_quotas(
    path: Path,
    districts: pd.DataFrame,
    new: int | None = None,
    *,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Quotas:
    """Quotas from a CSV or XLSX file with columns district, min, max (blank = no bound).

    Districts are names or adcodes. DataError names the file, row (header = row 1),
    column and value of every bad row; BadQuery when the minimums exceed ``new``. The
    file is read within ``limits`` (TooLarge past one).
    """
    name = Path(path).name
    if Path(path).suffix.lower() not in (".csv", ".txt", ".xlsx"):
        raise DataError(f"{name}: quotas must be a CSV or XLSX file.")
    raw = read_raw(path, limits=limits, formats=("csv", "xlsx"))
    found = {normalise_header(c): c for c in raw.cells.columns}
    cols = {
        f: next((found[h] for h in heads if h in found), "") for f, heads in QUOTA_HEADERS.items()
    }
    missing = [f for f, c in cols.items() if not c]
    if missing:
        raise DataError(
            f"{name}: no {', '.join(missing)} column; the columns are district, min and max."
        )
    out: Quotas = {}
    problems: list[str] = []
    for number, row in zip(raw.row_numbers, raw.cells.to_dict("records"), strict=True):
        try:
            code, bounds = _quota_row(row, cols, districts)
        except _BadCell as exc:
            problems.append(f"row {number}, column {exc.column!r}: {exc.message}")
            continue
        if code in out:
            problems.append(f"row {number}: district {code} is given twice.")
        elif bounds != (None, None):
            out[code] = bounds
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        shown = "; ".join(p.rstrip(".") for p in problems[:3])
        raise DataError(f"{name}: {shown}{more}.", tuple(problems))
    return _check_total(out, new)
