"""Tests for locator.amenities: the vocabulary, yes/no cells, headers and free text."""

from __future__ import annotations

import dataclasses
import math
import re

import pytest

from locator import amenities
from locator.amenities import NO, UNKNOWN, YES

EXPECTED_KEYS = (
    "rest_area", "drinking_water", "hot_water_24h", "toilet", "shower", "laundry", "dryer",
    "microwave", "phone_charging", "power_bank", "ebike_charging", "first_aid", "lockers",
    "vending_24h", "convenience_store", "food", "air_conditioning", "wifi", "repair_tools",
    "rain_gear", "books", "truck_parking", "vehicle_repair", "emergency_rescue", "etc_service",
    "fuel_discount", "smoking_area",
)  # fmt: skip


# --- vocabulary -------------------------------------------------------------------------


def test_keys_come_in_the_documented_order_with_extras_after() -> None:
    assert amenities.KEYS[: len(EXPECTED_KEYS)] == EXPECTED_KEYS
    assert len(set(amenities.KEYS)) == len(amenities.KEYS)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", key) for key in amenities.KEYS)


def test_every_amenity_has_labels_and_is_its_own_alias() -> None:
    for amenity in amenities.AMENITIES:
        assert amenity.zh and amenity.en
        assert amenities.BY_KEY[amenity.key] is amenity
        for word in (amenity.key, amenity.zh, amenity.en, *amenity.aliases):
            assert amenities.lookup(word) == amenity.key, word


def test_no_alias_belongs_to_two_keys() -> None:
    owners: dict[str, str] = {}
    for amenity in amenities.AMENITIES:
        for alias in amenity.aliases:
            word = amenities.normalise(alias)
            assert owners.setdefault(word, amenity.key) == amenity.key, alias
            owners[word] = amenity.key


def test_amenity_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        amenities.BY_KEY["shower"].zh = "洗澡"  # type: ignore[misc]


def test_lookup_normalises_case_and_width() -> None:
    assert amenities.lookup("洗澡") == "shower"
    assert amenities.lookup(" SHOWER ") == "shower"
    assert amenities.lookup("ＷｉＦｉ") == "wifi"
    assert amenities.lookup("２４小时热水") == "hot_water_24h"
    assert amenities.lookup("按摩椅") is None
    assert amenities.lookup("") is None


def test_hot_water_and_drinking_water_are_kept_apart() -> None:
    for word in ("热水", "开水", "24小时开水", "hot water"):
        assert amenities.lookup(word) == "hot_water_24h"
    for word in ("饮水", "饮用水", "饮水机", "直饮水", "drinking water"):
        assert amenities.lookup(word) == "drinking_water"


def test_label() -> None:
    assert amenities.label("shower") == "淋浴"
    assert amenities.label("shower", "en") == "Shower"
    with pytest.raises(KeyError):
        amenities.label("sauna")
    with pytest.raises(ValueError, match="language"):
        amenities.label("shower", "fr")


def test_vocabulary_is_json_ready() -> None:
    vocab = amenities.vocabulary()
    assert [item["key"] for item in vocab] == list(amenities.KEYS)
    assert vocab[amenities.KEYS.index("shower")] == {
        "key": "shower",
        "zh": "淋浴",
        "en": "Shower",
        "aliases": list(amenities.BY_KEY["shower"].aliases),
    }
    assert "洗澡" in vocab[amenities.KEYS.index("shower")]["aliases"]  # type: ignore[operator]


# --- parse_flag -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        *[(c, YES) for c in ("是", "有", "√", "✓", "✔", "yes", "Y", "TRUE", "1", "1.0", "提供")],
        *[(c, YES) for c in (1, 1.0, True, " 是 ", "ｙｅｓ")],
        *[(c, NO) for c in ("否", "无", "没有", "×", "✗", "✘", "x", "X", "no", "N", "false")],
        *[(c, NO) for c in ("0", "0.0", 0, 0.0, False, "不提供")],
        *[(c, UNKNOWN) for c in (None, math.nan, "", "   ", "未知", "unknown", "?", "？")],
        *[(c, None) for c in ("maybe", "2", 2, "淋浴", "是的吧", "0.5")],
    ],
)
def test_parse_flag(cell: object, expected: str | None) -> None:
    assert amenities.parse_flag(cell) == expected


# --- header_key -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "淋浴",
        "是否有淋浴",
        "shower",
        "Shower",
        "有无淋浴",
        "淋浴间",
        "洗澡",
        "淋浴(是/否)",
        "淋浴？",
    ],
)
def test_header_key_finds_shower(header: str) -> None:
    assert amenities.header_key(header) == "shower"


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("是否提供WiFi", "wifi"),
        ("有无热水", "hot_water_24h"),
        ("饮水", "drinking_water"),
        ("卫生间", "toilet"),
        ("drinking_water", "drinking_water"),
        ("Drinking water", "drinking_water"),
        ("吸烟区", "smoking_area"),
        ("ETC办理", "etc_service"),
        ("洗衣服务", "laundry"),
        ("电动车充电/换电", "ebike_charging"),
        ("空调/取暖", "air_conditioning"),
    ],
)
def test_header_key_positives(header: str, key: str) -> None:
    assert amenities.header_key(header) == key


@pytest.mark.parametrize(
    "header",
    ["名称", "地址", "经度", "纬度", "类型", "电话", "开放时间", "所属单位", "区", "设施",
     "服务设施", "备注", "name", "address", "lon", "lat", "phone", "type", "有无", "是否", "",
     "淋浴/洗衣"],
)  # fmt: skip
def test_header_key_negatives(header: str) -> None:
    assert amenities.header_key(header) is None


# --- parse_amenity_text ----------------------------------------------------------------


def parsed(text: str) -> tuple[dict[str, str], tuple[str, ...]]:
    result = amenities.parse_amenity_text(text)
    return dict(result.values), result.unknown_words


def test_text_brief_example() -> None:
    assert parsed("有淋浴、可洗衣、24小时热水") == (
        {"hot_water_24h": YES, "shower": YES, "laundry": YES},
        (),
    )


def test_text_negation_and_unknown_word() -> None:
    assert parsed("淋浴；无WiFi；按摩椅") == ({"shower": YES, "wifi": NO}, ("按摩椅",))


def test_text_english() -> None:
    assert parsed("shower, laundry, wifi") == (
        {"shower": YES, "laundry": YES, "wifi": YES},
        (),
    )
    assert parsed("no hot water; free Wi-Fi") == ({"hot_water_24h": NO, "wifi": YES}, ())
    assert parsed("phone charging and e-bike charging") == (
        {"phone_charging": YES, "ebike_charging": YES},
        (),
    )


def test_text_longest_alias_wins() -> None:
    assert parsed("24小时热水") == ({"hot_water_24h": YES}, ())
    assert parsed("洗衣烘干") == ({"laundry": YES, "dryer": YES}, ())
    assert parsed("充电宝") == ({"power_bank": YES}, ())
    assert parsed("电动车充电") == ({"ebike_charging": YES}, ())
    assert parsed("无线网络") == ({"wifi": YES}, ())  # 无线 is "wireless", not "no"
    assert parsed("无人售货") == ({"vending_24h": YES}, ())


def test_text_full_width_and_whitespace() -> None:
    assert parsed("淋浴，洗衣；ＷｉＦｉ（免费）\n热水") == (
        {"hot_water_24h": YES, "shower": YES, "laundry": YES, "wifi": YES},
        (),
    )
    assert parsed("淋浴 无wifi") == ({"shower": YES, "wifi": NO}, ())


def test_text_negations() -> None:
    assert parsed("没有淋浴") == ({"shower": NO}, ())
    assert parsed("暂无洗衣、不提供热水") == ({"hot_water_24h": NO, "laundry": NO}, ())
    assert parsed("无无线网络") == ({"wifi": NO}, ())
    assert parsed("淋浴、无淋浴") == ({"shower": NO}, ())  # NO wins a contradiction


def test_text_duplicates_and_suffixes() -> None:
    assert parsed("淋浴、洗澡、淋浴间、shower") == ({"shower": YES}, ())
    assert parsed("休息、饮水、如厕、充电、热饭等") == (
        {
            "rest_area": YES,
            "drinking_water": YES,
            "toilet": YES,
            "microwave": YES,
            "phone_charging": YES,
        },
        (),
    )
    assert parsed("按摩椅、按摩椅") == ({}, ("按摩椅",))


def test_text_unknown_words_are_reported_whole() -> None:
    assert parsed("可乐") == ({}, ("可乐",))
    assert parsed("无按摩椅") == ({}, ("无按摩椅",))
    assert parsed("massage chair, shower") == ({"shower": YES}, ("massage chair",))
    assert parsed("淋浴 足疗") == ({"shower": YES}, ("足疗",))
    assert parsed("无") == ({}, ("无",))  # a dangling negation is not silently dropped


@pytest.mark.parametrize("text", ["", "   ", "、、", "\n"])
def test_text_empty(text: str) -> None:
    assert parsed(text) == ({}, ())


def test_amenity_text_is_read_only() -> None:
    result = amenities.parse_amenity_text("淋浴")
    with pytest.raises(TypeError):
        result.values["shower"] = NO  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.unknown_words = ()  # type: ignore[misc]
    assert list(amenities.parse_amenity_text("wifi、淋浴").values) == ["shower", "wifi"]
