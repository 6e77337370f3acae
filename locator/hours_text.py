"""Opening hours in words, in Chinese and English: "每天 08:00–20:00", "daily 08:00–20:00".

The words come from what the parsed expression (:func:`locator.hours.parse`) does, not from
its text: the open intervals of a few reference weeks, spread over two years and free of
public holidays, are cut into days; days with the same hours are grouped. Anything a weekly
table cannot say is left as the raw expression (``in_words`` False):

* hours that differ between the reference weeks (months, week numbers, years);
* a public-holiday rule (National Day week 2025 is checked against the weekly table);
* "unknown" times, fallback rules (``|| unknown``), comments (``"call first"``), and
  hours that are never open (``off``);
* hours that run past midnight (``22:00-06:00``), unless whole days are open;
* solar events (``sunrise``): the library computes them at fixed times without an
  ephemeris, so an expression whose normal form names one stays raw.

Each distinct expression is described once and cached.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

import opening_hours

from locator.hours import parse

DAY_MIN = 24 * 60
# Mondays of weeks with no public holiday in China, in different seasons and years.
REFERENCE_MONDAYS = tuple(
    dt.date(*ymd) for ymd in ((2025, 3, 10), (2025, 6, 16), (2025, 8, 11), (2025, 11, 10),
                              (2026, 3, 9), (2026, 12, 7))
)  # fmt: skip
HOLIDAY_MONDAY = dt.date(2025, 9, 29)  # National Day holiday: Wed 1 Oct to Wed 8 Oct 2025
_SOLAR = re.compile(r"\b(sunrise|sunset|dawn|dusk)\b")

DAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
}
WORDS = {
    "en": {"daily": "daily", "always": "open 24 hours", "whole_day": "24 hours",
           "range": "{first}–{last}", "and": ", ", "times": ", ", "rules": "; "},
    "zh": {"daily": "每天", "always": "24 小时", "whole_day": "24 小时",
           "range": "{first}至{last}", "and": "、", "times": "、", "rules": "；"},
}  # fmt: skip

Span = tuple[int, int]  # open from, to: minutes after midnight, 0-1440
Week = tuple[tuple[Span, ...], ...]  # the spans of Monday ... Sunday


@dataclass(frozen=True)
class HoursText:
    """An expression in words (``in_words``) or, where words cannot say it, as written."""

    en: str
    zh: str
    in_words: bool

    def text(self, lang: str) -> str:
        """The text in ``lang`` ("zh" or "en"; anything else is Chinese)."""
        return self.en if lang == "en" else self.zh


@functools.lru_cache(maxsize=4096)
def describe(expression: str) -> HoursText | None:
    """``expression`` in words in both languages; None when it is blank.

    Text the parser refuses, and expressions a weekly table cannot say, come back as
    written with ``in_words`` False.
    """
    expression = expression.strip()
    if not expression:
        return None
    week = weekly(expression)
    if week is None:
        return HoursText(expression, expression, False)
    return HoursText(words(week, "en"), words(week, "zh"), True)


def weekly(expression: str) -> Week | None:
    """The open spans of each weekday, or None when they are not the same every week."""
    if not opening_hours.validate(expression):
        return None
    parsed = parse(expression)
    if _SOLAR.search(str(parsed.normalize())):
        return None
    weeks = {_week_of(parsed, monday) for monday in (*REFERENCE_MONDAYS, HOLIDAY_MONDAY)}
    if len(weeks) != 1:
        return None
    week = weeks.pop()
    if week is None or not any(week) or _runs_past_midnight(week):
        return None
    return week


def _week_of(parsed: opening_hours.OpeningHours, monday: dt.date) -> Week | None:
    """The open spans of each day of the week from ``monday``; None if any time is unknown
    or carries a comment."""
    start = dt.datetime.combine(monday, dt.time())
    days: list[list[Span]] = [[] for _ in range(7)]
    for begin, end, state, comment in parsed.intervals(start, start + dt.timedelta(days=7)):
        kind = str(state)
        if kind == "unknown" or comment:
            return None
        if kind != "open":
            continue
        begin_min = max(0, _minutes(begin.replace(tzinfo=None) - start))
        end_min = _minutes(end.replace(tzinfo=None) - start)
        for day in range(begin_min // DAY_MIN, min(7, -(-end_min // DAY_MIN))):
            lo = max(begin_min, day * DAY_MIN) - day * DAY_MIN
            hi = min(end_min, (day + 1) * DAY_MIN) - day * DAY_MIN
            if hi > lo:
                days[day].append((lo, hi))
    week = tuple(tuple(spans) for spans in days)
    return week if _agrees(parsed, week, start) else None


def _agrees(parsed: opening_hours.OpeningHours, week: Week, start: dt.datetime) -> bool:
    """True if the state at each half hour of the week is the table's: the library's
    intervals and states disagree for fallback rules (``||``), so both are asked."""
    for step in range(7 * 48):
        minute = step * 30 + 15
        day, at = divmod(minute, DAY_MIN)
        is_open = any(lo <= at < hi for lo, hi in week[day])
        state = str(parsed.state(start + dt.timedelta(minutes=minute))[0])
        if state != ("open" if is_open else "closed"):
            return False
    return True


def _minutes(delta: dt.timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _runs_past_midnight(week: Week) -> bool:
    """True if a span ends at midnight and the next day's starts there, unless both days
    are open all day (the week repeats, so Sunday runs into Monday)."""
    whole = ((0, DAY_MIN),)
    for day in range(7):
        today, tomorrow = week[day], week[(day + 1) % 7]
        joined = today and tomorrow and today[-1][1] == DAY_MIN and tomorrow[0][0] == 0
        if joined and not (today == whole and tomorrow == whole):
            return True
    return False


def words(week: Week, lang: str) -> str:
    """A weekly table in words: "daily 08:00–20:00", "Mon–Fri 09:00–18:00; Sat 10:00–16:00"."""
    w = WORDS[lang]
    if all(spans == ((0, DAY_MIN),) for spans in week):
        return w["always"]
    if all(spans == week[0] for spans in week):
        return f"{w['daily']} {_times(week[0], lang)}"
    groups: dict[tuple[Span, ...], list[int]] = {}
    for day, spans in enumerate(week):
        if spans:
            groups.setdefault(spans, []).append(day)
    rules = [f"{_days(days, lang)} {_times(spans, lang)}" for spans, days in groups.items()]
    return w["rules"].join(rules)


def _days(days: list[int], lang: str) -> str:
    """Weekdays (0 = Monday) as runs: three or more in a row as a range."""
    names, w = DAYS[lang], WORDS[lang]
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(w["range"].format(first=names[run[0]], last=names[run[-1]]))
        else:
            parts.extend(names[d] for d in run)
    return w["and"].join(parts)


def _times(spans: tuple[Span, ...], lang: str) -> str:
    if spans == ((0, DAY_MIN),):
        return WORDS[lang]["whole_day"]
    return WORDS[lang]["times"].join(f"{_clock(lo)}–{_clock(hi)}" for lo, hi in spans)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
