"""Cells that are safe to open in a spreadsheet (CSV injection, OWASP's advice).

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
run as a formula by Excel, LibreOffice and WPS (``=HYPERLINK(…)``,
``+cmd|' /C calc'!A0``). Such a cell gets a leading apostrophe, which spreadsheets show
as text and do not display. Numbers are never changed: a negative coordinate stays a
number. Every CSV that locator writes passes its text cells through :func:`safe_cell`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text columns hold only :func:`safe_cell` values."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(safe_cell)
    return out
