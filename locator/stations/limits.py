"""Bounds on reading one untrusted file, the errors that name them, and safe excerpts.

Every reader takes a :class:`ReadLimits` (defaults: the ``UPLOAD_MAX_*`` settings of
:mod:`locator.config`) and checks it as it goes: bytes before reading, columns at the
header, rows and cells while rows are read, and a wall-time :class:`Budget` every few
thousand rows. A size-type limit raises :class:`~locator.errors.TooLarge` (HTTP 413),
too deep a JSON document a :class:`~locator.errors.DataError` (422); each message names
the limit and its setting.

:func:`excerpt` is the only way a cell reaches a message: at most ``EXCERPT_CHARS``
characters, control characters escaped, numbers written plainly (NaN as blank).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from locator import config
from locator.errors import DataError, TooLarge

EXCERPT_CHARS = 40
_DEFAULTS = {s.name: s.default for s in config.SETTINGS}

# ReadLimits field -> (setting name, what it counts, unit shown in messages)
SETTING_OF = {
    "max_bytes": ("UPLOAD_MAX_BYTES", "bytes", "bytes"),
    "max_rows": ("UPLOAD_MAX_ROWS", "rows", "rows"),
    "max_columns": ("UPLOAD_MAX_COLUMNS", "columns", "columns"),
    "max_cells": ("UPLOAD_MAX_CELLS", "cells", "cells"),
    "max_unzipped_bytes": ("UPLOAD_MAX_UNZIPPED_BYTES", "uncompressed bytes", "bytes"),
    "max_zip_entries": ("UPLOAD_MAX_ZIP_ENTRIES", "parts (zip entries)", "parts"),
    "max_depth": ("UPLOAD_MAX_DEPTH", "levels of nesting", "levels"),
    "max_seconds": ("UPLOAD_MAX_SECONDS", "seconds of reading", "s"),
}


@dataclass(frozen=True)
class ReadLimits:
    """The most one file may hold or cost; defaults are the settings' defaults.

    Sizes are in bytes, ``max_seconds`` in seconds of wall time.
    """

    max_bytes: int = _DEFAULTS["UPLOAD_MAX_BYTES"]
    max_rows: int = _DEFAULTS["UPLOAD_MAX_ROWS"]
    max_columns: int = _DEFAULTS["UPLOAD_MAX_COLUMNS"]
    max_cells: int = _DEFAULTS["UPLOAD_MAX_CELLS"]
    max_unzipped_bytes: int = _DEFAULTS["UPLOAD_MAX_UNZIPPED_BYTES"]
    max_zip_entries: int = _DEFAULTS["UPLOAD_MAX_ZIP_ENTRIES"]
    max_depth: int = _DEFAULTS["UPLOAD_MAX_DEPTH"]
    max_seconds: float = _DEFAULTS["UPLOAD_MAX_SECONDS"]

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> ReadLimits:
        """The limits an app or the CLI is configured with (``settings`` as merged by
        :func:`locator.config.load_settings`; a missing name keeps its default)."""
        found = {f: settings[name] for f, (name, _, _) in SETTING_OF.items() if name in settings}
        return cls(**found)

    @classmethod
    def trusted(cls) -> ReadLimits:
        """No practical bound, for files the server wrote itself (the station store)."""
        count, size = 2**31 - 1, 2**62  # GDAL counts features in a C int
        return cls(size, count, count, size, size, count, 1_000, math.inf)


DEFAULT_LIMITS = ReadLimits()


def limit_error(name: str, limits: ReadLimits, field: str, found: str = "") -> DataError:
    """The error for file ``name`` exceeding ``limits.<field>``; it names the setting.

    ``found`` says what was seen (e.g. "a 5,000,000-byte sheet"); by default the message
    says "more than <limit>". Depth gives a DataError (422), every other limit TooLarge (413).
    """
    setting, what, unit = SETTING_OF[field]
    limit = getattr(limits, field)
    shown = f"{limit:g}" if isinstance(limit, float) else f"{limit:,}"
    seen = found or f"more than {shown} {what}"
    message = (
        f"{name}: {seen}; the limit is {shown} {unit} ({setting}, set by LOCATOR_{setting}). "
        + ("Flatten the file." if field == "max_depth" else "Split the file or make it smaller.")
    )
    return DataError(message) if field == "max_depth" else TooLarge(message)


class Budget:
    """A wall-time allowance for reading one file; :meth:`check` raises once it is spent."""

    def __init__(self, name: str, limits: ReadLimits) -> None:
        self.name = name
        self.limits = limits
        self.started = time.monotonic()

    def elapsed_s(self) -> float:
        """Seconds since the read started."""
        return time.monotonic() - self.started

    def check(self) -> None:
        """Raise TooLarge naming UPLOAD_MAX_SECONDS when the time is up."""
        if self.elapsed_s() > self.limits.max_seconds:
            found = f"reading it took longer than {self.limits.max_seconds:g} s"
            raise limit_error(self.name, self.limits, "max_seconds", found)


def excerpt(value: object, chars: int = EXCERPT_CHARS) -> str:
    """``value`` as short, printable text for a message.

    Numpy scalars and numbers are written plainly (NaN and None as ""), control and other
    unprintable characters are escaped (``\\n``, ``\\x00``), and text longer than ``chars``
    characters is cut with "…".
    """
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    full = str(value)
    safe = "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode() for c in full[:chars]
    )
    return safe if len(full) <= chars and len(safe) <= chars else safe[: chars - 1] + "…"
