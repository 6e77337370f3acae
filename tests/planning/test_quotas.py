"""Per-district quotas: districts by adcode or name, from a CSV/XLSX file or a mapping,
with errors naming rows and columns."""

from __future__ import annotations

import pandas as pd
import pytest

from locator.errors import BadQuery, DataError
from locator.planning.quotas import check_quotas, district_adcode, read_quotas

BEIJING = pd.DataFrame(
    {
        "district_adcode": ["110101", "110105", "110106", "110108"],
        "district_name": ["东城区", "朝阳区", "丰台区", "海淀区"],
    }
)


@pytest.mark.parametrize(
    ("value", "code"),
    [("110105", "110105"), ("朝阳区", "110105"), ("朝阳", "110105"), (" 海淀区 ", "110108")],
)
def test_district_by_adcode_or_name(value, code):
    assert district_adcode(BEIJING, value) == code


def test_unknown_and_ambiguous_districts():
    with pytest.raises(BadQuery, match="unknown district '火星区'"):
        district_adcode(BEIJING, "火星区")
    twins = pd.DataFrame({"district_adcode": ["1", "2"], "district_name": ["新城区", "新城区"]})
    with pytest.raises(BadQuery, match="names 2 districts; give the adcode"):
        district_adcode(twins, "新城区")


def test_quotas_file(tmp_path):
    path = tmp_path / "quotas.csv"
    path.write_text(
        "district,min,max\n110105,1,3\n海淀区,,2\n丰台,2,\n东城区,,\n", encoding="utf-8-sig"
    )
    assert read_quotas(path, BEIJING, new=5) == {
        "110105": (1, 3),
        "110108": (None, 2),
        "110106": (2, None),
    }


def test_quotas_file_errors_name_rows_and_columns(tmp_path):
    path = tmp_path / "quotas.csv"
    path.write_text(
        "district,min,max\n朝阳区,1,2\n火星区,1,\n海淀区,x,\n丰台区,3,1\n朝阳区,,1\n东城区,-1,\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as caught:
        read_quotas(path, BEIJING)
    message = caught.value.message
    assert message.startswith("quotas.csv: row 3, column 'district': unknown district '火星区'")
    assert "row 4, column 'min': min 'x' is not a whole number >= 0" in message
    assert "row 5, column 'min': min 3 is larger than max 1" in message
    assert message.endswith("(and 2 more).")
    assert caught.value.problems[3:] == (
        "row 6: district 110105 is given twice.",
        "row 7, column 'min': min '-1' is not a whole number >= 0 (leave it blank for none).",
    )


def test_quotas_file_needs_its_columns_and_fits_new(tmp_path):
    path = tmp_path / "quotas.csv"
    path.write_text("district,minimum\n朝阳区,1\n", encoding="utf-8")
    with pytest.raises(DataError, match="no max column"):
        read_quotas(path, BEIJING)
    path.write_text("区县,最少,最多\n朝阳区,2,\n海淀区,2,\n", encoding="utf-8")
    with pytest.raises(BadQuery, match="at least 4 new sites, but new is 3"):
        read_quotas(path, BEIJING, new=3)
    with pytest.raises(DataError, match="CSV or XLSX"):
        read_quotas(tmp_path / "quotas.geojson", BEIJING)


def test_quotas_xlsx(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in (("district", "min", "max"), ("朝阳区", 1, None), (110108, None, 4)):
        sheet.append(row)
    book.save(tmp_path / "quotas.xlsx")
    assert read_quotas(tmp_path / "quotas.xlsx", BEIJING) == {
        "110105": (1, None),
        "110108": (None, 4),
    }


def test_quotas_mapping():
    quotas = {"朝阳区": [1, None], "110108": (None, 2), "丰台区": [None, None]}
    assert check_quotas(quotas, BEIJING, new=2) == {"110105": (1, None), "110108": (None, 2)}


@pytest.mark.parametrize(
    ("quotas", "fragment"),
    [
        ([1, 2], "quotas must be an object"),
        ({"朝阳区": 3}, "quota for '朝阳区' must be [min, max]"),
        ({"朝阳区": [1]}, "must be [min, max]"),
        ({"火星区": [1, 2]}, "quota for '火星区': unknown district"),
        ({"朝阳区": [3, 1]}, "min 3 is larger than max 1"),
        ({"朝阳区": [-1, None]}, "min -1 is not a whole number"),
        ({"朝阳区": [1.5, None]}, "min 1.5 is not a whole number"),
        ({"朝阳区": [True, None]}, "min True is not a whole number"),
        ({"朝阳区": [1, 2], "110105": [0, 1]}, "district 110105 is given twice"),
        ({"朝阳区": [2, None], "海淀区": [2, None]}, "at least 4 new sites, but new is 3"),
    ],
)
def test_bad_quotas_mapping(quotas, fragment):
    with pytest.raises(BadQuery) as caught:
        check_quotas(quotas, BEIJING, new=3)
    assert fragment in caught.value.message
