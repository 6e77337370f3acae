"""Is a station open at a given time? OpenStreetMap ``opening_hours``, Beijing time.

Each distinct expression is parsed once (by ``opening-hours-py``) and evaluated
once per time asked, so asking for 100,000 stations costs as many evaluations
as there are distinct expressions. Blank hours are unknown, never "open".
China's public holidays (``PH``) come from the library's calendar.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import opening_hours
import pandas as pd

TIMEZONE = ZoneInfo("Asia/Shanghai")
OPEN, CLOSED, UNKNOWN = 1, 0, -1
STATE_NAMES = {OPEN: "yes", CLOSED: "no", UNKNOWN: "unknown"}
_STATES = {"open": OPEN, "closed": CLOSED, "unknown": UNKNOWN}


def local_time(when: dt.datetime | None) -> dt.datetime:
    """``when`` (now if None) as a naive Beijing wall-clock time; naive input is Beijing time."""
    if when is None:
        return dt.datetime.now(TIMEZONE).replace(tzinfo=None)
    if when.tzinfo is None:
        return when
    return when.astimezone(TIMEZONE).replace(tzinfo=None)


def parse(expression: str) -> opening_hours.OpeningHours:
    """One ``opening_hours`` expression, parsed with China's public holidays.

    Raises the library's ``SyntaxError`` for text that is not an expression.
    """
    return opening_hours.OpeningHours(expression, country="CN")


class Hours:
    """The opening hours of a station table, coded by distinct expression."""

    def __init__(self, expressions: pd.Series) -> None:
        codes, uniques = pd.factorize(expressions.fillna(""))
        self.codes = codes.astype(np.int32)
        self._parsed = [parse(e) if e else None for e in uniques]
        self._last: tuple[dt.datetime, list[int]] | None = None

    def states_at(self, when: dt.datetime | None, rows: np.ndarray | None = None) -> np.ndarray:
        """OPEN, CLOSED or UNKNOWN (int8) for ``rows`` (all rows if None) at ``when``."""
        per_expression = np.array(self.expression_states(when), dtype=np.int8)
        codes = self.codes if rows is None else self.codes[rows]
        return per_expression[codes]

    def expression_states(self, when: dt.datetime | None) -> list[int]:
        """The state of each distinct expression at ``when``, indexed by :attr:`codes`.

        Opening hours have minute resolution, so the states of the last minute asked are
        kept and reused within that minute.
        """
        t = local_time(when).replace(second=0, microsecond=0)
        last = self._last
        if last is not None and last[0] == t:
            return last[1]
        states = [UNKNOWN if oh is None else _STATES[str(oh.state(t)[0])] for oh in self._parsed]
        states.append(UNKNOWN)
        self._last = (t, states)  # one assignment: threads see the old pair or the new one
        return states
