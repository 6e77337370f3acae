"""The station table's id lookup: each id's first row, NotFound for any other."""

from __future__ import annotations

import pandas as pd
import pytest

from locator import amenities
from locator.errors import NotFound
from locator.stations.table import DatasetInfo, build_table


def test_row_of_finds_each_id_and_refuses_unknown_ones() -> None:
    frame = pd.DataFrame(
        {"id": ["b", "a", "c", "a"], "kind": ["warm_heart"] * 4, "lon": [116.0] * 4,
         "lat": [39.9] * 4, **{key: ["unknown"] * 4 for key in amenities.KEYS}}
    )  # fmt: skip
    table = build_table(frame, DatasetInfo("test", "", True, "", ""))
    assert [table.row_of(i) for i in ("b", "a", "c")] == [0, 1, 2]  # a repeated id: its first
    for unknown in ("d", "", "A"):
        with pytest.raises(NotFound, match="no station with id"):
            table.row_of(unknown)
