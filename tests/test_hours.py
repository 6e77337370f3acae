import datetime as dt

import pandas as pd

from locator.hours import CLOSED, OPEN, UNKNOWN, Hours, local_time


def test_states_per_distinct_expression():
    hours = Hours(pd.Series(["24/7", "Mo-Fr 08:00-20:00", "", "24/7"]))
    monday_9pm = dt.datetime(2026, 11, 30, 21, 0)
    assert hours.states_at(monday_9pm).tolist() == [OPEN, CLOSED, UNKNOWN, OPEN]
    assert hours.states_at(monday_9pm, rows=[1, 2]).tolist() == [CLOSED, UNKNOWN]


def test_public_holidays_are_china_s():
    hours = Hours(pd.Series(["Mo-Fr 08:00-20:00; PH off"]))
    national_day = dt.datetime(2026, 10, 1, 9, 0)  # a Thursday, and a public holiday
    assert hours.states_at(national_day).tolist() == [CLOSED]


def test_aware_times_become_beijing_wall_clock():
    utc = dt.datetime(2026, 11, 30, 13, 0, tzinfo=dt.UTC)
    assert local_time(utc) == dt.datetime(2026, 11, 30, 21, 0)
    assert local_time(dt.datetime(2026, 1, 1, 8, 0)) == dt.datetime(2026, 1, 1, 8, 0)


def test_states_are_reused_within_a_minute_and_exact_at_its_edges():
    hours = Hours(pd.Series(["Mo-Su 08:00-17:30"]))
    before = dt.datetime(2026, 11, 30, 17, 29, 59, 999999)
    assert hours.expression_states(before) == [OPEN, UNKNOWN]  # the last entry: blank hours
    assert hours.expression_states(dt.datetime(2026, 11, 30, 17, 29)) is hours.expression_states(
        before
    )
    assert hours.expression_states(dt.datetime(2026, 11, 30, 17, 30)) == [CLOSED, UNKNOWN]
