"""CSV cells a spreadsheet would run as formulas are neutralised; numbers are not."""

from __future__ import annotations

import pandas as pd
import pytest

from locator.spreadsheet import safe_cell, safe_frame


@pytest.mark.parametrize(
    "payload",
    ['=HYPERLINK("http://x","a")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1"],
)
def test_each_formula_start_gets_an_apostrophe(payload: str) -> None:
    assert safe_cell(payload) == "'" + payload


@pytest.mark.parametrize("value", ["东单驿站", "a=b", "", None, -116.4, 3])
def test_other_values_are_unchanged(value: object) -> None:
    assert safe_cell(value) == value


def test_a_frame_keeps_its_numbers() -> None:
    frame = pd.DataFrame({"name": ["=1+1", "ok"], "lon": [-1.5, 2.0]})
    out = safe_frame(frame)
    assert out["name"].tolist() == ["'=1+1", "ok"] and out["lon"].tolist() == [-1.5, 2.0]
    assert frame["name"].tolist() == ["=1+1", "ok"]  # the input is not changed
