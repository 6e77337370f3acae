"""English place names: each expected value is the official romanisation, checked by hand."""

from __future__ import annotations

import pytest

from locator import names


@pytest.mark.parametrize(
    ("name", "level", "expected"),
    [
        ("朝阳区", "district", "Chaoyang District"),  # pypinyin alone reads 朝 as zhao
        ("榆阳区", "district", "Yuyang District"),
        ("石景山区", "district", "Shijingshan District"),
        ("府谷县", "district", "Fugu County"),
        ("洋县", "district", "Yang County"),  # a one-character name keeps its suffix word
        ("神木市", "district", "Shenmu City"),  # a county-level city
        ("长安区", "district", "Chang'an District"),  # apostrophe before a vowel syllable
        ("略阳县", "district", "Lüeyang County"),
        ("某某旗", "district", "Moumou Banner"),
        ("西安市", "city", "Xi'an"),
        ("延安市", "city", "Yan'an"),
        ("北京市", "city", "Beijing"),
        ("陕西省", "province", "Shaanxi"),  # not Shanxi (山西)
        ("Haidian", "district", "Haidian"),
        ("", "district", ""),
    ],
)
def test_english(name: str, level: names.Level, expected: str) -> None:
    assert names.english(name, level) == expected


def test_split_suffix_keeps_an_unknown_suffix_in_the_stem() -> None:
    assert names.split_suffix("陕西省", "district") == ("陕西省", "")
    assert names.split_suffix("西安市", "city") == ("西安", "")


def test_pinyin_line() -> None:
    assert names.pinyin_line("榆阳司机之家（2号）") == "yú yáng sī jī zhī jiā (2 hào)"
    assert names.pinyin_line("Station A") == ""
